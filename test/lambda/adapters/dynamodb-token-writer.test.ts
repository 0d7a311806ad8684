import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbTokenWriter } from '../../../lambda/adapters/dynamodb-token-writer.ts';
import { SigV4DynamoDbTokenStore } from '../../../lambda/adapters/sigv4-dynamodb-token-store.ts';
import { TokenWriteError } from '../../../lambda/core/issuing/token-writer.ts';
import { createLocalDynamoDbClient, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/dynamodb-client.ts';
import { type DynamoDbServer, startDynamoDbServer } from '../../../local/dynamodb-server.ts';
import { createTokenTable } from '../../../local/token-table.ts';

let counter = 0;
const record = (expiration = 2_000_000_000) => ({
  hashedSignature: `hash-${++counter}-${Math.random().toString(36).slice(2)}=`,
  headAndBody: 'eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjIwMDAwMDAwMDB9',
  expiration,
});

describe('DynamoDbTokenWriter', () => {
  let server: DynamoDbServer;
  let client: ReturnType<typeof createLocalDynamoDbClient>;
  let writer: DynamoDbTokenWriter;

  beforeAll(async () => {
    server = await startDynamoDbServer();
    await createTokenTable({ endpoint: server.endpoint, tableName: 'tokens' });
    await createTokenTable({ endpoint: server.endpoint, tableName: 'custom-key', keyAttribute: 'pk' });
    client = createLocalDynamoDbClient({ endpoint: server.endpoint, maxAttempts: 1 });
    writer = new DynamoDbTokenWriter({ client, tableName: 'tokens', timeoutMs: 2000 });
  });

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  it('writes the record in the DESIGN format: hashed_signature S, head_and_body S, expiration N', async () => {
    const written = record(1_900_000_123);

    await writer.write(written);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: 'tokens', Key: { hashed_signature: { S: written.hashedSignature } } }),
    );

    expect(Item).toEqual({
      hashed_signature: { S: written.hashedSignature },
      head_and_body: { S: written.headAndBody },
      expiration: { N: '1900000123' },
    });
  });

  it('writes records the authorizer store reads back', async () => {
    const written = record();
    const store = new SigV4DynamoDbTokenStore({
      endpoint: server.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      tableName: 'tokens',
      timeoutMs: 2000,
    });

    await writer.write(written);

    expect(await store.getRecord(written.hashedSignature)).toEqual({
      headAndBody: written.headAndBody,
      expiration: written.expiration,
    });
  });

  it('refuses to overwrite an existing record with duplicate_record and keeps the first', async () => {
    const first = record(1_800_000_000);
    await writer.write(first);

    const error = await writer
      .write({ ...first, headAndBody: 'other.head', expiration: 1_700_000_000 })
      .catch((reason: unknown) => reason);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: 'tokens', Key: { hashed_signature: { S: first.hashedSignature } } }),
    );

    expect(error).toBeInstanceOf(TokenWriteError);
    expect((error as TokenWriteError).code).toBe('duplicate_record');
    expect(Item?.head_and_body?.S).toBe(first.headAndBody);
  });

  it('deletes a record, and deleting a missing one is not an error', async () => {
    const written = record();
    await writer.write(written);

    await writer.delete(written.hashedSignature);
    await writer.delete(written.hashedSignature);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: 'tokens', Key: { hashed_signature: { S: written.hashedSignature } } }),
    );

    expect(Item).toBeUndefined();
  });

  it('reads back what is stored under a key, and nothing for a key with no record', async () => {
    const written = record();
    await writer.write(written);

    expect(await writer.read(written.hashedSignature)).toEqual({ headAndBody: written.headAndBody });
    expect(await writer.read(record().hashedSignature)).toBeUndefined();
  });

  it('reads an item without a string head_and_body as a record with none', async () => {
    const key = record().hashedSignature;
    await client.send(
      new PutItemCommand({
        TableName: 'tokens',
        Item: { hashed_signature: { S: key }, head_and_body: { N: '1' }, expiration: { N: '2000000000' } },
      }),
    );

    expect(await writer.read(key)).toEqual({ headAndBody: undefined });
  });

  it('uses a configured key attribute', async () => {
    const custom = new DynamoDbTokenWriter({ client, tableName: 'custom-key', keyAttribute: 'pk', timeoutMs: 2000 });
    const written = record();

    await custom.write(written);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: 'custom-key', Key: { pk: { S: written.hashedSignature } } }),
    );

    expect(Item?.head_and_body?.S).toBe(written.headAndBody);
    expect(await custom.read(written.hashedSignature)).toEqual({ headAndBody: written.headAndBody });
  });

  it('reports a missing table as store_unavailable without the record in the message', async () => {
    const broken = new DynamoDbTokenWriter({ client, tableName: 'no-such-table', timeoutMs: 2000 });
    const written = record();

    const writeError = (await broken.write(written).catch((reason: unknown) => reason)) as TokenWriteError;
    const deleteError = (await broken
      .delete(written.hashedSignature)
      .catch((reason: unknown) => reason)) as TokenWriteError;
    const readError = (await broken
      .read(written.hashedSignature)
      .catch((reason: unknown) => reason)) as TokenWriteError;

    expect(writeError.code).toBe('store_unavailable');
    expect(deleteError.code).toBe('store_unavailable');
    expect(readError.code).toBe('store_unavailable');
    expect(readError.message).not.toContain(written.hashedSignature);
    expect(writeError.message).not.toContain(written.headAndBody);
    expect(deleteError.message).not.toContain(written.hashedSignature);
  });
});
