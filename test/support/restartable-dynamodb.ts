import { Server } from 'node:http';
import dynalite from 'dynalite';
import { closeServer, LOOPBACK_HOST, listenOnLoopback } from '../../local/loopback-http.ts';

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
 * stopping local/dynamodb-server.ts and starting a new one, the tables and items survive, so a
 * test sees the authorizer recover from the outage itself rather than meet lost records.
 * (dynalite's own `close` also closes its store and recreates it empty on the next `listen`, so
 * the plain http.Server methods are used in between.)
 */
export async function startRestartableDynamoDb(): Promise<RestartableDynamoDb> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listenOnLoopback(server, 0);
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      Server.prototype.listen.call(server, { port, host: LOOPBACK_HOST }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  return {
    endpoint: `http://${LOOPBACK_HOST}:${port}`,
    port,
    get running() {
      return server.listening;
    },
    stop: async () => {
      if (!server.listening) return;
      await new Promise<void>((resolve) => {
        Server.prototype.close.call(server, () => resolve());
        server.closeAllConnections();
      });
    },
    start: async () => {
      if (!server.listening) await listen();
    },
    close: async () => {
      if (!server.listening) await listen();
      await closeServer(server);
    },
  };
}
