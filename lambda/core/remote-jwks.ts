import type { JWK } from 'jose';
import { DependencyError } from './dependency-error.ts';
import { fetchHttpClient, type HttpClient, isHttpClientError } from './http-client.ts';
import { isJsonWebKeySet } from './jwk-set.ts';
import type { JwksSource } from './jwks-source.ts';
import type { Clock } from './ports.ts';

/** Settings of {@link RemoteJwks}. */
export interface RemoteJwksOptions {
  /** The issuer's `jwks_uri`. */
  readonly url: string;
  /** How long one fetch (connection, answer and body) may take. @default 5000 */
  readonly timeoutMs?: number;
  /** Minimum time after a successful fetch before a token with an unknown key may cause another. @default 30000 */
  readonly cooldownMs?: number;
  /** How long fetched keys are used before they are fetched again. @default 600000 (10 minutes) */
  readonly maxAgeMs?: number;
  /**
   * Largest JWKS body read, in bytes, counted as it streams (chunked or not, whatever
   * `Content-Length` says); a larger answer is refused as `jwks_unavailable` and its connection
   * closed. @default 262144 (256 KiB: a few hundred public keys)
   */
  readonly maxBodyBytes?: number;
  /** How the JWKS is fetched. @default web fetch ({@link fetchHttpClient}) */
  readonly http?: HttpClient;
  /** Time of the cache (not of token validity). @default Date.now */
  readonly clock?: Clock;
}

const ACCEPT = 'application/jwk-set+json, application/json';
/** Default of {@link RemoteJwksOptions.maxBodyBytes}. */
export const DEFAULT_JWKS_MAX_BODY_BYTES = 256 * 1024;

/**
 * The issuer's JWKS over HTTP, runtime-neutral (an {@link HttpClient} port), with the behaviour of
 * jose's remote JWK set: keys are cached for `maxAgeMs`; a token whose key is not in the set causes
 * at most one refetch per `cooldownMs`; concurrent callers share the one fetch in flight; failures
 * are not cached (the next call tries again) and throw {@link DependencyError}. Redirects are
 * refused: the keys come from the configured URL or not at all. The body is read at most
 * `maxBodyBytes` bytes far.
 */
export class RemoteJwks implements JwksSource {
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly cooldownMs: number;
  private readonly maxAgeMs: number;
  private readonly maxBodyBytes: number;
  private readonly http: HttpClient;
  private readonly clock: Clock;
  private current: readonly JWK[] | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<readonly JWK[]> | undefined;

  constructor(options: RemoteJwksOptions) {
    this.url = new URL(options.url).href;
    this.timeoutMs = nonNegative(options.timeoutMs ?? 5000, 'timeoutMs');
    this.cooldownMs = nonNegative(options.cooldownMs ?? 30_000, 'cooldownMs');
    this.maxAgeMs = nonNegative(options.maxAgeMs ?? 600_000, 'maxAgeMs');
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_JWKS_MAX_BODY_BYTES;
    if (!Number.isSafeInteger(this.maxBodyBytes) || this.maxBodyBytes < 1) {
      throw new RangeError('RemoteJwks maxBodyBytes must be a positive integer');
    }
    this.http = options.http ?? fetchHttpClient();
    this.clock = options.clock ?? Date.now;
  }

  keys(): readonly JWK[] | Promise<readonly JWK[]> {
    if (this.current !== undefined && this.clock() < this.fetchedAt + this.maxAgeMs) return this.current;
    return this.reload();
  }

  held(): readonly JWK[] | undefined {
    return this.current;
  }

  refetchForUnknownKey(): Promise<readonly JWK[]> | undefined {
    if (this.pending) return this.pending;
    if (this.clock() < this.fetchedAt + this.cooldownMs) return undefined;
    return this.reload();
  }

  /** One fetch in flight at most; every caller meanwhile shares it. */
  private reload(): Promise<readonly JWK[]> {
    if (this.pending === undefined) {
      const pending = this.fetchKeys().finally(() => {
        if (this.pending === pending) this.pending = undefined;
      });
      this.pending = pending;
    }
    return this.pending;
  }

  private async fetchKeys(): Promise<readonly JWK[]> {
    let answer: Awaited<ReturnType<HttpClient['request']>>;
    try {
      answer = await this.http.request({
        url: this.url,
        method: 'GET',
        headers: { accept: ACCEPT },
        timeoutMs: this.timeoutMs,
        maxBodyBytes: this.maxBodyBytes,
        redirect: 'error',
      });
    } catch (error) {
      throw unavailable(describeFailure(error, this.maxBodyBytes), error);
    }
    if (answer.status !== 200) throw unavailable(`the JWKS answered HTTP ${answer.status}`);
    let body: unknown;
    try {
      body = JSON.parse(answer.body);
    } catch (error) {
      throw unavailable('the JWKS is not JSON', error);
    }
    if (!isJsonWebKeySet(body)) throw unavailable('the JWKS is not { keys: [...] } with JSON object members');
    this.current = Object.freeze([...body.keys]);
    this.fetchedAt = this.clock();
    return this.current;
  }
}

function unavailable(reason: string, cause?: unknown): DependencyError {
  return new DependencyError('jwks_unavailable', `Could not get the issuer's keys: ${reason}`, { cause });
}

function describeFailure(error: unknown, maxBodyBytes: number): string {
  if (!isHttpClientError(error))
    return `the JWKS request failed (${error instanceof Error ? error.name : 'unknown error'})`;
  switch (error.code) {
    case 'timeout':
      return 'the JWKS request timed out';
    case 'body_too_large':
      return `the JWKS is larger than ${maxBodyBytes} bytes`;
    case 'redirect_refused':
      return `the JWKS answered with a redirect, which is not followed (${error.message})`;
    default:
      return `the JWKS request failed (${error.message})`;
  }
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`RemoteJwks ${name} must be a non-negative number`);
  return value;
}
