/** Options for {@link AuthorizerResultCache}. */
export interface AuthorizerResultCacheOptions {
  /** The authorizer's result TTL (`resultsCacheTtl`); 0 turns caching off. */
  readonly ttlSeconds: number;
  /** Entries kept at most; the oldest goes first. @default 10000 */
  readonly maxEntries?: number;
  /** @default Date.now */
  readonly clock?: () => number;
}

/**
 * Authorizer answers by the values of the identity sources, for the authorizer's fixed TTL, as API
 * Gateway keeps them: "API Gateway uses the authorizer's identity sources as the cache key"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html),
 * whatever the answer's token expiry. Only answers are kept, Allow and Deny alike; a thrown
 * `Unauthorized` and a failure are not (a third-party capture of real REST APIs saw a Deny invoke
 * the authorizer once for two requests, `Unauthorized` and invalid answers twice; for HTTP APIs
 * AWS documents nothing about 401 and 500, and the same is assumed). {@link flush} is
 * `FlushStageAuthorizersCache` / `ResetAuthorizersCache`.
 */
export class AuthorizerResultCache<T> {
  private readonly entries = new Map<string, { readonly answer: T; readonly expiresAtMs: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly clock: () => number;

  constructor(options: AuthorizerResultCacheOptions) {
    this.ttlMs = options.ttlSeconds * 1000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.clock = options.clock ?? Date.now;
  }

  get(key: readonly string[]): T | undefined {
    const id = JSON.stringify(key);
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= this.clock()) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.answer;
  }

  set(key: readonly string[], answer: T): void {
    if (this.ttlMs <= 0) return;
    const id = JSON.stringify(key);
    this.entries.delete(id);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(id, { answer, expiresAtMs: this.clock() + this.ttlMs });
  }

  /** Drops every entry. */
  flush(): void {
    this.entries.clear();
  }
}
