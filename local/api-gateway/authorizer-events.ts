import { randomUUID } from 'node:crypto';

/**
 * Lambda authorizer events as API Gateway sends them, shaped after real captured events (the
 * REST REQUEST and HTTP API 2.0 captures in `../shared/fixtures/apigw-events/`, against which
 * `test/local/api-gateway/authorizer-events.test.ts` checks every field and type) and AWS's
 * input formats (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html).
 */

/** Which API type the local gateway imitates. */
export type GatewayEventFormat = 'rest' | 'http';

/** Identity of the imitated API, as it appears in ARNs, hosts and request contexts. */
export const LOCAL_API = {
  region: 'us-east-1',
  accountId: '123456789012',
  apiId: 'localapi01',
} as const;

/**
 * What a REST method ARN holds for a non-canonical path (`/orders/`, `//orders`): undocumented.
 * Captured REST events keep a trailing slash in `path` and collapse `//` there, while
 * `requestContext.path` keeps both (public captures); whether the authorizer's method ARN follows
 * `path` or the raw request is unknown. The local gateway can do either, so tests cover both.
 */
export type MethodArnPath = 'as-sent' | 'like-event-path';

/** One incoming request, after stage and route selection. */
export interface GatewayRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The path as sent, stage included, without the query. */
  readonly rawPath: string;
  /** The stage the request is for. */
  readonly stage: string;
  /** The path after the stage, as sent (REST keeps percent-encoding). */
  readonly pathAfterStage: string;
  /** The selected route's key (`GET /orders/{id}`, `$default`) or REST resource (`/orders/{id}`). */
  readonly routeKey: string;
  readonly resource: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  /** The query string without `?`. */
  readonly rawQueryString: string;
  /** Header names and values as received, in order (Node's `rawHeaders`). */
  readonly rawHeaders: readonly string[];
  readonly sourceIp: string;
  /** The `Host` the client used: `requestContext.domainName`. */
  readonly host: string;
  /** The client certificate, on a mutual TLS connection only. */
  readonly clientCertificate?: ClientCertificateFields;
}

/**
 * `clientCert` as AWS documents it for REST (`requestContext.identity.clientCert`) and HTTP APIs
 * (`requestContext.authentication.clientCert`): "Present when a client accesses an API by using a
 * custom domain name that has mutual TLS enabled"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html),
 * shaped as the input format samples: the PEM, the DNs, the serial in colon hex, validity dates as
 * `May 28 12:30:02 2019 GMT`.
 */
export interface ClientCertificateFields {
  readonly clientCertPem: string;
  readonly subjectDN: string;
  readonly issuerDN: string;
  readonly serialNumber: string;
  readonly validity: { readonly notBefore: string; readonly notAfter: string };
}

/** `arn:aws:execute-api:region:account:api/stage/METHOD/path` with the concrete path. */
export function executeApiArn(stage: string, method: string, path: string): string {
  return `arn:aws:execute-api:${LOCAL_API.region}:${LOCAL_API.accountId}:${LOCAL_API.apiId}/${stage}/${method}/${path.replace(/^\//, '')}`;
}

/** The method ARN of a REST request, with the path the way {@link MethodArnPath} says. */
export function methodArnOf(request: GatewayRequest, methodArnPath: MethodArnPath = 'as-sent'): string {
  const path = methodArnPath === 'as-sent' ? request.pathAfterStage : restEventPath(request.pathAfterStage);
  return executeApiArn(request.stage, request.method, path);
}

/** The route ARN of an HTTP API request: the stage as its own segment, the decoded path after it. */
export function routeArnOf(request: GatewayRequest): string {
  return executeApiArn(request.stage, request.method, decodeHttpApiPath(request.pathAfterStage));
}

/**
 * The REST API `path` of a request: the path after the stage, `//` collapsed, a trailing slash and
 * percent-encoding kept (as captured REST events show).
 */
export function restEventPath(pathAfterStage: string): string {
  const collapsed = pathAfterStage.replace(/\/{2,}/g, '/');
  return collapsed.startsWith('/') ? collapsed : `/${collapsed}`;
}

/**
 * A REST API REQUEST authorizer event: header names as sent, the last value in `headers` and all
 * of them in `multiValueHeaders`; `methodArn` with the concrete path; `path` without the stage and
 * `requestContext.path` with it.
 */
export function restRequestAuthorizerEvent(
  request: GatewayRequest,
  methodArnPath: MethodArnPath = 'as-sent',
): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] as string;
    const value = request.rawHeaders[i + 1] as string;
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(request.rawQueryString)) {
    queryStringParameters[name] = value;
    multiValueQueryStringParameters[name] = [...(multiValueQueryStringParameters[name] ?? []), value];
  }
  const path = restEventPath(request.pathAfterStage);
  const now = new Date();
  return {
    type: 'REQUEST',
    methodArn: methodArnOf(request, methodArnPath),
    resource: request.resource,
    path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters,
    pathParameters: { ...request.pathParameters },
    stageVariables: {},
    requestContext: {
      resourceId: 'local1',
      resourcePath: request.resource,
      httpMethod: request.method,
      extendedRequestId: randomUUID(),
      requestTime: commonLogTime(now),
      path: request.rawPath,
      accountId: LOCAL_API.accountId,
      protocol: 'HTTP/1.1',
      stage: request.stage,
      domainPrefix: LOCAL_API.apiId,
      requestTimeEpoch: now.getTime(),
      requestId: randomUUID(),
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp: request.sourceIp,
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent: lastHeader(request.rawHeaders, 'user-agent') ?? null,
        user: null,
        ...(request.clientCertificate === undefined ? {} : { clientCert: request.clientCertificate }),
      },
      domainName: request.host,
      deploymentId: 'local1',
      apiId: LOCAL_API.apiId,
    },
  };
}

/**
 * An HTTP API payload 2.0 authorizer event: header names in lower case, repeated headers joined
 * with commas; `rawPath` decoded (HTTP APIs decode the path, `%2F` included, in public captures)
 * and holding a named stage; `routeArn` with the stage as its own segment and the path after it;
 * `identitySource` the values of the authorizer's identity sources.
 */
export function httpApiAuthorizerEvent(
  request: GatewayRequest,
  identitySource: readonly string[],
): Record<string, unknown> {
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
  const now = new Date();
  const rawPath = decodeHttpApiPath(request.rawPath);
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: routeArnOf(request),
    identitySource: [...identitySource],
    routeKey: request.routeKey,
    rawPath,
    rawQueryString: request.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    requestContext: {
      accountId: LOCAL_API.accountId,
      apiId: LOCAL_API.apiId,
      // The captured authorizer events without mutual TLS carry no `authentication` at all.
      ...(request.clientCertificate === undefined ? {} : { authentication: { clientCert: request.clientCertificate } }),
      domainName: request.host,
      domainPrefix: LOCAL_API.apiId,
      http: {
        method: request.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: request.routeKey,
      stage: request.stage,
      time: commonLogTime(now),
      timeEpoch: now.getTime(),
    },
    ...(Object.keys(request.pathParameters).length > 0
      ? { pathParameters: mapValues(request.pathParameters, decodeHttpApiPath) }
      : {}),
  };
}

/** HTTP APIs hand on the path percent-decoded; an escape that is not UTF-8 stays as sent. */
export function decodeHttpApiPath(path: string): string {
  return path.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, the `requestContext.time` format. */
function commonLogTime(date: Date): string {
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** The last value of a header (REST keeps the last one in `headers`). */
export function lastHeader(rawHeaders: readonly string[], lowerCaseName: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() === lowerCaseName) found = rawHeaders[i + 1];
  }
  return found;
}

function mapValues(record: Readonly<Record<string, string>>, map: (value: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}
