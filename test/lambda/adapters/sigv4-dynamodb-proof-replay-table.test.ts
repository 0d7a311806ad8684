import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigV4DynamoDbProofReplayTable } from '../../../lambda/adapters/sigv4-dynamodb-proof-replay-table.ts';
import { isDependencyError } from '../../../lambda/core/dependency-error.ts';
import { type DynamoDbServer, startDynamoDbServer } from '../../../local/dynamodb-server.ts';
import { createTokenTable } from '../../../local/token-table.ts';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'local-secret' };

/** The shared DPoP replay guard against dynalite: DynamoDB's own conditional write decides. */
describe('SigV4DynamoDbProofReplayTable', () => {
  let db: DynamoDbServer;
  let nowMs = Date.now();
  const table = (tableName = 'dpop-proofs') =>
    new SigV4DynamoDbProofReplayTable({
      tableName,
      region: 'us-east-1',
      endpoint: db.endpoint,
      credentials: CREDENTIALS,
      timeoutMs: 2000,
      clock: () => nowMs,
    });

  beforeAll(async () => {
    db = await startDynamoDbServer();
    await createTokenTable({ endpoint: db.endpoint, tableName: 'dpop-proofs', keyAttribute: 'proof_id' });
  });

  afterAll(async () => {
    await db?.stop();
  });

  it('accepts a proof once across instances: a second instance sees the first one’s write', async () => {
    const key = `jkt-value.${crypto.randomUUID()}`;

    const first = await table().firstUse(key, nowMs + 60_000);
    const fromAnotherInstance = await table().firstUse(key, nowMs + 60_000);

    expect([first, fromAnotherInstance]).toEqual([true, false]);
  });

  it('takes a key again once its expiry has passed (TTL deletes late, the condition does not wait for it)', async () => {
    const key = `jkt-value.${crypto.randomUUID()}`;
    await table().firstUse(key, nowMs + 1000);

    nowMs += 5000;
    const later = await table().firstUse(key, nowMs + 60_000);

    expect(later).toBe(true);
  });

  it('fails closed with a DependencyError when the table cannot be written', async () => {
    const error = await table('no-such-table')
      .firstUse('jkt.jti', nowMs + 1000)
      .catch((caught: unknown) => caught);

    expect(isDependencyError(error) && error.code).toBe('proof_replay_store_unavailable');
  });
});
