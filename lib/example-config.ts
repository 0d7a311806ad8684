import { Arn, ArnFormat } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import { DEFAULT_GATEWAY_RESULTS_TTL_SECONDS } from '../lambda/core/cache-staleness.ts';
import { type RouteScopeRule, routeRuleProblem } from '../lambda/core/route-scopes.ts';
import { resolveCorsSettings } from './cors.ts';
import { EXAMPLE_API_ROUTES, EXAMPLE_ROUTE_SCOPES } from './example-api.ts';

/**
 * Settings of the example app, read from CDK context (`cdk.json` or `-c key=value`). Every key has
 * a demo default, so `npx cdk synth` works offline with no context at all.
 */
export interface ExampleAppConfig {
  /** Prefix of the stack names; one stack per region: `<prefix>-<region>`. */
  readonly stackPrefix: string;
  /** Account to deploy to; undefined leaves the stacks account-agnostic. */
  readonly account: string | undefined;
  /** Region of the table itself (where the authorization server writes). */
  readonly homeRegion: string;
  /** Every region with a gateway, the home region first. */
  readonly regions: readonly string[];
  /** Physical name of the global table (the same in every region). */
  readonly tableName: string;
  /** Deletion protection on the table and its replicas. */
  readonly tableDeletionProtection: boolean;
  readonly issuer: string;
  readonly jwksUri: string;
  readonly audiences: readonly string[];
  readonly allowedAlgorithms: readonly string[] | undefined;
  readonly requiredTokenType: string | undefined;
  /** Phantom-token fallback; undefined turns it off. */
  readonly introspection:
    | {
        readonly endpoint: string;
        readonly clientId: string;
        /** A secret replicated to every region (same name and suffix); undefined creates one per region. */
        readonly secretArn: string | undefined;
        readonly responseFormat: 'token-introspection+jwt' | 'jwt' | undefined;
      }
    | undefined;
  readonly jwtValidationEnabled: boolean;
  /**
   * Clients meant to hold JWTs: one list for both sides, so they cannot drift. The token endpoint
   * proxy hands them their JWTs unsplit; with JWT validation on, the authorizer accepts plain JWTs
   * from them only (never the JWT of a split token, which every backend receives).
   */
  readonly jwtClientIds: readonly string[];
  /** Read the home region when the local replica misses (replication lag). */
  readonly homeRegionFallback: boolean;
  readonly routeScopes: readonly RouteScopeRule[];
  readonly defaultScopes: readonly string[];
  readonly restCacheTtlSeconds: number;
  readonly httpCacheTtlSeconds: number;
  /** DPoP and certificate-bound tokens accepted with their proofs; API Gateway's result cache off. */
  readonly senderConstrainedTokens: boolean;
  /** With sender-constrained tokens: a replay table every authorizer instance shares. */
  readonly dpopReplayTable: boolean;
  /** The REST API on a custom domain with mutual TLS (certificate-bound tokens); undefined: none. */
  readonly restMtls:
    | {
        readonly domainName: string;
        readonly certificateArn: string;
        /** `s3://bucket/key` of the truststore PEM. */
        readonly truststoreUri: string;
        readonly truststoreVersion: string | undefined;
      }
    | undefined;
  /** Target of the demo HTTP integrations (an echo service shows the forwarded JWT header). */
  readonly echoUrl: string;
  /** Origins of the browser pages that may call both APIs (CORS); undefined: no CORS. */
  readonly corsAllowedOrigins: readonly string[] | undefined;
  /** The token endpoint proxy in the home region, or undefined when off. */
  readonly tokenEndpointProxy:
    | {
        /** Without a front: where token requests go (the function URL serves them). */
        readonly upstreamTokenEndpoint: string;
        /** Without a front: where revocation requests go. */
        readonly upstreamRevocationEndpoint: string | undefined;
        /** The token path (with a front: the authorization server's). */
        readonly tokenPath: string | undefined;
        /** The revocation path (with a front: the authorization server's). */
        readonly revocationPath: string | undefined;
        /** The authorization server's front on a custom domain, its issuer's origin; undefined: a function URL. */
        readonly front: ExampleFrontConfig | undefined;
      }
    | undefined;
  /** Principal (ARN) the authorization server signs in as, to assume the token-writer role. */
  readonly issuerPrincipalArn: string | undefined;
  readonly issuerExternalId: string | undefined;
  /** SNS topic for alarms, one of that name in every region; undefined: alarms without actions. */
  readonly alarmTopicArn: string | undefined;
  /** Let the stacks set the account-wide API Gateway CloudWatch Logs role (needed for execution logs). */
  readonly apiGatewayCloudWatchRole: boolean;
  readonly logRetentionDays: number;
}

/** The front of the example app (context keys `front*`). */
export interface ExampleFrontConfig {
  readonly domainName: string;
  readonly upstreamOrigin: string;
  /** An ACM certificate in the home region; undefined: one is created, validated in the hosted zone. */
  readonly certificateArn: string | undefined;
  /** The Route 53 zone of the domain (validation and the alias record). */
  readonly hostedZone: { readonly id: string; readonly name: string } | undefined;
}

export const DEMO_ISSUER = 'https://login.example.test';

/** Context keys with their defaults, for the README. */
export const CONTEXT_DEFAULTS = {
  stackPrefix: 'OpaqueTokenGateway',
  account: '(CDK_DEFAULT_ACCOUNT, else account-agnostic)',
  homeRegion: 'us-east-1',
  regions: 'us-east-1,eu-west-1',
  tableName: 'opaque-token-gateway-split-tokens',
  tableDeletionProtection: 'true',
  issuer: DEMO_ISSUER,
  jwksUri: '<issuer>/.well-known/jwks.json',
  audience: 'https://api.example.test',
  allowedAlgorithms: '(handler default: RS256,PS256,ES256,EdDSA)',
  requiredTokenType: '(not checked)',
  introspectionEndpoint: "<issuer>/introspect ('off' disables the phantom-token fallback)",
  introspectionClientId: 'api-gateway-authorizer',
  introspectionSecretArn: '(a new secret per region; put the client secret into it)',
  introspectionResponseFormat: '(handler default: token-introspection+jwt)',
  jwtValidation: 'false',
  jwtClientIds: '(none; required with jwtValidation)',
  homeRegionFallback: 'false',
  routeScopes: JSON.stringify(EXAMPLE_ROUTE_SCOPES),
  defaultScopes: '(none)',
  restCacheTtlSeconds: String(DEFAULT_GATEWAY_RESULTS_TTL_SECONDS),
  httpCacheTtlSeconds: String(DEFAULT_GATEWAY_RESULTS_TTL_SECONDS),
  senderConstrainedTokens: "false ('true': DPoP and certificate-bound tokens, result caches off)",
  dpopReplayTable: 'false',
  restMtlsDomainName: '(no mutual TLS domain)',
  restMtlsCertificateArn: '(required with restMtlsDomainName)',
  restMtlsTruststoreUri: '(required with restMtlsDomainName: s3://bucket/key)',
  restMtlsTruststoreVersion: '(the latest version)',
  echoUrl: 'https://httpbin.org/anything',
  corsAllowedOrigins: "(no CORS; cdk.json sets http://localhost:5173; 'off' for none)",
  upstreamTokenEndpoint: "<issuer>/token ('off' deploys no token endpoint proxy)",
  upstreamRevocationEndpoint: "<issuer>/revoke ('off' for none)",
  tokenPath: "(handler default: '/token'; with a front, the authorization server's token path)",
  revocationPath: "(handler default: '/revoke'; with a front, the authorization server's revocation path)",
  frontDomainName: '(no front: the proxy on a function URL)',
  frontUpstreamOrigin: '(required with frontDomainName)',
  frontCertificateArn: '(a new certificate, validated in the hosted zone)',
  frontHostedZoneId: '(none: frontCertificateArn required, DNS yours)',
  frontHostedZoneName: '(required with frontHostedZoneId)',
  issuerPrincipalArn: '(no issuer role)',
  issuerExternalId: '(none)',
  alarmTopicArn: '(alarms without actions)',
  apiGatewayCloudWatchRole: 'true',
  logRetentionDays: '30',
} as const;

/** Reads the example app's settings from context; throws a clear Error on a bad value. */
export function readExampleAppConfig(node: Node, env: NodeJS.ProcessEnv = process.env): ExampleAppConfig {
  const ctx = new ContextReader(node);
  const homeRegion = ctx.string('homeRegion', CONTEXT_DEFAULTS.homeRegion);
  const listed = ctx.list('regions', CONTEXT_DEFAULTS.regions.split(','));
  const regions = [homeRegion, ...listed.filter((region) => region !== homeRegion)];
  for (const region of regions) {
    if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(region)) throw new Error(`context regions: '${region}' is not a region`);
  }
  const frontDomainName = ctx.optional('frontDomainName');
  // With a front, the authorization server's issuer is the front's origin (plus the server's path).
  const issuer = ctx.string('issuer', frontDomainName ? `https://${frontDomainName}` : DEMO_ISSUER).replace(/\/+$/, '');
  const front = frontDomainName === undefined ? undefined : readFront(ctx, frontDomainName, issuer, homeRegion);
  const introspectionEndpoint = ctx.string('introspectionEndpoint', `${issuer}/introspect`);
  const introspectionOff = introspectionEndpoint === '' || introspectionEndpoint === 'off';
  const responseFormat = ctx.optional('introspectionResponseFormat');
  if (responseFormat !== undefined && responseFormat !== 'token-introspection+jwt' && responseFormat !== 'jwt') {
    throw new Error("context introspectionResponseFormat: use 'token-introspection+jwt' or 'jwt'");
  }
  const secretArn = ctx.optional('introspectionSecretArn');
  if (secretArn !== undefined) assertArn('introspectionSecretArn', secretArn, 'secretsmanager');
  const alarmTopicArn = ctx.optional('alarmTopicArn');
  const upstreamTokenEndpoint = ctx.string('upstreamTokenEndpoint', `${issuer}/token`);
  const upstreamRevocationEndpoint = ctx.string('upstreamRevocationEndpoint', `${issuer}/revoke`);
  const isOff = (value: string) => value === '' || value === 'off';
  if (alarmTopicArn !== undefined) assertArn('alarmTopicArn', alarmTopicArn, 'sns');
  if (ctx.optionalList('passThroughClientIds') !== undefined) {
    throw new Error(
      'context passThroughClientIds: renamed jwtClientIds (it now also names the only clients whose plain JWTs the authorizer accepts)',
    );
  }
  const jwtValidationEnabled = ctx.boolean('jwtValidation', false);
  const jwtClientIds = ctx.list('jwtClientIds', []);
  if (jwtValidationEnabled && jwtClientIds.length === 0) {
    throw new Error('context jwtClientIds: required with jwtValidation=true (the clients meant to hold JWTs)');
  }
  const senderConstrainedTokens = ctx.boolean('senderConstrainedTokens', false);
  const dpopReplayTable = ctx.boolean('dpopReplayTable', false);
  if (dpopReplayTable && !senderConstrainedTokens) {
    throw new Error('context dpopReplayTable: requires senderConstrainedTokens=true');
  }
  const issuerPrincipalArn = ctx.optional('issuerPrincipalArn');
  if (issuerPrincipalArn !== undefined) assertArn('issuerPrincipalArn', issuerPrincipalArn, 'iam');

  return {
    stackPrefix: ctx.string('stackPrefix', CONTEXT_DEFAULTS.stackPrefix),
    account: ctx.optional('account') ?? env.CDK_DEFAULT_ACCOUNT,
    homeRegion,
    regions,
    tableName: ctx.string('tableName', CONTEXT_DEFAULTS.tableName),
    tableDeletionProtection: ctx.boolean('tableDeletionProtection', true),
    issuer,
    jwksUri: ctx.string('jwksUri', `${issuer}/.well-known/jwks.json`),
    audiences: ctx.list('audience', [CONTEXT_DEFAULTS.audience]),
    allowedAlgorithms: ctx.optionalList('allowedAlgorithms'),
    requiredTokenType: ctx.optional('requiredTokenType'),
    introspection: introspectionOff
      ? undefined
      : {
          endpoint: introspectionEndpoint,
          clientId: ctx.string('introspectionClientId', CONTEXT_DEFAULTS.introspectionClientId),
          secretArn,
          responseFormat,
        },
    jwtValidationEnabled,
    jwtClientIds,
    homeRegionFallback: ctx.boolean('homeRegionFallback', false),
    routeScopes: ctx.routeScopes('routeScopes', EXAMPLE_ROUTE_SCOPES),
    defaultScopes: ctx.list('defaultScopes', []),
    restCacheTtlSeconds: ctx.integer('restCacheTtlSeconds', DEFAULT_GATEWAY_RESULTS_TTL_SECONDS, 0, 3600),
    httpCacheTtlSeconds: ctx.integer('httpCacheTtlSeconds', DEFAULT_GATEWAY_RESULTS_TTL_SECONDS, 0, 3600),
    senderConstrainedTokens,
    dpopReplayTable,
    restMtls: readRestMtls(ctx),
    echoUrl: ctx.string('echoUrl', CONTEXT_DEFAULTS.echoUrl),
    corsAllowedOrigins: readCorsAllowedOrigins(ctx),
    tokenEndpointProxy:
      isOff(upstreamTokenEndpoint) && front === undefined
        ? undefined
        : {
            upstreamTokenEndpoint,
            upstreamRevocationEndpoint: isOff(upstreamRevocationEndpoint) ? undefined : upstreamRevocationEndpoint,
            tokenPath: ctx.optional('tokenPath'),
            revocationPath: ctx.optional('revocationPath'),
            front,
          },
    issuerPrincipalArn,
    issuerExternalId: ctx.optional('issuerExternalId'),
    alarmTopicArn,
    apiGatewayCloudWatchRole: ctx.boolean('apiGatewayCloudWatchRole', true),
    logRetentionDays: ctx.integer('logRetentionDays', 30, 1, 3653),
  };
}

/** `corsAllowedOrigins`: a list of origins, or unset / 'off' for no CORS; checked as the constructs check it. */
function readCorsAllowedOrigins(ctx: ContextReader): readonly string[] | undefined {
  const origins = ctx.optionalList('corsAllowedOrigins');
  if (origins === undefined || origins.length === 0 || (origins.length === 1 && origins[0] === 'off')) {
    return undefined;
  }
  try {
    resolveCorsSettings({ allowOrigins: origins }, EXAMPLE_API_ROUTES);
  } catch (error) {
    throw new Error(`context corsAllowedOrigins: ${(error as Error).message.replace(/^cors\.allowOrigins: /, '')}`);
  }
  return origins;
}

function readRestMtls(ctx: ContextReader): ExampleAppConfig['restMtls'] {
  const domainName = ctx.optional('restMtlsDomainName');
  if (domainName === undefined) return undefined;
  const certificateArn = ctx.optional('restMtlsCertificateArn');
  const truststoreUri = ctx.optional('restMtlsTruststoreUri');
  if (certificateArn === undefined || truststoreUri === undefined) {
    throw new Error('context restMtlsCertificateArn and restMtlsTruststoreUri: required with restMtlsDomainName');
  }
  assertArn('restMtlsCertificateArn', certificateArn, 'acm');
  if (!/^s3:\/\/[^/]+\/.+$/.test(truststoreUri)) {
    throw new Error(`context restMtlsTruststoreUri: expected s3://bucket/key, got '${truststoreUri}'`);
  }
  return { domainName, certificateArn, truststoreUri, truststoreVersion: ctx.optional('restMtlsTruststoreVersion') };
}

function readFront(ctx: ContextReader, domainName: string, issuer: string, homeRegion: string): ExampleFrontConfig {
  if (new URL(issuer).host !== domainName) {
    throw new Error(
      `context issuer: with frontDomainName the authorization server's issuer is on the front, https://${domainName}, got '${issuer}'`,
    );
  }
  const upstreamOrigin = ctx.optional('frontUpstreamOrigin');
  if (upstreamOrigin === undefined) {
    throw new Error(
      'context frontUpstreamOrigin: required with frontDomainName (where the authorization server listens)',
    );
  }
  const certificateArn = ctx.optional('frontCertificateArn');
  if (certificateArn !== undefined) {
    assertArn('frontCertificateArn', certificateArn, 'acm');
    if (Arn.split(certificateArn, ArnFormat.SLASH_RESOURCE_NAME).region !== homeRegion) {
      throw new Error(`context frontCertificateArn: the certificate must be in the home region ${homeRegion}`);
    }
  }
  const zoneId = ctx.optional('frontHostedZoneId');
  const zoneName = ctx.optional('frontHostedZoneName');
  if ((zoneId === undefined) !== (zoneName === undefined)) {
    throw new Error('context frontHostedZoneId and frontHostedZoneName: give both or neither');
  }
  if (certificateArn === undefined && zoneId === undefined) {
    throw new Error(
      'context frontCertificateArn or frontHostedZoneId: the front needs a certificate, or a zone to validate one',
    );
  }
  return {
    domainName,
    upstreamOrigin,
    certificateArn,
    hostedZone: zoneId === undefined || zoneName === undefined ? undefined : { id: zoneId, name: zoneName },
  };
}

/**
 * The same ARN in another region: replica secrets keep the name and random suffix, and a topic
 * named alike in every region differs only in the region part.
 */
export function arnInRegion(arn: string, region: string): string {
  const parts = arn.split(':');
  parts[3] = region;
  return parts.join(':');
}

function assertArn(key: string, value: string, service: string): void {
  let components: ReturnType<typeof Arn.split>;
  try {
    components = Arn.split(value, ArnFormat.COLON_RESOURCE_NAME);
  } catch {
    throw new Error(`context ${key}: '${value}' is not an ARN`);
  }
  if (components.service !== service)
    throw new Error(`context ${key}: expected an ARN of service ${service}, got '${value}'`);
}

/** Context values come typed from cdk.json and as strings from `-c key=value`; accept both. */
class ContextReader {
  private readonly node: Node;

  constructor(node: Node) {
    this.node = node;
  }

  private raw(key: string): unknown {
    return this.node.tryGetContext(key);
  }

  optional(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw new Error(`context ${key}: expected a string`);
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  string(key: string, fallback: string): string {
    const value = this.raw(key);
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string') throw new Error(`context ${key}: expected a string`);
    return value.trim();
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.raw(key);
    if (value === undefined || value === null) return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new Error(`context ${key}: expected true or false`);
  }

  integer(key: string, fallback: number, min: number, max: number): number {
    const value = this.raw(key);
    if (value === undefined || value === null) return fallback;
    const parsed = typeof value === 'number' ? value : Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new Error(`context ${key}: expected a whole number from ${min} to ${max}`);
    }
    return parsed;
  }

  optionalList(key: string): string[] | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null) return undefined;
    const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
    if (!items || items.some((item) => typeof item !== 'string')) {
      throw new Error(`context ${key}: expected a comma-separated string or a list of strings`);
    }
    return (items as string[]).map((item) => item.trim()).filter((item) => item.length > 0);
  }

  list(key: string, fallback: readonly string[]): string[] {
    return this.optionalList(key) ?? [...fallback];
  }

  routeScopes(key: string, fallback: readonly RouteScopeRule[]): RouteScopeRule[] {
    let value = this.raw(key);
    if (value === undefined || value === null) return [...fallback];
    if (typeof value === 'string') {
      try {
        value = JSON.parse(value);
      } catch {
        throw new Error(
          `context ${key}: expected JSON, e.g. [{"method":"GET","path":"/orders/{id}","scopes":["read"]}]`,
        );
      }
    }
    const valid =
      Array.isArray(value) &&
      value.every(
        (rule) =>
          typeof rule === 'object' &&
          rule !== null &&
          typeof rule.method === 'string' &&
          typeof rule.path === 'string' &&
          Array.isArray(rule.scopes) &&
          rule.scopes.every((scope: unknown) => typeof scope === 'string'),
      );
    if (!valid) throw new Error(`context ${key}: expected a list of {method, path, scopes}`);
    for (const rule of value as RouteScopeRule[]) {
      const problem = routeRuleProblem(rule);
      if (problem !== undefined) throw new Error(`context ${key}: ${rule.method} ${rule.path}: ${problem}`);
    }
    return value as RouteScopeRule[];
  }
}
