import type { JWTPayload } from 'jose';
import {
  type AuthorizationScheme,
  type CredentialShape,
  readAuthorizationScheme,
  shapeOf,
} from './bearer-credential.ts';
import type { JoseCrypto } from './crypto-port.ts';
import { DependencyError } from './dependency-error.ts';
import type { DpopProofVerifier } from './dpop-proof.ts';
import type { JwtExpectation, JwtVerifier } from './jwt-verifier.ts';
import { certificateThumbprint } from './key-thumbprints.ts';
import { hasOpaqueTokenShape, type OpaqueTokenShape } from './opaque-token-shape.ts';
import type { Clock, IntrospectionAnswer, Introspector, TokenStore } from './ports.ts';
import type { TokenBucket } from './rate-limiter.ts';
import type { Decision, DenyReason, ResolvedToken, TokenType } from './resolved-token.ts';
import type { ResolvedTokenCache } from './resolved-token-cache.ts';
import {
  hasScopes,
  type RequestTarget,
  type RequiredAuthentication,
  type RouteScopePolicy,
  scopesOf,
} from './route-scopes.ts';
import type { SourceRateLimiter } from './source-rate-limiter.ts';
import {
  type BindingReading,
  bindingOf,
  introspectedBindingOf,
  introspectedTokenType,
  type TokenBinding,
} from './token-binding.ts';
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
  /**
   * Caps introspection calls per source address, so that one address cannot spend
   * {@link rateLimiter}'s budget for everyone. Requests without a source address (REST TOKEN
   * events) are capped by {@link rateLimiter} alone. @default no cap per source
   */
  readonly sourceRateLimiter?: SourceRateLimiter;
  /**
   * What the authorization server's opaque tokens look like; a credential of another shape is
   * refused (401) without a call. @default any well-formed credential is introspected
   */
  readonly tokenShape?: OpaqueTokenShape;
  /**
   * Whether an RFC 9701 answer must name this API in `aud`. Only for servers that never send one:
   * without it a token issued for any resource server of the issuer is accepted. `token_type` is
   * required either way. @default true
   */
  readonly requireAudience?: boolean;
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
  /**
   * DPoP (RFC 9449): the `DPoP` scheme is accepted and DPoP-bound tokens are accepted with a valid
   * proof. @default off: the `DPoP` scheme is refused and so is every DPoP-bound token
   */
  readonly dpop?: DpopProofVerifier;
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
  /**
   * The client's address as API Gateway saw it (behind CloudFront: the edge's), when the event
   * carries one; introspection is budgeted per source. @default none (REST TOKEN events)
   */
  readonly sourceAddress?: string | undefined;
  /**
   * The `DPoP` header: its one value; `null` when it was sent more than once (RFC 9449 section
   * 4.3: "not more than one DPoP HTTP request header field"). @default none
   */
  readonly dpopProof?: string | null | undefined;
  /** The method the client sent, which a proof's `htm` must name. @default the first target's */
  readonly method?: string | undefined;
  /**
   * The URL the client addressed, without query (scheme, the host it used, the path with stage or
   * base path), which a proof's `htu` must name; undefined when the event cannot tell it (REST
   * TOKEN events), and then no proof can be accepted. @default none
   */
  readonly requestUri?: string | undefined;
  /** The client certificate API Gateway passed (PEM), with mutual TLS only. @default none */
  readonly clientCertificatePem?: string | undefined;
}

type Verified =
  | { readonly ok: true; readonly token: ResolvedToken }
  | {
      readonly ok: false;
      readonly reason: DenyReason;
      /** The credential's log id, when the refusing path had already worked it out. */
      readonly tokenId?: string;
    };

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

  /**
   * Work that does not depend on the credential, as steps to do ahead: what the request's targets
   * need (remembered per target by the route policy), then the issuer's keys at hand made ready one
   * by one ({@link JwtVerifier.keyPreparations}). A composition root may run them while a miss
   * waits on its table read or introspection, so that work overlaps the wait; no answer depends on
   * them, and steps not run leave their work to the request itself.
   */
  preparations(targets: readonly RequestTarget[]): (() => void)[] {
    const { routes, verifier } = this.options;
    return [
      () => {
        routes.requiredScopes(targets);
        routes.requiredAuthentication(targets);
      },
      ...verifier.keyPreparations(),
    ];
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
    const credential = readAuthorizationScheme(request.authorization, maxHeaderLength);
    if (!credential.ok) return deny(credential.problem);
    if (credential.scheme === 'dpop' && this.options.dpop === undefined) return deny('wrong_scheme');
    // Only credentials that were verified are cached, so an exact hit needs no grammar check.
    const cached = cache.get(credential.token, clock());
    if (cached) return this.checkBinding(cached, credential.scheme, credential.token, request, true);
    const shape = shapeOf(credential.token);
    if (shape === undefined) return deny('malformed');
    return this.resolveUncached(credential.token, credential.scheme, shape, request);
  }

  private async resolveUncached(
    token: string,
    scheme: AuthorizationScheme,
    shape: CredentialShape,
    request: AuthorizationRequest,
  ): Promise<Decision> {
    // The entry's life counts from before the table read or the introspection: a record deleted
    // while the read was in flight must not live a whole cache time after the read's answer.
    const lookedUpAtMs = this.options.clock();
    const verified = await this.verifyCredential(token, shape, request.sourceAddress);
    if (!verified.ok) return deny(verified.reason, verified.tokenId ?? (await this.digestId(token)));
    const bound = this.withBinding(verified.token);
    // DESIGN invariant 10, on every path: a token bound in a way the gateway cannot prove is refused,
    // and never cached (it could never be accepted).
    if (bound === undefined) return deny('binding_not_verified', verified.token.tokenId);
    this.options.cache.set(token, bound, lookedUpAtMs);
    return this.checkBinding(bound, scheme, token, request, false);
  }

  /** The token with its binding, or undefined when that binding cannot be proven here. */
  private withBinding(token: ResolvedToken & { readonly reading?: BindingReading }): ResolvedToken | undefined {
    const { reading, ...resolved } = token;
    const binding = reading ?? bindingOf(token.claims);
    if (binding.kind === 'unverifiable') return undefined;
    if (binding.kind === 'none') return resolved;
    if (binding.binding.jkt !== undefined && this.options.dpop === undefined) return undefined;
    return { ...resolved, binding: binding.binding };
  }

  /**
   * The binding proven on every request, cached token or not (a proof is unique per request; a
   * certificate is the connection's): a Bearer token with the Bearer scheme needs nothing; a
   * DPoP-bound token needs the DPoP scheme and a valid proof of its key (RFC 9449 sections 7.1 and
   * 7.2); a certificate-bound token needs the certificate it names (RFC 8705 section 3).
   */
  private checkBinding(
    token: ResolvedToken,
    scheme: AuthorizationScheme,
    credential: string,
    request: AuthorizationRequest,
    cached: boolean,
  ): Decision | Promise<Decision> {
    const binding = token.binding;
    if (binding === undefined) {
      return scheme === 'dpop'
        ? deny('dpop_token_not_bound', token.tokenId)
        : this.authorize(token, request.targets, cached);
    }
    if (binding.jkt !== undefined && scheme !== 'dpop') return deny('bound_token_as_bearer', token.tokenId);
    if (binding.jkt === undefined && scheme === 'dpop') return deny('dpop_token_not_bound', token.tokenId);
    return this.proveBinding(token, binding, credential, request, cached);
  }

  private async proveBinding(
    token: ResolvedToken,
    binding: TokenBinding,
    credential: string,
    request: AuthorizationRequest,
    cached: boolean,
  ): Promise<Decision> {
    const tokenId = token.tokenId;
    const crypto = this.crypto;
    if (binding.x5tS256 !== undefined) {
      const pem = request.clientCertificatePem;
      if (typeof pem !== 'string' || pem.length === 0) return deny('certificate_missing', tokenId);
      if ((await certificateThumbprint(pem, crypto)) !== binding.x5tS256) return deny('certificate_mismatch', tokenId);
    }
    if (binding.jkt !== undefined) {
      const dpop = this.options.dpop as DpopProofVerifier;
      const proof = request.dpopProof;
      if (typeof proof !== 'string' || proof.length === 0) return proofDenial('dpop_proof_missing', tokenId);
      const method = request.method ?? request.targets[0]?.method;
      const uri = request.requestUri;
      if (method === undefined || uri === undefined) return proofDenial('dpop_proof_invalid', tokenId, 'htu');
      const result = await dpop.verify({ proof, method, uri, accessToken: credential, jkt: binding.jkt });
      if (!result.ok) {
        const reason = result.problem === 'replayed' ? 'dpop_proof_replayed' : 'dpop_proof_invalid';
        return proofDenial(reason, tokenId, result.problem);
      }
    }
    return this.authorize(token, request.targets, cached);
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
    const authentication = this.options.routes.requiredAuthentication(targets);
    if (authentication !== undefined && !this.meetsAuthentication(token, authentication)) {
      return {
        effect: 'deny',
        error: 'insufficient_user_authentication',
        reason: 'insufficient_user_authentication',
        token,
        tokenId: token.tokenId,
        requiredAuthentication: challengeOf(authentication),
      };
    }
    return { effect: 'allow', token, cached };
  }

  /** RFC 9470: `acr` in every set the route names, `auth_time` no older than its `max_age`. */
  private meetsAuthentication(token: ResolvedToken, required: RequiredAuthentication): boolean {
    const { acr, auth_time: authTime } = token.claims as { acr?: unknown; auth_time?: unknown };
    for (const set of required.acrSets) if (typeof acr !== 'string' || !set.includes(acr)) return false;
    if (required.maxAgeSeconds !== undefined) {
      if (typeof authTime !== 'number' || !Number.isFinite(authTime)) return false;
      const nowSeconds = this.options.clock() / 1000;
      if (nowSeconds - authTime > required.maxAgeSeconds + this.options.clockSkewSeconds) return false;
    }
    return true;
  }

  private async verifyCredential(
    token: string,
    shape: CredentialShape,
    sourceAddress: string | undefined,
  ): Promise<Verified> {
    const { split, phantom, jwtValidationEnabled } = this.options;
    // A JWT is verified here or refused, never introspected: an authorization server that can
    // introspect its own JWTs would call a split token's JWT (which every backend receives, and which
    // outlives the revoked record) active, around the JWT clients check.
    if (shape === 'jwt')
      return jwtValidationEnabled ? this.verifyPlainJwt(token) : { ok: false, reason: 'jwt_not_accepted' };
    if (split && POSSIBLE_SIGNATURE.test(token)) {
      const resolved = await this.resolveSplit(token, split);
      if (resolved !== undefined) return resolved;
    }
    return phantom ? this.introspect(token, phantom, sourceAddress) : { ok: false, reason: 'unknown' };
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

  private async introspect(
    token: string,
    phantom: PhantomTokenSettings,
    sourceAddress: string | undefined,
  ): Promise<Verified> {
    // No call for a credential that cannot be one of the server's tokens: junk costs no budget.
    if (phantom.tokenShape !== undefined && !hasOpaqueTokenShape(token, phantom.tokenShape)) {
      return { ok: false, reason: 'unrecognized_shape' };
    }
    const nowMs = this.options.clock();
    // The source's own budget first, so that a flooding source never spends the instance's.
    if (sourceAddress !== undefined && phantom.sourceRateLimiter?.tryTake(sourceAddress, nowMs) === false) {
      throw new DependencyError(
        'introspection_source_rate_limited',
        'Introspection rate limit for this source address reached; refusing to call the authorization server',
      );
    }
    if (!phantom.rateLimiter.tryTake(nowMs)) {
      throw new DependencyError(
        'introspection_rate_limited',
        'Introspection rate limit reached; refusing to call the authorization server',
      );
    }
    const answering = phantom.introspector.introspect(token);
    // The log id's digest is worked out while the introspection is in flight, not after it.
    const digesting = this.digestId(token);
    digesting.catch(() => undefined);
    const answer = await answering;
    const tokenId = await digesting;
    const verified = await this.verifyIntrospectionAnswer(answer, phantom, tokenId);
    // A refusal carries the digest already made, so that the denial does not hash the token again.
    return verified.ok ? verified : { ok: false, reason: verified.reason, tokenId };
  }

  /** What an introspection answer says of the token, verified. */
  private async verifyIntrospectionAnswer(
    answer: IntrospectionAnswer,
    phantom: PhantomTokenSettings,
    tokenId: string,
  ): Promise<Verified | { readonly ok: true; readonly token: ResolvedToken & { readonly reading: BindingReading } }> {
    if (answer.kind === 'inactive') return { ok: false, reason: 'inactive' };
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
    return this.readIntrospectionClaims(answer.jwt, verification.claims, tokenId, phantom.requireAudience ?? true);
  }

  /**
   * RFC 9701 section 5: the RFC 7662 answer is the `token_introspection` member. It counts only
   * for a live access token meant for this API (DESIGN invariant 3): `token_type` present (a
   * refresh token's answer has none), `iss` the issuer, `aud` naming this API (unless relaxed),
   * `exp` ahead; and a Bearer token: any other `token_type` is a binding the gateway has not
   * verified.
   */
  private readIntrospectionClaims(
    jwt: string,
    envelope: JWTPayload,
    tokenId: string,
    requireAudience: boolean,
  ): Verified | { readonly ok: true; readonly token: ResolvedToken & { readonly reading: BindingReading } } {
    const claims = envelope.token_introspection;
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
      return { ok: false, reason: 'invalid_claims' };
    }
    const introspected = claims as JWTPayload & { active?: unknown; token_type?: unknown };
    if (introspected.active !== true) return { ok: false, reason: 'inactive' };
    const tokenType = introspectedTokenType(introspected.token_type);
    if (tokenType === 'missing') return { ok: false, reason: 'not_access_token' };
    if (!Object.hasOwn(introspected, 'iss') || introspected.iss !== envelope.iss) {
      return { ok: false, reason: 'invalid_claims' };
    }
    if (Object.hasOwn(introspected, 'aud')) {
      if (!audienceMatches(introspected.aud, this.options.audiences)) return { ok: false, reason: 'invalid_claims' };
    } else if (requireAudience) {
      return { ok: false, reason: 'invalid_claims' };
    }
    if (typeof introspected.exp !== 'number') return { ok: false, reason: 'invalid_claims' };
    const nowSeconds = this.options.clock() / 1000;
    if (introspected.exp + this.options.clockSkewSeconds < nowSeconds) return { ok: false, reason: 'expired' };
    const { nbf } = introspected;
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf - this.options.clockSkewSeconds > nowSeconds)) {
      return { ok: false, reason: 'invalid_claims' };
    }
    // RFC 9449 section 6.2, RFC 8705 section 3.2: the answer's cnf, checked against its token_type.
    const reading = introspectedBindingOf(introspected, tokenType);
    return { ok: true, token: { ...toResolvedToken('phantom', jwt, introspected, tokenId), reading } };
  }

  private digestId(credential: string): Promise<string> {
    return tokenLogId(credential, this.crypto);
  }
}

function deny(reason: DenyReason, tokenId?: string): Decision {
  return { effect: 'deny', error: 'invalid_token', reason, tokenId };
}

function proofDenial(reason: DenyReason, tokenId: string, detail?: string): Decision {
  return { effect: 'deny', error: 'invalid_dpop_proof', reason, tokenId, ...(detail === undefined ? {} : { detail }) };
}

/** RFC 9470's challenge values: the `acr` values every set allows (else the first set's), the shortest `max_age`. */
function challengeOf(required: RequiredAuthentication): { acrValues?: readonly string[]; maxAgeSeconds?: number } {
  const [first, ...others] = required.acrSets;
  const common = first?.filter((value) => others.every((set) => set.includes(value)));
  const acrValues = common !== undefined && common.length > 0 ? common : first;
  return {
    ...(acrValues === undefined ? {} : { acrValues }),
    ...(required.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: required.maxAgeSeconds }),
  };
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
