import dynalite from 'dynalite';
import { closeServer, LOOPBACK_HOST, listenOnLoopback, type OutageSwitch, outageSwitchFor } from './loopback-http.ts';

/** Options for {@link startDynamoDbServer}. */
export interface DynamoDbServerOptions {
  /**
   * Port to listen on; pass the port of a stopped server to bring it back at the same endpoint.
   * @default 0 (a free port)
   */
  readonly port?: number;
}

/** A running in-memory DynamoDB API (dynalite) on 127.0.0.1. */
export interface DynamoDbServer {
  /** `http://127.0.0.1:PORT`, for the SDK client's `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  /** Takes the server down and back up on its port, keeping its data (fault tests, the soak). */
  readonly outage: OutageSwitch;
  /** Closes the listener and every connection; data is lost. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts dynalite in memory on 127.0.0.1. Tables become ACTIVE at once (no CREATING delay).
 * dynalite has no TTL: expired items never vanish.
 */
export async function startDynamoDbServer(options: DynamoDbServerOptions = {}): Promise<DynamoDbServer> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listenOnLoopback(server, options.port ?? 0);
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${LOOPBACK_HOST}:${port}`,
    port,
    outage: outageSwitchFor(server, port),
    stop: () => {
      stopping ??= closeServer(server);
      return stopping;
    },
  };
}
