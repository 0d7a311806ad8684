import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Options for {@link createLocalDynamoDbClient}. */
export interface LocalDynamoDbClientOptions {
  /** `http://127.0.0.1:PORT` of a local DynamoDB API. */
  readonly endpoint: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** SDK attempts per call, retries included. @default 3 (the SDK's own default) */
  readonly maxAttempts?: number;
}

/**
 * Dummy static credentials: dynalite does not check signatures, and the local stack must never pick
 * up real ones from the environment.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** The region local clients sign for; dynalite accepts any. */
export const LOCAL_REGION = 'us-east-1';

/** A DynamoDB client for a local endpoint, with dummy credentials. The caller destroys it. */
export function createLocalDynamoDbClient(options: LocalDynamoDbClientOptions): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region ?? LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  });
}
