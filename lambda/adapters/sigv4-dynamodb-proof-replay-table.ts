import { DependencyError } from '../core/dependency-error.ts';
import type { ProofReplayGuard } from '../core/proof-replay.ts';
import { DynamoDbJsonApi, type DynamoDbJsonApiOptions } from './dynamodb-json-api.ts';
import { ProofReplayAttributes } from './proof-replay-attributes.ts';

/** Settings of {@link SigV4DynamoDbProofReplayTable}. */
export interface SigV4DynamoDbProofReplayTableOptions extends DynamoDbJsonApiOptions {
  readonly tableName: string;
  /** Deadline of one write, retries included. */
  readonly timeoutMs: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly clock?: () => number;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * The DPoP replay guard every authorizer instance shares: one conditional `PutItem` per proof
 * (`attribute_not_exists(proof_id) OR expires_at < :now`, since DynamoDB's TTL deletes late), so
 * a proof any instance has accepted is refused by all the others. `ConditionalCheckFailedException`
 * is a replay; any other failure is a {@link DependencyError} (500), never an accepted replay.
 * Signed with SigV4 like the token store's `GetItem` ({@link DynamoDbJsonApi}): no AWS SDK in the
 * authorizer. The role needs `dynamodb:PutItem` on this table only.
 */
export class SigV4DynamoDbProofReplayTable implements ProofReplayGuard {
  private readonly api: DynamoDbJsonApi;
  private readonly tableName: string;
  private readonly timeoutMs: number;
  private readonly clock: () => number;

  constructor(options: SigV4DynamoDbProofReplayTableOptions) {
    this.api = new DynamoDbJsonApi(options);
    this.tableName = options.tableName;
    this.timeoutMs = options.timeoutMs;
    this.clock = options.clock ?? Date.now;
  }

  async firstUse(key: string, expiresAtMs: number): Promise<boolean> {
    const body = JSON.stringify({
      TableName: this.tableName,
      Item: {
        [ProofReplayAttributes.proofId]: { S: key },
        [ProofReplayAttributes.expiresAt]: { N: String(Math.ceil(expiresAtMs / 1000)) },
      },
      ConditionExpression: 'attribute_not_exists(#id) OR #exp < :now',
      ExpressionAttributeNames: { '#id': ProofReplayAttributes.proofId, '#exp': ProofReplayAttributes.expiresAt },
      ExpressionAttributeValues: { ':now': { N: String(Math.floor(this.clock() / 1000)) } },
    });
    // Not resent on a dead kept-alive connection: a put that did land would come back as a replay.
    const outcome = await this.api.call('PutItem', body, {
      timeoutMs: this.timeoutMs,
      maxBodyBytes: MAX_RESPONSE_BYTES,
      idempotent: false,
    });
    if (outcome.ok) return true;
    if (outcome.errorType === 'ConditionalCheckFailedException') return false;
    throw new DependencyError(
      'proof_replay_store_unavailable',
      `DynamoDB PutItem on the replay table failed (${outcome.failure})`,
    );
  }
}
