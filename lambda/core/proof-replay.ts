import { DependencyError } from './dependency-error.ts';

/**
 * Remembers single-use values (a DPoP proof's key thumbprint and `jti`, RFC 9449 section 11.1)
 * until they can no longer be accepted anyway. Throws {@link DependencyError} when it cannot say.
 */
export interface ProofReplayGuard {
  /**
   * Whether `key` is new, remembering it until `expiresAtMs`; false when it was seen before (a
   * replay). May answer synchronously or with a promise.
   */
  firstUse(key: string, expiresAtMs: number): boolean | Promise<boolean>;
}

/** Settings of {@link MemoryProofReplayCache}. */
export interface MemoryProofReplayCacheOptions {
  /** Upper bound on remembered values; past it (after expired ones are dropped) proofs fail closed. */
  readonly maxEntries: number;
  /** Milliseconds since the epoch. */
  readonly clock: () => number;
}

/**
 * The per-instance replay memory: each value until its own expiry, at most `maxEntries` of them.
 * When it is full of values that have not expired, a new proof is a {@link DependencyError} (500),
 * never an accepted replay: forgetting a live value early would let it be used twice. Only proofs
 * that passed every other check are remembered, so filling it takes valid bound tokens.
 */
export class MemoryProofReplayCache implements ProofReplayGuard {
  private readonly entries = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly clock: () => number;

  constructor(options: MemoryProofReplayCacheOptions) {
    this.maxEntries = Math.max(1, Math.floor(options.maxEntries));
    this.clock = options.clock;
  }

  get size(): number {
    return this.entries.size;
  }

  firstUse(key: string, expiresAtMs: number): boolean {
    const now = this.clock();
    const seen = this.entries.get(key);
    if (seen !== undefined && seen > now) return false;
    if (seen === undefined && this.entries.size >= this.maxEntries) this.dropExpired(now);
    if (seen === undefined && this.entries.size >= this.maxEntries) {
      throw new DependencyError('proof_replay_cache_full', 'DPoP replay memory is full of live proofs');
    }
    this.entries.set(key, expiresAtMs);
    return true;
  }

  private dropExpired(now: number): void {
    for (const [key, expiresAtMs] of this.entries) if (expiresAtMs <= now) this.entries.delete(key);
  }
}

/**
 * The instance's memory first (free, and it catches replays to the same instance), then a guard
 * every instance shares (a DynamoDB table): a value is new only if both say so.
 */
export class LayeredProofReplayGuard implements ProofReplayGuard {
  private readonly first: ProofReplayGuard;
  private readonly shared: ProofReplayGuard;

  constructor(first: ProofReplayGuard, shared: ProofReplayGuard) {
    this.first = first;
    this.shared = shared;
  }

  firstUse(key: string, expiresAtMs: number): boolean | Promise<boolean> {
    const local = this.first.firstUse(key, expiresAtMs);
    if (local === false) return false;
    if (local === true) return this.shared.firstUse(key, expiresAtMs);
    return local.then((fresh) => fresh && this.shared.firstUse(key, expiresAtMs));
  }
}
