import { Server } from 'node:http';

/** The only interface local servers bind to. */
export const LOOPBACK_HOST = '127.0.0.1';

/** Time for in-process clients to notice their sockets closed (one poll phase is not always enough). */
const CLOSE_GRACE_MS = 10;

/**
 * Listens on 127.0.0.1 and resolves with the bound port.
 *
 * @param port - the port to bind, 0 for a free one
 */
export function listenOnLoopback(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, LOOPBACK_HOST, () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('server is not bound to a TCP port'));
        return;
      }
      resolve(address.port);
    });
  });
}

/**
 * Stops listening and drops every open socket, keep-alive ones included, so that the port refuses
 * connections as soon as the promise resolves and can be bound again. Resolves only after a short
 * grace, so that in-process clients (fetch, the AWS SDK) have seen their pooled keep-alive sockets
 * close and will not reuse them against a server restarted on the port ("other side closed").
 * Clients in other processes may still meet one such stale socket, as with any real restart.
 */
export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  await new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
  await new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS));
}

/** A listener that can refuse connections for a while and come back on its port with its state. */
export interface OutageSwitch {
  /** Whether it accepts connections now. */
  readonly up: boolean;
  /** Refuses connections from now on (open ones are dropped); the server's state stays in memory. */
  interrupt(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
}

/**
 * An outage switch over a listening server, for fault tests and the soak. It uses the plain
 * `http.Server` methods, bypassing own overrides such as dynalite's `close`, which would also drop its data.
 */
export function outageSwitchFor(server: Server, port: number): OutageSwitch {
  return {
    get up() {
      return server.listening;
    },
    async interrupt() {
      if (!server.listening) return;
      await new Promise<void>((resolve) => {
        Server.prototype.close.call(server, () => resolve());
        server.closeAllConnections();
      });
      await new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS));
    },
    async resume() {
      if (server.listening) return;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        Server.prototype.listen.call(server, { port, host: LOOPBACK_HOST }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
  };
}
