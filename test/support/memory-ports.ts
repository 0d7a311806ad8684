import type { IntrospectionAnswer, Introspector, SplitTokenRecord, TokenStore } from '../../lambda/core/ports.ts';

/** A TokenStore over a Map that counts reads and can be made to fail. */
export class MemoryTokenStore implements TokenStore {
  readonly records = new Map<string, SplitTokenRecord>();
  reads = 0;
  failure: Error | undefined;
  /** Runs while a read is in flight, after the record was read and before it is answered (a slow read). */
  duringRead: (() => void) | undefined;

  async getRecord(hashedSignature: string): Promise<SplitTokenRecord | undefined> {
    this.reads++;
    if (this.failure) throw this.failure;
    const record = this.records.get(hashedSignature);
    this.duringRead?.();
    return record;
  }
}

/** An Introspector that answers from a script and counts calls. */
export class ScriptedIntrospector implements Introspector {
  calls = 0;
  answer: (token: string) => Promise<IntrospectionAnswer> | IntrospectionAnswer;

  constructor(answer: (token: string) => Promise<IntrospectionAnswer> | IntrospectionAnswer) {
    this.answer = answer;
  }

  async introspect(token: string): Promise<IntrospectionAnswer> {
    this.calls++;
    return this.answer(token);
  }
}
