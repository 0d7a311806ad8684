/** One stored oidc-provider artifact. */
interface StoredEntry {
  readonly payload: Record<string, unknown>;
  /** Epoch milliseconds after which the entry is gone; absent means no expiry. */
  readonly expiresAtMs?: number;
}

/** The adapter interface oidc-provider expects for each model. */
export interface ProviderAdapter {
  upsert(id: string, payload: Record<string, unknown>, expiresInSeconds?: number): Promise<void>;
  find(id: string): Promise<Record<string, unknown> | undefined>;
  findByUid(uid: string): Promise<Record<string, unknown> | undefined>;
  findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/**
 * In-memory storage for the local authorization server's tokens, kept outside the server so that a
 * stopped server can be started again with the tokens it had issued (pass it back as `storage`).
 * Also keeps oidc-provider from warning about its own development adapter.
 */
export class ProviderStorage {
  readonly #entries = new Map<string, StoredEntry>();

  /** The factory to give oidc-provider as its `adapter` configuration. */
  readonly adapter = (model: string): ProviderAdapter => this.#adapterFor(model);

  /** Number of live entries, for tests. */
  get size(): number {
    this.#sweep();
    return this.#entries.size;
  }

  #adapterFor(model: string): ProviderAdapter {
    const key = (id: string): string => `${model}:${id}`;
    const find = async (id: string) => this.#get(key(id));
    const findBy = async (field: 'uid' | 'userCode', value: string) => {
      this.#sweep();
      for (const [entryKey, entry] of this.#entries) {
        if (entryKey.startsWith(`${model}:`) && entry.payload[field] === value) return entry.payload;
      }
      return undefined;
    };
    return {
      upsert: async (id, payload, expiresInSeconds) => {
        this.#entries.set(key(id), {
          payload,
          ...(typeof expiresInSeconds === 'number' ? { expiresAtMs: Date.now() + expiresInSeconds * 1000 } : {}),
        });
      },
      find,
      findByUid: (uid) => findBy('uid', uid),
      findByUserCode: (userCode) => findBy('userCode', userCode),
      consume: async (id) => {
        const payload = this.#get(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => {
        this.#entries.delete(key(id));
      },
      revokeByGrantId: async (grantId) => {
        for (const [entryKey, entry] of this.#entries) {
          if (entry.payload.grantId === grantId) this.#entries.delete(entryKey);
        }
      },
    };
  }

  #get(entryKey: string): Record<string, unknown> | undefined {
    const entry = this.#entries.get(entryKey);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs !== undefined && entry.expiresAtMs <= Date.now()) {
      this.#entries.delete(entryKey);
      return undefined;
    }
    return entry.payload;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [entryKey, entry] of this.#entries) {
      if (entry.expiresAtMs !== undefined && entry.expiresAtMs <= now) this.#entries.delete(entryKey);
    }
  }
}
