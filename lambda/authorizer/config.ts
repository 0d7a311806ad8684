import { ConfigurationError, type Env, EnvReader } from '../adapters/env-reader.ts';
import type { LogLevel } from '../adapters/json-log.ts';
import { DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS, DEFAULT_CLOCK_SKEW_SECONDS } from '../core/cache-staleness.ts';
import { isJsonObject } from '../core/json-object.ts';
import { SUPPORTED_JWS_ALGORITHMS } from '../core/jws-algorithms.ts';
import {
  OPAQUE_TOKEN_CHARSETS,
  type OpaqueTokenCharset,
  type OpaqueTokenShape,
  opaqueTokenShapeProblem,
} from '../core/opaque-token-shape.ts';
import type { IntrospectionResponseFormat } from '../core/ports.ts';
import { type RouteScopeRule, routeRuleProblem } from '../core/route-scopes.ts';
import type { TokenHashAlgorithm } from '../core/token-hash.ts';

/**
 * Every setting of the authorizer, validated. Built once at init from the environment
 * ({@link readAuthorizerConfig}) or passed in directly (local stack, tests).
 */
export interface AuthorizerConfig {
  /** Expected `iss` of every JWT, and the authorization server whose JWKS signs them. */
  readonly issuer: string;
  /** Where the issuer publishes its JSON Web Key Set. */
  readonly jwksUri: string;
  /** Accepted `aud` values of access-token JWTs (any one must match). */
  readonly audiences: readonly string[];
  /** JWS algorithms accepted; anything else (and always `none` and HMAC) is refused. */
  readonly allowedAlgorithms: readonly string[];
  /** Expected JOSE `typ` header of access-token JWTs, e.g. `at+jwt`; undefined skips the check. */
  readonly requiredTokenType: string | undefined;
  /** Tolerance on `exp`, `nbf` and the record's `expiration`. */
  readonly clockSkewSeconds: number;
  /** The split-token table; undefined turns split-token resolution off. */
  readonly tokenTableName: string | undefined;
  /** Partition key attribute of the table. */
  readonly tokenTableKeyAttribute: string;
  /** Hash used to key records by the opaque token. */
  readonly tokenHashAlgorithm: TokenHashAlgorithm;
  /** Region of the table replica to read; undefined means the SDK's default (the Lambda's region). */
  readonly tokenTableRegion: string | undefined;
  /**
   * Region of the table's home replica, read when the local replica has no record (replication lag).
   * undefined turns the second read off.
   */
  readonly tokenTableHomeRegion: string | undefined;
  /**
   * Read the table with `ConsistentRead` (a multi-Region strongly consistent table: the latest write
   * from any region, no replication lag). Unset: eventually consistent reads.
   */
  readonly tokenTableConsistentRead?: boolean;
  /** Endpoint override for DynamoDB (local stack and tests only). */
  readonly dynamoDbEndpoint: string | undefined;
  /** Deadline of one DynamoDB read, retries included. */
  readonly dynamoDbTimeoutMs: number;
  /** Phantom-token introspection; undefined turns the fallback off. */
  readonly introspection: IntrospectionConfig | undefined;
  /** Accept plain three-part JWTs from clients (off by default: it leaks claims to clients). */
  readonly jwtValidationEnabled: boolean;
  /**
   * Clients (`client_id`) meant to hold JWTs: the only ones whose plain JWTs are accepted. Required
   * (non-empty) when {@link jwtValidationEnabled}, empty otherwise; the token endpoint proxy's
   * pass-through list should be the same list.
   */
  readonly jwtClientIds: readonly string[];
  /** Required scopes per route; routes not listed need {@link defaultScopes}. */
  readonly routeScopes: readonly RouteScopeRule[];
  /** Scopes required on routes that no rule names. */
  readonly defaultScopes: readonly string[];
  /** Upper bound on how long a resolved token is cached in memory (never past its `exp`). */
  readonly cacheTtlSeconds: number;
  /** Upper bound on cached tokens per Lambda instance. */
  readonly cacheMaxEntries: number;
  /** Longest accepted Authorization header value, checked before anything else. */
  readonly maxHeaderLength: number;
  /** How long jose waits for the JWKS. */
  readonly jwksTimeoutMs: number;
  /** Minimum time between JWKS refetches triggered by an unknown `kid`. */
  readonly jwksCooldownMs: number;
  /**
   * How long fetched JWKS keys are used before the set is fetched again: a key the issuer removes
   * (rotated out, or compromised) is still trusted this long by a warm instance (the emergency
   * flush ends it at once).
   */
  readonly jwksMaxAgeSeconds: number;
  /** Answer format for HTTP API (payload 2.0) events. */
  readonly httpApiResponseFormat: 'simple' | 'iam';
  /**
   * Refuse (500) an HTTP API event whose identity-source values lack the request's method and path:
   * API Gateway would reuse the answer for other requests of the token. Turn it off only for an
   * authorizer whose result cache is off.
   */
  readonly httpApiRequireExactCacheKey: boolean;
  /** Lowest level logged. */
  readonly logLevel: LogLevel;
  /**
   * DPoP (RFC 9449): the `DPoP` scheme and DPoP-bound tokens with their proofs. Certificate-bound
   * tokens (RFC 8705) need no setting: they pass with their certificate only. @default off
   */
  readonly dpop?: DpopConfig;
}

/** Settings of DPoP proof checks. */
export interface DpopConfig {
  /** Asymmetric JWS algorithms proofs may use (RFC 9728's `dpop_signing_alg_values_supported`). */
  readonly allowedAlgorithms: readonly string[];
  /** How old a proof's `iat` may be; its `jti` is remembered this long. */
  readonly proofMaxAgeSeconds: number;
  /** Proofs one instance remembers; past it (all still live) requests fail closed with 500. */
  readonly replayCacheMaxEntries: number;
  /**
   * A DynamoDB table every instance writes each proof's key to (conditional put), so no instance
   * accepts a proof another has seen; undefined: per-instance memory only.
   */
  readonly replayTableName: string | undefined;
}

/** DPoP proof algorithms accepted unless configured: what the dpop client and oidc-provider offer. */
export const DEFAULT_DPOP_ALGORITHMS: readonly string[] = ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'];
/** How old a DPoP proof may be unless configured, in seconds. */
export const DEFAULT_DPOP_PROOF_MAX_AGE_SECONDS = 60;

/** Settings of the phantom-token fallback. */
export interface IntrospectionConfig {
  /** RFC 7662 introspection endpoint of the authorization server. */
  readonly endpoint: string;
  /** Client id the authorizer authenticates with. */
  readonly clientId: string;
  /** Client secret; in Lambda it is read from Secrets Manager at init, never from plain environment. */
  readonly clientSecret: string;
  /** How the client authenticates at the endpoint. */
  readonly clientAuthMethod: 'client_secret_basic' | 'client_secret_post';
  /** RFC 9701 signed introspection response, or the access-token JWT itself (`application/jwt`). */
  readonly responseFormat: IntrospectionResponseFormat;
  /** Expected `aud` of RFC 9701 answers; the introspecting client's id. */
  readonly responseAudience: string;
  /** Deadline of one introspection call. */
  readonly timeoutMs: number;
  /** Sustained introspection calls per second per instance; more fail closed (500). */
  readonly ratePerSecond: number;
  /** Introspection calls allowed in a burst above the sustained rate. */
  readonly burst: number;
  /**
   * Sustained introspection calls per second per source address per instance (an IPv6 source
   * counts by its /56); more fail closed (500) for that source only. Events without a source
   * address (REST TOKEN) are capped by {@link ratePerSecond} alone.
   */
  readonly sourceRatePerSecond: number;
  /** Introspection calls one source address may make in a burst above its sustained rate. */
  readonly sourceBurst: number;
  /** Source addresses whose budgets one instance remembers (least recently seen forgotten first). */
  readonly maxSources: number;
  /**
   * What the authorization server's opaque tokens look like; other credentials are refused (401)
   * without a call. undefined introspects every well-formed credential.
   */
  readonly tokenShape: OpaqueTokenShape | undefined;
  /**
   * Whether an RFC 9701 answer must carry `aud` naming one of the audiences. Turn off only for a
   * server that never sends `aud`; `token_type` stays required.
   */
  readonly requireAudience: boolean;
}

/** Environment variable names, shared with the CDK construct that sets them. */
export const AuthorizerEnv = {
  issuer: 'ISSUER',
  jwksUri: 'JWKS_URI',
  audiences: 'AUDIENCE',
  allowedAlgorithms: 'ALLOWED_ALGORITHMS',
  requiredTokenType: 'REQUIRED_TOKEN_TYPE',
  clockSkewSeconds: 'CLOCK_SKEW_SECONDS',
  tokenTableName: 'TOKEN_TABLE_NAME',
  tokenTableKeyAttribute: 'TOKEN_TABLE_KEY_ATTRIBUTE',
  tokenHashAlgorithm: 'TOKEN_HASH_ALGORITHM',
  tokenTableRegion: 'TOKEN_TABLE_REGION',
  tokenTableHomeRegion: 'TOKEN_TABLE_HOME_REGION',
  tokenTableConsistentRead: 'TOKEN_TABLE_CONSISTENT_READ',
  dynamoDbEndpoint: 'DYNAMODB_ENDPOINT',
  dynamoDbTimeoutMs: 'DYNAMODB_TIMEOUT_MS',
  introspectionEndpoint: 'INTROSPECTION_ENDPOINT',
  introspectionClientId: 'INTROSPECTION_CLIENT_ID',
  introspectionClientSecretArn: 'INTROSPECTION_CLIENT_SECRET_ARN',
  introspectionClientAuthMethod: 'INTROSPECTION_CLIENT_AUTH_METHOD',
  introspectionResponseFormat: 'INTROSPECTION_RESPONSE_FORMAT',
  introspectionResponseAudience: 'INTROSPECTION_RESPONSE_AUDIENCE',
  introspectionTimeoutMs: 'INTROSPECTION_TIMEOUT_MS',
  introspectionRatePerSecond: 'INTROSPECTION_RATE_PER_SECOND',
  introspectionBurst: 'INTROSPECTION_BURST',
  introspectionSourceRatePerSecond: 'INTROSPECTION_SOURCE_RATE_PER_SECOND',
  introspectionSourceBurst: 'INTROSPECTION_SOURCE_BURST',
  introspectionMaxSources: 'INTROSPECTION_MAX_SOURCES',
  introspectionTokenPrefix: 'INTROSPECTION_TOKEN_PREFIX',
  introspectionTokenMinLength: 'INTROSPECTION_TOKEN_MIN_LENGTH',
  introspectionTokenMaxLength: 'INTROSPECTION_TOKEN_MAX_LENGTH',
  introspectionTokenCharset: 'INTROSPECTION_TOKEN_CHARSET',
  introspectionRequireAudience: 'INTROSPECTION_REQUIRE_AUDIENCE',
  jwtValidationEnabled: 'JWT_VALIDATION_ENABLED',
  jwtClientIds: 'JWT_CLIENT_IDS',
  routeScopes: 'ROUTE_SCOPES',
  defaultScopes: 'DEFAULT_SCOPES',
  cacheTtlSeconds: 'CACHE_TTL_SECONDS',
  cacheMaxEntries: 'CACHE_MAX_ENTRIES',
  maxHeaderLength: 'MAX_HEADER_LENGTH',
  jwksTimeoutMs: 'JWKS_TIMEOUT_MS',
  jwksCooldownMs: 'JWKS_COOLDOWN_MS',
  jwksMaxAgeSeconds: 'JWKS_MAX_AGE_SECONDS',
  httpApiResponseFormat: 'HTTP_API_RESPONSE_FORMAT',
  httpApiRequireExactCacheKey: 'HTTP_API_REQUIRE_EXACT_CACHE_KEY',
  logLevel: 'LOG_LEVEL',
  dpopEnabled: 'DPOP_ENABLED',
  dpopAlgorithms: 'DPOP_ALGORITHMS',
  dpopProofMaxAgeSeconds: 'DPOP_PROOF_MAX_AGE_SECONDS',
  dpopReplayMaxEntries: 'DPOP_REPLAY_MAX_ENTRIES',
  dpopReplayTableName: 'DPOP_REPLAY_TABLE_NAME',
} as const;

export { ConfigurationError };

const ALGORITHMS_DEFAULT = ['RS256', 'PS256', 'ES256', 'EdDSA'];

/** The phantom-token settings as the environment gives them: the client secret is still to be read. */
export type IntrospectionSettings = Omit<IntrospectionConfig, 'clientSecret'> & {
  /** Secrets Manager secret holding the client secret (`INTROSPECTION_CLIENT_SECRET_ARN`). */
  readonly clientSecretArn: string;
};

/** Every setting, validated, but the introspection client secret, which is read from Secrets Manager. */
export type AuthorizerSettings = Omit<AuthorizerConfig, 'introspection'> & {
  readonly introspection: IntrospectionSettings | undefined;
};

/**
 * Reads and validates the configuration from environment variables. The introspection client
 * secret is not in the environment: `readSecret` is given `INTROSPECTION_CLIENT_SECRET_ARN` and
 * fetches it from Secrets Manager, once every other setting has been validated.
 */
export async function readAuthorizerConfig(
  env: Env,
  readSecret: (secretArn: string) => Promise<string>,
): Promise<AuthorizerConfig> {
  const settings = readAuthorizerSettings(env);
  const secretArn = settings.introspection?.clientSecretArn;
  return withClientSecret(settings, secretArn === undefined ? undefined : await readSecret(secretArn));
}

/**
 * Every setting but the secret, read and validated synchronously, so that a composition root can
 * start the secret read and the other I/O of its init side by side.
 */
export function readAuthorizerSettings(env: Env): AuthorizerSettings {
  const read = new EnvReader(env);
  const issuer = read.url(AuthorizerEnv.issuer);
  const tokenTableName = read.optional(AuthorizerEnv.tokenTableName);
  const introspectionEndpoint = read.optional(AuthorizerEnv.introspectionEndpoint);
  const jwtValidationEnabled = read.boolean(AuthorizerEnv.jwtValidationEnabled, false);
  if (!tokenTableName && !introspectionEndpoint && !jwtValidationEnabled) {
    throw new ConfigurationError(
      `No way to resolve tokens: set ${AuthorizerEnv.tokenTableName}, ${AuthorizerEnv.introspectionEndpoint} or ${AuthorizerEnv.jwtValidationEnabled}=true`,
    );
  }
  const jwtClientIds = read.list(AuthorizerEnv.jwtClientIds, []);
  assertJwtClientIds(jwtValidationEnabled, jwtClientIds);
  let introspection: IntrospectionSettings | undefined;
  if (introspectionEndpoint) {
    const clientId = read.required(AuthorizerEnv.introspectionClientId);
    introspection = {
      endpoint: read.url(AuthorizerEnv.introspectionEndpoint),
      clientId,
      clientSecretArn: read.required(AuthorizerEnv.introspectionClientSecretArn),
      clientAuthMethod: read.oneOf(
        AuthorizerEnv.introspectionClientAuthMethod,
        ['client_secret_basic', 'client_secret_post'],
        'client_secret_basic',
      ),
      responseFormat: read.oneOf(
        AuthorizerEnv.introspectionResponseFormat,
        ['token-introspection+jwt', 'jwt'],
        'token-introspection+jwt',
      ),
      responseAudience: read.optional(AuthorizerEnv.introspectionResponseAudience) ?? clientId,
      timeoutMs: read.integer(AuthorizerEnv.introspectionTimeoutMs, 2000, 1, 30_000),
      ratePerSecond: read.integer(AuthorizerEnv.introspectionRatePerSecond, 50, 1, 100_000),
      burst: read.integer(AuthorizerEnv.introspectionBurst, 100, 1, 100_000),
      sourceRatePerSecond: read.integer(AuthorizerEnv.introspectionSourceRatePerSecond, 5, 1, 100_000),
      sourceBurst: read.integer(AuthorizerEnv.introspectionSourceBurst, 10, 1, 100_000),
      maxSources: read.integer(AuthorizerEnv.introspectionMaxSources, 10_000, 1, 1_000_000),
      tokenShape: readTokenShape(read),
      requireAudience: read.boolean(AuthorizerEnv.introspectionRequireAudience, true),
    };
  }
  return {
    issuer,
    jwksUri: read.url(AuthorizerEnv.jwksUri),
    audiences: read.list(AuthorizerEnv.audiences, undefined),
    allowedAlgorithms: read.list(AuthorizerEnv.allowedAlgorithms, ALGORITHMS_DEFAULT),
    requiredTokenType: read.optional(AuthorizerEnv.requiredTokenType),
    clockSkewSeconds: read.integer(AuthorizerEnv.clockSkewSeconds, DEFAULT_CLOCK_SKEW_SECONDS, 0, 300),
    tokenTableName,
    tokenTableKeyAttribute: read.optional(AuthorizerEnv.tokenTableKeyAttribute) ?? 'hashed_signature',
    tokenHashAlgorithm: read.oneOf(AuthorizerEnv.tokenHashAlgorithm, ['SHA-256', 'SHA-384', 'SHA-512'], 'SHA-256'),
    tokenTableRegion: read.optional(AuthorizerEnv.tokenTableRegion),
    tokenTableHomeRegion: read.optional(AuthorizerEnv.tokenTableHomeRegion),
    tokenTableConsistentRead: read.boolean(AuthorizerEnv.tokenTableConsistentRead, false),
    dynamoDbEndpoint: read.optional(AuthorizerEnv.dynamoDbEndpoint),
    dynamoDbTimeoutMs: read.integer(AuthorizerEnv.dynamoDbTimeoutMs, 1000, 1, 30_000),
    introspection,
    jwtValidationEnabled,
    jwtClientIds,
    routeScopes: readRouteScopes(read, AuthorizerEnv.routeScopes),
    defaultScopes: read.list(AuthorizerEnv.defaultScopes, []),
    cacheTtlSeconds: read.integer(AuthorizerEnv.cacheTtlSeconds, DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS, 0, 3600),
    cacheMaxEntries: read.integer(AuthorizerEnv.cacheMaxEntries, 10_000, 0, 1_000_000),
    maxHeaderLength: read.integer(AuthorizerEnv.maxHeaderLength, 4096, 64, 65_536),
    jwksTimeoutMs: read.integer(AuthorizerEnv.jwksTimeoutMs, 3000, 1, 30_000),
    jwksCooldownMs: read.integer(AuthorizerEnv.jwksCooldownMs, 30_000, 0, 3_600_000),
    jwksMaxAgeSeconds: read.integer(AuthorizerEnv.jwksMaxAgeSeconds, 600, 1, 86_400),
    httpApiResponseFormat: read.oneOf(AuthorizerEnv.httpApiResponseFormat, ['simple', 'iam'], 'simple'),
    httpApiRequireExactCacheKey: read.boolean(AuthorizerEnv.httpApiRequireExactCacheKey, true),
    logLevel: read.oneOf(AuthorizerEnv.logLevel, ['debug', 'info', 'warn', 'error'], 'info'),
    ...(read.boolean(AuthorizerEnv.dpopEnabled, false) ? { dpop: readDpop(read) } : {}),
  };
}

function readDpop(read: EnvReader): DpopConfig {
  const allowedAlgorithms = read.list(AuthorizerEnv.dpopAlgorithms, DEFAULT_DPOP_ALGORITHMS);
  const unusable = allowedAlgorithms.filter((alg) => !SUPPORTED_JWS_ALGORITHMS.includes(alg));
  if (unusable.length > 0 || allowedAlgorithms.length === 0) {
    throw new ConfigurationError(
      `${AuthorizerEnv.dpopAlgorithms} must list asymmetric JWS algorithms (${SUPPORTED_JWS_ALGORITHMS.join(', ')})`,
    );
  }
  return {
    allowedAlgorithms,
    proofMaxAgeSeconds: read.integer(AuthorizerEnv.dpopProofMaxAgeSeconds, DEFAULT_DPOP_PROOF_MAX_AGE_SECONDS, 1, 300),
    replayCacheMaxEntries: read.integer(AuthorizerEnv.dpopReplayMaxEntries, 100_000, 1, 10_000_000),
    replayTableName: read.optional(AuthorizerEnv.dpopReplayTableName),
  };
}

/** The configuration: `settings` with the client secret read (undefined when there is no introspection). */
export function withClientSecret(settings: AuthorizerSettings, clientSecret: string | undefined): AuthorizerConfig {
  const { introspection, ...rest } = settings;
  if (introspection === undefined) return { ...rest, introspection: undefined };
  if (clientSecret === undefined) throw new TypeError('The introspection client secret has not been read');
  const { clientSecretArn: _secretArn, ...fields } = introspection;
  return { ...rest, introspection: { ...fields, clientSecret } };
}

/**
 * JWT validation needs the list of clients meant to hold JWTs, and the list means nothing without it:
 * a JWT of any other client (a split token's, which every backend receives) must never be accepted.
 */
export function assertJwtClientIds(jwtValidationEnabled: boolean, jwtClientIds: readonly string[]): void {
  const E = AuthorizerEnv;
  if (jwtValidationEnabled && jwtClientIds.length === 0) {
    throw new ConfigurationError(
      `${E.jwtClientIds} is required when ${E.jwtValidationEnabled}=true: the clients meant to hold JWTs (the token endpoint proxy's PASS_THROUGH_CLIENT_IDS)`,
    );
  }
  if (!jwtValidationEnabled && jwtClientIds.length > 0) {
    throw new ConfigurationError(`${E.jwtClientIds} is set but ${E.jwtValidationEnabled} is not true`);
  }
}

/** The opaque token shape, when any of its variables is set; unset parts take permissive defaults. */
function readTokenShape(read: EnvReader): OpaqueTokenShape | undefined {
  const prefix = read.optional(AuthorizerEnv.introspectionTokenPrefix);
  const minLength = read.optional(AuthorizerEnv.introspectionTokenMinLength);
  const maxLength = read.optional(AuthorizerEnv.introspectionTokenMaxLength);
  const charset = read.optional(AuthorizerEnv.introspectionTokenCharset);
  if (prefix === undefined && minLength === undefined && maxLength === undefined && charset === undefined) {
    return undefined;
  }
  const shape: OpaqueTokenShape = {
    ...(prefix === undefined ? {} : { prefix }),
    minLength: read.integer(AuthorizerEnv.introspectionTokenMinLength, (prefix?.length ?? 0) + 1, 1, 65_536),
    maxLength: read.integer(AuthorizerEnv.introspectionTokenMaxLength, 65_536, 1, 65_536),
    charset: read.oneOf<OpaqueTokenCharset>(AuthorizerEnv.introspectionTokenCharset, OPAQUE_TOKEN_CHARSETS, 'token68'),
  };
  const problem = opaqueTokenShapeProblem(shape);
  if (problem !== undefined) {
    throw new ConfigurationError(
      `${AuthorizerEnv.introspectionTokenPrefix}, ${AuthorizerEnv.introspectionTokenMinLength}, ` +
        `${AuthorizerEnv.introspectionTokenMaxLength} and ${AuthorizerEnv.introspectionTokenCharset} describe no token: ${problem}`,
    );
  }
  return shape;
}

function readRouteScopes(read: EnvReader, name: string): readonly RouteScopeRule[] {
  const value = read.optional(name);
  if (value === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigurationError(`${name} must be JSON: [{"method":"GET","path":"/orders","scopes":["orders:read"]}]`);
  }
  if (!Array.isArray(parsed)) {
    throw new ConfigurationError(`${name} must be an array of {"method", "path", "scopes": string[]}`);
  }
  for (const [index, rule] of parsed.entries()) {
    const problem = isJsonObject(rule) ? routeRuleProblem(rule as unknown as RouteScopeRule) : 'not an object';
    if (problem !== undefined) throw new ConfigurationError(`${name}[${index}]: ${problem}`);
  }
  return parsed as RouteScopeRule[];
}
