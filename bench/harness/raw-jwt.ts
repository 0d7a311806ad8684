import { createPublicKey, type JsonWebKey, type KeyObject, type VerifyKeyObjectInput, verify } from 'node:crypto';
import type { JWK } from 'jose';

/** What the limit checks besides the signature: the same claims the authorizer checks. */
export interface RawExpectation {
  readonly issuer: string;
  readonly audience: string;
  /** Expected `typ` header; undefined skips it. */
  readonly type?: string;
}

interface PreparedKey {
  readonly alg: string;
  readonly key: KeyObject | VerifyKeyObjectInput;
  /** Digest for node:crypto `verify`; null for Ed25519. */
  readonly digest: string | null;
}

const DIGEST: Record<string, string | null> = { RS256: 'sha256', ES256: 'sha256', EdDSA: null, PS256: 'sha256' };

/**
 * The least work a correct verification needs, straight on node:crypto with keys imported once:
 * parse the header, one synchronous `crypto.verify`, parse the payload, check `iss`, `aud`, `exp`
 * and `typ`. No allowlist bookkeeping, no error mapping: the limit, not a verifier to ship.
 */
export class RawJwtVerifier {
  private readonly keys = new Map<string, PreparedKey>();
  private readonly expectation: RawExpectation;

  constructor(jwks: { readonly keys: readonly JWK[] }, expectation: RawExpectation) {
    this.expectation = expectation;
    for (const jwk of jwks.keys) {
      if (jwk.kid === undefined || jwk.alg === undefined || !(jwk.alg in DIGEST)) continue;
      const key = createPublicKey({ key: { ...jwk } as JsonWebKey, format: 'jwk' });
      this.keys.set(jwk.kid, {
        alg: jwk.alg,
        key: jwk.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key,
        digest: DIGEST[jwk.alg] ?? null,
      });
    }
  }

  /** The claims of a valid token, undefined otherwise. */
  verify(jwt: string, nowSeconds = Date.now() / 1000): Record<string, unknown> | undefined {
    const firstDot = jwt.indexOf('.');
    const lastDot = jwt.lastIndexOf('.');
    if (firstDot < 0 || lastDot === firstDot) return undefined;
    const header = JSON.parse(Buffer.from(jwt.slice(0, firstDot), 'base64url').toString()) as Record<string, unknown>;
    const prepared = this.keys.get(String(header.kid));
    if (prepared === undefined || header.alg !== prepared.alg) return undefined;
    if (this.expectation.type !== undefined && header.typ !== this.expectation.type) return undefined;
    const signed = Buffer.from(jwt.slice(0, lastDot));
    const signature = Buffer.from(jwt.slice(lastDot + 1), 'base64url');
    if (!verify(prepared.digest, signed, prepared.key, signature)) return undefined;
    const claims = JSON.parse(Buffer.from(jwt.slice(firstDot + 1, lastDot), 'base64url').toString()) as Record<
      string,
      unknown
    >;
    if (claims.iss !== this.expectation.issuer) return undefined;
    const aud = claims.aud;
    if (aud !== this.expectation.audience && !(Array.isArray(aud) && aud.includes(this.expectation.audience))) {
      return undefined;
    }
    if (typeof claims.exp === 'number' && claims.exp < nowSeconds) return undefined;
    return claims;
  }
}

/** Fetches a JWKS once (setup, not timed). */
export async function fetchJwks(jwksUri: string): Promise<{ keys: JWK[] }> {
  const response = await fetch(jwksUri);
  if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
  return (await response.json()) as { keys: JWK[] };
}
