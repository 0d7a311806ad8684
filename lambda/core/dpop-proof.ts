import type { JWK } from 'jose';
import { decodeBase64Url } from './base64url.ts';
import type { JoseCrypto } from './crypto-port.ts';
import { isJsonObject, parseJsonObject } from './json-object.ts';
import { publicJwkOf, unusableKeyProblem } from './jwk-set.ts';
import { jwsAlgorithm } from './jws-algorithms.ts';
import { accessTokenHash, jwkThumbprint } from './key-thumbprints.ts';
import type { Clock } from './ports.ts';
import type { ProofReplayGuard } from './proof-replay.ts';

/** Settings of {@link DpopProofVerifier}. */
export interface DpopProofVerifierOptions {
  /** Asymmetric JWS algorithms a proof may use; `none` and HMAC are refused whatever this says. */
  readonly allowedAlgorithms: readonly string[];
  /** How old a proof's `iat` may be (RFC 9449 section 11.1: "a relatively brief period"). */
  readonly maxAgeSeconds: number;
  /** How far in the future a proof's `iat` may be (clock differences). */
  readonly clockSkewSeconds: number;
  /** Where used proofs are remembered until their `iat` window closes. */
  readonly replay: ProofReplayGuard;
  readonly crypto: JoseCrypto;
  readonly clock: Clock;
  /** Longest proof accepted, checked first. @default 8192 */
  readonly maxProofLength?: number;
}

/** The request a proof must fit. */
export interface DpopProofInput {
  /** The one `DPoP` header value. */
  readonly proof: string;
  /** The request's method as API Gateway saw it. */
  readonly method: string;
  /** The URL the client addressed, query left off (see `requestUrlOf` in the event adapter). */
  readonly uri: string;
  /** The access token exactly as presented in `Authorization: DPoP <token>`. */
  readonly accessToken: string;
  /** The thumbprint the token is bound to (`cnf.jkt`). */
  readonly jkt: string;
}

/** Which check a proof failed; for logs and tests, never shown to clients beyond `invalid_dpop_proof`. */
export type DpopProofProblem =
  | 'malformed'
  | 'typ'
  | 'alg'
  | 'jwk'
  | 'signature'
  | 'claims'
  | 'htm'
  | 'htu'
  | 'iat'
  | 'ath'
  | 'key_mismatch'
  | 'replayed';

export type DpopProofResult = { readonly ok: true } | { readonly ok: false; readonly problem: DpopProofProblem };

const FORBIDDEN_ALGORITHM = /^(none|HS\d+)$/i;
/** Longest `jti` remembered: a proof's id is a random value (RFC 9449 section 4.2), not a document. */
const MAX_JTI_LENGTH = 256;
const ascii = new TextEncoder();

/**
 * Checks a DPoP proof (RFC 9449 section 4.3) for a request with a DPoP-bound access token (section
 * 7.1): one compact JWS; `typ` `dpop+jwt`; `alg` an allowed asymmetric algorithm; `jwk` a public
 * key fitting it (no private members, an EC point on its curve, RSA of 2048 bits or more, the same
 * rules as the issuer's keys) that verifies the signature; `htm` the method; `htu` the URL the
 * client addressed, compared after RFC 3986 section 6.2.2 and 6.2.3 normalization and without
 * query and fragment; `iat` within `maxAgeSeconds` back and `clockSkewSeconds` ahead; `ath` the
 * base64url SHA-256 of the access token as presented; the key's RFC 7638 thumbprint the token's
 * `cnf.jkt`; and `jti` (with that thumbprint) never seen within the window. The replay memory is
 * asked last, so only proofs that pass every other check are remembered.
 *
 * The signature goes through the same {@link JoseCrypto} port and the same algorithm and key rules
 * ({@link jwsAlgorithm}, {@link unusableKeyProblem}) as access-token JWTs. Returns values for every
 * proof; throws only what the replay guard throws.
 */
export class DpopProofVerifier {
  private readonly options: DpopProofVerifierOptions;
  private readonly algorithms: ReadonlySet<string>;
  private readonly maxProofLength: number;
  /**
   * Public keys seen in recent proofs, by their members, so that a client's key is one object from
   * proof to proof: the crypto port imports a key once per object, and that import costs as much
   * as the signature check. Bounded; the least recently used goes first.
   */
  private readonly keys = new Map<string, JWK>();

  constructor(options: DpopProofVerifierOptions) {
    const forbidden = options.allowedAlgorithms.filter((alg) => FORBIDDEN_ALGORITHM.test(alg));
    if (forbidden.length > 0) throw new Error(`Algorithms not allowed for DPoP proofs: ${forbidden.join(', ')}`);
    const unsupported = options.allowedAlgorithms.filter((alg) => jwsAlgorithm(alg) === undefined);
    if (unsupported.length > 0) throw new Error(`Unsupported DPoP proof algorithms: ${unsupported.join(', ')}`);
    if (options.allowedAlgorithms.length === 0) throw new Error('At least one DPoP proof algorithm must be allowed');
    this.options = options;
    this.algorithms = new Set(options.allowedAlgorithms);
    this.maxProofLength = options.maxProofLength ?? 8192;
  }

  /** The algorithms proofs may use (RFC 9728's `dpop_signing_alg_values_supported`). */
  get allowedAlgorithms(): readonly string[] {
    return [...this.algorithms];
  }

  async verify(input: DpopProofInput): Promise<DpopProofResult> {
    const { proof } = input;
    if (typeof proof !== 'string' || proof.length > this.maxProofLength) return fail('malformed');
    const parts = proof.split('.');
    if (parts.length !== 3) return fail('malformed');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const headerBytes = decodeBase64Url(headerPart);
    const payloadBytes = decodeBase64Url(payloadPart);
    const signature = decodeBase64Url(signaturePart);
    if (headerBytes === undefined || payloadBytes === undefined || signature === undefined) return fail('malformed');
    const header = parseJsonObject(headerBytes);
    const claims = parseJsonObject(payloadBytes);
    if (header === undefined || claims === undefined) return fail('malformed');

    // RFC 9449 section 4.2: the explicit type keeps other JWTs from being taken for proofs.
    if (header.typ !== 'dpop+jwt') return fail('typ');
    if (header.crit !== undefined || (header.b64 !== undefined && header.b64 !== true)) return fail('typ');
    const alg = header.alg;
    if (typeof alg !== 'string' || !this.algorithms.has(alg)) return fail('alg');
    const algorithm = jwsAlgorithm(alg);
    if (algorithm === undefined) return fail('alg');
    const jwk = header.jwk;
    if (!isJsonObject(jwk)) return fail('jwk');
    const key = jwk as JWK;
    if (key.kty !== algorithm.kty || (algorithm.crv !== undefined && key.crv !== algorithm.crv)) return fail('jwk');
    // Private members (RFC 9449 section 4.2: "MUST NOT contain a private key"), short RSA, a point off its curve.
    const publicKey = this.knownKey(publicJwkOf(key));
    if (unusableKeyProblem(publicKey) !== undefined || hasPrivateMembers(key)) return fail('jwk');
    let verified: boolean;
    try {
      verified = await this.options.crypto.verifySignature(
        alg,
        publicKey,
        ascii.encode(`${headerPart}.${payloadPart}`),
        signature,
      );
    } catch {
      return fail('jwk');
    }
    if (!verified) return fail('signature');

    const { jti, htm, htu, iat, ath } = claims;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) return fail('claims');
    if (typeof htm !== 'string' || htm !== input.method) return fail('htm');
    const expectedUri = normalizedHttpUri(input.uri);
    if (typeof htu !== 'string' || expectedUri === undefined || normalizedHttpUri(htu) !== expectedUri) {
      return fail('htu');
    }
    if (typeof iat !== 'number' || !Number.isFinite(iat)) return fail('iat');
    const nowSeconds = this.options.clock() / 1000;
    if (iat < nowSeconds - this.options.maxAgeSeconds || iat > nowSeconds + this.options.clockSkewSeconds) {
      return fail('iat');
    }
    if (typeof ath !== 'string' || ath !== (await accessTokenHash(input.accessToken, this.options.crypto))) {
      return fail('ath');
    }
    const thumbprint = await jwkThumbprint(publicKey, this.options.crypto);
    if (thumbprint === undefined || thumbprint !== input.jkt) return fail('key_mismatch');
    // Remembered until the proof's iat leaves the window: after that its iat refuses it anyway.
    const expiresAtMs = Math.ceil((iat + this.options.maxAgeSeconds + 1) * 1000);
    const fresh = await this.options.replay.firstUse(`${thumbprint}.${jti}`, expiresAtMs);
    return fresh ? OK : fail('replayed');
  }

  private knownKey(key: JWK): JWK {
    const id = `${key.kty}|${key.crv}|${key.x}|${key.y}|${key.n}|${key.e}`;
    const known = this.keys.get(id);
    if (known !== undefined) {
      this.keys.delete(id);
      this.keys.set(id, known);
      return known;
    }
    if (this.keys.size >= MAX_KNOWN_KEYS) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(id, key);
    return key;
  }
}

const OK: DpopProofResult = Object.freeze({ ok: true });
/** Proof keys kept as objects; one per client in a warm instance's recent traffic. */
const MAX_KNOWN_KEYS = 1024;
/** Members only a private key has (RFC 7517, 7518 section 6): a proof's `jwk` must have none. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

function hasPrivateMembers(key: JWK): boolean {
  return PRIVATE_MEMBERS.some((name) => (key as Record<string, unknown>)[name] !== undefined);
}

function fail(problem: DpopProofProblem): DpopProofResult {
  return { ok: false, problem };
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * An http(s) URI for comparison as RFC 9449 section 4.3 asks: syntax-based normalization (RFC 3986
 * section 6.2.2: scheme and host case, percent-encodings of unreserved characters decoded and the
 * others upper-cased, dot segments removed) and scheme-based (6.2.3: the default port dropped, an
 * empty path as `/`), query and fragment left off. The WHATWG URL parser does all but the
 * percent-encoding step, and also encodes characters a URI may not hold (a space as `%20`), which
 * is how a path HTTP APIs hand on decoded compares with the one the client sent. Undefined for
 * anything that is not an http(s) URL or that carries user information.
 */
export function normalizedHttpUri(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') {
    return undefined;
  }
  const path = url.pathname.replace(/%[0-9A-Fa-f]{2}/g, (percentEscape) => {
    const character = String.fromCharCode(Number.parseInt(percentEscape.slice(1), 16));
    return UNRESERVED.test(character) ? character : percentEscape.toUpperCase();
  });
  return `${url.protocol}//${url.host}${path}`;
}
