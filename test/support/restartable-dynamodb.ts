import { startDynamoDbServer } from '../../local/dynamodb-server.ts';

/** dynalite that can go down and come back on its port with its data, as a real outage would. */
export interface RestartableDynamoDb {
  readonly endpoint: string;
  readonly port: number;
  readonly running: boolean;
  /** Refuses connections from now on (open ones are dropped); the data stays in memory. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Stops for good and frees the store. */
  close(): Promise<void>;
}

/**
 * One dynalite instance (in memory) on 127.0.0.1 whose listener can be closed and reopened. Unlike
 * stopping it and starting a new one, the tables and items survive, so a test sees the authorizer
 * recover from the outage itself rather than meet lost records.
 */
export async function startRestartableDynamoDb(): Promise<RestartableDynamoDb> {
  const db = await startDynamoDbServer();
  return {
    endpoint: db.endpoint,
    port: db.port,
    get running() {
      return db.outage.up;
    },
    stop: () => db.outage.interrupt(),
    start: () => db.outage.resume(),
    close: async () => {
      await db.outage.resume();
      await db.stop();
    },
  };
}
