import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { closeServer, listenOnLoopback } from '../../local/loopback-http.ts';

/** One request that went through the proxy. */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  /** `x-amz-target` (DynamoDB operations: `DynamoDB_20120810.GetItem`), when present. */
  readonly target: string | undefined;
  readonly atMs: number;
}

/** A running counting proxy. */
export interface CountingHttpProxy {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly endpoint: string;
  readonly port: number;
  /** Every request so far, oldest first. */
  readonly requests: readonly ProxiedRequest[];
  /** TCP connections clients opened to the proxy so far (kept-alive ones count once). */
  readonly connections: number;
  /** Requests whose path starts with `pathPrefix` (or whose target ends with it, for DynamoDB). */
  count(match?: string): number;
  reset(): void;
  stop(): Promise<void>;
}

/**
 * An HTTP reverse proxy on 127.0.0.1 that forwards every request to `target` unchanged and records
 * it, so tests can count what reached a real server (JWKS fetches and introspection calls at
 * oidc-provider, GetItems at dynalite). An unreachable target is answered with 502.
 */
export async function startCountingHttpProxy(target: string): Promise<CountingHttpProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  let connections = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const target = header(incoming.headers, 'x-amz-target');
    requests.push({ method: incoming.method ?? 'GET', path: incoming.url ?? '/', target, atMs: Date.now() });
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forward.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end();
    });
    incoming.pipe(forward);
  });
  server.on('connection', () => {
    connections++;
  });
  const port = await listenOnLoopback(server, 0);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return connections;
    },
    count: (match) =>
      match === undefined
        ? requests.length
        : requests.filter((r) => r.path.startsWith(match) || (r.target?.endsWith(match) ?? false)).length,
    reset: () => {
      requests.length = 0;
      connections = 0;
    },
    stop: () => closeServer(server),
  };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
