import {
  type ClientCertificateFields,
  decodeHttpApiPath,
  type GatewayEventFormat,
  type GatewayRequest,
} from './authorizer-events.ts';
import { type RouteDefinition, selectHttpRoute, selectRestRoute } from './route-selection.ts';

/** An incoming request before API Gateway has looked at it. */
export interface IncomingRequest {
  readonly method: string;
  /** The request target as sent: path and query. */
  readonly target: string;
  /** Header names and values as received, in order (Node's `rawHeaders`). */
  readonly rawHeaders: readonly string[];
  readonly sourceIp: string;
  /** The scheme the client used. @default 'http' */
  readonly scheme?: 'http' | 'https';
  /** The port the client connected to. @default the scheme's default */
  readonly port?: number;
  /** The client certificate of a mutual TLS connection. @default none */
  readonly clientCertificate?: ClientCertificateFields;
}

/** Why a request never reaches a route. */
export type Unrouted = 'no-stage' | 'no-route';

/**
 * Splits the stage off a request and selects its route the way the API type does (see
 * route-selection.ts): REST stages are named and always prefix the path; HTTP APIs serve `$default`
 * at the root and a named stage under its name. HTTP APIs select routes on the decoded path.
 */
export function routeRequest<R extends RouteDefinition>(
  format: GatewayEventFormat,
  stage: string,
  routes: readonly R[],
  incoming: IncomingRequest,
): { readonly request: GatewayRequest; readonly route: R } | { readonly unrouted: Unrouted } {
  const queryAt = incoming.target.indexOf('?');
  const rawPath = queryAt < 0 ? incoming.target : incoming.target.slice(0, queryAt);
  const rawQueryString = queryAt < 0 ? '' : incoming.target.slice(queryAt + 1);
  const method = incoming.method.toUpperCase();
  const pathAfterStage = stripStage(rawPath, stage);
  if (pathAfterStage === undefined) return { unrouted: 'no-stage' };
  const selected =
    format === 'rest'
      ? selectRestRoute(routes, method, pathAfterStage)
      : selectHttpRoute(routes, method, decodeHttpApiPath(pathAfterStage));
  if (selected === undefined) return { unrouted: 'no-route' };
  const { route, pathParameters } = selected;
  return {
    route,
    request: {
      method,
      rawPath,
      stage,
      pathAfterStage,
      routeKey: format === 'rest' ? route.path : `${route.method.toUpperCase()} ${route.path}`,
      resource: route.path,
      pathParameters,
      rawQueryString,
      rawHeaders: withForwardingHeaders(incoming),
      sourceIp: incoming.sourceIp,
      host: hostOf(incoming.rawHeaders),
      ...(incoming.clientCertificate === undefined ? {} : { clientCertificate: incoming.clientCertificate }),
    },
  };
}

/**
 * The headers API Gateway hands on: the client's, with `X-Forwarded-For` ending in the address it
 * saw (appended to a client's own, as the captures show behind CloudFront: `"15.248.3.126,
 * 130.176.209.37"`), and `X-Forwarded-Port` and `X-Forwarded-Proto` set to the connection's (every
 * capture: `443`, `https`), replacing any the client sent. HTTP APIs reserve all three.
 */
function withForwardingHeaders(incoming: IncomingRequest): readonly string[] {
  const scheme = incoming.scheme ?? 'http';
  const port = incoming.port ?? (scheme === 'https' ? 443 : 80);
  const kept: string[] = [];
  let forwardedFor: string | undefined;
  for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
    const name = incoming.rawHeaders[i] as string;
    const value = incoming.rawHeaders[i + 1] as string;
    const lower = name.toLowerCase();
    if (lower === 'x-forwarded-for') forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
    else if (lower !== 'x-forwarded-port' && lower !== 'x-forwarded-proto') kept.push(name, value);
  }
  const chain = forwardedFor === undefined ? incoming.sourceIp : `${forwardedFor}, ${incoming.sourceIp}`;
  return [...kept, 'X-Forwarded-For', chain, 'X-Forwarded-Port', String(port), 'X-Forwarded-Proto', scheme];
}

/** The path after the stage, or undefined when the request names no stage this API has. */
function stripStage(rawPath: string, stage: string): string | undefined {
  if (stage === '$default') return rawPath;
  const prefix = `/${stage}`;
  if (rawPath === prefix) return '/';
  return rawPath.startsWith(`${prefix}/`) ? rawPath.slice(prefix.length) : undefined;
}

function hostOf(rawHeaders: readonly string[]): string {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() === 'host') return rawHeaders[i + 1] as string;
  }
  return '127.0.0.1';
}
