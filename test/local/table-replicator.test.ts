/**
 * The local stack's replication, against real dynalite servers: the write tap in front of the home
 * table and the replicator applying what it reports to the other replicas. The expected contents of
 * every replica are the home table's own, read back from it (never from the replicator).
 */
import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLocalDynamoDbClient } from '../../local/dynamodb-client.ts';
import { type DynamoDbServer, startDynamoDbServer } from '../../local/dynamodb-server.ts';
import { type DynamoDbWriteTap, startDynamoDbWriteTap, type TableWrite } from '../../local/dynamodb-write-tap.ts';
import { TableReplicator } from '../../local/table-replicator.ts';
import { createTokenTable } from '../../local/token-table.ts';

const REPLICA_REGIONS = ['eu-west-1', 'ap-southeast-2'] as const;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await pause(10);
  }
}

/** Every item of a table, as `key → head_and_body`, sorted by key. */
async function contentsOf(client: DynamoDBClient, tableName: string): Promise<[string, string][]> {
  const { Items = [] } = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return Items.map((item) => [item.hashed_signature?.S ?? '', item.head_and_body?.S ?? ''] as [string, string]).sort(
    ([a], [b]) => a.localeCompare(b),
  );
}

describe('the home table write tap', () => {
  let home: DynamoDbServer;
  let tap: DynamoDbWriteTap;
  let viaTap: DynamoDBClient;
  let direct: DynamoDBClient;
  const reported: TableWrite[] = [];

  beforeAll(async () => {
    home = await startDynamoDbServer();
    await createTokenTable({ endpoint: home.endpoint, tableName: 'tokens' });
    tap = await startDynamoDbWriteTap({ upstream: home.endpoint, onWrite: (write) => reported.push(write) });
    viaTap = createLocalDynamoDbClient({ endpoint: tap.endpoint, maxAttempts: 1 });
    direct = createLocalDynamoDbClient({ endpoint: home.endpoint });
  });

  afterEach(() => {
    reported.length = 0;
  });

  afterAll(async () => {
    viaTap?.destroy();
    direct?.destroy();
    await tap?.stop();
    await home?.outage.resume();
    await home?.stop();
  });

  it('passes a put through to the table and reports it as the table accepted it', async () => {
    const item = { hashed_signature: { S: 'k1=' }, head_and_body: { S: 'aA.bB' }, expiration: { N: '1900000000' } };

    await viaTap.send(new PutItemCommand({ TableName: 'tokens', Item: item }));

    const stored = await direct.send(
      new GetItemCommand({ TableName: 'tokens', Key: { hashed_signature: { S: 'k1=' } } }),
    );
    expect(stored.Item).toEqual(item);
    expect(reported).toEqual([{ kind: 'put', tableName: 'tokens', attributes: item }]);
  });

  it('passes reads through and reports nothing for them', async () => {
    const read = await viaTap.send(
      new GetItemCommand({ TableName: 'tokens', Key: { hashed_signature: { S: 'k1=' } } }),
    );

    expect(read.Item?.head_and_body).toEqual({ S: 'aA.bB' });
    expect(reported).toEqual([]);
  });

  it('reports a delete with its key', async () => {
    await viaTap.send(new DeleteItemCommand({ TableName: 'tokens', Key: { hashed_signature: { S: 'k1=' } } }));

    expect(reported).toEqual([{ kind: 'delete', tableName: 'tokens', attributes: { hashed_signature: { S: 'k1=' } } }]);
  });

  it('does not report a conditional put the table refused', async () => {
    const item = { hashed_signature: { S: 'k2=' }, head_and_body: { S: 'first' }, expiration: { N: '1' } };
    await direct.send(new PutItemCommand({ TableName: 'tokens', Item: item }));

    const refused = await viaTap
      .send(
        new PutItemCommand({
          TableName: 'tokens',
          Item: { ...item, head_and_body: { S: 'second' } },
          ConditionExpression: 'attribute_not_exists(hashed_signature)',
        }),
      )
      .then(
        () => 'accepted',
        (error: Error) => error.name,
      );

    expect(refused).toBe('ConditionalCheckFailedException');
    expect(reported).toEqual([]);
  });

  it('refuses an update it could not replicate, before it reaches the table', async () => {
    const refused = await viaTap
      .send(
        new UpdateItemCommand({
          TableName: 'tokens',
          Key: { hashed_signature: { S: 'k2=' } },
          UpdateExpression: 'SET head_and_body = :v',
          ExpressionAttributeValues: { ':v': { S: 'changed' } },
        }),
      )
      .then(
        () => 'accepted',
        (error: Error) => error.name,
      );

    const stored = await direct.send(
      new GetItemCommand({ TableName: 'tokens', Key: { hashed_signature: { S: 'k2=' } } }),
    );
    expect(refused).toBe('ValidationException');
    expect(stored.Item?.head_and_body).toEqual({ S: 'first' });
    expect(reported).toEqual([]);
  });

  it('fails a write while the table is down, as the table would, and reports nothing', async () => {
    await home.outage.interrupt();
    try {
      const failed = await viaTap
        .send(
          new PutItemCommand({
            TableName: 'tokens',
            Item: { hashed_signature: { S: 'k3=' }, head_and_body: { S: 'x' }, expiration: { N: '1' } },
          }),
        )
        .then(
          () => false,
          () => true,
        );

      expect(failed).toBe(true);
      expect(reported).toEqual([]);
    } finally {
      await home.outage.resume();
    }
  });
});

describe('the replicator', () => {
  let home: DynamoDbServer;
  let replicas: DynamoDbServer[];
  let tap: DynamoDbWriteTap;
  let replicator: TableReplicator;
  let writer: DynamoDBClient;
  let homeReader: DynamoDBClient;
  let replicaReaders: DynamoDBClient[];
  let tables = 0;

  async function newTable(): Promise<string> {
    const tableName = `tokens-${++tables}`;
    await Promise.all([home, ...replicas].map((server) => createTokenTable({ endpoint: server.endpoint, tableName })));
    return tableName;
  }

  /** Starts a replicator with `lagMs`, fed by the tap. */
  function replicateWith(lagMs: number): TableReplicator {
    replicator = new TableReplicator({
      lagMs,
      retryIntervalMs: 20,
      replicas: REPLICA_REGIONS.map((region, i) => ({ region, endpoint: (replicas[i] as DynamoDbServer).endpoint })),
    });
    return replicator;
  }

  const put = (tableName: string, key: string, value: string) =>
    writer.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { hashed_signature: { S: key }, head_and_body: { S: value }, expiration: { N: '1900000000' } },
      }),
    );
  const remove = (tableName: string, key: string) =>
    writer.send(new DeleteItemCommand({ TableName: tableName, Key: { hashed_signature: { S: key } } }));

  beforeAll(async () => {
    home = await startDynamoDbServer();
    replicas = await Promise.all(REPLICA_REGIONS.map(() => startDynamoDbServer()));
    tap = await startDynamoDbWriteTap({ upstream: home.endpoint, onWrite: (write) => replicator?.record(write) });
    writer = createLocalDynamoDbClient({ endpoint: tap.endpoint });
    homeReader = createLocalDynamoDbClient({ endpoint: home.endpoint });
    replicaReaders = replicas.map((replica) => createLocalDynamoDbClient({ endpoint: replica.endpoint }));
  });

  afterEach(async () => {
    await replicator?.stop();
    for (const replica of replicas) await replica.outage.resume();
  });

  afterAll(async () => {
    for (const client of [writer, homeReader, ...(replicaReaders ?? [])]) client?.destroy();
    await tap?.stop();
    for (const server of [home, ...(replicas ?? [])]) await server?.stop();
  });

  it('applies a write to every replica after the lag, not before', async () => {
    const tableName = await newTable();
    const replication = replicateWith(1000);

    await put(tableName, 'a=', 'one');
    const soonAfter = await Promise.all(replicaReaders.map((reader) => contentsOf(reader, tableName)));
    const pendingSoonAfter = replication.pending();
    await until(() => replication.pending() === 0);
    const expected = await contentsOf(homeReader, tableName);

    expect(soonAfter).toEqual([[], []]);
    expect(pendingSoonAfter).toBe(2);
    expect(expected).toEqual([['a=', 'one']]);
    for (const reader of replicaReaders) expect(await contentsOf(reader, tableName)).toEqual(expected);
  });

  it('keeps every write while paused and applies them in the order the home table took them', async () => {
    const tableName = await newTable();
    const replication = replicateWith(0);
    await replication.outage.interrupt();

    await put(tableName, 'a=', 'one');
    await put(tableName, 'b=', 'one');
    await remove(tableName, 'a=');
    await put(tableName, 'a=', 'two');
    await remove(tableName, 'b=');
    await pause(100);
    const whilePaused = await Promise.all(replicaReaders.map((reader) => contentsOf(reader, tableName)));
    const pendingWhilePaused = REPLICA_REGIONS.map((region) => replication.pending(region));
    await replication.outage.resume();
    await until(() => replication.pending() === 0);

    const expected = await contentsOf(homeReader, tableName);
    expect(replication.outage.up).toBe(true);
    expect(whilePaused).toEqual([[], []]);
    expect(pendingWhilePaused).toEqual([5, 5]);
    expect(expected).toEqual([['a=', 'two']]);
    for (const reader of replicaReaders) expect(await contentsOf(reader, tableName)).toEqual(expected);
  });

  it('catches a replica up after its outage while the other replica carries on', async () => {
    const tableName = await newTable();
    const replication = replicateWith(0);
    const [down, up] = REPLICA_REGIONS;
    await (replicas[0] as DynamoDbServer).outage.interrupt();

    await put(tableName, 'a=', 'one');
    await put(tableName, 'b=', 'one');
    await remove(tableName, 'a=');
    await until(() => replication.pending(up) === 0);
    const pendingForTheDownReplica = replication.pending(down);
    await (replicas[0] as DynamoDbServer).outage.resume();
    await until(() => replication.pending() === 0);

    const expected = await contentsOf(homeReader, tableName);
    expect(pendingForTheDownReplica).toBe(3);
    expect(expected).toEqual([['b=', 'one']]);
    for (const reader of replicaReaders) expect(await contentsOf(reader, tableName)).toEqual(expected);
  });

  it('leaves every replica equal to the home table after any writes, pauses and outages', async () => {
    type Step =
      | { readonly op: 'put'; readonly key: string; readonly value: string }
      | { readonly op: 'delete'; readonly key: string }
      | { readonly op: 'pause' | 'resume' | 'replica down' | 'replica up' };
    const key = fc.constantFrom('a=', 'b=', 'c=');
    const step: fc.Arbitrary<Step> = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({ op: fc.constant('put' as const), key, value: fc.stringMatching(/^[a-z]{1,6}$/) }),
      },
      { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('pause', 'resume', 'replica down', 'replica up') }) },
    );

    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 0, max: 15 }),
        async (steps, lagMs) => {
          const tableName = await newTable();
          const replication = replicateWith(lagMs);
          try {
            for (const next of steps) {
              if (next.op === 'put') await put(tableName, next.key, next.value);
              else if (next.op === 'delete') await remove(tableName, next.key);
              else if (next.op === 'pause') await replication.outage.interrupt();
              else if (next.op === 'resume') await replication.outage.resume();
              else if (next.op === 'replica down') await (replicas[1] as DynamoDbServer).outage.interrupt();
              else await (replicas[1] as DynamoDbServer).outage.resume();
            }
            await replication.outage.resume();
            await (replicas[1] as DynamoDbServer).outage.resume();
            await until(() => replication.pending() === 0);

            const expected = await contentsOf(homeReader, tableName);
            for (const reader of replicaReaders) expect(await contentsOf(reader, tableName)).toEqual(expected);
          } finally {
            await replication.stop();
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
