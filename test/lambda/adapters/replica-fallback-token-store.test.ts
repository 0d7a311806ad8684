/**
 * The home-region fallback read against two real DynamoDB servers, each a dynalite process of its
 * own: this region's replica and the home region's table, read through the authorizer's own SigV4
 * store. A counting proxy in front of the home table shows when the second read happens.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplicaFallbackTokenStore } from '../../../lambda/adapters/replica-fallback-token-store.ts';
import { SigV4DynamoDbTokenStore } from '../../../lambda/adapters/sigv4-dynamodb-token-store.ts';
import { isDependencyError } from '../../../lambda/core/dependency-error.ts';
import { createLocalDynamoDbClient, LOCAL_CREDENTIALS } from '../../../local/dynamodb-client.ts';
import { createTokenTable } from '../../../local/token-table.ts';
import { type CountingHttpProxy, startCountingHttpProxy } from '../../support/counting-http-proxy.ts';
import { type DynaliteProcess, startDynaliteProcess } from '../../support/dynalite-process.ts';

const TABLE = 'split-tokens';
const LOCAL_REGION = 'eu-west-1';
const HOME_REGION = 'us-east-1';

function storeAt(endpoint: string, region: string): SigV4DynamoDbTokenStore {
  return new SigV4DynamoDbTokenStore({
    tableName: TABLE,
    region,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
    timeoutMs: 1000,
    retryBaseDelayMs: 5,
  });
}

async function put(endpoint: string, key: string, headAndBody: string, expiration: number): Promise<void> {
  const client = createLocalDynamoDbClient({ endpoint });
  try {
    await client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          hashed_signature: { S: key },
          head_and_body: { S: headAndBody },
          expiration: { N: String(expiration) },
        },
      }),
    );
  } finally {
    client.destroy();
  }
}

/** Two dynalite processes with the table: a replica here and the home table. */
async function startTwoRegions(): Promise<{ local: DynaliteProcess; home: DynaliteProcess }> {
  const [local, home] = await Promise.all([startDynaliteProcess(), startDynaliteProcess()]);
  await Promise.all([
    createTokenTable({ endpoint: local.endpoint, tableName: TABLE, region: LOCAL_REGION }),
    createTokenTable({ endpoint: home.endpoint, tableName: TABLE, region: HOME_REGION }),
  ]);
  return { local, home };
}

describe('ReplicaFallbackTokenStore, both regions up', () => {
  let local: DynaliteProcess;
  let home: DynaliteProcess;
  let homeReads: CountingHttpProxy;
  let store: ReplicaFallbackTokenStore;

  beforeAll(async () => {
    ({ local, home } = await startTwoRegions());
    homeReads = await startCountingHttpProxy(home.endpoint);
    store = new ReplicaFallbackTokenStore(
      storeAt(local.endpoint, LOCAL_REGION),
      storeAt(homeReads.endpoint, HOME_REGION),
    );
    // Replicated: the same key in both, told apart by their contents.
    await put(local.endpoint, 'replicated=', 'aGVhZA.cmVwbGljYQ', 1_900_000_001);
    await put(home.endpoint, 'replicated=', 'aGVhZA.aG9tZQ', 1_900_000_002);
    // Written at home, not replicated yet.
    await put(home.endpoint, 'new-at-home=', 'aGVhZA.bmV3', 1_900_000_003);
  }, 30_000);

  afterAll(async () => {
    await homeReads?.stop();
    await Promise.all([local?.kill(), home?.kill()]);
  });

  it('answers a hit from the local replica without reading the home region', async () => {
    homeReads.reset();

    const record = await store.getRecord('replicated=');

    expect(record).toEqual({ headAndBody: 'aGVhZA.cmVwbGljYQ', expiration: 1_900_000_001 });
    expect(homeReads.count('GetItem')).toBe(0);
  });

  it('reads the home region once after a local miss and answers with its record', async () => {
    homeReads.reset();

    const record = await store.getRecord('new-at-home=');

    expect(record).toEqual({ headAndBody: 'aGVhZA.bmV3', expiration: 1_900_000_003 });
    expect(homeReads.count('GetItem')).toBe(1);
  });

  it('answers "no record" when neither region has it, after one read in each', async () => {
    homeReads.reset();

    const record = await store.getRecord('nowhere=');

    expect(record).toBeUndefined();
    expect(homeReads.count('GetItem')).toBe(1);
  });
});

describe('ReplicaFallbackTokenStore, the home region down', () => {
  let local: DynaliteProcess;
  let home: DynaliteProcess;
  let store: ReplicaFallbackTokenStore;

  beforeAll(async () => {
    ({ local, home } = await startTwoRegions());
    store = new ReplicaFallbackTokenStore(storeAt(local.endpoint, LOCAL_REGION), storeAt(home.endpoint, HOME_REGION));
    await put(local.endpoint, 'replicated=', 'aGVhZA.cmVwbGljYQ', 1_900_000_001);
    await home.kill();
  }, 30_000);

  afterAll(async () => {
    await Promise.all([local?.kill(), home?.kill()]);
  });

  it('still answers a local hit', async () => {
    expect(await store.getRecord('replicated=')).toEqual({
      headAndBody: 'aGVhZA.cmVwbGljYQ',
      expiration: 1_900_000_001,
    });
  });

  it('fails a local miss closed with a dependency error, never "no record"', async () => {
    const failure = await store.getRecord('not-replicated-yet=').then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(isDependencyError(failure) && failure.code).toBe('token_store_unavailable');
  });
});

describe('ReplicaFallbackTokenStore, the local replica down', () => {
  let local: DynaliteProcess;
  let home: DynaliteProcess;
  let homeReads: CountingHttpProxy;
  let store: ReplicaFallbackTokenStore;

  beforeAll(async () => {
    ({ local, home } = await startTwoRegions());
    homeReads = await startCountingHttpProxy(home.endpoint);
    store = new ReplicaFallbackTokenStore(
      storeAt(local.endpoint, LOCAL_REGION),
      storeAt(homeReads.endpoint, HOME_REGION),
    );
    await put(home.endpoint, 'at-home=', 'aGVhZA.aG9tZQ', 1_900_000_002);
    await local.kill();
  }, 30_000);

  afterAll(async () => {
    await homeReads?.stop();
    await Promise.all([local?.kill(), home?.kill()]);
  });

  it('fails closed rather than answering from the home region: an outage is not a miss', async () => {
    const failure = await store.getRecord('at-home=').then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(isDependencyError(failure) && failure.code).toBe('token_store_unavailable');
    expect(homeReads.count('GetItem')).toBe(0);
  });
});
