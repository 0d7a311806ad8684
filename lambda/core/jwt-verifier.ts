import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JWTHeaderParameters,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { DependencyError } from './dependency-error.ts';
import type { Clock } from './ports.ts';

/** Settings of {@link JwtVerifier}. */
export interface JwtVerifierOptions {
  /** Expected `iss`. */
  readonly issuer: string;
  /** The issuer's JWKS; ignored when {@link keySet} is given. */
  readonly jwksUri: string;
  /** Accepted JWS algorithms. `none` and HMAC algorithms are refused whatever this says. */
  readonly allowedAlgorithms: readonly string[];
  /** Tolerance on `exp` and `nbf`. */
  readonly clockSkewSeconds: number;
  /** How long to wait for the JWKS. @default 5000 */
  readonly jwksTimeoutMs?: number;
  /** Minimum time between refetches for an unknown `kid`, so unknown kids cannot stampede the JWKS. @default 30000 */
  readonly jwksCooldownMs?: number;
  /** Keys to verify with instead of fetching the JWKS (tests). @default a remote JWK set at jwksUri */
  readonly keySet?: JWTVerifyGetKey;
  /** @default Date.now */
  readonly clock?: Clock;
}

/** What a particular JWT must satisfy beyond issuer, signature and time. */
export interface JwtExpectation {
  /** Any one must be in `aud`. */
  readonly audiences: readonly string[];
  /** Expected `typ` header; undefined skips the check. */
  readonly type: string | undefined;
  /** Whether `exp` must be present (RFC 9701 answers may carry it only inside `token_introspection`). */
  readonly requireExpiry: boolean;
}

export type JwtVerification =
  | { readonly ok: true; readonly claims: JWTPayload; readonly header: JWTHeaderParameters }
  | { readonly ok: false; readonly reason: 'forbidden_header' | 'invalid_signature' | 'invalid_claims' | 'expired' };

/** Header parameters that would let a token pick its own key; never honoured (DESIGN invariant 2). */
const KEY_SELECTING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;
const FORBIDDEN_ALGORITHM = /^(none|HS\d+)$/i;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Codes of jose errors that say the token is bad; every other failure is a dependency fault. */
const TOKEN_FAULTS: Record<string, JwtVerification & { ok: false }> = {
  ERR_JWT_EXPIRED: { ok: false, reason: 'expired' },
  ERR_JWT_CLAIM_VALIDATION_FAILED: { ok: false, reason: 'invalid_claims' },
  ERR_JWT_INVALID: { ok: false, reason: 'invalid_claims' },
  ERR_JWS_INVALID: { ok: false, reason: 'invalid_signature' },
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: { ok: false, reason: 'invalid_signature' },
  ERR_JOSE_ALG_NOT_ALLOWED: { ok: false, reason: 'invalid_signature' },
  ERR_JOSE_NOT_SUPPORTED: { ok: false, reason: 'invalid_signature' },
  ERR_JWKS_NO_MATCHING_KEY: { ok: false, reason: 'invalid_signature' },
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: { ok: false, reason: 'invalid_signature' },
};

/**
 * Verifies JWTs against the issuer's keys with jose. Bad tokens give a typed result; an unreachable
 * or broken JWKS throws {@link DependencyError}.
 */
export class JwtVerifier {
  private readonly keySet: JWTVerifyGetKey;
  private readonly issuer: string;
  private readonly algorithms: string[];
  private readonly clockSkewSeconds: number;
  private readonly clock: Clock;

  constructor(options: JwtVerifierOptions) {
    const forbidden = options.allowedAlgorithms.filter((alg) => FORBIDDEN_ALGORITHM.test(alg));
    if (forbidden.length > 0) throw new Error(`Algorithms not allowed for access tokens: ${forbidden.join(', ')}`);
    if (options.allowedAlgorithms.length === 0) throw new Error('At least one JWS algorithm must be allowed');
    this.issuer = options.issuer;
    this.algorithms = [...options.allowedAlgorithms];
    this.clockSkewSeconds = options.clockSkewSeconds;
    this.clock = options.clock ?? Date.now;
    this.keySet =
      options.keySet ??
      createRemoteJWKSet(new URL(options.jwksUri), {
        timeoutDuration: options.jwksTimeoutMs ?? 5000,
        cooldownDuration: options.jwksCooldownMs ?? 30_000,
      });
  }

  async verify(jwt: string, expectation: JwtExpectation): Promise<JwtVerification> {
    // Decoders ignore the spare bits of a base64url part's last character, so one signature has up
    // to 16 spellings that all verify; only the issuer's own (canonical) spelling is accepted.
    if (!jwt.split('.').every(isCanonicalBase64Url)) return { ok: false, reason: 'invalid_signature' };
    let header: JWTHeaderParameters;
    try {
      header = decodeProtectedHeader(jwt) as JWTHeaderParameters;
    } catch {
      return { ok: false, reason: 'invalid_signature' };
    }
    if (KEY_SELECTING_HEADERS.some((name) => header[name] !== undefined)) {
      return { ok: false, reason: 'forbidden_header' };
    }
    try {
      const { payload, protectedHeader } = await jwtVerify(jwt, this.keySet, {
        issuer: this.issuer,
        audience: [...expectation.audiences],
        algorithms: this.algorithms,
        clockTolerance: this.clockSkewSeconds,
        currentDate: new Date(this.clock()),
        requiredClaims: expectation.requireExpiry ? ['exp'] : [],
        ...(expectation.type === undefined ? {} : { typ: expectation.type }),
      });
      return { ok: true, claims: payload, header: protectedHeader };
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      const fault = typeof code === 'string' ? TOKEN_FAULTS[code] : undefined;
      if (fault) return fault;
      throw new DependencyError('jwks_unavailable', `Could not verify with the issuer's keys (${describe(error)})`, {
        cause: error,
      });
    }
  }
}

/** Unpadded base64url whose last character carries no stray bits: one spelling per byte string. */
function isCanonicalBase64Url(part: string): boolean {
  const remainder = part.length % 4;
  if (remainder === 0) return true;
  if (remainder === 1) return false;
  const last = BASE64URL.indexOf(part.charAt(part.length - 1));
  return last >= 0 && (last & (remainder === 2 ? 0x0f : 0x03)) === 0;
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'unknown error';
}
