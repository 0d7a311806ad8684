import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AuthorizationServerFront, FrontResponse } from '../lambda/core/issuing/authorization-server-front.ts';
import type { DecisionLog } from '../lambda/core/ports.ts';
import { closeServer, LOOPBACK_HOST, listenOnLoopback } from './loopback-http.ts';
import { BodyTooLargeError, createLocalServer, type MutualTlsServerOptions, readBodyBytes } from './node-http.ts';

/** Options for {@link listenFrontServer}. */
export interface FrontServerOptions {
  /** Port on 127.0.0.1. @default 0 (a free port) */
  readonly port?: number;
  /**
   * Largest request body read; past it the client gets 413 before anything is passed on. The
   * front bounds what it passes on by its own setting as well.
   * @default 1048576
   */
  readonly maxBodyBytes?: number;
  /** Token-free access log, one line per request. @default none */
  readonly log?: DecisionLog;
  /**
   * Serve HTTPS with mutual TLS, as an HTTP API custom domain with mutual TLS does (RFC 8705's
   * `mtls_endpoint_aliases` are such a host): a client certificate chaining to `clientCa` is
   * required, and the front passes it on to the authorization server. @default plain HTTP
   */
  readonly mutualTls?: MutualTlsServerOptions;
}

/** The authorization server front served over HTTP on 127.0.0.1. */
export interface FrontServer {
  /** `http://127.0.0.1:PORT`: the issuer clients discover from. */
  readonly origin: string;
  readonly port: number;
  /**
   * Starts serving `front`. Until then every request is answered 503: the origin must exist
   * before the authorization server behind it, which takes it as its issuer, is started.
   */
  serve(front: AuthorizationServerFront): void;
  /** Closes the listener and every connection. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 and hands each request to an {@link AuthorizationServerFront}, with what
 * this server saw of the connection: the TCP peer's address, `http`, and its own host and port
 * (never the client's `Host` header). Repeated headers are joined (cookies with `; `), the body is
 * read as bytes, and each cookie the front returns becomes its own `Set-Cookie` header.
 */
export async function listenFrontServer(options: FrontServerOptions = {}): Promise<FrontServer> {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  let front: AuthorizationServerFront | undefined;
  let host = '';

  const mutualTls = options.mutualTls;
  const onRequest = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    answer(incoming)
      .catch((error: unknown) => {
        if (error instanceof BodyTooLargeError) return jsonAnswer(413, 'invalid_request', 'request too large');
        options.log?.error('front failure', { detail: error instanceof Error ? error.name : 'unknown' });
        return jsonAnswer(500, 'server_error', 'internal error');
      })
      .then((response) => {
        send(outgoing, response);
        options.log?.info('front request', { method: incoming.method, status: response.status });
      });
  };
  const server = createLocalServer(onRequest, mutualTls);

  async function answer(incoming: IncomingMessage): Promise<FrontResponse> {
    const body = new Uint8Array(await readBodyBytes(incoming, maxBodyBytes));
    if (front === undefined) return jsonAnswer(503, 'temporarily_unavailable', 'starting');
    const target = incoming.url ?? '/';
    const queryAt = target.indexOf('?');
    return front.handle({
      method: incoming.method ?? 'GET',
      path: queryAt === -1 ? target : target.slice(0, queryAt),
      query: queryAt === -1 ? '' : target.slice(queryAt + 1),
      headers: joinedHeaders(incoming.rawHeaders),
      body,
      seen: {
        clientAddress: incoming.socket.remoteAddress,
        protocol: mutualTls === undefined ? 'http' : 'https',
        host,
        ...(mutualTls === undefined ? {} : peerCertificate(incoming.socket as TLSSocket)),
      },
    });
  }

  const port = await listenOnLoopback(server, options.port ?? 0);
  host = `${LOOPBACK_HOST}:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    origin: `${mutualTls === undefined ? 'http' : 'https'}://${host}`,
    port,
    serve: (next) => {
      front = next;
    },
    stop: () => {
      stopping ??= closeServer(server);
      return stopping;
    },
  };
}

/** The peer's certificate as PEM, as API Gateway hands it on (`clientCertPem`). */
function peerCertificate(socket: TLSSocket): { clientCertificatePem?: string } {
  const raw = socket.getPeerCertificate?.()?.raw;
  if (raw === undefined || raw.length === 0) return {};
  const lines = raw.toString('base64').match(/.{1,64}/g) ?? [];
  return { clientCertificatePem: `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n` };
}

/** Lower-case names; repeats joined as HTTP allows: `cookie` with `; ` (RFC 6265 section 5.4), others with `, `. */
export function joinedHeaders(rawHeaders: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return headers;
}

function send(response: ServerResponse, answer: FrontResponse): void {
  const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : Buffer.from(answer.body);
  const headers: Record<string, string | string[]> = { ...answer.headers, 'content-length': String(body.length) };
  if (answer.cookies.length > 0) headers['set-cookie'] = [...answer.cookies];
  response.writeHead(answer.status, headers);
  response.end(body);
}

function jsonAnswer(status: number, error: string, description: string): FrontResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    cookies: [],
    body: JSON.stringify({ error, error_description: description }),
  };
}
