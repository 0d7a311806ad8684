import type { AuthorizerConfig } from '../../lambda/authorizer/config.ts';
import type { RouteScopeRule } from '../../lambda/core/route-scopes.ts';

/** The routes of the hostile tests; a route no rule names needs no scope. */
export const HOSTILE_ROUTES: readonly RouteScopeRule[] = [
  { method: 'GET', path: '/orders', scopes: ['orders:read'] },
  { method: 'POST', path: '/orders', scopes: ['orders:write'] },
  { method: 'GET', path: '/orders/{id}', scopes: ['orders:read'] },
];

/**
 * A complete authorizer configuration with the defaults the Lambda would read from an empty
 * environment (where there are any), overridable field by field.
 */
export function authorizerConfig(
  base: Pick<AuthorizerConfig, 'issuer' | 'jwksUri' | 'audiences'>,
  overrides: Partial<AuthorizerConfig> = {},
): AuthorizerConfig {
  return {
    allowedAlgorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    requiredTokenType: 'at+jwt',
    clockSkewSeconds: 30,
    tokenTableName: 'split-tokens',
    tokenTableKeyAttribute: 'hashed_signature',
    tokenHashAlgorithm: 'SHA-256',
    tokenTableRegion: 'us-east-1',
    tokenTableHomeRegion: undefined,
    dynamoDbEndpoint: undefined,
    dynamoDbTimeoutMs: 1000,
    introspection: undefined,
    jwtValidationEnabled: false,
    jwtClientIds: [],
    routeScopes: HOSTILE_ROUTES,
    defaultScopes: [],
    cacheTtlSeconds: 60,
    cacheMaxEntries: 10_000,
    maxHeaderLength: 4096,
    jwksTimeoutMs: 1000,
    jwksCooldownMs: 30_000,
    jwksMaxAgeSeconds: 600,
    httpApiResponseFormat: 'simple',
    httpApiRequireExactCacheKey: true,
    logLevel: 'debug',
    ...base,
    ...overrides,
  };
}
