import type { JWK } from 'jose';
import { decodeBase64Url } from './base64url.ts';
import { isJsonObject } from './json-object.ts';
import { type JwsAlgorithm, MIN_RSA_MODULUS_BITS } from './jws-algorithms.ts';

/** A JSON Web Key Set (RFC 7517 section 5). */
export interface JsonWebKeySet {
  readonly keys: readonly JWK[];
}

/** Members that only a private key has; a JWKS that publishes them is broken. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** `{ keys: [...] }` whose members are all JSON objects (what jose's `isJwkSet` accepts). */
export function isJsonWebKeySet(value: unknown): value is JsonWebKeySet {
  return isJsonObject(value) && Array.isArray(value.keys) && value.keys.every(isJsonObject);
}

/**
 * The keys of `keys` that may verify a JWS with `alg` and the header's `kid`: exactly the keys
 * jose 6 selects (`isUsableJWK` in `createLocalJWKSet`, dist/webapi/jwks/local.js, which
 * `createRemoteJWKSet` uses too): `kty` (and `crv`) fit the algorithm; the `kid` matches when the
 * header names one (a header `kid` that is not a string matches nothing); a key's own `alg`, when
 * present, is the header's; `use`, when present, is `sig`; `key_ops`, when present, is an array of
 * unique strings holding `verify`; `ext`, when present, is a boolean. Whether the one key selected
 * can be used at all is a second question ({@link unusableKeyProblem}), as it is for jose: an
 * unusable key still takes its place among the candidates.
 */
export function verificationKeys(
  keys: readonly JWK[],
  alg: string,
  algorithm: JwsAlgorithm,
  kid: unknown,
): readonly JWK[] {
  const candidates: JWK[] = [];
  for (const key of keys) {
    if (key.kty !== algorithm.kty) continue;
    if (algorithm.crv !== undefined && key.crv !== algorithm.crv) continue;
    if (kid !== undefined && (typeof kid !== 'string' || key.kid !== kid)) continue;
    if (key.alg !== undefined && key.alg !== alg) continue;
    if (key.use !== undefined && key.use !== 'sig') continue;
    if (key.ext !== undefined && typeof key.ext !== 'boolean') continue;
    if (key.key_ops !== undefined && !allowsVerify(key.key_ops)) continue;
    candidates.push(key);
  }
  return candidates;
}

/**
 * Why a selected key cannot be used at all, undefined when it can; each is the issuer's fault, not
 * the token's, and jose refuses the token in each case:
 * - private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`): jose imports a JWK with `d` as a
 *   private key and refuses it ("JSON Web Key Set members must be public keys", `importWithAlgCache`);
 * - an RSA modulus under {@link MIN_RSA_MODULUS_BITS} (jose's `checkModulusLength`);
 * - `key_ops` naming any operation but `verify`: jose imports a JWKS member with
 *   `crypto.subtle.importKey('jwk', ..., jwk.key_ops ?? ['verify'])` (`jwkToKey`,
 *   dist/webapi/lib/key.js), and WebCrypto refuses a public key with any usage but `verify`
 *   (SyntaxError; W3C Web Cryptography API, importKey for RSASSA-PKCS1-v1_5, RSA-PSS, ECDSA and
 *   Ed25519), so `["sign", "verify"]` can never verify anything there.
 * - an EC public key whose coordinates are not the curve's full size (RFC 7518 section 6.2.1.2) or
 *   whose point is not on the curve: checked here because not every runtime's WebCrypto checks it
 *   on import (Node's does, Deno's does not), and the verdict must not depend on the runtime.
 * A key the crypto port cannot import (a malformed modulus, an Ed25519 key of the wrong size) is
 * unusable too; the verifier finds that out when it imports it.
 */
export function unusableKeyProblem(key: JWK): string | undefined {
  let problem = problems.get(key);
  if (problem === undefined) {
    problem = findProblem(key) ?? '';
    problems.set(key, problem);
  }
  return problem === '' ? undefined : problem;
}

/** Verdicts of {@link unusableKeyProblem} by key object, so a modulus is measured once per key set. */
const problems = new WeakMap<JWK, string>();

function findProblem(key: JWK): string | undefined {
  if (PRIVATE_MEMBERS.some((name) => (key as Record<string, unknown>)[name] !== undefined)) {
    return 'a JWKS member holds private key material';
  }
  if (key.kty === 'RSA') {
    const bits = typeof key.n === 'string' ? modulusBits(key.n) : 0;
    if (bits < MIN_RSA_MODULUS_BITS) return `an RSA key is shorter than ${MIN_RSA_MODULUS_BITS} bits`;
  }
  if (key.kty === 'EC') {
    const problem = ecPointProblem(key);
    if (problem !== undefined) return problem;
  }
  if (Array.isArray(key.key_ops) && key.key_ops.some((operation) => operation !== 'verify')) {
    return 'key_ops allows operations other than verify, so a public key cannot be imported with them';
  }
  return undefined;
}

/**
 * Only the public members the algorithm needs: nothing private is ever imported, and no
 * `alg`/`use`/`key_ops` for an import API to trip on (the core has checked them already).
 */
export function publicJwkOf(key: JWK): JWK {
  switch (key.kty) {
    case 'RSA':
      return { kty: 'RSA', n: key.n, e: key.e };
    case 'EC':
      return { kty: 'EC', crv: key.crv, x: key.x, y: key.y };
    default:
      return { kty: key.kty, crv: key.crv, x: key.x };
  }
}

function allowsVerify(keyOps: unknown): boolean {
  return (
    Array.isArray(keyOps) &&
    keyOps.every((operation, index) => typeof operation === 'string' && keyOps.indexOf(operation) === index) &&
    keyOps.includes('verify')
  );
}

/**
 * The NIST prime curves of JWS (FIPS 186-5, SEC 2): y^2 = x^3 - 3x + b over the prime p, with
 * coordinates of `bytes` octets.
 */
const PRIME_CURVES: Readonly<Record<string, { readonly p: bigint; readonly b: bigint; readonly bytes: number }>> = {
  'P-256': {
    p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    bytes: 32,
  },
  'P-384': {
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    bytes: 48,
  },
  'P-521': {
    p: 2n ** 521n - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
    bytes: 66,
  },
};

/** Why an EC public JWK's point is unusable, undefined when it lies on its curve. */
function ecPointProblem(key: JWK): string | undefined {
  const curve = typeof key.crv === 'string' && Object.hasOwn(PRIME_CURVES, key.crv) ? PRIME_CURVES[key.crv] : undefined;
  // Curves the verifier does not support are never selected, so never get here.
  if (curve === undefined) return undefined;
  const x = typeof key.x === 'string' ? decodeBase64Url(key.x) : undefined;
  const y = typeof key.y === 'string' ? decodeBase64Url(key.y) : undefined;
  if (x === undefined || y === undefined || x.length !== curve.bytes || y.length !== curve.bytes) {
    return `an EC key's coordinates are not ${curve.bytes}-byte base64url values`;
  }
  const { p, b } = curve;
  const px = toBigInt(x);
  const py = toBigInt(y);
  if (px >= p || py >= p) return "an EC key's coordinates are not below the curve's prime";
  const difference = (py * py - (px * px * px - 3n * px + b)) % p;
  return difference === 0n ? undefined : "an EC key's point is not on its curve";
}

function toBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/** Bit length of a big-endian unsigned integer in base64url, leading zero bytes ignored. */
function modulusBits(n: string): number {
  const bytes = decodeBase64Url(n);
  if (bytes === undefined) return 0;
  let first = 0;
  while (first < bytes.length && bytes[first] === 0) first++;
  if (first === bytes.length) return 0;
  return (bytes.length - first - 1) * 8 + (32 - Math.clz32(bytes[first] as number));
}
