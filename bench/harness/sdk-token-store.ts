import { type DynamoDBClient, GetItemCommand, type GetItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { RecordAttributes } from '../../lambda/adapters/token-record-attributes.ts';
import { DependencyError } from '../../lambda/core/dependency-error.ts';
import type { SplitTokenRecord, TokenStore } from '../../lambda/core/ports.ts';

/** Settings of {@link DynamoDbTokenStore}. */
export interface DynamoDbTokenStoreOptions {
  /** One client, made at init and reused across invocations. */
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** @default 'hashed_signature' */
  readonly keyAttribute?: string;
  /** Deadline of one read, SDK retries included. */
  readonly timeoutMs: number;
}

/**
 * The AWS SDK token store the authorizer shipped with before the SigV4 store replaced it; kept in the
 * bench so the split-miss section shows what the switch bought.
 */
export class DynamoDbTokenStore implements TokenStore {
  private readonly options: DynamoDbTokenStoreOptions;
  private readonly keyAttribute: string;

  constructor(options: DynamoDbTokenStoreOptions) {
    this.options = options;
    this.keyAttribute = options.keyAttribute ?? RecordAttributes.hashedSignature;
  }

  async getRecord(hashedSignature: string): Promise<SplitTokenRecord | undefined> {
    const command = new GetItemCommand({
      TableName: this.options.tableName,
      Key: { [this.keyAttribute]: { S: hashedSignature } },
      ProjectionExpression: '#hb, #exp',
      ExpressionAttributeNames: { '#hb': RecordAttributes.headAndBody, '#exp': RecordAttributes.expiration },
    });
    let item: GetItemCommandOutput['Item'];
    try {
      const output = await this.options.client.send(command, {
        abortSignal: AbortSignal.timeout(this.options.timeoutMs),
      });
      item = output.Item;
    } catch (error) {
      throw new DependencyError('token_store_unavailable', `DynamoDB GetItem failed (${nameOf(error)})`, {
        cause: error,
      });
    }
    if (item === undefined) return undefined;
    // A record without usable attributes is not a valid token: expiration 0 makes the core refuse it
    // as expired rather than fall back to introspection.
    const expiration = Number(item[RecordAttributes.expiration]?.N);
    return {
      headAndBody: item[RecordAttributes.headAndBody]?.S ?? '',
      expiration: Number.isFinite(expiration) ? expiration : 0,
    };
  }
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown error';
}
