import { DependencyError } from '../../../../lambda/core/dependency-error.ts';
import { JwtVerifier } from '../../../../lambda/core/jwt-verifier.ts';
import type { IntrospectionAnswer } from '../../../../lambda/core/ports.ts';
import { TokenBucket } from '../../../../lambda/core/rate-limiter.ts';
import { ResolvedTokenCache } from '../../../../lambda/core/resolved-token-cache.ts';
import { RouteScopePolicy, type RouteScopeRule } from '../../../../lambda/core/route-scopes.ts';
import { hashToken, type TokenHashAlgorithm } from '../../../../lambda/core/token-hash.ts';
import {
  type PhantomTokenSettings,
  TokenResolver,
  type TokenResolverOptions,
} from '../../../../lambda/core/token-resolver.ts';
import { MemoryTokenStore, ScriptedIntrospector } from '../../../support/memory-ports.ts';
import { splitCompact, TestIssuer } from '../../../support/test-issuer.ts';

export const INTROSPECTOR_ID = 'gateway-introspector';
export const ROUTES: RouteScopeRule[] = [
  { method: 'GET', path: '/orders', scopes: ['orders:read'] },
  { method: 'POST', path: '/orders', scopes: ['orders:write'] },
];

export interface FixtureOptions {
  readonly hashAlgorithm?: TokenHashAlgorithm;
  readonly jwtValidationEnabled?: boolean;
  /** Clients whose plain JWTs are accepted. @default ['client-1'], the TestIssuer's default client */
  readonly jwtClientIds?: readonly string[];
  readonly phantom?: boolean;
  readonly split?: boolean;
  readonly introspectionFormat?: 'token-introspection+jwt' | 'jwt';
  readonly requiredTokenType?: string;
  readonly cacheTtlSeconds?: number;
  readonly introspectionBurst?: number;
  /** Settings of the phantom path beyond the introspector, audience and instance bucket. */
  readonly phantomOverrides?: Partial<PhantomTokenSettings>;
  readonly overrides?: Partial<TokenResolverOptions>;
}

/** A resolver wired to in-memory ports and a fresh test issuer, with a movable clock. */
export class ResolverFixture {
  readonly issuer: TestIssuer;
  readonly store = new MemoryTokenStore();
  readonly introspector: ScriptedIntrospector;
  readonly resolver: TokenResolver;
  readonly hashAlgorithm: TokenHashAlgorithm;
  nowMs = Date.now();

  private constructor(issuer: TestIssuer, options: FixtureOptions) {
    this.issuer = issuer;
    this.hashAlgorithm = options.hashAlgorithm ?? 'SHA-256';
    this.introspector = new ScriptedIntrospector(() => ({ kind: 'inactive' }));
    const clock = () => this.nowMs;
    this.resolver = new TokenResolver({
      verifier: new JwtVerifier({
        issuer: issuer.issuer,
        jwksUri: 'https://unused.test/jwks',
        allowedAlgorithms: ['RS256', 'ES256', 'EdDSA'],
        clockSkewSeconds: 30,
        jwks: issuer.jwks,
        clock,
      }),
      audiences: [issuer.audience],
      requiredTokenType: options.requiredTokenType,
      clockSkewSeconds: 30,
      split: options.split === false ? undefined : { store: this.store, hashAlgorithm: this.hashAlgorithm },
      phantom:
        options.phantom === false
          ? undefined
          : {
              introspector: this.introspector,
              responseAudience: INTROSPECTOR_ID,
              rateLimiter: new TokenBucket({ ratePerSecond: 1, burst: options.introspectionBurst ?? 1000 }),
              ...options.phantomOverrides,
            },
      jwtValidationEnabled: options.jwtValidationEnabled ?? false,
      jwtClientIds: options.jwtClientIds ?? ['client-1'],
      routes: new RouteScopePolicy(ROUTES),
      cache: new ResolvedTokenCache({ maxEntries: 100, ttlSeconds: options.cacheTtlSeconds ?? 60 }),
      maxHeaderLength: 4096,
      clock,
      ...options.overrides,
    });
  }

  static async create(options: FixtureOptions = {}): Promise<ResolverFixture> {
    return new ResolverFixture(await TestIssuer.create(), options);
  }

  /** Mints a JWT, stores its `header.payload` as the issuer would, and returns the opaque token. */
  async issueSplitToken(jwt?: string): Promise<{ opaque: string; jwt: string; key: string }> {
    const token = jwt ?? (await this.issuer.mint());
    const { headAndBody, signature } = splitCompact(token);
    const key = await hashToken(signature, this.hashAlgorithm);
    const exp = JSON.parse(atob(headAndBody.split('.')[1]?.replace(/-/g, '+').replace(/_/g, '/') ?? '')).exp;
    this.store.records.set(key, { headAndBody, expiration: exp });
    return { opaque: signature, jwt: token, key };
  }

  /** Makes the introspector answer RFC 9701 for any token with these claims. */
  answerIntrospection(claims: Record<string, unknown>): void {
    this.introspector.answer = async (): Promise<IntrospectionAnswer> => ({
      kind: 'signed',
      jwt: await this.issuer.mintIntrospectionAnswer(claims, INTROSPECTOR_ID),
      format: 'token-introspection+jwt',
    });
  }

  resolve(token: string | undefined, route = { method: 'GET', path: '/orders' }) {
    return this.resolver.resolve({
      authorization: token === undefined ? undefined : `Bearer ${token}`,
      targets: [route],
    });
  }

  /** Resolves `token` on GET /orders as sent from `sourceAddress`. */
  resolveFrom(token: string, sourceAddress: string | undefined) {
    return this.resolver.resolve({
      authorization: `Bearer ${token}`,
      targets: [{ method: 'GET', path: '/orders' }],
      sourceAddress,
    });
  }

  /** The RFC 7662 members of a live Bearer access token for this API, as an authorization server sends them. */
  activeAccessToken(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      active: true,
      iss: this.issuer.issuer,
      aud: this.issuer.audience,
      token_type: 'Bearer',
      sub: 'user-9',
      scope: 'orders:read',
      client_id: 'phantom-client',
      exp: Math.floor(this.nowMs / 1000) + 300,
      ...overrides,
    };
  }
}

export const storeOutage = () => new DependencyError('token_store_unavailable', 'test outage');

/** A random opaque token shaped like an RS256 signature. */
export function randomOpaqueToken(length = 342): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (byte) => alphabet[byte % 64]).join('');
}
