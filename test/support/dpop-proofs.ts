import type { KeyPair } from 'dpop';
import { base64url, calculateJwkThumbprint, exportJWK, type JWK, SignJWT } from 'jose';

/** The public JWK of a dpop key pair, exported by jose (not by the code under test). */
export async function publicJwkOf(keys: KeyPair): Promise<JWK> {
  return exportJWK(keys.publicKey);
}

/** RFC 7638 thumbprint by jose: the `cnf.jkt` a token bound to `keys` carries. */
export async function thumbprintOf(keys: KeyPair): Promise<string> {
  return calculateJwkThumbprint(await publicJwkOf(keys), 'sha256');
}

/** RFC 9449 section 4.2 `ath`, computed with WebCrypto and jose's encoder. */
export async function athOf(accessToken: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken));
  return base64url.encode(new Uint8Array(digest));
}

/**
 * A DPoP proof signed by jose with any claims and header: for proofs the `dpop` client would not
 * make (an old `iat`, a chosen `jti`, a wrong `typ`, a private key in `jwk`).
 */
export async function handMadeProof(
  keys: KeyPair,
  alg: string,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk: await publicJwkOf(keys), ...header } as never)
    .sign(keys.privateKey);
}
