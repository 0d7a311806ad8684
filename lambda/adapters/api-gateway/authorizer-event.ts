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
  return {
    format: 'rest-token',
    authorization: typeof event.authorizationToken === 'string' ? event.authorizationToken : undefined,
    targets: [targetFromArn(methodArn)],
    resourceArn: methodArn,
  };
}

function readRestRequest(event: UnknownRecord): AuthorizerRequest {
  const methodArn = stringOr(event.methodArn, '');
  const fromArn = targetFromArn(methodArn);
  // REST REQUEST events carry the path without the stage (`path`), and the method (`httpMethod`).
  const fromEvent =
    typeof event.httpMethod === 'string' && typeof event.path === 'string'
      ? { method: event.httpMethod, path: event.path }
      : undefined;
  return {
    format: 'rest-request',
    authorization: singleHeader(event.headers, event.multiValueHeaders),
    targets: targetsOf(fromArn, fromEvent),
    resourceArn: methodArn,
  };
}

function readHttpV2(event: UnknownRecord): AuthorizerRequest {
  const routeArn = stringOr(event.routeArn, '');
  const fromArn = targetFromArn(routeArn);
  const context = isRecord(event.requestContext) ? event.requestContext : {};
  const http = isRecord(context.http) ? context.http : {};
  const rawPath = typeof event.rawPath === 'string' ? event.rawPath : stringOr(http.path, '');
  // On a named stage of the execute-api domain, rawPath starts with the stage: /dev/orders.
  const fromEvent =
    typeof http.method === 'string' ? { method: http.method, path: withoutStage(rawPath, context.stage) } : undefined;
  return {
    format: 'http-v2',
    // Payload 2.0 lower-cases header names and joins repeated headers with commas; a comma is not
    // token68, so a doubled header is refused by the core.
    authorization: singleHeader(event.headers, undefined),
    targets: targetsOf(fromArn, fromEvent),
    resourceArn: routeArn,
    cacheKeyCoversRequest: coversRequest(event.identitySource, fromEvent ?? fromArn, rawPath),
  };
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

/** The one Authorization header, looked up without regard to case; undefined if absent or repeated. */
function singleHeader(headers: unknown, multiValueHeaders: unknown): string | undefined {
  if (isRecord(multiValueHeaders)) {
    let count = 0;
    for (const [name, values] of Object.entries(multiValueHeaders)) {
      if (isAuthorizationName(name)) count += Array.isArray(values) ? values.length : 1;
    }
    if (count > 1) return undefined;
  }
  if (!isRecord(headers)) return undefined;
  let found: string | undefined;
  let count = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (!isAuthorizationName(name)) continue;
    count++;
    if (typeof value === 'string') found = value;
  }
  return count === 1 ? found : undefined;
}

/** Header names are case-insensitive; the length check spares a lower-casing of every other name. */
function isAuthorizationName(name: string): boolean {
  return name.length === 13 && name.toLowerCase() === 'authorization';
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
