import type { LogLevel } from './adapters/json-log.ts';
import { TOKEN_HASH_ALGORITHMS, type TokenHashAlgorithm } from './core/token-hash.ts';

/** Every setting of the token endpoint proxy handler, validated once at init. */
export interface TokenEndpointProxyConfig {
  /** The authorization server's token endpoint. */
  readonly upstreamTokenEndpoint: string;
  /** The authorization server's revocation endpoint; undefined turns the revocation path off. */
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

/** A setting is missing or invalid; the message names it. */
export class TokenEndpointProxyConfigError extends Error {
  override readonly name = 'TokenEndpointProxyConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the configuration; throws {@link TokenEndpointProxyConfigError} naming the setting. */
export function readTokenEndpointProxyConfig(env: Env): TokenEndpointProxyConfig {
  const E = TokenEndpointProxyEnv;
  const optional = (name: string): string | undefined => env[name]?.trim() || undefined;
  const required = (name: string): string => {
    const value = optional(name);
    if (value === undefined) throw new TokenEndpointProxyConfigError(`${name} is required`);
    return value;
  };
  const url = (name: string, value: string): string => {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new TokenEndpointProxyConfigError(`${name} must be an absolute URL`);
    }
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopback(parsed.hostname))) {
      throw new TokenEndpointProxyConfigError(`${name} must use https (http only on loopback)`);
    }
    return value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const value = optional(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new TokenEndpointProxyConfigError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return parsed;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = optional(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new TokenEndpointProxyConfigError(`${name} must be one of ${allowed.join(', ')}`);
    }
    return value as T;
  };
  const path = (name: string, fallback: string): string => {
    const value = optional(name) ?? fallback;
    if (!/^\/[A-Za-z0-9._~\-/]*$/.test(value)) {
      throw new TokenEndpointProxyConfigError(`${name} must be a path starting with /`);
    }
    return value;
  };

  const revocation = optional(E.upstreamRevocationEndpoint);
  const dynamoDbEndpoint = optional(E.dynamoDbEndpoint);
  const tokenPath = path(E.tokenPath, '/token');
  const revocationPath = path(E.revocationPath, '/revoke');
  if (tokenPath === revocationPath) {
    throw new TokenEndpointProxyConfigError(`${E.tokenPath} and ${E.revocationPath} must differ`);
  }
  return {
    upstreamTokenEndpoint: url(E.upstreamTokenEndpoint, required(E.upstreamTokenEndpoint)),
    upstreamRevocationEndpoint: revocation === undefined ? undefined : url(E.upstreamRevocationEndpoint, revocation),
    tokenTableName: required(E.tokenTableName),
    tokenTableKeyAttribute: optional(E.tokenTableKeyAttribute) ?? 'hashed_signature',
    tokenHashAlgorithm: oneOf(E.tokenHashAlgorithm, TOKEN_HASH_ALGORITHMS, 'SHA-256'),
    passThroughClientIds: (optional(E.passThroughClientIds) ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean),
    tokenPath,
    revocationPath,
    upstreamTimeoutMs: integer(E.upstreamTimeoutMs, 5000, 1, 30_000),
    dynamoDbTimeoutMs: integer(E.dynamoDbTimeoutMs, 2000, 1, 30_000),
    dynamoDbEndpoint: dynamoDbEndpoint === undefined ? undefined : url(E.dynamoDbEndpoint, dynamoDbEndpoint),
    logLevel: oneOf(E.logLevel, ['debug', 'info', 'warn', 'error'], 'info'),
  };
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
