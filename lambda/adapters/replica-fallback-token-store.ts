import type { SplitTokenRecord, TokenStore } from '../core/ports.ts';

/**
 * Reads the local replica first and, on a miss, the home region's table. Global tables replicate in
 * about a second, so a token used in another region right after issue may not be local yet; this
 * trades one cross-region read on every local miss (latency, and phantom tokens pay it too) for not
 * refusing or introspecting a split token during that window.
 */
export class ReplicaFallbackTokenStore implements TokenStore {
  private readonly local: TokenStore;
  private readonly home: TokenStore;

  constructor(local: TokenStore, home: TokenStore) {
    this.local = local;
    this.home = home;
  }

  async getRecord(hashedSignature: string): Promise<SplitTokenRecord | undefined> {
    return (await this.local.getRecord(hashedSignature)) ?? this.home.getRecord(hashedSignature);
  }
}
