import { hasDotSegment } from '../../core/request-path.ts';
import type { RequestTarget } from '../../core/route-scopes.ts';

/** The API Gateway authorizer event formats the handler answers. */
export type AuthorizerEventFormat = 'rest-token' | 'rest-request' | 'http-v2';

/** An authorizer event reduced to what the core and the answer need. */
export interface AuthorizerRequest {
  readonly format: AuthorizerEventFormat;
  /** The Authorization header value; undefined when absent or ambiguous (sent twice). */
  readonly authorization: string | undefined;
  /**
   * The request as the client sent it, read from every field of the event that tells it (the
   * method ARN or route ARN, and the event's own method and path); rules apply to all of them.
   */
  readonly targets: readonly RequestTarget[];
  /** `methodArn` (REST) or `routeArn` (HTTP API): what a policy must name. */
  readonly resourceArn: string;
  /**
   * HTTP API events list the values of the authorizer's identity sources, API Gateway's cache key:
   * whether they include the request's method and path, so that a cached answer can only be
   * reused for this request. Undefined where the event does not tell (REST events).
   */
  readonly cacheKeyCoversRequest?: boolean | undefined;
  /** The `DPoP` header (RFC 9449): undefined when absent, `null` when sent more than once. */
  readonly dpopProof: string | null | undefined;
  /** The method the client sent; undefined in TOKEN events. */
  readonly method: string | undefined;
  /** The URL the client addressed, without query (see {@link requestUriOf}); undefined when the event cannot tell. */
  readonly requestUri: string | undefined;
  /** The client certificate (PEM) API Gateway passes with mutual TLS; undefined without one. */
  readonly clientCertificatePem: string | undefined;
}

type UnknownRecord = Readonly<Record<string, unknown>>;

const isRecord = (value: unknown): value is UnknownRecord =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const stringOr = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback);

/**
 * Reads any of the three event formats. Total: an event of unknown shape yields a request without a
 * credential (so a 401), never an exception.
 *
 * The route key (`GET /orders/{id}`, `ANY /{proxy+}`, `$default`) and the REST `resource` template
 * are never used: rules may be finer than the API's routes, and a template says nothing about which
 * concrete path under it was called.
 */
export function readAuthorizerEvent(event: unknown): AuthorizerRequest {
  const record: UnknownRecord = isRecord(event) ? event : {};
  if (record.version === '2.0') return readHttpV2(record);
  if (record.type === 'TOKEN') return readRestToken(record);
  return readRestRequest(record);
}

function readRestToken(event: UnknownRecord): AuthorizerRequest {
  const methodArn = stringOr(event.methodArn, '');
  // A TOKEN event carries the token and the method ARN only: no DPoP header, no URL, no certificate,
  // so a bound token can never be proven here and is refused.
  return {
    format: 'rest-token',
    authorization: typeof event.authorizationToken === 'string' ? event.authorizationToken : undefined,
    targets: [targetFromArn(methodArn)],
    resourceArn: methodArn,
    dpopProof: undefined,
    method: undefined,
    requestUri: undefined,
    clientCertificatePem: undefined,
  };
}

function readRestRequest(event: UnknownRecord): AuthorizerRequest {
  const methodArn = stringOr(event.methodArn, '');
  // HTTP APIs' payload 1.0 has this shape too (with `version`), and its paths come decoded.
  const decoded = event.version === '1.0';
  const fromArn = asDecoded(targetFromArn(methodArn), decoded);
  // REST REQUEST events carry the path without the stage (`path`), and the method (`httpMethod`).
  const fromEvent =
    typeof event.httpMethod === 'string' && typeof event.path === 'string'
      ? asDecoded({ method: event.httpMethod, path: event.path }, decoded)
      : undefined;
  const context = isRecord(event.requestContext) ? event.requestContext : {};
  const identity = isRecord(context.identity) ? context.identity : {};
  // requestContext.path is the path the client sent after the host: the stage on the execute-api
  // domain (/v1/orders), the base path on a custom domain; percent-encoding kept.
  const clientPath = typeof context.path === 'string' ? context.path : undefined;
  return {
    format: 'rest-request',
    authorization: singleHeader(event.headers, event.multiValueHeaders, 'authorization'),
    targets: targetsOf(fromArn, fromEvent),
    resourceArn: methodArn,
    dpopProof: proofHeader(event.headers, event.multiValueHeaders),
    method: typeof event.httpMethod === 'string' ? event.httpMethod : undefined,
    // Decoded on payload 1.0 as on 2.0: a dot segment there cannot be read back either.
    requestUri: requestUriOf(context.domainName, clientPath, event.headers, event.multiValueHeaders, decoded),
    clientCertificatePem: certificateOf(identity.clientCert),
  };
}

function readHttpV2(event: UnknownRecord): AuthorizerRequest {
  const routeArn = stringOr(event.routeArn, '');
  // HTTP APIs decode the path (rawPath, the route ARN): a `/` there may have been `%2F`.
  const fromArn = asDecoded(targetFromArn(routeArn), true);
  const context = isRecord(event.requestContext) ? event.requestContext : {};
  const http = isRecord(context.http) ? context.http : {};
  const rawPath = typeof event.rawPath === 'string' ? event.rawPath : stringOr(http.path, '');
  // On a named stage of the execute-api domain, rawPath starts with the stage: /dev/orders.
  const fromEvent =
    typeof http.method === 'string'
      ? asDecoded({ method: http.method, path: withoutStage(rawPath, context.stage) }, true)
      : undefined;
  const authentication = isRecord(context.authentication) ? context.authentication : {};
  return {
    format: 'http-v2',
    // Payload 2.0 lower-cases header names and joins repeated headers with commas; a comma is not
    // token68, so a doubled header is refused by the core.
    authorization: singleHeader(event.headers, undefined, 'authorization'),
    targets: targetsOf(fromArn, fromEvent),
    resourceArn: routeArn,
    cacheKeyCoversRequest: coversRequest(event.identitySource, fromEvent ?? fromArn, rawPath),
    dpopProof: proofHeader(event.headers, undefined),
    method: typeof http.method === 'string' ? http.method : undefined,
    // rawPath holds a named stage, and is percent-decoded by HTTP APIs (see requestUriOf).
    requestUri: requestUriOf(context.domainName, rawPath, event.headers, undefined, true),
    // Present with empty strings when the domain has no mutual TLS (captured integration events).
    clientCertificatePem: certificateOf(authentication.clientCert),
  };
}

function asDecoded(target: RequestTarget, decoded: boolean): RequestTarget {
  return decoded ? { ...target, slashesMayBeEscaped: true } : target;
}

/**
 * Whether the identity-source values name the method and the path (`$context.httpMethod` and
 * `$context.path`, whose exact spelling AWS does not document: the raw path, or one ending in the
 * path after the stage). Their order varies between invocations (a captured observation), so
 * membership is what counts.
 */
function coversRequest(identitySource: unknown, request: RequestTarget, rawPath: string): boolean | undefined {
  if (!Array.isArray(identitySource)) return undefined;
  const values = identitySource.filter((value): value is string => typeof value === 'string');
  const hasMethod = values.includes(request.method);
  const hasPath = values.some(
    (value) => value === rawPath || (request.path.length > 1 ? value.endsWith(request.path) : value.endsWith('/')),
  );
  return hasMethod && hasPath;
}

/**
 * The `DPoP` header: a JWS has no comma, so a value with one is several headers joined (payload
 * 2.0 joins repeats with commas) and counts as sent more than once (`null`).
 */
function proofHeader(headers: unknown, multiValueHeaders: unknown): string | null | undefined {
  const { count, value } = headerOccurrences(headers, multiValueHeaders, 'dpop');
  if (count === 0) return undefined;
  return count > 1 || value === undefined || value.includes(',') ? null : value;
}

/**
 * The URL the client addressed, as RFC 9449's `htu` names it: `X-Forwarded-Proto` (API Gateway
 * sets it, `https`), `requestContext.domainName` (the host the client used: the execute-api
 * domain or the custom domain), `:X-Forwarded-Port` when it is not the scheme's default and the
 * domain carries none, and the path the client sent after the host (REST `requestContext.path`,
 * which holds the stage or the custom domain's base path; HTTP API `rawPath`). HTTP APIs hand the
 * path on percent-decoded (`decodedPath`): a decoded `?` or `#`, or a dot segment, means the URL
 * cannot be rebuilt and the proof is refused; a decoded `/` cannot be told from one sent as `%2F`,
 * so there a proof for `/orders/1` also passes at `/orders%2F1` (the route rules read both).
 * Undefined when any part is missing or not plain.
 */
export function requestUriOf(
  domainName: unknown,
  path: unknown,
  headers: unknown,
  multiValueHeaders: unknown,
  decodedPath = false,
): string | undefined {
  if (typeof domainName !== 'string' || !/^[A-Za-z0-9.-]+(?::\d{1,5})?$/.test(domainName)) return undefined;
  // A `?` or `#` in the path can only come from an HTTP API's decoding (`%3F`, `%23`): the URL the
  // client called cannot be rebuilt, and a proof for the shorter URL must not pass.
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#]/.test(path)) return undefined;
  // Decoded, a dot segment may stand beside a `/` that was `%2F` (`/a%2Fb/../admin` arrives as
  // `/a/b/../admin`): the URL the client called, and the one the backend serves, cannot be told.
  if (decodedPath && hasDotSegment(path)) return undefined;
  const proto = singleHeader(headers, multiValueHeaders, 'x-forwarded-proto')?.trim().toLowerCase();
  if (proto !== 'https' && proto !== 'http') return undefined;
  const port = singleHeader(headers, multiValueHeaders, 'x-forwarded-port')?.trim();
  const defaultPort = proto === 'https' ? '443' : '80';
  const withPort =
    domainName.includes(':') || port === undefined || !/^\d{1,5}$/.test(port) || port === defaultPort
      ? domainName
      : `${domainName}:${port}`;
  return `${proto}://${withPort}${path}`;
}

/** `clientCert.clientCertPem` when it holds something (absent, null or "" without mutual TLS). */
function certificateOf(clientCert: unknown): string | undefined {
  if (!isRecord(clientCert)) return undefined;
  const pem = clientCert.clientCertPem;
  return typeof pem === 'string' && pem.length > 0 ? pem : undefined;
}

/**
 * The ARN's reading, and the event's own when it tells something else. An event path that only
 * adds leading segments to the ARN's path (a stage or a custom domain's base path the ARN leaves
 * out) tells nothing else.
 */
function targetsOf(fromArn: RequestTarget, fromEvent: RequestTarget | undefined): readonly RequestTarget[] {
  if (fromEvent === undefined) return [fromArn];
  const sameMethod = fromEvent.method.toUpperCase() === fromArn.method.toUpperCase();
  if (sameMethod && (fromEvent.path === fromArn.path || isPrefixedBy(fromEvent.path, fromArn.path))) return [fromArn];
  return [fromArn, fromEvent];
}

function isPrefixedBy(longer: string, path: string): boolean {
  return path.startsWith('/') && path.length > 1 && longer.endsWith(path) && longer.length > path.length;
}

function withoutStage(rawPath: string, stage: unknown): string {
  if (typeof stage !== 'string' || stage === '$default' || stage.length === 0) return rawPath;
  const prefix = `/${stage}`;
  if (rawPath === prefix) return '/';
  return rawPath.startsWith(`${prefix}/`) ? rawPath.slice(prefix.length) : rawPath;
}

/** The one header `lowerCaseName`, looked up without regard to case; undefined if absent or repeated. */
function singleHeader(headers: unknown, multiValueHeaders: unknown, lowerCaseName: string): string | undefined {
  const { count, value } = headerOccurrences(headers, multiValueHeaders, lowerCaseName);
  return count === 1 ? value : undefined;
}

/**
 * How many times a header was sent, by either map (the larger count), and its value in `headers`
 * when that map names it once.
 */
function headerOccurrences(
  headers: unknown,
  multiValueHeaders: unknown,
  lowerCaseName: string,
): { readonly count: number; readonly value: string | undefined } {
  let fromMulti = 0;
  if (isRecord(multiValueHeaders)) {
    for (const [name, values] of Object.entries(multiValueHeaders)) {
      if (isHeaderName(name, lowerCaseName)) fromMulti += Array.isArray(values) ? values.length : 1;
    }
  }
  let fromSingle = 0;
  let value: string | undefined;
  if (isRecord(headers)) {
    for (const [name, candidate] of Object.entries(headers)) {
      if (!isHeaderName(name, lowerCaseName)) continue;
      fromSingle++;
      value = typeof candidate === 'string' ? candidate : undefined;
    }
  }
  return { count: Math.max(fromMulti, fromSingle), value: fromSingle === 1 ? value : undefined };
}

/** Header names are case-insensitive; the length check spares a lower-casing of every other name. */
function isHeaderName(name: string, lowerCaseName: string): boolean {
  return name.length === lowerCaseName.length && name.toLowerCase() === lowerCaseName;
}

/**
 * Parts of an execute-api ARN, `arn:aws:execute-api:region:account:apiId/stage/METHOD/path`: the
 * path may hold `:` and `/`, so only the first five colons and the first three slashes separate.
 */
export interface ExecuteApiArn {
  /** `arn:aws:execute-api:region:account:apiId/stage`, the prefix every ARN of the stage shares. */
  readonly stageArn: string;
  readonly method: string;
  /** The path with a leading `/`. */
  readonly path: string;
}

export function parseExecuteApiArn(arn: string): ExecuteApiArn {
  let colon = -1;
  for (let i = 0; i < 5 && colon < arn.length; i++) {
    colon = arn.indexOf(':', colon + 1);
    if (colon < 0) return { stageArn: arn, method: '', path: '/' };
  }
  const resource = arn.slice(colon + 1);
  const stageEnd = nthIndexOf(resource, '/', 2);
  if (stageEnd < 0) return { stageArn: arn, method: '', path: '/' };
  const methodEnd = resource.indexOf('/', stageEnd + 1);
  const method = methodEnd < 0 ? resource.slice(stageEnd + 1) : resource.slice(stageEnd + 1, methodEnd);
  const path = methodEnd < 0 ? '/' : resource.slice(methodEnd);
  return { stageArn: arn.slice(0, colon + 1 + stageEnd), method, path };
}

/** The method and path an execute-api ARN names. */
export function targetFromArn(arn: string): RequestTarget {
  const { method, path } = parseExecuteApiArn(arn);
  return { method, path };
}

function nthIndexOf(text: string, needle: string, n: number): number {
  let index = -1;
  for (let i = 0; i < n; i++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) return -1;
  }
  return index;
}
