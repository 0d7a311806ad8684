import type { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { SplitTokenRecord } from '../../lambda/core/ports.ts';

/**
 * Stands in for a DynamoDBClient so the real DynamoDbTokenStore adapter can run at in-process
 * speed in property tests: it answers GetItem from a Map keyed by the hashed signature, honouring
 * the projection, and counts reads. Anything else it is sent is a test bug.
 */
export class InMemoryDynamoDbClient {
  readonly records = new Map<string, SplitTokenRecord>();
  getItems = 0;
  private readonly keyAttribute: string;

  constructor(keyAttribute = 'hashed_signature') {
    this.keyAttribute = keyAttribute;
  }

  /** This object where the authorizer wants a DynamoDBClient. */
  asClient(): DynamoDBClient {
    return this as unknown as DynamoDBClient;
  }

  async send(command: GetItemCommand): Promise<{ Item?: Record<string, { S?: string; N?: string }> }> {
    if (command.constructor.name !== 'GetItemCommand') throw new Error(`unexpected ${command.constructor.name}`);
    this.getItems++;
    const key = command.input.Key?.[this.keyAttribute]?.S;
    const record = key === undefined ? undefined : this.records.get(key);
    if (record === undefined) return {};
    return { Item: { head_and_body: { S: record.headAndBody }, expiration: { N: String(record.expiration) } } };
  }

  destroy(): void {}
}
