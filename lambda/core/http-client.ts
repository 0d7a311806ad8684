import { readBoundedBytes } from './bounded-body.ts';

/**
 * The one thing the core and the adapters ask of HTTP: send a request, get its whole answer, the
 * body read no further than a limit. Runtime-neutral, so the core can be given web `fetch`
 * ({@link fetchHttpClient}, the default off Lambda and on Deno) or a leaner transport (on Lambda:
 * `NodeHttpClient` in `lambda/adapters/node-http-client.ts`, node:http(s) with keep-alive agents).
 */
export interface HttpClient {
  /**
   * Sends `request` and reads its answer to the end.
   * @throws {@link HttpClientError} when no whole answer came back within the request's limits
   */
  request(request: HttpRequest): Promise<HttpAnswer>;
  /**
   * Sends `request` and reads its answer to the end as bytes, each `Set-Cookie` apart: for passing an
   * answer on as the server gave it (the authorization server's front), where {@link request} is
   * for reading one.
   * @throws {@link HttpClientError} when no whole answer came back within the request's limits
   */
  requestBytes(request: HttpRequest): Promise<HttpByteAnswer>;
}

/** One HTTP request and the limits of its exchange. */
export interface HttpRequest {
  /** An absolute http(s) URL. */
  readonly url: string;
  /** @default 'GET' */
  readonly method?: string;
  /** Header names in lower case. @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /** Text is sent as UTF-8. @default no body */
  readonly body?: string | Uint8Array<ArrayBuffer>;
  /** Deadline of the whole exchange: connecting, sending, the answer and its whole body. */
  readonly timeoutMs: number;
  /**
   * Largest body read, in bytes, counted as it streams (chunked or not, whatever `Content-Length`
   * says); a larger answer fails the request (`body_too_large`) and its connection is closed.
   */
  readonly maxBodyBytes: number;
  /**
   * `error`: an answer that redirects (301, 302, 303, 307, 308) fails the request
   * (`redirect_refused`); `manual`: it is returned like any other answer. Redirects are never followed.
   * @default 'error'
   */
  readonly redirect?: 'error' | 'manual';
  /**
   * Whether sending the request twice does no harm, so that a transport may send it once more when
   * a reused keep-alive connection turns out to be dead (closed by the server while a Lambda
   * instance was frozen). @default true for GET and HEAD, false otherwise
   */
  readonly idempotent?: boolean;
}

/** A whole HTTP answer. */
export interface HttpAnswer {
  readonly status: number;
  /** Header names in lower case; a repeated header's values joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body decoded as UTF-8 (malformed sequences replaced, a BOM dropped, as `Response.text()` does). */
  readonly body: string;
}

/** A whole HTTP answer as bytes, to pass on. */
export interface HttpByteAnswer {
  readonly status: number;
  /** Header names in lower case; a repeated header's values joined with `, `; no `set-cookie` (see {@link setCookies}). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Each `Set-Cookie` value, in the order they came: the one header whose repeated values cannot be
   * joined into one (RFC 9110 section 5.3, RFC 6265 section 3).
   */
  readonly setCookies: readonly string[];
  /** The body as it came (no content coding is undone). */
  readonly body: Uint8Array;
}

/** Why an exchange gave no answer; stable strings for logs. */
export type HttpFailure = 'timeout' | 'body_too_large' | 'redirect_refused' | 'connection_failed';

const ERROR_NAMES: Record<HttpFailure, string> = {
  // The name web platform timeouts have (AbortSignal.timeout), which callers already look for.
  timeout: 'TimeoutError',
  body_too_large: 'BodyTooLargeError',
  redirect_refused: 'RedirectRefusedError',
  connection_failed: 'ConnectionError',
};

/**
 * An exchange that gave no usable answer. The message holds the failure and, for connection
 * failures, the system error code (`ECONNREFUSED`): never a header, a body or a URL's query.
 */
export class HttpClientError extends Error {
  override readonly name: string;
  readonly code: HttpFailure;
  /** What more is known, token-free: the system error code of a connection, the status of a redirect. */
  readonly detail: string | undefined;

  constructor(code: HttpFailure, detail?: string, options?: { cause?: unknown }) {
    super(detail ? `${code}: ${detail}` : code, options);
    this.code = code;
    this.detail = detail;
    this.name = ERROR_NAMES[code];
  }
}

export function isHttpClientError(error: unknown): error is HttpClientError {
  return error instanceof HttpClientError;
}

/**
 * Why an exchange failed, for logs and token-free: an {@link HttpClientError}'s message (its failure
 * and, for a connection, the system error code such as `ECONNRESET`), else the error's name.
 */
export function failureDetail(error: unknown): string {
  if (isHttpClientError(error)) return error.message;
  return error instanceof Error ? error.name : 'unknown';
}

/** Statuses a `fetch` with `redirect: 'follow'` would follow (Fetch standard, "redirect status"). */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Whether `request` may be sent again after a dead reused connection. */
export function isIdempotent(request: HttpRequest): boolean {
  if (request.idempotent !== undefined) return request.idempotent;
  const method = (request.method ?? 'GET').toUpperCase();
  return method === 'GET' || method === 'HEAD';
}

/**
 * {@link HttpClient} over web `fetch`: the default wherever `fetch` is the platform's client
 * (Deno, browsers, Node off Lambda). Redirects are never followed (`redirect: 'manual'`, then
 * refused or returned as the request says); the deadline is an `AbortSignal.timeout`; the body is
 * read with {@link readBoundedBytes}. Connection reuse is the runtime's.
 *
 * @param fetchImpl - @default globalThis.fetch, looked up on each request. A client made and never
 *   used costs nothing; on Node the first request loads undici, tens of milliseconds of a cold start,
 *   which is why the Lambda adapters use `NodeHttpClient` instead.
 */
export function fetchHttpClient(fetchImpl?: typeof fetch): HttpClient {
  return {
    async request(request) {
      const { response, bytes } = await fetchWhole(fetchImpl, request);
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        const seen = headers[name];
        headers[name] = seen === undefined ? value : `${seen}, ${value}`;
      });
      return { status: response.status, headers, body: new TextDecoder().decode(bytes) };
    },
    async requestBytes(request) {
      const { response, bytes } = await fetchWhole(fetchImpl, request);
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        if (name !== 'set-cookie') headers[name] = value;
      });
      return { status: response.status, headers, setCookies: response.headers.getSetCookie(), body: bytes };
    },
  };
}

/** One exchange over `fetch`: the answer and its whole body, bounded, or an {@link HttpClientError}. */
async function fetchWhole(
  fetchImpl: typeof fetch | undefined,
  request: HttpRequest,
): Promise<{ response: Response; bytes: Uint8Array }> {
  const signal = AbortSignal.timeout(request.timeoutMs);
  const redirect = request.redirect ?? 'error';
  let response: Response;
  try {
    response = await (fetchImpl ?? globalThis.fetch)(request.url, {
      method: request.method ?? 'GET',
      ...(request.headers ? { headers: request.headers } : {}),
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
      signal,
    });
  } catch (error) {
    throw failureOf(error, signal);
  }
  // A browser hides a manual redirect behind an opaque answer with status 0.
  if (redirect === 'error' && (REDIRECT_STATUSES.has(response.status) || response.type === 'opaqueredirect')) {
    response.body?.cancel().catch(() => undefined);
    throw new HttpClientError('redirect_refused', `status ${response.status}`);
  }
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readBoundedBytes(response, request.maxBodyBytes);
  } catch (error) {
    throw failureOf(error, signal);
  }
  if (bytes === undefined) throw new HttpClientError('body_too_large', `over ${request.maxBodyBytes} bytes`);
  return { response, bytes };
}

function failureOf(error: unknown, signal: AbortSignal): HttpClientError {
  if (error instanceof HttpClientError) return error;
  if (signal.aborted) return new HttpClientError('timeout', undefined, { cause: error });
  const name = error instanceof Error ? error.name : 'unknown error';
  return new HttpClientError('connection_failed', name, { cause: error });
}
