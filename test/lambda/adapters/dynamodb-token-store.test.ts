import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbTokenStore } from '../../../lambda/adapters/dynamodb-token-store.ts';
import { isDependencyError } from '../../../lambda/core/dependency-error.ts';
import { createLocalDynamoDbClient } from '../../../local/dynamodb-client.ts';
import { type DynamoDbServer, startDynamoDbServer } from '../../../local/dynamodb-server.ts';
import { createTokenTable } from '../../../local/token-table.ts';

describe('DynamoDbTokenStore against dynalite', () => {
  let dynamo: DynamoDbServer;

  beforeAll(async () => {
    dynamo = await startDynamoDbServer();
    await createTokenTable({ endpoint: dynamo.endpoint, tableName: 'tokens' });
    await createTokenTable({ endpoint: dynamo.endpoint, tableName: 'custom-key', keyAttribute: 'token_hash' });
  });
  afterAll(() => dynamo?.stop());

  const storeFor = (tableName: string, keyAttribute?: string) =>
    new DynamoDbTokenStore({
      client: createLocalDynamoDbClient({ endpoint: dynamo.endpoint, maxAttempts: 1 }),
      tableName,
      timeoutMs: 1000,
      ...(keyAttribute ? { keyAttribute } : {}),
    });

  it('reads head_and_body and expiration of a record', async () => {
    await createLocalDynamoDbClient({ endpoint: dynamo.endpoint }).send(
      new PutItemCommand({
        TableName: 'tokens',
        Item: {
          hashed_signature: { S: 'key-1=' },
          head_and_body: { S: 'aGVhZA.Ym9keQ' },
          expiration: { N: '1900000000' },
          other: { S: 'not projected' },
        },
      }),
    );

    const record = await storeFor('tokens').getRecord('key-1=');

    expect(record).toEqual({ headAndBody: 'aGVhZA.Ym9keQ', expiration: 1900000000 });
  });

  it('returns undefined for a missing record', async () => {
    expect(await storeFor('tokens').getRecord('missing=')).toBeUndefined();
  });

  it('uses the configured key attribute', async () => {
    await createLocalDynamoDbClient({ endpoint: dynamo.endpoint }).send(
      new PutItemCommand({
        TableName: 'custom-key',
        Item: { token_hash: { S: 'k' }, head_and_body: { S: 'a.b' }, expiration: { N: '5' } },
      }),
    );

    expect(await storeFor('custom-key', 'token_hash').getRecord('k')).toEqual({ headAndBody: 'a.b', expiration: 5 });
  });

  it('turns a record without usable attributes into one that is already expired', async () => {
    await createLocalDynamoDbClient({ endpoint: dynamo.endpoint }).send(
      new PutItemCommand({
        TableName: 'tokens',
        Item: { hashed_signature: { S: 'broken=' }, expiration: { S: 'soon' } },
      }),
    );

    expect(await storeFor('tokens').getRecord('broken=')).toEqual({ headAndBody: '', expiration: 0 });
  });

  it('throws a dependency error for a missing table or an unreachable endpoint', async () => {
    const unreachable = new DynamoDbTokenStore({
      client: createLocalDynamoDbClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }),
      tableName: 'tokens',
      timeoutMs: 1000,
    });

    for (const store of [storeFor('no-such-table'), unreachable]) {
      await expect(store.getRecord('x')).rejects.toSatisfy(
        (error: unknown) => isDependencyError(error) && error.code === 'token_store_unavailable',
      );
    }
  });
});
