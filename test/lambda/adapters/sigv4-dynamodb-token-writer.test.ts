import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigV4DynamoDbTokenStore } from '../../../lambda/adapters/sigv4-dynamodb-token-store.ts';
import {
  SigV4DynamoDbTokenWriter,
  type SigV4DynamoDbTokenWriterOptions,
} from '../../../lambda/adapters/sigv4-dynamodb-token-writer.ts';
import { TokenWriteError } from '../../../lambda/core/issuing/token-writer.ts';
import { createLocalDynamoDbClient, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/dynamodb-client.ts';
import { type DynamoDbServer, startDynamoDbServer } from '../../../local/dynamodb-server.ts';
import { closeServer, LOOPBACK_HOST, listenOnLoopback } from '../../../local/loopback-http.ts';
import { createTokenTable } from '../../../local/token-table.ts';

// The token endpoint proxy's writer against dynalite; what it wrote is read back by an independent
// reader, the AWS SDK's DynamoDB client.

let counter = 0;
const record = (expiration = 2_000_000_000) => ({
  hashedSignature: `hash-${++counter}-${Math.random().toString(36).slice(2)}=`,
  headAndBody: 'eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjIwMDAwMDAwMDB9',
  expiration,
});

/**
 * A DynamoDB endpoint in front of `upstream` that, for the first request whose target is
 * `operation`, passes it on (the table takes it) and then drops the writer's connection without an
 * answer: a write that landed and whose answer was lost.
 */
async function startAnswerLosingEndpoint(
  upstream: string,
  operation: string,
): Promise<{ endpoint: string; targets: string[]; stop(): Promise<void> }> {
  const targets: string[] = [];
  let lost = false;
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const target = String(incoming.headers['x-amz-target'] ?? '');
      targets.push(target);
      const headers: IncomingHttpHeaders = { ...incoming.headers, host: new URL(upstream).host };
      const forwarded = httpRequest(`${upstream}/`, { method: 'POST', headers }, (answer) => {
        const answerChunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
        answer.on('end', () => {
          if (!lost && target === `DynamoDB_20120810.${operation}`) {
            lost = true;
            outgoing.socket?.destroy();
            return;
          }
          outgoing.writeHead(answer.statusCode ?? 500, answer.headers).end(Buffer.concat(answerChunks));
        });
      });
      forwarded.end(Buffer.concat(chunks));
    });
  });
  const port = await listenOnLoopback(server, 0);
  return { endpoint: `http://${LOOPBACK_HOST}:${port}`, targets, stop: () => closeServer(server) };
}

describe('SigV4DynamoDbTokenWriter against dynalite', () => {
  let server: DynamoDbServer;
  let client: ReturnType<typeof createLocalDynamoDbClient>;
  let writer: SigV4DynamoDbTokenWriter;
  const writerFor = (options: Partial<SigV4DynamoDbTokenWriterOptions> = {}) =>
    new SigV4DynamoDbTokenWriter({
      tableName: 'tokens',
      region: LOCAL_REGION,
      endpoint: server.endpoint,
      credentials: LOCAL_CREDENTIALS,
      timeoutMs: 2000,
      maxAttempts: 1,
      ...options,
    });
  const itemOf = async (hashedSignature: string, tableName = 'tokens', keyAttribute = 'hashed_signature') =>
    (
      await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { [keyAttribute]: { S: hashedSignature } },
          ConsistentRead: true,
        }),
      )
    ).Item;

  beforeAll(async () => {
    server = await startDynamoDbServer();
    await createTokenTable({ endpoint: server.endpoint, tableName: 'tokens' });
    await createTokenTable({ endpoint: server.endpoint, tableName: 'custom-key', keyAttribute: 'pk' });
    client = createLocalDynamoDbClient({ endpoint: server.endpoint, maxAttempts: 1 });
    writer = writerFor();
  });

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  it('writes the record in the DESIGN format: hashed_signature S, head_and_body S, expiration N', async () => {
    const written = record(1_900_000_123);

    await writer.write(written);

    expect(await itemOf(written.hashedSignature)).toEqual({
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

  it('refuses to overwrite another record with duplicate_record and keeps the first', async () => {
    const first = record(1_800_000_000);
    await writer.write(first);

    const otherHead = await writer
      .write({ ...first, headAndBody: 'other.head', expiration: 1_700_000_000 })
      .catch((reason: unknown) => reason);
    const otherExpiration = await writer
      .write({ ...first, expiration: 1_700_000_000 })
      .catch((reason: unknown) => reason);

    expect(otherHead).toBeInstanceOf(TokenWriteError);
    expect((otherHead as TokenWriteError).code).toBe('duplicate_record');
    expect((otherExpiration as TokenWriteError).code).toBe('duplicate_record');
    expect(await itemOf(first.hashedSignature)).toEqual({
      hashed_signature: { S: first.hashedSignature },
      head_and_body: { S: first.headAndBody },
      expiration: { N: '1800000000' },
    });
  });

  it('takes the same record twice: a put sent again after the first one landed is not a duplicate', async () => {
    const written = record(1_850_000_000);

    await writer.write(written);
    await writer.write(written);

    expect(await itemOf(written.hashedSignature)).toEqual({
      hashed_signature: { S: written.hashedSignature },
      head_and_body: { S: written.headAndBody },
      expiration: { N: '1850000000' },
    });
  });

  it('writes the token when the table took the put but its answer was lost: the retry succeeds', async () => {
    const losing = await startAnswerLosingEndpoint(server.endpoint, 'PutItem');
    try {
      const written = record();

      await writerFor({ endpoint: losing.endpoint, maxAttempts: 3, retryBaseDelayMs: 1 }).write(written);

      expect(losing.targets).toEqual(['DynamoDB_20120810.PutItem', 'DynamoDB_20120810.PutItem']);
      expect((await itemOf(written.hashedSignature))?.head_and_body).toEqual({ S: written.headAndBody });
    } finally {
      await losing.stop();
    }
  });

  it('deletes a record, and deleting a missing one is not an error', async () => {
    const written = record();
    await writer.write(written);

    await writer.delete(written.hashedSignature);
    await writer.delete(written.hashedSignature);

    expect(await itemOf(written.hashedSignature)).toBeUndefined();
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
    const custom = writerFor({ tableName: 'custom-key', keyAttribute: 'pk' });
    const written = record();

    await custom.write(written);

    expect((await itemOf(written.hashedSignature, 'custom-key', 'pk'))?.head_and_body?.S).toBe(written.headAndBody);
    expect(await custom.read(written.hashedSignature)).toEqual({ headAndBody: written.headAndBody });
  });

  it('reports a missing table as store_unavailable, naming the DynamoDB error and not the record', async () => {
    const broken = writerFor({ tableName: 'no-such-table' });
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
    expect(writeError.message).toBe('DynamoDB PutItem failed (ResourceNotFoundException)');
    expect(readError.message).toBe('DynamoDB GetItem failed (ResourceNotFoundException)');
    expect(deleteError.message).toBe('DynamoDB DeleteItem failed (ResourceNotFoundException)');
    for (const error of [writeError, deleteError, readError]) {
      expect(error.message).not.toContain(written.hashedSignature);
      expect(error.message).not.toContain(written.headAndBody);
    }
  });

  it('reports an unreachable table as store_unavailable', async () => {
    const unreachable = writerFor({ endpoint: 'http://127.0.0.1:9', maxAttempts: 2, retryBaseDelayMs: 1 });

    const error = (await unreachable.write(record()).catch((reason: unknown) => reason)) as TokenWriteError;

    expect(error).toBeInstanceOf(TokenWriteError);
    expect(error.code).toBe('store_unavailable');
  });
});
