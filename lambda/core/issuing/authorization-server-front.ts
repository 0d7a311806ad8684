import {
  failureDetail,
  fetchHttpClient,
  type HttpByteAnswer,
  type HttpClient,
  isHttpClientError,
} from '../http-client.ts';
import type { DecisionLog } from '../ports.ts';
import { DROPPED_RESPONSE_HEADERS, type ProxyResponse, type TokenEndpointProxy } from './token-endpoint-proxy.ts';

/** What the front itself saw of a request's connection: never taken from the client's headers. */
export interface ConnectionSeen {
  /** The client's address as the front saw it (the TCP peer, or API Gateway's `sourceIp`); undefined sends none. */
  readonly clientAddress: string | undefined;
  /** The scheme the client used to reach the front. */
  readonly protocol: 'http' | 'https';
  /**
   * The host (and port, when not the scheme's default) the client reached: the front's own name
   * (API Gateway's `domainName`, a local server's address); undefined sends none.
   */
  readonly host: string | undefined;
  /**
   * The client certificate (PEM) of a mutual TLS connection: on AWS an HTTP API custom domain with
   * mutual TLS (`requestContext.authentication.clientCert.clientCertPem`). Passed on in
   * {@link CLIENT_CERTIFICATE_HEADER}, so the authorization server can bind tokens to it (RFC 8705).
   * @default none
   */
  readonly clientCertificatePem?: string;
}

/**
 * The header the front passes the client certificate on in: the PEM, URL-encoded (a PEM spans
 * lines, a header value cannot), as load balancers do. A client's own header of that name is
 * dropped, so only the front can say which certificate the client presented.
 */
export const CLIENT_CERTIFICATE_HEADER = 'x-client-certificate';

/** An HTTP request as the front sees it, whatever carried it (Lambda event, Node server). */
export interface FrontRequest {
  readonly method: string;
  /**
   * The path, without the query: as the client sent it from a Node server (percent-encoding kept),
   * percent-decoded from API Gateway's HTTP API payload 2.0 (`rawPath`). The front is safe with both.
   */
  readonly path: string;
  /** The raw query string without `?`; empty when there is none. */
  readonly query: string;
  /** Header names in lower case; repeated headers joined (`cookie` with `; `, others with `, `). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array<ArrayBuffer>;
  readonly seen: ConnectionSeen;
}

/** The answer to give the client. */
export interface FrontResponse {
  readonly status: number;
  /** Header names in lower case, `set-cookie` excluded (see {@link cookies}). */
  readonly headers: Readonly<Record<string, string>>;
  /** One `Set-Cookie` value each, in the order the authorization server sent them. */
  readonly cookies: readonly string[];
  readonly body: Uint8Array | string;
}

/** Settings of {@link AuthorizationServerFront}. */
export interface AuthorizationServerFrontOptions {
  /**
   * Where the authorization server really listens: an origin (`https://as.internal.example`, no
   * path). Every request goes there with the path and query the client sent.
   */
  readonly upstreamOrigin: string;
  /**
   * Serves the intercepted token and revocation requests (split tokens written, revocation
   * ownership checked); its upstream endpoints are `upstreamOrigin` plus the same paths.
   */
  readonly tokenEndpointProxy: TokenEndpointProxy;
  /** The authorization server's token endpoint path, intercepted. */
  readonly tokenPath: string;
  /** The authorization server's revocation endpoint path, intercepted. */
  readonly revocationPath: string;
  /**
   * Fixed headers set on every upstream request, replacing any the client sent under those names:
   * for example the shared secret a private ingress in front of the authorization server checks.
   * @default none
   */
  readonly upstreamHeaders?: Readonly<Record<string, string>>;
  /**
   * Only paths under these prefixes are passed through (each starts and ends with `/`), as servers'
   * reverse-proxy guides ask (Keycloak: `/realms/`, `/resources/`, `/.well-known/`, never `/admin/`);
   * the token and revocation paths are served whatever the list says. Compared after dot segments,
   * percent-encoding and case are resolved, so no spelling gets outside them.
   * @default every path
   */
  readonly passThroughPathPrefixes?: readonly string[];
  /** Deadline of one passed-through call, body included. @default 10000 */
  readonly upstreamTimeoutMs?: number;
  /** Largest request body passed through. @default 1048576 */
  readonly maxRequestBytes?: number;
  /**
   * Largest answer passed back. A Lambda answer is at most 6 MB, and binary bodies are base64
   * encoded in it (4/3 larger). @default 4194304
   */
  readonly maxResponseBytes?: number;
  /**
   * How passed-through requests reach the authorization server; on Lambda, `NodeHttpClient`.
   * @default web fetch ({@link fetchHttpClient})
   */
  readonly http?: HttpClient;
  /** Token-free diagnostics. @default no logging */
  readonly log?: DecisionLog;
}

/**
 * Request headers never passed on: hop-by-hop (RFC 9110 section 7.6.1), framing the transport
 * redoes, and what only the front may say about the connection (the forwarding headers it sets
 * itself, so that a client cannot pose as another address, host or scheme).
 */
const DROPPED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'content-length',
  'expect',
  'forwarded',
  'host',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
  'x-real-ip',
  CLIENT_CERTIFICATE_HEADER,
  // What some servers and frameworks take as the client's address, or as the method or path to
  // route instead of the request's own: a client must not choose either around the front.
  'client-ip',
  'true-client-ip',
  'x-client-ip',
  'x-http-method',
  'x-http-method-override',
  'x-method-override',
  'x-original-method',
  'x-original-uri',
  'x-original-url',
  'x-rewrite-url',
]);
/** Prefixes of request headers never passed on: forwarding headers, and AWS's own (`x-amzn-trace-id`, ...). */
const DROPPED_REQUEST_HEADER_PREFIXES: readonly string[] = ['x-forwarded-', 'x-amzn-', 'x-amz-'];
/**
 * Response headers not passed back: the proxy's (hop-by-hop, or no longer true once the body was read
 * and decoded), `proxy-connection`, and `set-cookie`, which the answer carries apart.
 */
const DROPPED_PASS_THROUGH_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  ...DROPPED_RESPONSE_HEADERS,
  'proxy-connection',
  'set-cookie',
]);
/** Methods passed through; others (TRACE, CONNECT, extension methods) get 405. */
const PASSED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/**
 * Whether a path holds a character it may not: controls, space and DEL. URL parsers drop tab, CR and LF
 * silently (`/to\tken` would go upstream as `/token`), and none of them belongs in a request target
 * (RFC 9112 section 3.2). API Gateway's HTTP API payload 2.0 hands `rawPath` over percent-decoded,
 * so a client's `%09` arrives here as a tab.
 */
function holdsForbiddenCharacter(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return false;
}
/** An HTTP field name (RFC 9110 section 5.1: a token), lower case. */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** An HTTP field value Node can send: no CR, LF or NUL, Latin-1 only (RFC 9110 section 5.5). */
const FIELD_VALUE = /^[\t\u0020-\u007e\u0080-\u00ff]*$/;
const noLog: DecisionLog = { info: () => {}, warn: () => {}, error: () => {} };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The authorization server's public origin (DESIGN section 1, issue 11): clients discover the
 * server from its issuer, which is this front's origin, and so reach the token endpoint proxy for
 * token and revocation requests without being told about it. Those two paths go to the
 * {@link TokenEndpointProxy}; every other path and method is passed through unchanged (discovery,
 * JWKS, the authorization endpoint and its redirects, userinfo, PAR, device flow, introspection),
 * with bounded bodies and a deadline. Redirects are passed back, never followed.
 *
 * Every upstream request, intercepted or not, carries `X-Forwarded-For`, `X-Forwarded-Proto` and
 * `X-Forwarded-Host` set from what the front itself saw; whatever the client sent under those (or
 * `Forwarded`) names is dropped. The server, told to trust them, sees the client's address, and
 * builds its URLs (metadata, redirects, the DPoP `htu` it expects) on the front's origin.
 *
 * Spellings of the token and revocation paths that a server might route to those endpoints
 * (another case, percent-encoded, dot segments, doubled or trailing slashes, `;` parameters) are
 * refused rather than passed through, so that no spelling reaches the server's own token endpoint
 * around the proxy.
 *
 * Runtime-agnostic: an HTTP client port (web fetch by default) and web types only. Logs never carry
 * paths, queries or bodies.
 */
export class AuthorizationServerFront {
  private readonly upstream: URL;
  private readonly options: AuthorizationServerFrontOptions;
  private readonly http: HttpClient;
  private readonly log: DecisionLog;
  private readonly upstreamHeaders: Readonly<Record<string, string>>;
  private readonly interceptedSpellings: ReadonlySet<string>;
  private readonly passThroughPrefixes: readonly string[] | undefined;

  constructor(options: AuthorizationServerFrontOptions) {
    const upstream = new URL(options.upstreamOrigin);
    if (upstream.origin !== options.upstreamOrigin.replace(/\/$/, '')) {
      throw new TypeError('upstreamOrigin must be an origin: scheme, host and port only');
    }
    for (const path of [options.tokenPath, options.revocationPath]) {
      if (!path.startsWith('/')) throw new TypeError('tokenPath and revocationPath must start with /');
    }
    this.upstream = upstream;
    this.options = options;
    this.http = options.http ?? fetchHttpClient();
    this.log = options.log ?? noLog;
    this.upstreamHeaders = Object.fromEntries(
      Object.entries(options.upstreamHeaders ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
    );
    for (const prefix of options.passThroughPathPrefixes ?? []) {
      if (!prefix.startsWith('/') || !prefix.endsWith('/')) {
        throw new TypeError('passThroughPathPrefixes must start and end with /');
      }
    }
    this.passThroughPrefixes = options.passThroughPathPrefixes?.map((prefix) =>
      `${canonicalPath(prefix)}/`.replace(/\/+$/, '/'),
    );
    this.interceptedSpellings = new Set([
      canonicalPath(options.tokenPath) ?? '',
      canonicalPath(options.revocationPath) ?? '',
    ]);
  }

  async handle(request: FrontRequest): Promise<FrontResponse> {
    const method = request.method.toUpperCase();
    if (!request.path.startsWith('/')) return plainError(400, 'invalid_request', 'the request target must be a path');
    if (holdsForbiddenCharacter(request.path)) {
      return plainError(400, 'invalid_request', 'the path is not well formed');
    }
    // A field no transport can send is the client's mistake, not an outage of the server.
    for (const [name, value] of Object.entries(request.headers)) {
      if (!FIELD_NAME.test(name) || (value !== undefined && !FIELD_VALUE.test(value))) {
        return plainError(400, 'invalid_request', 'a header is not well formed');
      }
    }
    const intercepted = request.path === this.options.tokenPath || request.path === this.options.revocationPath;
    // A CORS preflight is the server's to answer; only the requests themselves are intercepted.
    if (intercepted && method !== 'OPTIONS') return this.intercept(request, method);
    if (!PASSED_METHODS.has(method)) return plainError(405, 'invalid_request', 'method not allowed');
    const upstreamUrl = this.upstreamUrlOf(request);
    if (upstreamUrl === undefined) return plainError(400, 'invalid_request', 'the path is not well formed');
    if (!intercepted) {
      // Both the path as it came and as it goes upstream: no spelling of it may reach the server's
      // own token or revocation endpoint around the proxy.
      const canonical = [canonicalPath(request.path), canonicalPath(upstreamUrl.pathname)];
      if (canonical.includes(undefined)) return plainError(400, 'invalid_request', 'the path is not well formed');
      if (canonical.some((path) => this.interceptedSpellings.has(path as string))) {
        return plainError(404, 'invalid_request', 'no such endpoint: use the path the metadata names');
      }
    }
    return this.passThrough(request, method, upstreamUrl);
  }

  /** The token or revocation request, through the token endpoint proxy. */
  private async intercept(request: FrontRequest, method: string): Promise<FrontResponse> {
    const answer: ProxyResponse = await this.options.tokenEndpointProxy.handle({
      method,
      path: request.path,
      headers: request.headers,
      body: decoder.decode(request.body),
      upstreamHeaders: { ...this.forwardingHeaders(request.seen), ...this.upstreamHeaders },
    });
    const { 'set-cookie': _dropped, ...headers } = answer.headers;
    return { status: answer.status, headers, cookies: [], body: answer.body };
  }

  /** Where a passed-through request goes: the upstream origin, the client's path and query. */
  private upstreamUrlOf(request: FrontRequest): URL | undefined {
    const url = new URL(this.upstream.href);
    url.pathname = request.path;
    url.search = request.query === '' ? '' : `?${request.query}`;
    // The pathname setter keeps the origin whatever the path holds; this says so.
    return url.origin === this.upstream.origin ? url : undefined;
  }

  private async passThrough(request: FrontRequest, method: string, url: URL): Promise<FrontResponse> {
    const maxRequestBytes = this.options.maxRequestBytes ?? 1024 * 1024;
    if (request.body.byteLength > maxRequestBytes) return plainError(413, 'invalid_request', 'request too large');
    if (this.passThroughPrefixes !== undefined) {
      // What the server will route: the path as it goes upstream, decoded and resolved.
      const routed = `${canonicalPath(url.pathname) ?? ''}/`.replace(/\/+$/, '/');
      if (!this.passThroughPrefixes.some((prefix) => routed.startsWith(prefix))) {
        return plainError(404, 'invalid_request', 'no such endpoint');
      }
    }

    // No prototype: a client's header named like an Object member is a header like any other.
    const headers: Record<string, string> = Object.create(null);
    // Headers `Connection` names are hop-by-hop too (RFC 9110 section 7.6.1).
    const hopByHop = new Set(
      (request.headers.connection ?? '').split(',').map((token) => token.trim().toLowerCase().replaceAll('_', '-')),
    );
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || !this.passesOn(name, hopByHop)) continue;
      headers[name] = value;
    }
    // The body is read here in full: ask for it as it is, so that no transport has to decode it.
    headers['accept-encoding'] = 'identity';
    for (const [name, value] of Object.entries({ ...this.forwardingHeaders(request.seen), ...this.upstreamHeaders })) {
      headers[name] = value;
    }

    let answer: HttpByteAnswer;
    try {
      answer = await this.http.requestBytes({
        url: url.href,
        method,
        headers,
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: request.body }),
        redirect: 'manual',
        timeoutMs: this.options.upstreamTimeoutMs ?? 10_000,
        maxBodyBytes: this.options.maxResponseBytes ?? 4 * 1024 * 1024,
      });
    } catch (error) {
      if (isHttpClientError(error) && error.code === 'body_too_large') {
        this.log.error('authorization server answer too large', { code: 'upstream_too_large', method });
        return plainError(502, 'server_error', 'the authorization server answer is too large');
      }
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      this.log.error('authorization server unreachable', {
        code: timedOut ? 'upstream_timeout' : 'upstream_unavailable',
        method,
        detail: failureDetail(error),
      });
      return plainError(timedOut ? 504 : 502, 'server_error', 'the authorization server did not answer');
    }
    // Asked for identity, a server that codes its answer anyway cannot be passed on: web fetch has
    // decoded the bytes and node:http has not, so no Content-Encoding header would be true of both.
    const coding = answer.headers['content-encoding']?.trim().toLowerCase();
    if (coding !== undefined && coding !== '' && coding !== 'identity' && answer.body.byteLength > 0) {
      this.log.error('authorization server answer content-coded', { code: 'upstream_encoded', method });
      return plainError(502, 'server_error', 'the authorization server answered with a content coding');
    }
    const answerHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (!DROPPED_PASS_THROUGH_RESPONSE_HEADERS.has(name)) answerHeaders[name] = value;
    }
    return { status: answer.status, headers: answerHeaders, cookies: answer.setCookies, body: answer.body };
  }

  /** Whether a client's request header goes upstream (`hopByHop`: the ones its `Connection` names). */
  private passesOn(name: string, hopByHop: ReadonlySet<string>): boolean {
    // Compared with `_` as `-`: servers in the CGI tradition read `x_forwarded_for` as `x-forwarded-for`.
    const folded = name.replaceAll('_', '-');
    if (DROPPED_REQUEST_HEADERS.has(folded) || folded in this.upstreamHeaders || folded === 'accept-encoding') {
      return false;
    }
    if (DROPPED_REQUEST_HEADER_PREFIXES.some((prefix) => folded.startsWith(prefix))) return false;
    return !hopByHop.has(folded);
  }

  /** The forwarding headers, from what the front saw; one address, not a chain the client could seed. */
  private forwardingHeaders(seen: ConnectionSeen): Record<string, string> {
    return {
      ...(seen.clientAddress === undefined ? {} : { 'x-forwarded-for': seen.clientAddress }),
      'x-forwarded-proto': seen.protocol,
      ...(seen.host === undefined ? {} : { 'x-forwarded-host': seen.host }),
      ...(seen.clientCertificatePem === undefined
        ? {}
        : { [CLIENT_CERTIFICATE_HEADER]: encodeURIComponent(seen.clientCertificatePem) }),
    };
  }
}

/**
 * The path as a lenient server might route it: percent-decoded (an encoded slash included),
 * backslashes as slashes, `;` parameters dropped, dot segments resolved, empty segments and a
 * trailing slash dropped, lower case. Undefined when it cannot be decoded.
 */
export function canonicalPath(path: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  const segments: string[] = [];
  for (const raw of decoded.replaceAll('\\', '/').split('/')) {
    const segment = (raw.split(';')[0] ?? '').toLowerCase();
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join('/')}`;
}

function plainError(status: number, error: string, description: string): FrontResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    cookies: [],
    body: encoder.encode(JSON.stringify({ error, error_description: description })),
  };
}
