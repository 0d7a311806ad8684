import type { RouteRef } from '../../core/route-scopes.ts';

/** The API Gateway authorizer event formats the handler answers. */
export type AuthorizerEventFormat = 'rest-token' | 'rest-request' | 'http-v2';

/** An authorizer event reduced to what the core and the answer need. */
export interface AuthorizerRequest {
  readonly format: AuthorizerEventFormat;
  /** The Authorization header value; undefined when absent or ambiguous (sent twice). */
  readonly authorization: string | undefined;
  readonly route: RouteRef;
  /** `methodArn` (REST) or `routeArn` (HTTP API): what a policy must name. */
  readonly resourceArn: string;
}

type UnknownRecord = Readonly<Record<string, unknown>>;

const isRecord = (value: unknown): value is UnknownRecord =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const stringOr = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback);

/**
 * Reads any of the three event formats. Total: an event of unknown shape yields a request without a
 * credential (so a 401), never an exception.
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
    route: routeFromArn(methodArn),
    resourceArn: methodArn,
  };
}

function readRestRequest(event: UnknownRecord): AuthorizerRequest {
  const methodArn = stringOr(event.methodArn, '');
  const { httpMethod, resource } = event;
  const route =
    typeof httpMethod === 'string' && typeof resource === 'string'
      ? { method: httpMethod, path: resource }
      : routeFromArn(methodArn);
  return {
    format: 'rest-request',
    authorization: singleHeader(event.headers, event.multiValueHeaders),
    route,
    resourceArn: methodArn,
  };
}

function readHttpV2(event: UnknownRecord): AuthorizerRequest {
  const routeKey = stringOr(event.routeKey, '');
  const context = isRecord(event.requestContext) ? event.requestContext : {};
  const http = isRecord(context.http) ? context.http : {};
  const separator = routeKey.indexOf(' ');
  const route =
    separator > 0
      ? { method: routeKey.slice(0, separator), path: routeKey.slice(separator + 1) }
      : { method: stringOr(http.method, ''), path: stringOr(event.rawPath, stringOr(http.path, '')) };
  return {
    format: 'http-v2',
    // Payload 2.0 lower-cases header names and joins repeated headers with commas; a comma is not
    // token68, so a doubled header is refused by the core.
    authorization: singleHeader(event.headers, undefined),
    route,
    resourceArn: stringOr(event.routeArn, ''),
  };
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

/** `arn:aws:execute-api:region:account:api/stage/METHOD/path/parts` to method and path. */
export function routeFromArn(arn: string): RouteRef {
  const resource = arn.split(':')[5] ?? '';
  const parts = resource.split('/');
  return { method: parts[2] ?? '', path: `/${parts.slice(3).join('/')}` };
}

/** `arn:aws:execute-api:region:account:api/stage`, the prefix every route ARN of the stage shares. */
export function stageArnOf(arn: string): string {
  const colon = arn.split(':');
  const resource = (colon[5] ?? '').split('/');
  return [...colon.slice(0, 5), resource.slice(0, 2).join('/')].join(':');
}
