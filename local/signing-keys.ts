import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/** JWS algorithms the local authorization server signs with. */
export type SigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA';

/** The algorithms {@link generateSigningKeys} makes one key for, in this order. */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];

/** A private signing JWK with `kid`, `alg` and `use: 'sig'`. Never leaves the process. */
export type PrivateSigningJwk = JWK & { readonly kid: string; readonly alg: SigningAlgorithm };

const KEY_PARAMETERS: Record<SigningAlgorithm, Parameters<typeof generateKeyPair>[1]> = {
  RS256: { extractable: true, modulusLength: 2048 },
  ES256: { extractable: true, crv: 'P-256' },
  EdDSA: { extractable: true, crv: 'Ed25519' },
};

/**
 * Generates one fresh private signing key per algorithm: RSA 2048 (RS256), EC P-256 (ES256) and
 * Ed25519 (EdDSA). The `kid` is the RFC 7638 thumbprint.
 */
export function generateSigningKeys(): Promise<PrivateSigningJwk[]> {
  return Promise.all(SIGNING_ALGORITHMS.map(generateSigningKey));
}

/** Generates one private signing JWK for `alg`. */
export async function generateSigningKey(alg: SigningAlgorithm): Promise<PrivateSigningJwk> {
  const { privateKey } = await generateKeyPair(alg, KEY_PARAMETERS[alg]);
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid, alg, use: 'sig' };
}
