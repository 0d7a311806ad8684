import type { JWK } from 'jose';

/** Digests the core asks for: split-token record keys and log ids (DESIGN section 2). */
export type DigestAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';

/**
 * The cryptography the core needs, behind a port so each runtime can use its fastest primitive:
 * the core's default is WebCrypto ({@link WebJoseCrypto}, runs anywhere); Lambda on Node wires
 * node:crypto (`lambda/adapters/node-crypto.ts`), which answers synchronously without WebCrypto's
 * thread-pool hop. Implementations may answer synchronously or with a promise; the core awaits.
 *
 * The core decides everything about a JWS (algorithm allowlist, key selection, key type and
 * curve, key size) before it calls {@link verifySignature}; an implementation only runs the
 * primitive for the algorithm it is given.
 */
export interface JoseCrypto {
  /** The digest of `data`. */
  digest(algorithm: DigestAlgorithm, data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /**
   * Whether `signature` is a valid JWS signature of `signingInput` (the ASCII bytes of
   * `header.payload`) under the public `key` for `alg`. A malformed signature (bad encoding, or any
   * length but the algorithm's: for RSA exactly the modulus length in bytes, RFC 8017 sections
   * 8.1.2 and 8.2.2) is `false`, never an exception.
   *
   * @param alg one of {@link SUPPORTED_JWS_ALGORITHMS}; the core never passes another
   * @param key a public JWK whose `kty` and `crv` the core has already matched to `alg`; the same
   *   object is passed on every call until the key set is refetched, so implementations may cache
   *   the imported key by identity
   * @throws only when the key itself cannot be imported; the core then refuses the token
   *   (`unusable_key`) and reports the key set's problem, so this must not throw for a bad signature
   */
  verifySignature(alg: string, key: JWK, signingInput: Uint8Array, signature: Uint8Array): boolean | Promise<boolean>;
  /**
   * Optional: the runtime's native base64url decoder, for speed. The core only passes text it has
   * already checked to be canonical unpadded base64url, so the decoder need not validate anything.
   * @default the core's own strict decoder (`decodeBase64Url` in `base64url.ts`)
   */
  decodeBase64Url?(text: string): Uint8Array;
  /**
   * Optional: imports `key` ahead of its first {@link verifySignature}, so that the import's cost
   * is paid while a request waits on I/O rather than after. The core calls it only with keys it
   * found usable, each the object later passed to {@link verifySignature}. Must not throw: a key
   * that cannot be imported is found out (and reported) when it is first used.
   * @default keys are imported on first use
   */
  prepareKey?(key: JWK): void;
}
