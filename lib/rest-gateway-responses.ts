import type { CorsSettings } from './cors.ts';

/**
 * The REST API's gateway responses for the authorizer's outcomes, as data: the CDK stack deploys
 * them and the local gateway renders them, so both answer alike. HTTP APIs have no gateway
 * responses ("Custom gateway responses": REST only —
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html), so their
 * denials carry no `WWW-Authenticate`.
 *
 * What API Gateway lets a gateway response vary on: its body template may use `$context` values,
 * `$context.authorizer.*` included, while headers take only literals and request parameters
 * ("from the incoming request parameters or using literal strings" —
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.responseParameters.html).
 * A thrown `Unauthorized` returns no context at all, so every 401 is one static answer; a Deny
 * policy's context reaches the 403's body. So the challenges are static, and the scope a 403's
 * request needed is in its JSON body.
 */

/**
 * The gateway response types the stack customizes. `DEFAULT_4XX` and `DEFAULT_5XX` (only with
 * CORS) stand for every type not customized itself: "If the response type is unspecified, this
 * response defaults to the `DEFAULT_4XX` type" (or `DEFAULT_5XX`) —
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
 */
export type RestGatewayResponseType =
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'AUTHORIZER_FAILURE'
  | 'AUTHORIZER_CONFIGURATION_ERROR'
  | 'DEFAULT_4XX'
  | 'DEFAULT_5XX';

/** One gateway response: header values are literals, the body a template over `$context`. */
export interface RestGatewayResponse {
  readonly type: RestGatewayResponseType;
  /**
   * The status code. Undefined for `DEFAULT_4XX`/`DEFAULT_5XX`: each type keeps its own ("Changing
   * the status code of this fallback gateway response changes the status codes of all other `4XX`
   * responses").
   */
  readonly statusCode?: number;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The `application/json` body template; `$context.authorizer.<key>` is replaced by the Deny's
   * context value, `$context.error.messageString` by the quoted error message.
   */
  readonly bodyTemplate: string;
}

/**
 * AWS's own body of a gateway response ("The quoted value of $context.error.message" —
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html):
 * `{"message":"Missing Authentication Token"}` and the like.
 */
export const DEFAULT_GATEWAY_RESPONSE_BODY = '{"message":$context.error.messageString}';

/** Settings of {@link restGatewayResponses}. */
export interface RestChallengeOptions {
  /** The `realm` of the challenges (RFC 6750 section 3): the API's name. */
  readonly realm: string;
  /**
   * The API's protected-resource metadata URL (RFC 9728 section 5.1: `resource_metadata`), how an
   * OAuth or MCP client that got a 401 finds the authorization server. @default not named
   */
  readonly resourceMetadataUrl?: string;
  /**
   * The DPoP proof algorithms the authorizer accepts: the 401 then also carries a `DPoP` challenge
   * with them as `algs` (RFC 9449 section 7.1). @default no DPoP challenge
   */
  readonly dpopAlgorithms?: readonly string[];
  /**
   * Browser clients (CORS): what the answers name in `Access-Control-*` headers so a page can read
   * a 401 or 403 (a gateway response never reaches the integration, which cannot add them). Its
   * header values are literals or request parameters, never conditional, so only one allowed
   * origin (or `*`) can be named; with several origins the answers carry none, and the browser
   * reports a CORS error instead of the status. @default no CORS headers
   */
  readonly cors?: CorsSettings;
}

/**
 * The 401 challenge is one fixed value for every refusal: missing, malformed, unknown, expired or
 * revoked tokens alike. RFC 6750 section 3 says a request without credentials SHOULD NOT get an
 * error code, section 3.1 that an invalid token gets `invalid_token`; a static answer cannot do
 * both. It carries `invalid_token`: a client that sends no token at an API that needs one loses
 * nothing by it, while a client whose token expired or was revoked learns to get a new one.
 */
export function restGatewayResponses(options: RestChallengeOptions): readonly RestGatewayResponse[] {
  const realm = quoted(options.realm);
  const metadata =
    options.resourceMetadataUrl === undefined ? '' : `, resource_metadata=${quoted(options.resourceMetadataUrl)}`;
  const dpop = options.dpopAlgorithms;
  // One header, two challenges (RFC 9110 section 11.6.1): Bearer, and DPoP with its algorithms.
  const dpopChallenge =
    dpop === undefined || dpop.length === 0
      ? ''
      : `, DPoP realm=${realm}, error="invalid_token", algs=${quoted(dpop.join(' '))}${metadata}`;
  const common = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...corsHeaders(options.cors) };
  const serverError = JSON.stringify({ error: 'server_error' });
  // With CORS, every other answer API Gateway makes (a path with no resource, throttling, a
  // timeout) carries the headers too, with AWS's own body.
  const defaults: readonly RestGatewayResponse[] =
    options.cors === undefined
      ? []
      : (['DEFAULT_4XX', 'DEFAULT_5XX'] as const).map((type) => ({
          type,
          headers: corsHeaders(options.cors),
          bodyTemplate: DEFAULT_GATEWAY_RESPONSE_BODY,
        }));
  return [
    {
      type: 'UNAUTHORIZED',
      statusCode: 401,
      headers: {
        ...common,
        'WWW-Authenticate': `Bearer realm=${realm}, error="invalid_token"${metadata}${dpopChallenge}`,
      },
      bodyTemplate: JSON.stringify({
        error: 'invalid_token',
        error_description: 'The access token is missing, invalid, expired or revoked',
      }),
    },
    {
      type: 'ACCESS_DENIED',
      statusCode: 403,
      headers: { ...common, 'WWW-Authenticate': `Bearer realm=${realm}, error="insufficient_scope"${metadata}` },
      // The Deny's context says what the request needed (never token material): the scopes, or for
      // a step-up denial (RFC 9470, error insufficient_user_authentication) the acr values and max_age.
      // The header is a literal and cannot say which; the body's error is the one that holds.
      bodyTemplate:
        '{"error":"$context.authorizer.error","error_description":"The access token does not allow this request",' +
        '"scope":"$context.authorizer.scope","acr_values":"$context.authorizer.acr_values",' +
        '"max_age":"$context.authorizer.max_age"}',
    },
    { type: 'AUTHORIZER_FAILURE', statusCode: 500, headers: common, bodyTemplate: serverError },
    { type: 'AUTHORIZER_CONFIGURATION_ERROR', statusCode: 500, headers: common, bodyTemplate: serverError },
    ...defaults,
  ];
}

/**
 * The CORS headers a gateway response can carry: the one allowed origin (or `*`), credentials when
 * allowed, the exposed headers (so a page can read `WWW-Authenticate`). None with several origins.
 */
function corsHeaders(cors: CorsSettings | undefined): Record<string, string> {
  if (cors === undefined || cors.allowOrigins.length !== 1) return {};
  return {
    'Access-Control-Allow-Origin': cors.allowOrigins[0] as string,
    ...(cors.allowCredentials ? { 'Access-Control-Allow-Credentials': 'true' } : {}),
    ...(cors.exposeHeaders.length > 0 ? { 'Access-Control-Expose-Headers': cors.exposeHeaders.join(',') } : {}),
  };
}

/** An RFC 7230 quoted-string (the realm is configuration, but quotes and backslashes must not break the header). */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}
