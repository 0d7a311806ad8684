import type { JWTPayload } from 'jose';
import { type CredentialShape, readBearerScheme, shapeOf } from './bearer-credential.ts';
import type { JoseCrypto } from './crypto-port.ts';
import { DependencyError } from './dependency-error.ts';
import type { JwtExpectation, JwtVerifier } from './jwt-verifier.ts';
import type { Clock, Introspector, TokenStore } from './ports.ts';
import type { TokenBucket } from './rate-limiter.ts';
import type { Decision, DenyReason, ResolvedToken, TokenType } from './resolved-token.ts';
import type { ResolvedTokenCache } from './resolved-token-cache.ts';
import { hasScopes, type RequestTarget, type RouteScopePolicy, scopesOf } from './route-scopes.ts';
import { hashToken, type TokenHashAlgorithm, tokenLogId, tokenLogIdOf } from './token-hash.ts';
import { webJoseCrypto } from './web-crypto.ts';

/** The split-token path: where records live and how they are keyed. */
export interface SplitTokenSettings {
  readonly store: TokenStore;
  readonly hashAlgorithm: TokenHashAlgorithm;
}

/** The phantom-token path. */
export interface PhantomTokenSettings {
  readonly introspector: Introspector;
  /** Expected `aud` of RFC 9701 answers (the introspecting client's id). */
  readonly responseAudience: string;
  /** Caps introspection calls so random tokens cannot flood the authorization server. */
  readonly rateLimiter: TokenBucket;
}

/** Everything the resolver is built from; the composition root wires adapters in. */
export interface TokenResolverOptions {
  readonly verifier: JwtVerifier;
  /** Accepted `aud` of access-token JWTs. */
  readonly audiences: readonly string[];
  /** Expected `typ` of access-token JWTs; undefined skips the check. */
  readonly requiredTokenType: string | undefined;
  /** Tolerance on the record's `expiration`. */
  readonly clockSkewSeconds: number;
  /** Split-token resolution; undefined turns it off. */
  readonly split: SplitTokenSettings | undefined;
  /** Phantom-token fallback; undefined turns it off. */
  readonly phantom: PhantomTokenSettings | undefined;
  /** Whether clients may present plain JWTs. */
  readonly jwtValidationEnabled: boolean;
  /**
   * The clients (`client_id` claim) meant to hold JWTs, whose plain JWTs are accepted when
   * {@link jwtValidationEnabled}; a verified JWT of any other client is refused. Every backend
   * receives the JWTs of split and phantom tokens, so only this list keeps such a JWT, replayed
   * from a backend or revoked with its split token, from passing as a plain JWT.
   */
  readonly jwtClientIds: readonly string[];
  readonly routes: RouteScopePolicy;
  readonly cache: ResolvedTokenCache;
  readonly maxHeaderLength: number;
  readonly clock: Clock;
  /** Digests for split-token record keys and log ids; wire node:crypto on Node. @default WebCrypto ({@link webJoseCrypto}) */
  readonly crypto?: JoseCrypto;
}

/** The request as the core sees it, whatever API Gateway format it came in. */
export interface AuthorizationRequest {
  /** The raw Authorization header value; anything, including undefined. */
  readonly authorization: unknown;
  /**
   * The request as the client sent it (method and API-relative path), as each field of the event
   * tells it; the request needs what every one of them needs.
   */
  readonly targets: readonly RequestTarget[];
}

type Verified =
  | { readonly ok: true; readonly token: ResolvedToken }
  | { readonly ok: false; readonly reason: DenyReason };

const RFC9701_TYPE = 'token-introspection+jwt';
/** A split token is a JWS signature in base64url: 86 characters (Ed25519, ES256) up to 1366 (RSA 8192). */
const POSSIBLE_SIGNATURE = /^[A-Za-z0-9_-]{86,1366}$/;

/**
 * Turns a bearer credential into a verified JWT or a denial (DESIGN sections 1 and 3). Pure: it
 * reaches the world only through its ports, returns values for every token outcome and throws only
 * {@link DependencyError}.
 */
export class TokenResolver {
  private readonly options: TokenResolverOptions;
  private readonly accessTokenExpectation: JwtExpectation;
  private readonly crypto: JoseCrypto;
  private readonly jwtClientIds: ReadonlySet<string>;

  constructor(options: TokenResolverOptions) {
    this.options = options;
    this.crypto = options.crypto ?? webJoseCrypto;
    this.jwtClientIds = new Set(options.jwtClientIds);
    this.accessTokenExpectation = {
      audiences: options.audiences,
      type: options.requiredTokenType,
      requireExpiry: true,
    };
  }

  async resolve(request: AuthorizationRequest): Promise<Decision> {
    return this.resolveNow(request);
  }

  /**
   * The decision, synchronously when it needs no I/O (a malformed credential, a cache hit), else a
   * promise of it: the hot path answers without a promise, and the credential is read once.
   */
  resolveNow(request: AuthorizationRequest): Decision | Promise<Decision> {
    const { cache, clock, maxHeaderLength } = this.options;
    const bearer = readBearerScheme(request.authorization, maxHeaderLength);
    if (!bearer.ok) return deny(bearer.problem);
    // Only credentials that were verified are cached, so an exact hit needs no grammar check.
    const cached = cache.get(bearer.token, clock());
    if (cached) return this.authorize(cached, request.targets, true);
    const shape = shapeOf(bearer.token);
    if (shape === undefined) return deny('malformed');
    return this.resolveUncached(bearer.token, shape, request.targets);
  }

  private async resolveUncached(
    token: string,
    shape: CredentialShape,
    targets: readonly RequestTarget[],
  ): Promise<Decision> {
    const verified = await this.verifyCredential(token, shape);
    if (!verified.ok) return deny(verified.reason, await this.digestId(token));
    this.options.cache.set(token, verified.token, this.options.clock());
    return this.authorize(verified.token, targets, false);
  }

  /** The route rules, evaluated afresh on every request: only the token is ever cached, never a decision. */
  private authorize(token: ResolvedToken, targets: readonly RequestTarget[], cached: boolean): Decision {
    const requiredScopes = this.options.routes.requiredScopes(targets);
    if (!hasScopes(token.scopes, requiredScopes)) {
      return {
        effect: 'deny',
        error: 'insufficient_scope',
        reason: 'insufficient_scope',
        token,
        tokenId: token.tokenId,
        requiredScopes,
      };
    }
    return { effect: 'allow', token, cached };
  }

  private async verifyCredential(token: string, shape: CredentialShape): Promise<Verified> {
    const { split, phantom, jwtValidationEnabled } = this.options;
    if (shape === 'jwt') {
      if (jwtValidationEnabled) return this.verifyPlainJwt(token);
      // An authorization server may still know a JWT it issued; otherwise it is refused.
      return phantom ? this.introspect(token, phantom) : { ok: false, reason: 'jwt_not_accepted' };
    }
    if (split && POSSIBLE_SIGNATURE.test(token)) {
      const resolved = await this.resolveSplit(token, split);
      if (resolved !== undefined) return resolved;
    }
    return phantom ? this.introspect(token, phantom) : { ok: false, reason: 'unknown' };
  }

  /** undefined when the table has no record, so the caller can fall back. */
  private async resolveSplit(token: string, split: SplitTokenSettings): Promise<Verified | undefined> {
    const hashedSignature = await hashToken(token, split.hashAlgorithm, this.crypto);
    const record = await split.store.getRecord(hashedSignature);
    if (record === undefined) return undefined;
    const nowSeconds = this.options.clock() / 1000;
    if (record.expiration + this.options.clockSkewSeconds < nowSeconds) return { ok: false, reason: 'expired_record' };
    const jwt = `${record.headAndBody}.${token}`;
    const verification = await this.options.verifier.verify(jwt, this.accessTokenExpectation);
    if (!verification.ok) return verification;
    const tokenId = split.hashAlgorithm === 'SHA-256' ? tokenLogIdOf(hashedSignature) : await this.digestId(token);
    return { ok: true, token: toResolvedToken('split', jwt, verification.claims, tokenId) };
  }

  /**
   * A JWT the client holds itself: accepted only from a client meant to hold JWTs. The JWT of a split
   * token reaches every backend and lives on after its record is deleted (revoked); with no record it
   * looks like a JWT that was never split, so its client is what tells them apart. Checked on the
   * verified claims: a forgery is an invalid signature, whatever client it names.
   */
  private async verifyPlainJwt(jwt: string): Promise<Verified> {
    const verification = await this.options.verifier.verify(jwt, this.accessTokenExpectation);
    if (!verification.ok) return verification;
    const clientId = verification.claims.client_id;
    if (typeof clientId !== 'string' || !this.jwtClientIds.has(clientId))
      return { ok: false, reason: 'jwt_not_accepted' };
    return { ok: true, token: toResolvedToken('jwt', jwt, verification.claims, await this.digestId(jwt)) };
  }

  private async introspect(token: string, phantom: PhantomTokenSettings): Promise<Verified> {
    if (!phantom.rateLimiter.tryTake(this.options.clock())) {
      throw new DependencyError(
        'introspection_rate_limited',
        'Introspection rate limit reached; refusing to call the authorization server',
      );
    }
    const answer = await phantom.introspector.introspect(token);
    if (answer.kind === 'inactive') return { ok: false, reason: 'inactive' };
    const tokenId = await this.digestId(token);
    if (answer.format === 'jwt') {
      const verification = await this.options.verifier.verify(answer.jwt, this.accessTokenExpectation);
      if (!verification.ok) return verification;
      return { ok: true, token: toResolvedToken('phantom', answer.jwt, verification.claims, tokenId) };
    }
    const verification = await this.options.verifier.verify(answer.jwt, {
      audiences: [phantom.responseAudience],
      type: RFC9701_TYPE,
      requireExpiry: false,
    });
    if (!verification.ok) return verification;
    return this.readIntrospectionClaims(answer.jwt, verification.claims, tokenId);
  }

  /** RFC 9701 section 5: the RFC 7662 answer is the `token_introspection` member. */
  private readIntrospectionClaims(jwt: string, envelope: JWTPayload, tokenId: string): Verified {
    const claims = envelope.token_introspection;
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
      return { ok: false, reason: 'invalid_claims' };
    }
    const introspected = claims as JWTPayload & { active?: unknown };
    if (introspected.active !== true) return { ok: false, reason: 'inactive' };
    if (typeof introspected.exp !== 'number') return { ok: false, reason: 'invalid_claims' };
    const nowSeconds = this.options.clock() / 1000;
    if (introspected.exp + this.options.clockSkewSeconds < nowSeconds) return { ok: false, reason: 'expired' };
    if (introspected.iss !== undefined && introspected.iss !== envelope.iss)
      return { ok: false, reason: 'invalid_claims' };
    if (introspected.aud !== undefined && !audienceMatches(introspected.aud, this.options.audiences)) {
      return { ok: false, reason: 'invalid_claims' };
    }
    return { ok: true, token: toResolvedToken('phantom', jwt, introspected, tokenId) };
  }

  private digestId(credential: string): Promise<string> {
    return tokenLogId(credential, this.crypto);
  }
}

function deny(reason: DenyReason, tokenId?: string): Decision {
  return { effect: 'deny', error: 'invalid_token', reason, tokenId };
}

function audienceMatches(aud: unknown, accepted: readonly string[]): boolean {
  const values = Array.isArray(aud) ? aud : [aud];
  return values.some((value) => typeof value === 'string' && accepted.includes(value));
}

function toResolvedToken(tokenType: TokenType, jwt: string, claims: JWTPayload, tokenId: string): ResolvedToken {
  const scopes = scopesOf(claims);
  const clientId = claims.client_id;
  return {
    tokenType,
    jwt,
    claims,
    subject: typeof claims.sub === 'string' ? claims.sub : undefined,
    scope: [...scopes].join(' '),
    scopes,
    clientId: typeof clientId === 'string' ? clientId : undefined,
    expiresAtSeconds: typeof claims.exp === 'number' ? claims.exp : 0,
    tokenId,
  };
}
