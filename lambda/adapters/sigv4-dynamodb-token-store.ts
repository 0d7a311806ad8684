import { DependencyError } from '../core/dependency-error.ts';
import type { SplitTokenRecord, TokenStore } from '../core/ports.ts';
import { DynamoDbJsonApi, type DynamoDbJsonApiOptions } from './dynamodb-json-api.ts';
import { RecordAttributes } from './token-record-attributes.ts';

/** Settings of {@link SigV4DynamoDbTokenStore}. */
export interface SigV4DynamoDbTokenStoreOptions extends DynamoDbJsonApiOptions {
  readonly tableName: string;
  /** @default 'hashed_signature' */
  readonly keyAttribute?: string;
  /** Deadline of one read, retries included. */
  readonly timeoutMs: number;
  /**
   * Ask for a strongly consistent read (`ConsistentRead`): with a multi-Region strongly consistent
   * table, the latest write from any region; it costs a cross-region round trip and fails while
   * this region cannot reach a second one.
   * @default false (an eventually consistent read of the local replica)
   */
  readonly consistentRead?: boolean;
}

/** An item is at most 400 KB; a larger answer is not a GetItem answer. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

type DynamoDbItem = Readonly<Record<string, { readonly S?: unknown; readonly N?: unknown } | undefined>>;

/**
 * Reads split-token records with one `GetItem` (eventually consistent unless asked otherwise) over
 * {@link DynamoDbJsonApi}: SigV4 on node:crypto through the function's HTTP client, no AWS SDK.
 * Faults throw {@link DependencyError} (`token_store_unavailable`); messages hold no token material.
 */
export class SigV4DynamoDbTokenStore implements TokenStore {
  private readonly api: DynamoDbJsonApi;
  private readonly tableName: string;
  private readonly keyAttribute: string;
  private readonly timeoutMs: number;
  private readonly consistentRead: boolean;

  constructor(options: SigV4DynamoDbTokenStoreOptions) {
    this.api = new DynamoDbJsonApi(options);
    this.tableName = options.tableName;
    this.keyAttribute = options.keyAttribute ?? RecordAttributes.hashedSignature;
    this.timeoutMs = options.timeoutMs;
    this.consistentRead = options.consistentRead ?? false;
  }

  async getRecord(hashedSignature: string): Promise<SplitTokenRecord | undefined> {
    const body = JSON.stringify({
      TableName: this.tableName,
      Key: { [this.keyAttribute]: { S: hashedSignature } },
      ProjectionExpression: '#hb, #exp',
      ExpressionAttributeNames: { '#hb': RecordAttributes.headAndBody, '#exp': RecordAttributes.expiration },
      ...(this.consistentRead ? { ConsistentRead: true } : {}),
    });
    // A read: sending it again on a fresh connection does no harm.
    const outcome = await this.api.call('GetItem', body, {
      timeoutMs: this.timeoutMs,
      maxBodyBytes: MAX_RESPONSE_BYTES,
      idempotent: true,
    });
    if (!outcome.ok) {
      throw new DependencyError('token_store_unavailable', `DynamoDB GetItem failed (${outcome.failure})`);
    }
    return recordOf(outcome.body);
  }
}

/** The record in a 200 answer, undefined when there is no item. */
function recordOf(body: string): SplitTokenRecord | undefined {
  let parsed: { Item?: DynamoDbItem } | null;
  try {
    parsed = JSON.parse(body) as { Item?: DynamoDbItem } | null;
  } catch {
    throw new DependencyError('token_store_unavailable', 'DynamoDB GetItem failed (the answer does not parse)');
  }
  const item = parsed?.Item;
  if (item === undefined || item === null) return undefined;
  // A record without usable attributes is refused as expired, not introspected.
  const headAndBody = item[RecordAttributes.headAndBody]?.S;
  const expiration = Number(item[RecordAttributes.expiration]?.N);
  return {
    headAndBody: typeof headAndBody === 'string' ? headAndBody : '',
    expiration: Number.isFinite(expiration) ? expiration : 0,
  };
}
