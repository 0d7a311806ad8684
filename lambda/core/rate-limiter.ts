/** Settings of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Sustained rate. */
  readonly ratePerSecond: number;
  /** Calls allowed at once above the sustained rate. */
  readonly burst: number;
}

/**
 * A token bucket. It keeps random credentials from turning the authorizer into a flood on the
 * authorization server (DESIGN invariant 8): past the rate, calls are refused, not queued.
 */
export class TokenBucket {
  private readonly ratePerMs: number;
  private readonly capacity: number;
  private available: number;
  private updatedAtMs: number | undefined;

  constructor(options: TokenBucketOptions) {
    this.ratePerMs = Math.max(0, options.ratePerSecond) / 1000;
    this.capacity = Math.max(1, options.burst);
    this.available = this.capacity;
  }

  /** Takes one permit if there is one. */
  tryTake(nowMs: number): boolean {
    if (this.updatedAtMs !== undefined) {
      const refill = (nowMs - this.updatedAtMs) * this.ratePerMs;
      if (refill > 0) this.available = Math.min(this.capacity, this.available + refill);
    }
    this.updatedAtMs = nowMs;
    if (this.available < 1) return false;
    this.available -= 1;
    return true;
  }
}
