import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandOutput,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { SplitTokenRecordToWrite } from '../core/issuing/split-token.ts';
import { type StoredTokenRecord, TokenWriteError, type TokenWriter } from '../core/issuing/token-writer.ts';
import { RecordAttributes } from './token-record-attributes.ts';

/** Settings of {@link DynamoDbTokenWriter}. */
export interface DynamoDbTokenWriterOptions {
  /** One client, made at init and reused across invocations. */
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Partition key attribute. @default 'hashed_signature' */
  readonly keyAttribute?: string;
  /** Deadline of one call, SDK retries included. @default 2000 */
  readonly timeoutMs?: number;
}

/**
 * Writes split-token records in the DESIGN section 2 format (`hashed_signature` S, `head_and_body` S,
 * `expiration` N) with a conditional `PutItem` that never overwrites, reads one back with a
 * `GetItem` before revoking it (whose token is it?), and deletes it. Needs `dynamodb:PutItem`, and
 * for revocation `dynamodb:GetItem` and `dynamodb:DeleteItem`.
 */
export class DynamoDbTokenWriter implements TokenWriter {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly keyAttribute: string;
  private readonly timeoutMs: number;

  constructor(options: DynamoDbTokenWriterOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.keyAttribute = options.keyAttribute ?? RecordAttributes.hashedSignature;
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  async write(record: SplitTokenRecordToWrite): Promise<void> {
    const command = new PutItemCommand({
      TableName: this.tableName,
      Item: {
        [this.keyAttribute]: { S: record.hashedSignature },
        [RecordAttributes.headAndBody]: { S: record.headAndBody },
        [RecordAttributes.expiration]: { N: String(record.expiration) },
      },
      // A record is written once: never replace one (a collision, or a replayed write).
      ConditionExpression: 'attribute_not_exists(#key)',
      ExpressionAttributeNames: { '#key': this.keyAttribute },
    });
    try {
      await this.client.send(command, { abortSignal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || nameOf(error) === 'ConditionalCheckFailedException') {
        throw new TokenWriteError('duplicate_record', 'A record with this key exists already', { cause: error });
      }
      throw new TokenWriteError('store_unavailable', `DynamoDB PutItem failed (${nameOf(error)})`, { cause: error });
    }
  }

  async read(hashedSignature: string): Promise<StoredTokenRecord | undefined> {
    const command = new GetItemCommand({
      TableName: this.tableName,
      Key: { [this.keyAttribute]: { S: hashedSignature } },
      // Revocation follows its own write in the home region: read what was written, not a stale copy.
      ConsistentRead: true,
      ProjectionExpression: '#headAndBody',
      ExpressionAttributeNames: { '#headAndBody': RecordAttributes.headAndBody },
    });
    let item: GetItemCommandOutput['Item'];
    try {
      ({ Item: item } = await this.client.send(command, { abortSignal: AbortSignal.timeout(this.timeoutMs) }));
    } catch (error) {
      throw new TokenWriteError('store_unavailable', `DynamoDB GetItem failed (${nameOf(error)})`, { cause: error });
    }
    if (item === undefined) return undefined;
    return { headAndBody: item[RecordAttributes.headAndBody]?.S };
  }

  async delete(hashedSignature: string): Promise<void> {
    const command = new DeleteItemCommand({
      TableName: this.tableName,
      Key: { [this.keyAttribute]: { S: hashedSignature } },
    });
    try {
      await this.client.send(command, { abortSignal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new TokenWriteError('store_unavailable', `DynamoDB DeleteItem failed (${nameOf(error)})`, {
        cause: error,
      });
    }
  }
}

function nameOf(error: unknown): string {
  if (error instanceof Error) return error.name === 'TimeoutError' ? 'timeout' : error.name;
  return 'unknown error';
}
