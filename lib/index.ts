/**
 * opaque-token-gateway: CDK constructs for an API Gateway edge where clients hold opaque OAuth
 * access tokens and backends receive verified JWTs. The package's one entry point: every construct,
 * and every type and value their props take.
 *
 * The Lambda code the constructs deploy is prebuilt into the package (`assets/`): a synth needs
 * neither esbuild nor Docker.
 *
 * @packageDocumentation
 */

// The token authorizer (REST and HTTP APIs) and what its props take.
export type { OpaqueTokenCharset, OpaqueTokenShape } from '../lambda/core/opaque-token-shape.ts';
export type { RouteScopeRule } from '../lambda/core/route-scopes.ts';
// Routes: one route definition on a REST API and on an HTTP API, token routes behind the authorizer,
// public routes on integrations of their own, and CORS preflights that never meet the authorizer.
export { ANY_METHODS, type ApiRoute, CORS_PREFLIGHT_INTEGRATION, withCorsPreflightRoutes } from './api-routes.ts';
export { HTTP_AUTHORIZER_IDENTITY_SOURCES, REST_AUTHORIZER_IDENTITY_SOURCES } from './authorizer-identity-sources.ts';
export {
  type CorsOptions,
  type CorsSettings,
  DEFAULT_CORS_ALLOW_HEADERS,
  DEFAULT_CORS_EXPOSE_HEADERS,
  DEFAULT_CORS_MAX_AGE_SECONDS,
  MAX_CORS_MAX_AGE_SECONDS,
} from './cors.ts';
export { HttpApiRoutes, type HttpApiRoutesProps, type HttpRouteTarget } from './http-api-routes.ts';
export type { JwtVerificationProps } from './jwt-verification-props.ts';
export type { FunctionLogGroupOptions } from './lambda-defaults.ts';
// Monitoring: dashboard and alarms over the authorizer, the proxy, the APIs and the table's replication.
export { GatewayMonitoring, type GatewayMonitoringProps } from './monitoring.ts';
// A REST API on a custom domain with mutual TLS (certificate-bound tokens, RFC 8705).
export { MutualTlsRestDomain, type MutualTlsRestDomainProps } from './mutual-tls-rest-domain.ts';
// RFC 9728 protected-resource metadata, and the REST API's gateway responses (challenges naming it).
export {
  PROTECTED_RESOURCE_METADATA_PATH,
  type ProtectedResourceMetadataOptions,
  protectedResourceMetadata,
} from './protected-resource-metadata.ts';
export { RestApiRoutes, type RestApiRoutesProps, type RestRouteTarget } from './rest-api-routes.ts';
export {
  DEFAULT_GATEWAY_RESPONSE_BODY,
  type RestChallengeOptions,
  type RestGatewayResponse,
  type RestGatewayResponseType,
  restGatewayResponses,
} from './rest-gateway-responses.ts';
// The split-token table (a DynamoDB global table) and the names issuers write under.
export {
  DEFAULT_TOKEN_TABLE_KEY_ATTRIBUTE,
  MRSC_REGION_SETS,
  SplitTokenTable,
  type SplitTokenTableExtraProps,
  type SplitTokenTableProps,
  TOKEN_TABLE_TTL_ATTRIBUTE,
  TOKEN_WRITE_ACTIONS,
  type TokenTableRef,
} from './split-token-table.ts';
export {
  DEFAULT_RESULTS_CACHE_TTL,
  type SenderConstrainedTokensProps,
  TokenAuthorizer,
  type TokenAuthorizerProps,
  type TokenIntrospectionProps,
} from './token-authorizer.ts';
// The issuing side: the token endpoint proxy, optionally as the authorization server's front.
export {
  type AuthorizationServerFrontProps,
  TokenEndpointProxy,
  type TokenEndpointProxyProps,
} from './token-endpoint-proxy.ts';
