import {
  credentialsFromEnvironment,
  SigV4DynamoDbTokenStore,
} from '../../../lambda/adapters/sigv4-dynamodb-token-store.ts';
import type { DynamoDBClient } from './dynamodb-client-shim.ts';

/**
 * Stands in for `lambda/adapters/dynamodb-token-store.ts` in `lambda/authorizer.ts` when the bench
 * bundles the SigV4 wiring: the same constructor options, answered by {@link SigV4DynamoDbTokenStore}
 * with the Lambda's environment credentials. What the composition root would do once rewired.
 */
export class DynamoDbTokenStore extends SigV4DynamoDbTokenStore {
  constructor(options: {
    readonly client: DynamoDBClient;
    readonly tableName: string;
    readonly keyAttribute?: string;
    readonly timeoutMs: number;
  }) {
    const { region, endpoint } = options.client.config;
    super({
      tableName: options.tableName,
      ...(options.keyAttribute ? { keyAttribute: options.keyAttribute } : {}),
      region: region ?? process.env.AWS_REGION ?? '',
      ...(endpoint ? { endpoint } : {}),
      credentials: credentialsFromEnvironment(process.env),
      timeoutMs: options.timeoutMs,
    });
  }
}
