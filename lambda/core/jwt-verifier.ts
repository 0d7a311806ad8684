import type { JWK, JWTHeaderParameters, JWTPayload } from 'jose';
import { decodeBase64Url, isCanonicalBase64Url } from './base64url.ts';
import type { JoseCrypto } from './crypto-port.ts';
import type { HttpClient } from './http-client.ts';
import { parseJsonObject } from './json-object.ts';
import { type JsonWebKeySet, unusableKeyProblem, verificationKeys } from './jwk-set.ts';
import { type JwksSource, StaticJwks } from './jwks-source.ts';
import { type JwsAlgorithm, jwsAlgorithm, SUPPORTED_JWS_ALGORITHMS } from './jws-algorithms.ts';
import { checkClaims } from './jwt-claims.ts';
import type { Clock } from './ports.ts';
import { RemoteJwks } from './remote-jwks.ts';
import { webJoseCrypto } from './web-crypto.ts';

/** Settings of {@link JwtVerifier}. */
export interface JwtVerifierOptions {
  /** Expected `iss`. */
  readonly issuer: string;
  /** The issuer's JWKS; ignored when {@link jwks} or {@link keySource} is given. */
  readonly jwksUri: string;
  /** Accepted JWS algorithms. `none` and HMAC algorithms are refused whatever this says. */
  readonly allowedAlgorithms: readonly string[];
  /** Tolerance on `exp` and `nbf`. */
  readonly clockSkewSeconds: number;
  /** How long to wait for the JWKS. @default 5000 */
  readonly jwksTimeoutMs?: number;
  /** Minimum time between refetches for an unknown `kid`, so unknown kids cannot stampede the JWKS. @default 30000 */
  readonly jwksCooldownMs?: number;
  /** How long fetched keys are used before the JWKS is fetched again. @default 600000 (10 minutes) */
  readonly jwksMaxAgeMs?: number;
  /** Largest JWKS body read, in bytes, counted as it streams. @default 262144 (256 KiB) */
  readonly jwksMaxBodyBytes?: number;
  /** Keys to verify with instead of fetching the JWKS (tests, keys configured out of band). @default the remote JWKS at jwksUri */
  readonly jwks?: JsonWebKeySet;
  /**
   * Where the keys come from, made by the caller (a composition root that starts the JWKS fetch
   * before the verifier exists). Takes precedence over {@link jwks} and {@link jwksUri}.
   * @default a {@link RemoteJwks} at jwksUri, or the static {@link jwks}
   */
  readonly keySource?: JwksSource;
  /** How the remote JWKS is fetched. @default web fetch (`fetchHttpClient`) */
  readonly http?: HttpClient;
  /** Signature primitives; wire node:crypto on Node. @default WebCrypto ({@link webJoseCrypto}) */
  readonly crypto?: JoseCrypto;
  /** @default Date.now */
  readonly clock?: Clock;
  /**
   * Told once per key object (so once per fetched key set, not per request) when a token selects
   * a key that cannot be used: the issuer's key set is broken and someone should look. Must not
   * throw; whatever it throws is ignored. @default nothing is reported
   */
  readonly onKeySetProblem?: (problem: KeySetProblem) => void;
}

/** A key in the issuer's key set that can verify nothing; no token material. */
export interface KeySetProblem {
  /** The key's own `kid` (from the key set, not from a token), when it has a string one. */
  readonly kid: string | undefined;
  /** What is wrong with it. */
  readonly reason: string;
}

/** What a particular JWT must satisfy beyond issuer, signature and time. */
export interface JwtExpectation {
  /** Any one must be in `aud`. */
  readonly audiences: readonly string[];
  /** Expected `typ` header; undefined skips the check. */
  readonly type: string | undefined;
  /** Whether `exp` must be present (RFC 9701 answers may carry it only inside `token_introspection`). */
  readonly requireExpiry: boolean;
}

export type JwtVerification =
  | { readonly ok: true; readonly claims: JWTPayload; readonly header: JWTHeaderParameters }
  | {
      readonly ok: false;
      readonly reason: 'forbidden_header' | 'invalid_signature' | 'unusable_key' | 'invalid_claims' | 'expired';
    };

type Refusal = JwtVerification & { ok: false };

/** Header parameters that would let a token pick its own key; never honoured (DESIGN invariant 2). */
const KEY_SELECTING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;
const FORBIDDEN_ALGORITHM = /^(none|HS\d+)$/i;

const INVALID_SIGNATURE: Refusal = Object.freeze({ ok: false, reason: 'invalid_signature' });
const INVALID_CLAIMS: Refusal = Object.freeze({ ok: false, reason: 'invalid_claims' });
const EXPIRED: Refusal = Object.freeze({ ok: false, reason: 'expired' });
const FORBIDDEN_HEADER: Refusal = Object.freeze({ ok: false, reason: 'forbidden_header' });
const UNUSABLE_KEY: Refusal = Object.freeze({ ok: false, reason: 'unusable_key' });
/** Longest key-set `kid` passed to {@link JwtVerifierOptions.onKeySetProblem}. */
const MAX_REPORTED_KID_LENGTH = 128;

const ascii = new TextEncoder();

/**
 * Verifies compact JWS JWTs against the issuer's keys (RFC 7515, RFC 7519, RFC 8725), with the
 * signature primitive behind a {@link JoseCrypto} port so the core stays runtime-neutral. Bad
 * tokens give a typed result; an unreachable JWKS, or one that is not a key set, throws
 * `DependencyError`. A token whose selected key cannot be used (see {@link unusableKeyProblem},
 * or a key the port cannot import) is refused as `unusable_key`, as jose refuses it: a broken key
 * in the set must not let anyone who names its `kid` trip 500s and alarms. The key is reported
 * once through `onKeySetProblem`.
 *
 * In order: three parts, each canonical base64url; the header a JSON object; `jku`, `x5u`, `jwk`,
 * `x5c` refused (`forbidden_header`); any `crit`, and any `b64` but `true`, refused
 * (`forbidden_header`: no extension is understood, and a JWT payload is always base64url); `alg`
 * on the allowlist; exactly one key of the JWKS fits `alg` and the header's `kid` (see
 * {@link verificationKeys}), the JWKS being refetched once per cooldown when none does; that key
 * usable; the signature; then the payload a JSON object and its claims ({@link checkClaims}). A
 * header `kid` is not required, but a JWKS with several keys that fit a kid-less token refuses it
 * rather than trying each (as jose does).
 */
export class JwtVerifier {
  private readonly keySource: JwksSource;
  private readonly crypto: JoseCrypto;
  private readonly issuer: string;
  private readonly algorithms: ReadonlySet<string>;
  /** `kty/crv` of the keys the allowed algorithms verify with (`RSA/` for RSA). */
  private readonly keyTypes: ReadonlySet<string>;
  private readonly clockSkewSeconds: number;
  private readonly clock: Clock;
  private readonly onKeySetProblem: ((problem: KeySetProblem) => void) | undefined;
  /** Key objects found unusable and reported (a refetched set brings new objects, reported anew). */
  private readonly unusableKeys = new WeakSet<JWK>();

  constructor(options: JwtVerifierOptions) {
    const forbidden = options.allowedAlgorithms.filter((alg) => FORBIDDEN_ALGORITHM.test(alg));
    if (forbidden.length > 0) throw new Error(`Algorithms not allowed for access tokens: ${forbidden.join(', ')}`);
    if (options.allowedAlgorithms.length === 0) throw new Error('At least one JWS algorithm must be allowed');
    const unsupported = options.allowedAlgorithms.filter((alg) => jwsAlgorithm(alg) === undefined);
    if (unsupported.length > 0) {
      throw new Error(
        `Unsupported JWS algorithms: ${unsupported.join(', ')} (supported: ${SUPPORTED_JWS_ALGORITHMS.join(', ')})`,
      );
    }
    this.issuer = options.issuer;
    this.algorithms = new Set(options.allowedAlgorithms);
    this.keyTypes = new Set(
      options.allowedAlgorithms.map((alg) => {
        const { kty, crv } = jwsAlgorithm(alg) as JwsAlgorithm;
        return `${kty}/${crv ?? ''}`;
      }),
    );
    this.clockSkewSeconds = options.clockSkewSeconds;
    this.clock = options.clock ?? Date.now;
    this.crypto = options.crypto ?? webJoseCrypto;
    this.onKeySetProblem = options.onKeySetProblem;
    this.keySource =
      options.keySource ??
      (options.jwks
        ? new StaticJwks(options.jwks)
        : new RemoteJwks({
            url: options.jwksUri,
            timeoutMs: options.jwksTimeoutMs ?? 5000,
            cooldownMs: options.jwksCooldownMs ?? 30_000,
            maxAgeMs: options.jwksMaxAgeMs ?? 600_000,
            ...(options.jwksMaxBodyBytes === undefined ? {} : { maxBodyBytes: options.jwksMaxBodyBytes }),
            ...(options.http ? { http: options.http } : {}),
          }));
  }

  async verify(jwt: string, expectation: JwtExpectation): Promise<JwtVerification> {
    if (typeof jwt !== 'string') return INVALID_SIGNATURE;
    const firstDot = jwt.indexOf('.');
    const lastDot = jwt.lastIndexOf('.');
    if (firstDot < 0 || lastDot === firstDot || jwt.indexOf('.', firstDot + 1) !== lastDot) return INVALID_SIGNATURE;
    // Decoders ignore the spare bits of a base64url part's last character, so one signature has up
    // to 16 spellings that all verify; only the issuer's own (canonical) spelling is accepted.
    const headerBytes = this.decode(jwt.slice(0, firstDot));
    const payloadBytes = this.decode(jwt.slice(firstDot + 1, lastDot));
    const signature = this.decode(jwt.slice(lastDot + 1));
    if (headerBytes === undefined || payloadBytes === undefined || signature === undefined) return INVALID_SIGNATURE;

    const header = parseJsonObject(headerBytes) as JWTHeaderParameters | undefined;
    if (header === undefined) return INVALID_SIGNATURE;
    if (KEY_SELECTING_HEADERS.some((name) => header[name] !== undefined)) return FORBIDDEN_HEADER;
    if (header.crit !== undefined || (header.b64 !== undefined && header.b64 !== true)) return FORBIDDEN_HEADER;
    const alg = header.alg;
    if (typeof alg !== 'string' || !this.algorithms.has(alg)) return INVALID_SIGNATURE;
    const algorithm = jwsAlgorithm(alg) as JwsAlgorithm;

    // Fresh keys and a synchronous port answer without a promise: no await on the hot path.
    const current = this.keySource.keys();
    const keys = Array.isArray(current) ? (current as readonly JWK[]) : await current;
    let candidates = verificationKeys(keys, alg, algorithm, header.kid);
    if (candidates.length === 0) {
      const refetched = this.keySource.refetchForUnknownKey();
      if (refetched === undefined) return INVALID_SIGNATURE;
      candidates = verificationKeys(await refetched, alg, algorithm, header.kid);
    }
    // No key, or several for a kid-less token: refused rather than tried one by one (as jose does).
    if (candidates.length !== 1) return INVALID_SIGNATURE;
    const key = candidates[0] as JWK;
    if (this.unusableKeys.has(key)) return UNUSABLE_KEY;
    const problem = unusableKeyProblem(key);
    if (problem !== undefined) return this.refuseUnusableKey(key, problem);
    const signingInput = ascii.encode(jwt.slice(0, lastDot));
    const answer = this.checkSignature(alg, key, signingInput, signature);
    const verdict = typeof answer === 'boolean' ? answer : await answer;
    if (verdict !== true) return verdict === false ? INVALID_SIGNATURE : this.refuseUnusableKey(key, verdict);

    const claims = parseJsonObject(payloadBytes) as JWTPayload | undefined;
    if (claims === undefined) return INVALID_CLAIMS;
    const outcome = checkClaims(header, claims, {
      issuer: this.issuer,
      audiences: expectation.audiences,
      type: expectation.type,
      requireExpiry: expectation.requireExpiry,
      clockSkewSeconds: this.clockSkewSeconds,
      nowSeconds: Math.floor(this.clock() / 1000),
    });
    if (outcome === 'ok') return { ok: true, claims, header };
    return outcome === 'expired' ? EXPIRED : INVALID_CLAIMS;
  }

  /**
   * Steps that make the keys at hand ready to verify with, one per key, without fetching anything:
   * each key that fits an allowed algorithm is checked ({@link unusableKeyProblem}, remembered per
   * key) and, when usable, imported by the crypto port ({@link JoseCrypto.prepareKey}). A composition
   * root runs them while a request waits on I/O (the token resolver's `preparations`), one at a
   * time, and stops when the answer it waits for has come: the keys left are imported when first used.
   * A step never throws and reports nothing: a key's problem is reported when a token selects it.
   */
  keyPreparations(): (() => void)[] {
    const prepare = this.crypto.prepareKey;
    const keys = this.keySource.held();
    if (prepare === undefined || keys === undefined) return [];
    return keys
      .filter((key) => this.fitsAnAllowedAlgorithm(key) && !this.unusableKeys.has(key))
      .map((key) => () => {
        if (unusableKeyProblem(key) !== undefined) return;
        try {
          prepare.call(this.crypto, key);
        } catch {
          // A port should not throw here; if one does, the key is imported (or refused) on first use.
        }
      });
  }

  /** Whether `key` has the `kty` (and `crv`) of an allowed algorithm; a member of any shape is answered. */
  private fitsAnAllowedAlgorithm(key: JWK): boolean {
    const { kty, crv } = key as { kty?: unknown; crv?: unknown };
    if (typeof kty !== 'string' || (crv !== undefined && typeof crv !== 'string')) return false;
    return this.keyTypes.has(`${kty}/${crv ?? ''}`);
  }

  /** Bytes of a canonical base64url part, natively when the port can; undefined for anything else. */
  private decode(part: string): Uint8Array | undefined {
    const native = this.crypto.decodeBase64Url;
    if (native === undefined) return decodeBase64Url(part);
    return isCanonicalBase64Url(part) ? native.call(this.crypto, part) : undefined;
  }

  /**
   * The port's verdict, or why the key is unusable when the port throws: a port throws only when
   * it cannot import the key (see {@link JoseCrypto.verifySignature}), which is the key set's
   * fault, not the token's.
   */
  private checkSignature(
    alg: string,
    key: JWK,
    signingInput: Uint8Array,
    signature: Uint8Array,
  ): boolean | string | Promise<boolean | string> {
    let answer: boolean | Promise<boolean>;
    try {
      answer = this.crypto.verifySignature(alg, key, signingInput, signature);
    } catch (error) {
      return importFailure(error);
    }
    return typeof answer === 'boolean' ? answer : Promise.resolve(answer).catch(importFailure);
  }

  /** Refuses the token, remembering the key as unusable and reporting it the first time. */
  private refuseUnusableKey(key: JWK, reason: string): Refusal {
    if (!this.unusableKeys.has(key)) {
      this.unusableKeys.add(key);
      const kid = typeof key.kid === 'string' ? key.kid.slice(0, MAX_REPORTED_KID_LENGTH) : undefined;
      try {
        this.onKeySetProblem?.({ kid, reason });
      } catch {
        // Reporting must not change the verdict.
      }
    }
    return UNUSABLE_KEY;
  }
}

function importFailure(error: unknown): string {
  return `the crypto port could not import the key (${describe(error)})`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown error';
}
