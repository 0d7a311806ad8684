import type { ResolvedToken } from './resolved-token.ts';

interface Entry {
  readonly token: ResolvedToken;
  readonly expiresAtMs: number;
}

/** Settings of {@link ResolvedTokenCache}. */
export interface ResolvedTokenCacheOptions {
  /** Upper bound on entries; the least recently used goes first. */
  readonly maxEntries: number;
  /** Upper bound on an entry's life; it also never outlives the token's `exp`. */
  readonly ttlSeconds: number;
}

/**
 * Verified tokens kept across warm invocations, keyed by the credential itself (memory only, never
 * logged). Only successes are stored: a dependency failure or a denial is never cached, so an outage
 * ends as soon as the dependency is back and a revoked token stops within `ttlSeconds`.
 */
export class ResolvedTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;

  constructor(options: ResolvedTokenCacheOptions) {
    this.maxEntries = Math.max(0, Math.floor(options.maxEntries));
    this.ttlMs = Math.max(0, options.ttlSeconds * 1000);
  }

  get size(): number {
    return this.entries.size;
  }

  get(credential: string, nowMs: number): ResolvedToken | undefined {
    const entry = this.entries.get(credential);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= nowMs) {
      this.entries.delete(credential);
      return undefined;
    }
    // Re-insert so that Map order tracks recency for eviction.
    this.entries.delete(credential);
    this.entries.set(credential, entry);
    return entry.token;
  }

  /** `lookedUpAtMs`: when the token was looked up (its life counts from then, not from when the answer came). */
  set(credential: string, token: ResolvedToken, lookedUpAtMs: number): void {
    if (this.maxEntries === 0 || this.ttlMs === 0) return;
    const expiresAtMs = Math.min(lookedUpAtMs + this.ttlMs, token.expiresAtSeconds * 1000);
    if (expiresAtMs <= lookedUpAtMs) return;
    this.entries.delete(credential);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(credential, { token, expiresAtMs });
  }

  clear(): void {
    this.entries.clear();
  }
}
