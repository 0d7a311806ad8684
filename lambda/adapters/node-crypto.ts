import {
  constants,
  createHash,
  createPublicKey,
  type JsonWebKey,
  type KeyObject,
  type VerifyKeyObjectInput,
  verify,
} from 'node:crypto';
import type { JWK } from 'jose';
import type { DigestAlgorithm, JoseCrypto } from '../core/crypto-port.ts';
import { publicJwkOf } from '../core/jwk-set.ts';
import { type JwsAlgorithm, jwsAlgorithm, pssSaltLength } from '../core/jws-algorithms.ts';

const NODE_HASH: Record<DigestAlgorithm, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/**
 * {@link JoseCrypto} over node:crypto for Lambda on Node: `createHash` and a synchronous
 * `crypto.verify`, with no WebCrypto promise or thread-pool hop. Public keys are imported once per
 * JWK object (`createPublicKey`, format `jwk`) and cached while the JWK object lives.
 *
 * Per algorithm: RS* PKCS#1 v1.5 with the algorithm's hash; PS* RSA-PSS with MGF1 over the same
 * hash and a salt as long as the hash (RFC 7518 section 3.5); ES* ECDSA with the raw `r || s`
 * (IEEE P1363) signature JWS uses; EdDSA/Ed25519 with no separate hash. A signature of any length
 * but the algorithm's (for RSA, the modulus length in bytes, RFC 8017 sections 8.1.2 and 8.2.2) is
 * refused before OpenSSL sees it: OpenSSL verifies an RSA-PSS signature one byte short (a leading
 * zero dropped), which would be a second spelling of the same token. Base64url is decoded by
 * Buffer, natively.
 */
export class NodeJoseCrypto implements JoseCrypto {
  private readonly imported = new WeakMap<JWK, KeyObject>();

  digest(algorithm: DigestAlgorithm, data: Uint8Array): Uint8Array {
    return createHash(NODE_HASH[algorithm]).update(data).digest();
  }

  verifySignature(alg: string, key: JWK, signingInput: Uint8Array, signature: Uint8Array): boolean {
    const algorithm = jwsAlgorithm(alg);
    if (algorithm === undefined) throw new TypeError(`Unsupported JWS algorithm ${alg}`);
    const keyObject = this.importKey(key);
    if (signature.length !== signatureBytesOf(algorithm, keyObject)) return false;
    try {
      return verify(hashOf(algorithm), signingInput, verifyKey(algorithm, keyObject), signature);
    } catch {
      return false;
    }
  }

  /** Buffer's native decoder; the core has already checked the text is canonical base64url. */
  decodeBase64Url(text: string): Uint8Array {
    return Buffer.from(text, 'base64url');
  }

  prepareKey(key: JWK): void {
    try {
      this.importKey(key);
    } catch {
      // Reported by verifySignature, which throws for it, when a token first selects the key.
    }
  }

  private importKey(key: JWK): KeyObject {
    let keyObject = this.imported.get(key);
    if (keyObject === undefined) {
      keyObject = createPublicKey({ key: publicJwkOf(key) as JsonWebKey, format: 'jwk' });
      this.imported.set(key, keyObject);
    }
    return keyObject;
  }
}

/** The port to wire into the core on Node. */
export const nodeJoseCrypto: JoseCrypto = new NodeJoseCrypto();

/** The only signature length the algorithm and key allow: k for RSA, the fixed size otherwise. */
function signatureBytesOf(algorithm: JwsAlgorithm, key: KeyObject): number {
  if (algorithm.signatureBytes !== undefined) return algorithm.signatureBytes;
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}

function hashOf(algorithm: JwsAlgorithm): string | null {
  return algorithm.hash === undefined ? null : NODE_HASH[algorithm.hash];
}

function verifyKey(algorithm: JwsAlgorithm, key: KeyObject): KeyObject | VerifyKeyObjectInput {
  switch (algorithm.family) {
    case 'RSA-PSS':
      return {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: pssSaltLength(algorithm.hash as DigestAlgorithm),
      };
    case 'ECDSA':
      return { key, dsaEncoding: 'ieee-p1363' };
    default:
      return key;
  }
}
