import { DescribeTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createLocalDynamoDbClient } from '../../local/dynamodb-client.ts';
import { startDynamoDbServer } from '../../local/dynamodb-server.ts';
import { createTokenTable } from '../../local/token-table.ts';

const TABLE = 'tokens';

describe('local DynamoDB server', () => {
  it('listens on 127.0.0.1 and creates an ACTIVE on-demand token table', async () => {
    const server = await startDynamoDbServer();
    const client = createLocalDynamoDbClient({ endpoint: server.endpoint });
    try {
      const table = await createTokenTable({ endpoint: server.endpoint, tableName: TABLE });
      const { Table: description } = await client.send(new DescribeTableCommand({ TableName: TABLE }));

      expect(server.endpoint).toBe(`http://127.0.0.1:${server.port}`);
      expect(table).toMatchObject({ tableName: TABLE, keyAttribute: 'hashed_signature' });
      expect(description).toMatchObject({
        TableStatus: 'ACTIVE',
        KeySchema: [{ AttributeName: 'hashed_signature', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'hashed_signature', AttributeType: 'S' }],
        BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
      });
    } finally {
      client.destroy();
      await server.stop();
    }
  });

  it('stores and reads back a split-token record', async () => {
    const server = await startDynamoDbServer();
    const client = createLocalDynamoDbClient({ endpoint: server.endpoint });
    try {
      await createTokenTable({ endpoint: server.endpoint, tableName: TABLE, keyAttribute: 'hash' });
      const item = {
        hash: { S: 'q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c=' },
        head_and_body: { S: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0' },
        expiration: { N: '1900000000' },
      };

      await client.send(new PutItemCommand({ TableName: TABLE, Item: item }));
      const { Item: read } = await client.send(
        new GetItemCommand({ TableName: TABLE, Key: { hash: item.hash }, ConsistentRead: true }),
      );

      expect(read).toEqual(item);
    } finally {
      client.destroy();
      await server.stop();
    }
  });

  it('refuses connections once stopped', async () => {
    const server = await startDynamoDbServer();
    await createTokenTable({ endpoint: server.endpoint, tableName: TABLE });
    const client = createLocalDynamoDbClient({ endpoint: server.endpoint, maxAttempts: 1 });
    try {
      await server.stop();
      const error = await client.send(new DescribeTableCommand({ TableName: TABLE })).then(
        () => undefined,
        (reason: unknown) => reason as { code?: string },
      );

      expect(error?.code).toBe('ECONNREFUSED');
    } finally {
      client.destroy();
    }
  });

  it('starts again on the same port, empty, after a stop', async () => {
    const first = await startDynamoDbServer();
    await createTokenTable({ endpoint: first.endpoint, tableName: TABLE });
    await first.stop();

    const second = await startDynamoDbServer({ port: first.port });
    try {
      const table = await createTokenTable({ endpoint: second.endpoint, tableName: TABLE });

      expect(second.endpoint).toBe(first.endpoint);
      expect(table.tableName).toBe(TABLE);
    } finally {
      await second.stop();
    }
  });

  it('can be stopped twice', async () => {
    const server = await startDynamoDbServer();

    await server.stop();

    await expect(server.stop()).resolves.toBeUndefined();
  });
});
