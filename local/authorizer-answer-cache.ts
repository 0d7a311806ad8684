/** Options for {@link AuthorizerAnswerCache}. */
export interface AuthorizerAnswerCacheOptions {
  /** How long an answer is reused; 0 turns caching off. */
  readonly ttlSeconds: number;
  /** Entries kept at most; the oldest goes first. @default 10000 */
  readonly maxEntries?: number;
  /** @default Date.now */
  readonly clock?: () => number;
}

/**
 * Authorizer answers by identity source, for a time, as API Gateway keeps them: only answers are
 * kept (an Allow or Deny policy, a simple answer), never a 401 or a failure.
 */
export class AuthorizerAnswerCache<T> {
  private readonly entries = new Map<string, { readonly answer: T; readonly expiresAtMs: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly clock: () => number;

  constructor(options: AuthorizerAnswerCacheOptions) {
    this.ttlMs = options.ttlSeconds * 1000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.clock = options.clock ?? Date.now;
  }

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.answer;
  }

  set(key: string, answer: T): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { answer, expiresAtMs: this.clock() + this.ttlMs });
  }
}
