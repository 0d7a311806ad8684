import { connect, createServer, type Server, type Socket } from 'node:net';

/** How the proxy treats traffic. */
export type ProxyMode =
  /** Forward both ways, each chunk held back by the current delay. */
  | 'forward'
  /** Accept connections and read them, but never forward or answer: a hung server. */
  | 'blackhole';

/** A running delaying proxy. */
export interface DelayingTcpProxy {
  /** `http://127.0.0.1:PORT`, for HTTP clients. */
  readonly endpoint: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Holds back every later chunk, both ways, by `ms`. */
  setDelay(ms: number): void;
  setMode(mode: ProxyMode): void;
  /** Drops every open connection (clients see a reset), keeping the listener. */
  dropConnections(): void;
  stop(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 in front of `targetPort` that can slow traffic down or swallow it, to
 * fault real servers without touching them. Order is kept: chunks are forwarded in arrival order,
 * each no earlier than its arrival plus the delay in force when it arrived.
 */
export async function startDelayingTcpProxy(
  targetPort: number,
  options: { delayMs?: number; mode?: ProxyMode } = {},
): Promise<DelayingTcpProxy> {
  let delayMs = options.delayMs ?? 0;
  let mode: ProxyMode = options.mode ?? 'forward';
  let connections = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };

  const server: Server = createServer((client) => {
    connections++;
    track(client);
    if (mode === 'blackhole') {
      client.resume();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    track(upstream);
    pipeDelayed(client, upstream, () => delayMs);
    pipeDelayed(upstream, client, () => delayMs);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy is not bound to a TCP port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    get connections() {
      return connections;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    setMode: (next) => {
      mode = next;
    },
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Copies `from` to `to`, holding each chunk back by the delay, in order. */
function pipeDelayed(from: Socket, to: Socket, delay: () => number): void {
  let queue = Promise.resolve();
  from.on('data', (chunk) => {
    const dueAt = Date.now() + delay();
    queue = queue.then(async () => {
      const wait = dueAt - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (!to.destroyed) to.write(chunk);
    });
  });
  from.on('end', () => {
    queue = queue.then(() => {
      if (!to.destroyed) to.end();
    });
  });
}
