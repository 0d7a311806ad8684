import type { JWK } from 'jose';
import type { DigestAlgorithm, JoseCrypto } from './crypto-port.ts';
import { publicJwkOf } from './jwk-set.ts';
import { type JwsAlgorithm, jwsAlgorithm, pssSaltLength } from './jws-algorithms.ts';

/**
 * {@link JoseCrypto} over WebCrypto (`crypto.subtle`): the core's default, for any runtime with
 * web APIs (Node, Deno, workers). Keys are imported once per JWK object and algorithm and cached
 * while the JWK object lives. A signature of any length but the algorithm's (for RSA, the modulus
 * length in bytes, RFC 8017 sections 8.1.2 and 8.2.2) is refused before the runtime sees it:
 * WebCrypto on Node verifies an RSA-PSS signature one byte short (a leading zero dropped), which
 * would be a second spelling of the same token.
 */
export class WebJoseCrypto implements JoseCrypto {
  private readonly imported = new WeakMap<JWK, Map<string, Promise<CryptoKey>>>();

  async digest(algorithm: DigestAlgorithm, data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.digest(algorithm, data as Uint8Array<ArrayBuffer>));
  }

  async verifySignature(alg: string, key: JWK, signingInput: Uint8Array, signature: Uint8Array): Promise<boolean> {
    const algorithm = jwsAlgorithm(alg);
    if (algorithm === undefined) throw new TypeError(`Unsupported JWS algorithm ${alg}`);
    const cryptoKey = await this.importKey(alg, algorithm, key);
    if (signature.length !== signatureBytesOf(algorithm, cryptoKey)) return false;
    try {
      return await crypto.subtle.verify(
        verifyParameters(algorithm),
        cryptoKey,
        signature as Uint8Array<ArrayBuffer>,
        signingInput as Uint8Array<ArrayBuffer>,
      );
    } catch {
      return false;
    }
  }

  private importKey(alg: string, algorithm: JwsAlgorithm, key: JWK): Promise<CryptoKey> {
    let byAlg = this.imported.get(key);
    if (byAlg === undefined) {
      byAlg = new Map();
      this.imported.set(key, byAlg);
    }
    let pending = byAlg.get(alg);
    if (pending === undefined) {
      const cache = byAlg;
      pending = crypto.subtle.importKey('jwk', publicJwkOf(key) as JsonWebKey, importParameters(algorithm), false, [
        'verify',
      ]);
      // A failed import is not cached: a transient failure must not stick to the key.
      pending.catch(() => cache.delete(alg));
      cache.set(alg, pending);
    }
    return pending;
  }
}

/** The default port of the core. */
export const webJoseCrypto: JoseCrypto = new WebJoseCrypto();

/** The only signature length the algorithm and key allow: k for RSA, the fixed size otherwise. */
function signatureBytesOf(algorithm: JwsAlgorithm, key: CryptoKey): number {
  if (algorithm.signatureBytes !== undefined) return algorithm.signatureBytes;
  const modulusBits = (key.algorithm as Partial<RsaHashedKeyAlgorithm>).modulusLength ?? 0;
  return Math.ceil(modulusBits / 8);
}

function importParameters(algorithm: JwsAlgorithm): AlgorithmIdentifier | RsaHashedImportParams | EcKeyImportParams {
  switch (algorithm.family) {
    case 'RSASSA-PKCS1-v1_5':
    case 'RSA-PSS':
      return { name: algorithm.family, hash: algorithm.hash as string };
    case 'ECDSA':
      return { name: 'ECDSA', namedCurve: algorithm.crv as string };
    case 'EdDSA':
      return { name: 'Ed25519' };
  }
}

function verifyParameters(algorithm: JwsAlgorithm): AlgorithmIdentifier | RsaPssParams | EcdsaParams {
  switch (algorithm.family) {
    case 'RSASSA-PKCS1-v1_5':
      return { name: 'RSASSA-PKCS1-v1_5' };
    case 'RSA-PSS':
      return { name: 'RSA-PSS', saltLength: pssSaltLength(algorithm.hash as DigestAlgorithm) };
    case 'ECDSA':
      return { name: 'ECDSA', hash: algorithm.hash as string };
    case 'EdDSA':
      return { name: 'Ed25519' };
  }
}
