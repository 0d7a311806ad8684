import type { SplitTokenRecordToWrite } from '../core/issuing/split-token.ts';
import { type StoredTokenRecord, TokenWriteError, type TokenWriter } from '../core/issuing/token-writer.ts';
import { type DynamoDbCallOutcome, DynamoDbJsonApi, type DynamoDbJsonApiOptions } from './dynamodb-json-api.ts';
import { RecordAttributes } from './token-record-attributes.ts';

/** Settings of {@link SigV4DynamoDbTokenWriter}. */
export interface SigV4DynamoDbTokenWriterOptions extends DynamoDbJsonApiOptions {
  readonly tableName: string;
  /** Partition key attribute. @default 'hashed_signature' */
  readonly keyAttribute?: string;
  /** Deadline of one call, retries included. @default 2000 */
  readonly timeoutMs?: number;
}

/** A `PutItem` or `DeleteItem` answer is `{}` (no return values asked for). */
const MAX_WRITE_RESPONSE_BYTES = 64 * 1024;
/** An item is at most 400 KB; a larger answer is not a GetItem answer. */
const MAX_READ_RESPONSE_BYTES = 1024 * 1024;

type DynamoDbItem = Readonly<Record<string, { readonly S?: unknown } | undefined>>;

/**
 * Writes split-token records in the DESIGN section 2 format (`hashed_signature` S, `head_and_body` S,
 * `expiration` N) with a conditional `PutItem` that never replaces another record, reads one back
 * with a strongly consistent `GetItem` before revoking it (whose token is it?), and deletes it, over
 * {@link DynamoDbJsonApi}: SigV4 on node:crypto through the function's HTTP client, no AWS SDK.
 * Needs `dynamodb:PutItem`, and for revocation `dynamodb:GetItem` and `dynamodb:DeleteItem`.
 *
 * Every call may be sent more than once (throttling, 5xx answers and connection faults are tried
 * again within the deadline; a request that met a dead kept-alive connection is sent once more), so
 * each is made idempotent. The put's condition lets it through when the key is free or already holds
 * this very record (same `head_and_body`, same `expiration`): a put sent again after the first one
 * landed succeeds instead of reporting its own record as a duplicate, which would cost the client a
 * token whose grant the authorization server has already used up. A different record under the key
 * is never replaced (`duplicate_record`). A read, and a delete, do the same thing twice.
 *
 * Failures throw {@link TokenWriteError}; messages name the DynamoDB error, never a key or a record.
 */
export class SigV4DynamoDbTokenWriter implements TokenWriter {
  private readonly api: DynamoDbJsonApi;
  private readonly tableName: string;
  private readonly keyAttribute: string;
  private readonly timeoutMs: number;

  constructor(options: SigV4DynamoDbTokenWriterOptions) {
    this.api = new DynamoDbJsonApi(options);
    this.tableName = options.tableName;
    this.keyAttribute = options.keyAttribute ?? RecordAttributes.hashedSignature;
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  async write(record: SplitTokenRecordToWrite): Promise<void> {
    const headAndBody = { S: record.headAndBody };
    const expiration = { N: String(record.expiration) };
    const body = JSON.stringify({
      TableName: this.tableName,
      Item: {
        [this.keyAttribute]: { S: record.hashedSignature },
        [RecordAttributes.headAndBody]: headAndBody,
        [RecordAttributes.expiration]: expiration,
      },
      // Free, or already this record (a resent put whose first copy landed): never another record.
      ConditionExpression: 'attribute_not_exists(#key) OR (#hb = :hb AND #exp = :exp)',
      ExpressionAttributeNames: {
        '#key': this.keyAttribute,
        '#hb': RecordAttributes.headAndBody,
        '#exp': RecordAttributes.expiration,
      },
      ExpressionAttributeValues: { ':hb': headAndBody, ':exp': expiration },
    });
    const outcome = await this.call('PutItem', body, MAX_WRITE_RESPONSE_BYTES);
    if (outcome.ok) return;
    if (outcome.errorType === 'ConditionalCheckFailedException') {
      throw new TokenWriteError('duplicate_record', 'A record with this key exists already');
    }
    throw new TokenWriteError('store_unavailable', `DynamoDB PutItem failed (${outcome.failure})`);
  }

  async read(hashedSignature: string): Promise<StoredTokenRecord | undefined> {
    const body = JSON.stringify({
      TableName: this.tableName,
      Key: { [this.keyAttribute]: { S: hashedSignature } },
      // Revocation follows its own write in the home region: read what was written, not a stale copy.
      ConsistentRead: true,
      ProjectionExpression: '#hb',
      ExpressionAttributeNames: { '#hb': RecordAttributes.headAndBody },
    });
    const outcome = await this.call('GetItem', body, MAX_READ_RESPONSE_BYTES);
    if (!outcome.ok) throw new TokenWriteError('store_unavailable', `DynamoDB GetItem failed (${outcome.failure})`);
    let item: DynamoDbItem | null | undefined;
    try {
      item = (JSON.parse(outcome.body) as { Item?: DynamoDbItem | null } | null)?.Item;
    } catch {
      throw new TokenWriteError('store_unavailable', 'DynamoDB GetItem failed (the answer does not parse)');
    }
    if (item === undefined || item === null) return undefined;
    const headAndBody = item[RecordAttributes.headAndBody]?.S;
    return { headAndBody: typeof headAndBody === 'string' ? headAndBody : undefined };
  }

  async delete(hashedSignature: string): Promise<void> {
    const body = JSON.stringify({ TableName: this.tableName, Key: { [this.keyAttribute]: { S: hashedSignature } } });
    const outcome = await this.call('DeleteItem', body, MAX_WRITE_RESPONSE_BYTES);
    if (!outcome.ok) throw new TokenWriteError('store_unavailable', `DynamoDB DeleteItem failed (${outcome.failure})`);
  }

  /** Every call is idempotent (see the class): the transport may send it again on a fresh connection. */
  private call(operation: string, body: string, maxBodyBytes: number): Promise<DynamoDbCallOutcome> {
    return this.api.call(operation, body, { timeoutMs: this.timeoutMs, maxBodyBytes, idempotent: true });
  }
}
