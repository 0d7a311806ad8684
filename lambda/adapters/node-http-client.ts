import type {
  ClientRequest,
  Agent as HttpAgentType,
  IncomingHttpHeaders,
  IncomingMessage,
  RequestOptions,
} from 'node:http';
import type { AgentOptions as HttpsAgentOptions, Agent as HttpsAgentType } from 'node:https';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { urlToHttpOptions } from 'node:url';
import {
  type HttpAnswer,
  type HttpByteAnswer,
  type HttpClient,
  HttpClientError,
  type HttpRequest,
  isIdempotent,
  REDIRECT_STATUSES,
} from '../core/http-client.ts';

// Loaded as CommonJS, not imported: on Node 24 an ES module import of node:http builds its namespace
// from every export, and reading them loads undici (with web streams and worker_threads), about
// 25 ms of every cold start; require() reads none of them. node:https is loaded alike to stay clear
// of the same trap. See the README's Performance section.
const nodeRequire = createRequire(import.meta.url);
const { Agent: HttpAgent, request: httpRequest } = nodeRequire('node:http') as typeof import('node:http');
const { Agent: HttpsAgent, request: httpsRequest } = nodeRequire('node:https') as typeof import('node:https');

/** Settings of {@link NodeHttpClient}. */
export interface NodeHttpClientOptions {
  /**
   * TLS settings of the https agent beside keep-alive, e.g. `ca` for a private certificate
   * authority in tests. @default Node's (the runtime's trusted CAs, `NODE_EXTRA_CA_CERTS`)
   */
  readonly tls?: Pick<HttpsAgentOptions, 'ca' | 'servername'>;
  /**
   * Wall time, for how long a connection has been idle. @default Date.now (it goes on while a
   * Lambda instance is frozen, when a monotonic clock may not)
   */
  readonly clock?: () => number;
}

/** Where requests to one URL go. */
interface Target {
  readonly send: typeof httpRequest;
  readonly agent: HttpAgentType;
  /** The URL as node:http request options (protocol, host, port, path with query, credentials). */
  readonly origin: RequestOptions;
  /** `host:port`, how the agent's pool names the origin's connections (the start of its names). */
  readonly originKey: string;
}

/** URLs remembered; far more than an adapter calls, few enough to bound memory against any caller. */
const MAX_TARGETS = 64;
/** Errors of a reused keep-alive connection the server had already closed: nothing was answered. */
const DEAD_CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;
/**
 * How long an idle connection is reused for a request that cannot be sent twice when the server has
 * not said how long it keeps one (`Keep-Alive: timeout`): under the 5 s of Node's servers.
 */
const DEFAULT_IDLE_REUSE_MS = 4000;
/** Taken off the time a server says it keeps an idle connection, as Node's agent does. */
const KEEP_ALIVE_MARGIN_MS = 1000;

/**
 * {@link HttpClient} over node:http and node:https with one keep-alive agent each, for the Lambda
 * adapters: a round trip costs less than with `fetch`, and nothing is loaded on first use (the first
 * `fetch` in a Node process spends tens of milliseconds setting undici up); see the README's
 * Performance section. Connections are kept and reused per origin, TLS sessions resumed. TLS
 * certificates are verified as Node verifies them.
 *
 * The body is counted as it streams and the connection closed as soon as it passes the limit (or
 * before reading when `Content-Length` already says it will); a body framed by `Content-Length` ends
 * where it says, whatever follows. Redirects are never followed. One deadline covers the whole
 * exchange. A request that meets a dead reused connection (reset or closed before any answer: the
 * server dropped it while the Lambda instance was frozen) is sent once more on another connection,
 * when it is idempotent ({@link HttpRequest.idempotent}). Answers are read as text ({@link request},
 * for the adapters) or passed on as bytes with each `Set-Cookie` apart ({@link requestBytes}, for
 * the authorization server's front); no content coding is undone.
 */
export class NodeHttpClient implements HttpClient {
  private readonly httpAgent: HttpAgentType;
  private readonly httpsAgent: HttpsAgentType;
  private readonly targets = new Map<string, Target>();
  private readonly clock: () => number;

  constructor(options: NodeHttpClientOptions = {}) {
    this.httpAgent = new HttpAgent({ keepAlive: true });
    this.httpsAgent = new HttpsAgent({ keepAlive: true, ...options.tls });
    this.clock = options.clock ?? Date.now;
  }

  request(request: HttpRequest): Promise<HttpAnswer> {
    const target = this.targetOf(request.url, true);
    if (target instanceof HttpClientError) return Promise.reject(target);
    return new Promise<HttpAnswer>((resolve, reject) => {
      this.start(new Exchange(target, request, false, resolve as Settle, reject, this.clock), isIdempotent(request));
    });
  }

  requestBytes(request: HttpRequest): Promise<HttpByteAnswer> {
    // Not remembered: a front passes on paths and queries without end, which would only push the
    // adapters' few URLs out (and keep queries in memory).
    const target = this.targetOf(request.url, false);
    if (target instanceof HttpClientError) return Promise.reject(target);
    return new Promise<HttpByteAnswer>((resolve, reject) => {
      this.start(new Exchange(target, request, true, resolve as Settle, reject, this.clock), isIdempotent(request));
    });
  }

  /**
   * Sends an exchange. One that cannot be sent twice (a token request) is never sent on a connection
   * idle for longer than its server keeps one: the server may have closed it while this process
   * could not notice (a frozen Lambda instance, a busy event loop), and the request would be lost
   * with it. Those idle connections are closed first, so it goes on a new one.
   */
  private start(exchange: Exchange, idempotent: boolean): void {
    if (!idempotent) this.dropIfIdleTooLong(exchange.target);
    exchange.attempt(idempotent);
  }

  /**
   * Closes the origin's idle connections that have idled longer than their server keeps one, each
   * by its own time (the agent picks any of them); one never stamped (not freed by an answer that
   * ended here) counts as too old.
   */
  private dropIfIdleTooLong(target: Target): void {
    const prefix = `${target.originKey}:`;
    const now = this.clock();
    for (const [name, sockets] of Object.entries(target.agent.freeSockets)) {
      if (!name.startsWith(prefix)) continue;
      for (const socket of sockets ?? []) {
        const idle = (socket as IdleStamped)[kIdle];
        if (idle === undefined || now - idle.since > idle.reuseForMs) socket.destroy();
      }
    }
  }

  /**
   * Where a URL goes, parsed once when `remember`ed: an adapter calls the same few URLs for the life
   * of a Lambda instance, and node:http would otherwise turn a URL into request options on every call.
   */
  private targetOf(url: string, remember: boolean): Target | HttpClientError {
    let target = this.targets.get(url);
    if (target !== undefined) return target;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (error) {
      return new HttpClientError('connection_failed', 'invalid URL', { cause: error });
    }
    const secure = parsed.protocol === 'https:';
    if (!secure && parsed.protocol !== 'http:') return new HttpClientError('connection_failed', 'not an http(s) URL');
    const origin = urlToHttpOptions(parsed);
    target = {
      send: secure ? httpsRequest : httpRequest,
      agent: secure ? this.httpsAgent : this.httpAgent,
      origin,
      originKey: `${origin.hostname}:${origin.port || (secure ? 443 : 80)}`,
    };
    if (!remember) return target;
    if (this.targets.size >= MAX_TARGETS) this.targets.clear();
    this.targets.set(url, target);
    return target;
  }

  /** Closes every kept-alive connection (tests, a local stack shutting down). */
  destroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** Where a kept connection records when it last answered and how long its server keeps it idle. */
const kIdle = Symbol('idle');
type IdleStamped = Socket & { [kIdle]?: { readonly since: number; readonly reuseForMs: number } };

/**
 * An answer has ended on `socket`, which the agent is about to keep: stamps it with `now` and with how
 * long its server says it keeps an idle connection (`Keep-Alive: timeout`, less a margin).
 */
function stampIdle(socket: Socket | null, response: IncomingMessage, now: number): void {
  if (socket === null) return;
  const hint = /(?:^|,)\s*timeout=(\d+)/i.exec(String(response.headers['keep-alive'] ?? ''))?.[1];
  const reuseForMs = hint === undefined ? DEFAULT_IDLE_REUSE_MS : Number(hint) * 1000 - KEEP_ALIVE_MARGIN_MS;
  (socket as IdleStamped)[kIdle] = { since: now, reuseForMs };
}

/** Where listeners find their exchange: set on the request and the answer of each attempt. */
const kExchange = Symbol('exchange');
type Carrier = { [kExchange]?: Exchange };
type Settle = (answer: HttpAnswer | HttpByteAnswer) => void;

/**
 * One request until it settles, over at most two attempts. Its listeners are module functions that
 * find it on the emitter, so a request allocates no closures beyond its promise's.
 */
class Exchange {
  private settled = false;
  private current: ClientRequest | undefined;
  private answer: IncomingMessage | undefined;
  /** The connection the answer came on, stamped when it ends ({@link stampIdle}). */
  private socket: Socket | null = null;
  private chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  private mayResend = false;
  private readonly headers: Record<string, string>;
  private readonly timer: ReturnType<typeof setTimeout>;

  constructor(
    readonly target: Target,
    private readonly request: HttpRequest,
    /** Whether the answer is wanted as bytes ({@link NodeHttpClient.requestBytes}). */
    private readonly bytes: boolean,
    private readonly resolve: Settle,
    private readonly reject: (error: HttpClientError) => void,
    /** Wall time, for the idle stamp of the connection the answer comes on. */
    private readonly clock: () => number,
  ) {
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
    this.headers = headers;
    this.timer = setTimeout(onTimeout, request.timeoutMs, this);
  }

  attempt(mayResend: boolean): void {
    this.mayResend = mayResend;
    this.answer = undefined;
    const { send, agent, origin } = this.target;
    let outgoing: ClientRequest;
    try {
      outgoing = send({ ...origin, method: this.request.method ?? 'GET', headers: this.headers, agent });
    } catch (error) {
      // A header node:http will not send (a character outside what HTTP allows): nothing left.
      this.fail(connectionFailure(error));
      return;
    }
    (outgoing as Carrier)[kExchange] = this;
    this.current = outgoing;
    outgoing.on('response', onResponse);
    outgoing.on('error', onRequestError);
    outgoing.end(this.request.body);
  }

  respond(response: IncomingMessage): void {
    this.answer = response;
    // Kept here: by the end of the answer node:http has already let go of it.
    this.socket = response.socket;
    const status = response.statusCode ?? 0;
    if ((this.request.redirect ?? 'error') === 'error' && REDIRECT_STATUSES.has(status)) {
      this.fail(new HttpClientError('redirect_refused', `status ${status}`));
      return;
    }
    const declared = response.headers['content-length'];
    if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > this.request.maxBodyBytes) {
      this.fail(new HttpClientError('body_too_large', `declared over ${this.request.maxBodyBytes} bytes`));
      return;
    }
    (response as Carrier)[kExchange] = this;
    response.on('data', onData);
    response.on('end', onEnd);
    response.on('error', onAnswerError);
    response.on('close', onAnswerClose);
  }

  receive(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.request.maxBodyBytes) {
      this.fail(new HttpClientError('body_too_large', `over ${this.request.maxBodyBytes} bytes`));
      return;
    }
    this.chunks.push(chunk);
  }

  end(): void {
    this.ended = true;
    const response = this.answer as IncomingMessage;
    stampIdle(this.socket, response, this.clock());
    if (this.bytes) {
      this.succeed(byteAnswerOf(response, this.chunks, this.size));
      return;
    }
    this.succeed({
      status: response.statusCode ?? 0,
      headers: headersOf(response.headers),
      body: textOf(this.chunks, this.size),
    });
  }

  closed(): void {
    if (!this.ended) this.fail(new HttpClientError('connection_failed', 'closed before the end of the body'));
  }

  requestFailed(outgoing: ClientRequest, error: Error): void {
    // Bytes after a whole answer (more than its Content-Length said): they belong to no message,
    // and the answer stands (RFC 9112 section 6.3), as with fetch.
    if (this.settled || outgoing !== this.current || this.answer?.complete) return;
    if (
      this.mayResend &&
      this.answer === undefined &&
      outgoing.reusedSocket &&
      DEAD_CONNECTION_CODES.has(codeOf(error) ?? '')
    ) {
      this.attempt(false);
      return;
    }
    this.fail(connectionFailure(error));
  }

  fail(error: HttpClientError): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    // Closes the connection: nothing more is read from it, and it is never reused.
    this.current?.destroy();
    this.reject(error);
  }

  private succeed(answer: HttpAnswer | HttpByteAnswer): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(answer);
  }

  timedOut(): void {
    this.fail(new HttpClientError('timeout', `after ${this.request.timeoutMs} ms`));
  }
}

function exchangeOf(emitter: unknown): Exchange | undefined {
  return (emitter as Carrier)[kExchange];
}

function onTimeout(exchange: Exchange): void {
  exchange.timedOut();
}

function onResponse(this: ClientRequest, response: IncomingMessage): void {
  exchangeOf(this)?.respond(response);
}

function onRequestError(this: ClientRequest, error: Error): void {
  exchangeOf(this)?.requestFailed(this, error);
}

function onData(this: IncomingMessage, chunk: Buffer): void {
  exchangeOf(this)?.receive(chunk);
}

function onEnd(this: IncomingMessage): void {
  exchangeOf(this)?.end();
}

function onAnswerError(this: IncomingMessage, error: Error): void {
  exchangeOf(this)?.fail(connectionFailure(error));
}

function onAnswerClose(this: IncomingMessage): void {
  exchangeOf(this)?.closed();
}

function headersOf(incoming: IncomingHttpHeaders): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** The answer as bytes: headers as {@link headersOf} joins them, each `Set-Cookie` apart. */
function byteAnswerOf(response: IncomingMessage, chunks: readonly Buffer[], size: number): HttpByteAnswer {
  const headers: Record<string, string> = {};
  const incoming = response.headers;
  for (const name in incoming) {
    const value = incoming[name];
    if (value !== undefined && name !== 'set-cookie') headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    status: response.statusCode ?? 0,
    headers,
    // node:http keeps Set-Cookie an array, one entry per header line.
    setCookies: incoming['set-cookie'] ?? [],
    body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size),
  };
}

/** UTF-8 with malformed sequences replaced and a leading BOM dropped, as `Response.text()` decodes. */
function textOf(chunks: readonly Buffer[], size: number): string {
  let bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
  if (bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2]) bytes = bytes.subarray(3);
  return bytes.toString('utf8');
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code.slice(0, 64) : undefined;
}

function connectionFailure(error: unknown): HttpClientError {
  if (error instanceof HttpClientError) return error;
  return new HttpClientError('connection_failed', codeOf(error) ?? (error instanceof Error ? error.name : 'unknown'), {
    cause: error,
  });
}
