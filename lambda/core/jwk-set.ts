import type { JWK } from 'jose';
import { decodeBase64Url } from './base64url.ts';
import { type JwsAlgorithm, MIN_RSA_MODULUS_BITS } from './jws-algorithms.ts';

/** A JSON Web Key Set (RFC 7517 section 5). */
export interface JsonWebKeySet {
  readonly keys: readonly JWK[];
}

/** Members that only a private key has; a JWKS that publishes them is broken. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** A plain JSON object (not an array, not null), as JSON.parse makes them. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype;
}

/** `{ keys: [...] }` whose members are all JSON objects (what jose's `isJwkSet` accepts). */
export function isJsonWebKeySet(value: unknown): value is JsonWebKeySet {
  return isJsonObject(value) && Array.isArray(value.keys) && value.keys.every(isJsonObject);
}

/**
 * The keys of `keys` that may verify a JWS with `alg` and the header's `kid`, with jose's rules:
 * `kty` (and `crv`) fit the algorithm; the `kid` matches when the header names one; a key's own
 * `alg`, when present, is the header's; `use`, when present, is `sig`; `key_ops`, when present,
 * holds `verify` (unique strings); `ext`, when present, is a boolean.
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
 * Why a selected key cannot be used at all, undefined when it can: a private key in the JWKS, or
 * an RSA modulus under {@link MIN_RSA_MODULUS_BITS}. Either is the issuer's fault, not the token's.
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

/** Bit length of a big-endian unsigned integer in base64url, leading zero bytes ignored. */
function modulusBits(n: string): number {
  const bytes = decodeBase64Url(n);
  if (bytes === undefined) return 0;
  let first = 0;
  while (first < bytes.length && bytes[first] === 0) first++;
  if (first === bytes.length) return 0;
  return (bytes.length - first - 1) * 8 + (32 - Math.clz32(bytes[first] as number));
}
