import type { JWTHeaderParameters, JWTPayload } from 'jose';

/** What the claims of a verified JWS must satisfy. */
export interface ClaimsExpectation {
  /** Exact `iss`. */
  readonly issuer: string;
  /** Any one must be in `aud` (a string, or an array of them). */
  readonly audiences: readonly string[];
  /** Expected `typ` header; undefined skips the check. */
  readonly type: string | undefined;
  /** Whether `exp` must be present. */
  readonly requireExpiry: boolean;
  /** Tolerance on `exp` and `nbf`, in seconds. */
  readonly clockSkewSeconds: number;
  /** The current time in whole epoch seconds. */
  readonly nowSeconds: number;
}

/**
 * Checks a JWT's header `typ` and claims in jose's order and with its rules (`jwtVerify`):
 * `typ` (case-insensitive, `application/` optional); `iss` present and exact; `aud` present and
 * one of the expected audiences; `iat`, `nbf` and `exp` numbers when present (`exp` required when
 * asked); `nbf - skew <= now`; `exp + skew > now`. Only the last gives `expired`.
 */
export function checkClaims(
  header: JWTHeaderParameters,
  claims: JWTPayload,
  expected: ClaimsExpectation,
): 'ok' | 'invalid_claims' | 'expired' {
  if (expected.type !== undefined) {
    if (typeof header.typ !== 'string' || normalizeType(header.typ) !== normalizeType(expected.type)) {
      return 'invalid_claims';
    }
  }
  if (expected.requireExpiry && !Object.hasOwn(claims, 'exp')) return 'invalid_claims';
  if (!Object.hasOwn(claims, 'iss') || claims.iss !== expected.issuer) return 'invalid_claims';
  if (!Object.hasOwn(claims, 'aud') || !audienceMatches(claims.aud, expected.audiences)) return 'invalid_claims';
  const { iat, nbf, exp } = claims;
  if (iat !== undefined && typeof iat !== 'number') return 'invalid_claims';
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf - expected.clockSkewSeconds > expected.nowSeconds)) {
    return 'invalid_claims';
  }
  if (exp !== undefined) {
    if (typeof exp !== 'number') return 'invalid_claims';
    if (exp + expected.clockSkewSeconds <= expected.nowSeconds) return 'expired';
  }
  return 'ok';
}

/** `at+jwt`, `AT+JWT` and `application/at+jwt` are the same media type (RFC 7515 section 4.1.9). */
function normalizeType(value: string): string {
  const lower = value.toLowerCase();
  return lower.includes('/') ? lower : `application/${lower}`;
}

function audienceMatches(aud: unknown, accepted: readonly string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud);
  return Array.isArray(aud) && accepted.some((value) => aud.includes(value));
}
