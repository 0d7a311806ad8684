import { ConfigurationError, type Env, EnvReader } from '../adapters/env-reader.ts';
import type { LogLevel } from '../adapters/json-log.ts';
import { TOKEN_HASH_ALGORITHMS, type TokenHashAlgorithm } from '../core/token-hash.ts';

/** The front's settings: present when the handler fronts the authorization server's whole origin. */
export interface AuthorizationServerFrontConfig {
  /** Where the authorization server listens (an origin); every path goes there unchanged. */
  readonly upstreamOrigin: string;
  /** Deadline of one passed-through call. */
  readonly passThroughTimeoutMs: number;
  /** Largest request body passed through. */
  readonly maxRequestBytes: number;
  /** Largest answer passed back. */
  readonly maxResponseBytes: number;
  /** Only paths under these prefixes are passed through; undefined: every path. */
  readonly passThroughPathPrefixes: readonly string[] | undefined;
}

/** Every setting of the token endpoint proxy handler, validated once at init. */
export interface TokenEndpointProxyConfig {
  /**
   * Set when the handler is the authorization server's front (`UPSTREAM_ORIGIN`): it then serves
   * every path, the token and revocation paths through the proxy. Undefined: only those two paths.
   */
  readonly front: AuthorizationServerFrontConfig | undefined;
  /** The authorization server's token endpoint (the front's: `UPSTREAM_ORIGIN` + `TOKEN_PATH`). */
  readonly upstreamTokenEndpoint: string;
  /**
   * The authorization server's revocation endpoint; undefined turns the revocation path off (the
   * front's: `UPSTREAM_ORIGIN` + `REVOCATION_PATH`, always on).
   */
  readonly upstreamRevocationEndpoint: string | undefined;
  /** The split-token table (in the Lambda's region unless `dynamoDbEndpoint` says otherwise). */
  readonly tokenTableName: string;
  /** Partition key attribute of the table. */
  readonly tokenTableKeyAttribute: string;
  /** Hash that keys records; must match the authorizer's. */
  readonly tokenHashAlgorithm: TokenHashAlgorithm;
  /** Clients whose JWT access tokens are returned unchanged. */
  readonly passThroughClientIds: readonly string[];
  /** Path of token requests. */
  readonly tokenPath: string;
  /** Path of revocation requests. */
  readonly revocationPath: string;
  /** Deadline of one call to the authorization server. */
  readonly upstreamTimeoutMs: number;
  /** Deadline of one DynamoDB write or delete, retries included. */
  readonly dynamoDbTimeoutMs: number;
  /** Endpoint override for DynamoDB (local runs and tests only). */
  readonly dynamoDbEndpoint: string | undefined;
  /** Lowest level logged. */
  readonly logLevel: LogLevel;
}

/** Environment variable names, shared with the CDK construct that sets them. */
export const TokenEndpointProxyEnv = {
  upstreamOrigin: 'UPSTREAM_ORIGIN',
  passThroughTimeoutMs: 'PASS_THROUGH_TIMEOUT_MS',
  maxPassThroughRequestBytes: 'MAX_PASS_THROUGH_REQUEST_BYTES',
  maxPassThroughResponseBytes: 'MAX_PASS_THROUGH_RESPONSE_BYTES',
  passThroughPathPrefixes: 'PASS_THROUGH_PATH_PREFIXES',
  upstreamTokenEndpoint: 'UPSTREAM_TOKEN_ENDPOINT',
  upstreamRevocationEndpoint: 'UPSTREAM_REVOCATION_ENDPOINT',
  tokenTableName: 'TOKEN_TABLE_NAME',
  tokenTableKeyAttribute: 'TOKEN_TABLE_KEY_ATTRIBUTE',
  tokenHashAlgorithm: 'TOKEN_HASH_ALGORITHM',
  passThroughClientIds: 'PASS_THROUGH_CLIENT_IDS',
  tokenPath: 'TOKEN_PATH',
  revocationPath: 'REVOCATION_PATH',
  upstreamTimeoutMs: 'UPSTREAM_TIMEOUT_MS',
  dynamoDbTimeoutMs: 'DYNAMODB_TIMEOUT_MS',
  dynamoDbEndpoint: 'DYNAMODB_ENDPOINT',
  logLevel: 'LOG_LEVEL',
} as const;

/** Reads and validates the configuration; throws a {@link ConfigurationError} naming the setting. */
export function readTokenEndpointProxyConfig(env: Env): TokenEndpointProxyConfig {
  const E = TokenEndpointProxyEnv;
  const read = new EnvReader(env);
  const path = (name: string, fallback: string): string => {
    const value = read.optional(name) ?? fallback;
    if (!/^\/[A-Za-z0-9._~\-/]*$/.test(value)) throw new ConfigurationError(`${name} must be a path starting with /`);
    return value;
  };
  const tokenPath = path(E.tokenPath, '/token');
  const revocationPath = path(E.revocationPath, '/revoke');
  if (tokenPath === revocationPath) {
    throw new ConfigurationError(`${E.tokenPath} and ${E.revocationPath} must differ`);
  }
  const upstreamOrigin = read.optionalUrl(E.upstreamOrigin);
  let front: AuthorizationServerFrontConfig | undefined;
  if (upstreamOrigin !== undefined) {
    const origin = new URL(upstreamOrigin).origin;
    if (upstreamOrigin.replace(/\/$/, '') !== origin) {
      throw new ConfigurationError(`${E.upstreamOrigin} must be an origin (scheme, host and port, no path)`);
    }
    for (const name of [E.upstreamTokenEndpoint, E.upstreamRevocationEndpoint]) {
      if (read.optional(name) !== undefined) {
        throw new ConfigurationError(
          `${name} must not be set with ${E.upstreamOrigin}: the front uses its paths there`,
        );
      }
    }
    const prefixes =
      read.optional(E.passThroughPathPrefixes) === undefined
        ? undefined
        : read.list(E.passThroughPathPrefixes, undefined);
    for (const prefix of prefixes ?? []) {
      if (!/^\/([A-Za-z0-9._~\-/]*\/)?$/.test(prefix)) {
        throw new ConfigurationError(`${E.passThroughPathPrefixes} must list paths that start and end with /`);
      }
    }
    front = {
      upstreamOrigin: origin,
      passThroughPathPrefixes: prefixes,
      passThroughTimeoutMs: read.integer(E.passThroughTimeoutMs, 10_000, 1, 29_000),
      maxRequestBytes: read.integer(E.maxPassThroughRequestBytes, 1024 * 1024, 1, 6 * 1024 * 1024),
      maxResponseBytes: read.integer(E.maxPassThroughResponseBytes, 4 * 1024 * 1024, 1, 4_500_000),
    };
  }
  return {
    front,
    upstreamTokenEndpoint: front ? `${front.upstreamOrigin}${tokenPath}` : read.url(E.upstreamTokenEndpoint),
    upstreamRevocationEndpoint: front
      ? `${front.upstreamOrigin}${revocationPath}`
      : read.optionalUrl(E.upstreamRevocationEndpoint),
    tokenTableName: read.required(E.tokenTableName),
    tokenTableKeyAttribute: read.optional(E.tokenTableKeyAttribute) ?? 'hashed_signature',
    tokenHashAlgorithm: read.oneOf(E.tokenHashAlgorithm, TOKEN_HASH_ALGORITHMS, 'SHA-256'),
    passThroughClientIds: read.list(E.passThroughClientIds, []),
    tokenPath,
    revocationPath,
    upstreamTimeoutMs: read.integer(E.upstreamTimeoutMs, 5000, 1, 30_000),
    dynamoDbTimeoutMs: read.integer(E.dynamoDbTimeoutMs, 2000, 1, 30_000),
    dynamoDbEndpoint: read.optionalUrl(E.dynamoDbEndpoint),
    logLevel: read.oneOf(E.logLevel, ['debug', 'info', 'warn', 'error'], 'info'),
  };
}
