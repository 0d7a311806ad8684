import { SigV4DynamoDbTokenWriter } from '../../lambda/adapters/sigv4-dynamodb-token-writer.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb-client.ts';

/** The token endpoint proxy's writer against a local DynamoDB (dynalite), one attempt per call. */
export function localTokenWriter(endpoint: string, tableName: string): SigV4DynamoDbTokenWriter {
  return new SigV4DynamoDbTokenWriter({
    tableName,
    timeoutMs: 2000,
    maxAttempts: 1,
    region: LOCAL_REGION,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
}
