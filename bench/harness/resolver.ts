import { HttpIntrospector } from '../../lambda/adapters/http-introspector.ts';
import { nodeJoseCrypto } from '../../lambda/adapters/node-crypto.ts';
import { NodeHttpClient } from '../../lambda/adapters/node-http-client.ts';
import { SigV4DynamoDbTokenStore } from '../../lambda/adapters/sigv4-dynamodb-token-store.ts';
import type { DpopProofVerifier } from '../../lambda/core/dpop-proof.ts';
import type { HttpClient } from '../../lambda/core/http-client.ts';
import { JwtVerifier } from '../../lambda/core/jwt-verifier.ts';
import type { TokenStore } from '../../lambda/core/ports.ts';
import { TokenBucket } from '../../lambda/core/rate-limiter.ts';
import { ResolvedTokenCache } from '../../lambda/core/resolved-token-cache.ts';
import { RouteScopePolicy } from '../../lambda/core/route-scopes.ts';
import { TokenResolver } from '../../lambda/core/token-resolver.ts';
import { BENCH_CREDENTIALS, BENCH_REGION, ROUTE_SCOPES, TABLE_NAME } from './bench-constants.ts';
import type { LocalParts } from './local-parts.ts';

/** Which parts of the resolver to wire, and whether it caches. */
export interface BenchResolverOptions {
  readonly parts: LocalParts;
  /** Split-token store; undefined turns the split path off. */
  readonly store?: TokenStore;
  /** Phantom fallback through the authorization server's introspection endpoint. */
  readonly introspection: boolean;
  /** 0 turns the cache off (every call is a miss). */
  readonly cacheMaxEntries: number;
  /** DPoP proof checks; undefined refuses DPoP-bound tokens, as the handler does by default. */
  readonly dpop?: DpopProofVerifier;
  /** How introspection and the JWKS reach HTTP. @default a NodeHttpClient, as the Lambda wires it */
  readonly http?: HttpClient;
}

/**
 * A {@link TokenResolver} wired as `createAuthorizer` wires it from the handler's defaults: remote
 * JWKS and introspection over one NodeHttpClient (TLS to the AS through its front), the
 * node:crypto port, default algorithms, 30 s skew, `at+jwt`, the bench routes.
 * Only the introspection rate limit is lifted: the bench calls far above any production rate.
 */
export function createBenchResolver(options: BenchResolverOptions): TokenResolver {
  const { as, endpoints } = options.parts;
  const http = options.http ?? new NodeHttpClient();
  return new TokenResolver({
    verifier: new JwtVerifier({
      issuer: as.issuer,
      jwksUri: endpoints.jwksUri,
      http,
      allowedAlgorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      clockSkewSeconds: 30,
      jwksTimeoutMs: 3000,
      jwksCooldownMs: 30_000,
      crypto: nodeJoseCrypto,
    }),
    audiences: [as.audience],
    requiredTokenType: 'at+jwt',
    clockSkewSeconds: 30,
    split: options.store ? { store: options.store, hashAlgorithm: 'SHA-256' } : undefined,
    phantom: options.introspection
      ? {
          introspector: new HttpIntrospector({
            endpoint: endpoints.introspectionEndpoint,
            http,
            clientId: as.clients.introspector.clientId,
            clientSecret: as.clients.introspector.clientSecret,
            responseFormat: 'token-introspection+jwt',
            timeoutMs: 2000,
          }),
          responseAudience: as.clients.introspector.clientId,
          rateLimiter: new TokenBucket({ ratePerSecond: 1_000_000, burst: 1_000_000 }),
        }
      : undefined,
    jwtValidationEnabled: false,
    jwtClientIds: [],
    routes: new RouteScopePolicy(ROUTE_SCOPES),
    cache: new ResolvedTokenCache({ maxEntries: options.cacheMaxEntries, ttlSeconds: 300 }),
    maxHeaderLength: 4096,
    clock: Date.now,
    crypto: nodeJoseCrypto,
    ...(options.dpop ? { dpop: options.dpop } : {}),
  });
}

/** Resolves once and fails loudly unless the answer is an allow: a bench must time the real path. */
export async function expectAllow(resolver: TokenResolver, credential: string, what: string): Promise<void> {
  const decision = await resolver.resolve({
    authorization: `Bearer ${credential}`,
    targets: [{ method: 'GET', path: '/orders' }],
  });
  if (decision.effect !== 'allow') throw new Error(`${what}: expected an allow, got ${decision.reason}`);
}

/** The authorizer's own token store (SigV4 `GetItem`) against the parts' dynalite, through its TLS front. */
export function benchTokenStore(parts: LocalParts): SigV4DynamoDbTokenStore {
  return new SigV4DynamoDbTokenStore({
    tableName: TABLE_NAME,
    region: BENCH_REGION,
    endpoint: parts.endpoints.dynamoDb,
    credentials: BENCH_CREDENTIALS,
    timeoutMs: 1000,
  });
}
