import { TokenBucket, type TokenBucketOptions } from './rate-limiter.ts';

/** Settings of {@link SourceRateLimiter}. */
export interface SourceRateLimiterOptions extends TokenBucketOptions {
  /**
   * Sources remembered at once; past it the least recently seen source is forgotten (and starts
   * again with a full bucket if it comes back). Bounds memory: about 200 bytes per source.
   */
  readonly maxSources: number;
}

/**
 * One token bucket per source address, so that one address flooding random tokens spends its own
 * budget and not everyone's (DESIGN invariant 8). Memory is bounded: the buckets live in a
 * least-recently-used map of at most `maxSources` entries. An IPv6 source counts by its /56 prefix:
 * a subscriber is commonly given a /56 (RIPE-690), so counting by /64 would give one subscriber 256
 * budgets; an IPv4 source counts by its address.
 */
export class SourceRateLimiter {
  private readonly options: TokenBucketOptions;
  private readonly maxSources: number;
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(options: SourceRateLimiterOptions) {
    this.options = { ratePerSecond: options.ratePerSecond, burst: options.burst };
    this.maxSources = Math.max(1, Math.floor(options.maxSources));
  }

  /** Takes one permit from the source's bucket if it has one. */
  tryTake(sourceAddress: string, nowMs: number): boolean {
    const key = sourceKeyOf(sourceAddress);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxSources) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      bucket = new TokenBucket(this.options);
    } else {
      // Re-inserting moves the source to the most recently used end of the map.
      this.buckets.delete(key);
    }
    this.buckets.set(key, bucket);
    return bucket.tryTake(nowMs);
  }

  /** Sources currently remembered. */
  get size(): number {
    return this.buckets.size;
  }
}

/**
 * The key a source address is counted under: an IPv4 address itself; an IPv6 address's first 56
 * bits (an IPv4-mapped IPv6 address counts as its IPv4 address). Anything unparsable counts as
 * itself, lower-cased.
 */
export function sourceKeyOf(address: string): string {
  const lower = address.toLowerCase();
  if (!lower.includes(':')) return lower;
  const mapped = /^(?:::|(?:0{1,4}:){5})ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  if (mapped?.[1] !== undefined) return mapped[1];
  const groups = ipv6Groups(lower);
  if (groups === undefined) return lower;
  const fourth = (Number.parseInt(groups[3] as string, 16) & 0xff00).toString(16);
  return `${groups.slice(0, 3).join(':')}:${fourth}::/56`;
}

/** The eight 16-bit groups of an IPv6 address in hex without leading zeros, or undefined. */
function ipv6Groups(address: string): string[] | undefined {
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined): string[] | undefined => {
    if (part === undefined || part === '') return [];
    const groups = part.split(':');
    return groups.every((group) => /^[0-9a-f]{1,4}$/.test(group)) ? groups : undefined;
  };
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const zeros = Array.from({ length: halves.length === 1 ? 0 : missing }, () => '0');
  return [...head, ...zeros, ...tail].map((group) => Number.parseInt(group, 16).toString(16));
}
