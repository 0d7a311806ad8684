import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { createLocalDynamoDbClient } from './dynamodb-client.ts';

/** Options for {@link createTokenTable}. */
export interface TokenTableOptions {
  /** `http://127.0.0.1:PORT` of a local DynamoDB API. */
  readonly endpoint: string;
  readonly tableName: string;
  /** Partition key (type S) holding the hashed signature. @default 'hashed_signature' */
  readonly keyAttribute?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** How long to wait for the table to become ACTIVE. @default 10000 */
  readonly timeoutMs?: number;
}

/** The table as created. */
export interface TokenTable {
  readonly tableName: string;
  readonly keyAttribute: string;
  readonly tableArn: string;
}

const POLL_INTERVAL_MS = 20;

/**
 * Creates the split-token table (partition key S, on demand) at a local endpoint and waits until it
 * is ACTIVE. No TTL is set: dynalite has none.
 */
export async function createTokenTable(options: TokenTableOptions): Promise<TokenTable> {
  const keyAttribute = options.keyAttribute ?? 'hashed_signature';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const client = createLocalDynamoDbClient({
    endpoint: options.endpoint,
    ...(options.region === undefined ? {} : { region: options.region }),
  });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: options.tableName,
        AttributeDefinitions: [{ AttributeName: keyAttribute, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: keyAttribute, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { Table: table } = await client.send(new DescribeTableCommand({ TableName: options.tableName }));
      if (table?.TableStatus === 'ACTIVE') {
        return { tableName: options.tableName, keyAttribute, tableArn: table.TableArn ?? '' };
      }
      if (Date.now() >= deadline) {
        throw new Error(`table ${options.tableName} not ACTIVE after ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  } finally {
    client.destroy();
  }
}
