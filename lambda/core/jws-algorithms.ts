import type { DigestAlgorithm } from './crypto-port.ts';

/** How a JWS algorithm signs: the primitive, its hash and the key it needs (RFC 7518, RFC 8037). */
export interface JwsAlgorithm {
  readonly family: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS' | 'ECDSA' | 'EdDSA';
  /** The hash of the primitive; undefined for EdDSA (Ed25519 hashes internally). */
  readonly hash: DigestAlgorithm | undefined;
  /** JWK `kty` the key must have. */
  readonly kty: 'RSA' | 'EC' | 'OKP';
  /** JWK `crv` the key must have; undefined for RSA. */
  readonly crv: 'P-256' | 'P-384' | 'P-521' | 'Ed25519' | undefined;
  /** Length of an IEEE P1363 (r || s) ECDSA signature or an Ed25519 signature, in bytes; undefined for RSA. */
  readonly signatureBytes: number | undefined;
}

const rsa = (family: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS', hash: DigestAlgorithm): JwsAlgorithm => ({
  family,
  hash,
  kty: 'RSA',
  crv: undefined,
  signatureBytes: undefined,
});
const ecdsa = (hash: DigestAlgorithm, crv: 'P-256' | 'P-384' | 'P-521', signatureBytes: number): JwsAlgorithm => ({
  family: 'ECDSA',
  hash,
  kty: 'EC',
  crv,
  signatureBytes,
});
const ed25519: JwsAlgorithm = { family: 'EdDSA', hash: undefined, kty: 'OKP', crv: 'Ed25519', signatureBytes: 64 };

/**
 * The asymmetric JWS algorithms the verifier supports, as jose 6 defines them (`Ed25519` is the
 * fully specified name of `EdDSA` over Ed25519). `none` and HMAC are deliberately absent.
 */
const ALGORITHMS: Readonly<Record<string, JwsAlgorithm>> = Object.freeze({
  RS256: rsa('RSASSA-PKCS1-v1_5', 'SHA-256'),
  RS384: rsa('RSASSA-PKCS1-v1_5', 'SHA-384'),
  RS512: rsa('RSASSA-PKCS1-v1_5', 'SHA-512'),
  PS256: rsa('RSA-PSS', 'SHA-256'),
  PS384: rsa('RSA-PSS', 'SHA-384'),
  PS512: rsa('RSA-PSS', 'SHA-512'),
  ES256: ecdsa('SHA-256', 'P-256', 64),
  ES384: ecdsa('SHA-384', 'P-384', 96),
  ES512: ecdsa('SHA-512', 'P-521', 132),
  EdDSA: ed25519,
  Ed25519: ed25519,
});

/** Names of the supported JWS algorithms. */
export const SUPPORTED_JWS_ALGORITHMS: readonly string[] = Object.freeze(Object.keys(ALGORITHMS));

/** RSA keys shorter than this are refused for RS* and PS* (as jose does; NIST SP 800-131A). */
export const MIN_RSA_MODULUS_BITS = 2048;

/** The definition of a supported algorithm, undefined for anything else (including `none` and HS*). */
export function jwsAlgorithm(alg: unknown): JwsAlgorithm | undefined {
  return typeof alg === 'string' && Object.hasOwn(ALGORITHMS, alg) ? ALGORITHMS[alg] : undefined;
}

/** Salt length of RSA-PSS in JWS: the hash's output length (RFC 7518 section 3.5). */
export function pssSaltLength(hash: DigestAlgorithm): number {
  return hash === 'SHA-256' ? 32 : hash === 'SHA-384' ? 48 : 64;
}
