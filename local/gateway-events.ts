import { randomUUID } from 'node:crypto';

/** Which API Gateway flavour the local gateway imitates. */
export type GatewayEventFormat = 'rest' | 'http';

/** Identity of the imitated API, as it appears in ARNs and request contexts. */
export const LOCAL_API = {
  region: 'us-east-1',
  accountId: '123456789012',
  apiId: 'localapi',
  restStage: 'local',
  httpStage: '$default',
} as const;

/** One incoming request, matched to a route. */
export interface GatewayRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The path as requested, without the query. */
  readonly path: string;
  /** The route's resource template, e.g. `/orders/{id}`. */
  readonly resource: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  /** The query string without `?`. */
  readonly rawQueryString: string;
  /** Header names and values as received, in order (Node's `rawHeaders`). */
  readonly rawHeaders: readonly string[];
  readonly sourceIp: string;
}

/** `arn:aws:execute-api:region:account:api/stage/METHOD/path` with the concrete path, as AWS builds it. */
export function invokeArn(format: GatewayEventFormat, method: string, path: string): string {
  const stage = format === 'rest' ? LOCAL_API.restStage : LOCAL_API.httpStage;
  return `arn:aws:execute-api:${LOCAL_API.region}:${LOCAL_API.accountId}:${LOCAL_API.apiId}/${stage}/${method}/${path.replace(/^\//, '')}`;
}

/** The route key of an HTTP API route: `GET /orders/{id}`. */
export function routeKeyOf(request: GatewayRequest): string {
  return `${request.method} ${request.resource}`;
}

/**
 * A REST API REQUEST authorizer event, shaped as AWS documents it: header names as sent, the
 * last value in `headers` and all of them in `multiValueHeaders`; `methodArn` with the concrete path.
 */
export function restRequestAuthorizerEvent(request: GatewayRequest): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] as string;
    const value = request.rawHeaders[i + 1] as string;
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query = new URLSearchParams(request.rawQueryString);
  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [name, value] of query) {
    queryStringParameters[name] = value;
    multiValueQueryStringParameters[name] = [...(multiValueQueryStringParameters[name] ?? []), value];
  }
  const userAgent = lastHeader(request.rawHeaders, 'user-agent');
  return {
    type: 'REQUEST',
    methodArn: invokeArn('rest', request.method, request.path),
    resource: request.resource,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters,
    pathParameters: { ...request.pathParameters },
    stageVariables: {},
    requestContext: {
      path: `/${LOCAL_API.restStage}${request.path}`,
      accountId: LOCAL_API.accountId,
      resourceId: 'local1',
      stage: LOCAL_API.restStage,
      requestId: randomUUID(),
      identity: { apiKey: null, sourceIp: request.sourceIp, userAgent: userAgent ?? null },
      resourcePath: request.resource,
      httpMethod: request.method,
      apiId: LOCAL_API.apiId,
    },
  };
}

/**
 * An HTTP API (payload 2.0) Lambda authorizer event, shaped as AWS documents it: header names in
 * lower case, repeated headers joined with commas, `routeArn` with the concrete path, and the
 * identity sources the construct configures (the Authorization header and the route key).
 */
export function httpApiAuthorizerEvent(request: GatewayRequest): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = (request.rawHeaders[i] as string).toLowerCase();
    const value = request.rawHeaders[i + 1] as string;
    if (name === 'cookie') cookies.push(...value.split(';').map((cookie) => cookie.trim()));
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(request.rawQueryString)) {
    queryStringParameters[name] = name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }
  const routeKey = routeKeyOf(request);
  const now = new Date();
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: invokeArn('http', request.method, request.path),
    identitySource: [headers.authorization ?? '', routeKey],
    routeKey,
    rawPath: request.path,
    rawQueryString: request.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    requestContext: {
      accountId: LOCAL_API.accountId,
      apiId: LOCAL_API.apiId,
      domainName: `${LOCAL_API.apiId}.execute-api.${LOCAL_API.region}.amazonaws.com`,
      domainPrefix: LOCAL_API.apiId,
      http: {
        method: request.method,
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: LOCAL_API.httpStage,
      time: commonLogTime(now),
      timeEpoch: now.getTime(),
    },
    ...(Object.keys(request.pathParameters).length > 0 ? { pathParameters: { ...request.pathParameters } } : {}),
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, the `requestContext.time` format. */
function commonLogTime(date: Date): string {
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function lastHeader(rawHeaders: readonly string[], lowerCaseName: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() === lowerCaseName) found = rawHeaders[i + 1];
  }
  return found;
}
