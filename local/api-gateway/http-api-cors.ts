import type { CorsSettings } from '../../lib/cors.ts';
import type { HttpAnswer } from '../node-http.ts';

/**
 * An HTTP API's CORS configuration, as AWS documents it
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html):
 *
 * - "If you configure CORS for an API, API Gateway automatically sends a response to preflight
 *   OPTIONS requests, even if there isn't an OPTIONS route configured for your API." Route
 *   selection comes first: "The `$default` route catches requests for all methods and routes that
 *   you haven't explicitly defined, including `OPTIONS` requests", so the gateway answers itself
 *   only a preflight that matches no route ({@link httpApiPreflightAnswer}); one that matches a
 *   route goes through it, authorizer included (reports show the same for `ANY` routes).
 * - "For a CORS request, API Gateway adds the configured CORS headers to the response from an
 *   integration." and "API Gateway ignores CORS headers returned from your backend integration"
 *   ({@link withHttpApiCorsHeaders}).
 * - "To return CORS headers, your request must contain an `origin` header. For the `OPTIONS` method,
 *   your request must contain an `origin` header and an `Access-Control-Request-Method` header."
 *
 * Undocumented, chosen here and said so: the status of the gateway's own preflight answer (204, an
 * "ok status" for the Fetch standard); that an origin not in `allowOrigins` gets no
 * `Access-Control-*` header (the browser then refuses); that API Gateway's own answers (the
 * authorizer's 401 and 403, a 404, a 500) get no CORS headers: the documentation names "the
 * response from an integration" only. Wildcard origins (`https://*`) are not imitated: the
 * constructs refuse them.
 */

/** Whether the request is one API Gateway adds CORS headers to: it has `Origin` (and, for `OPTIONS`, `Access-Control-Request-Method`). */
export function isHttpApiCorsRequest(method: string, rawHeaders: readonly string[]): boolean {
  if (header(rawHeaders, 'origin') === undefined) return false;
  return method !== 'OPTIONS' || header(rawHeaders, 'access-control-request-method') !== undefined;
}

/** Whether the request is a CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`. */
export function isHttpApiPreflight(method: string, rawHeaders: readonly string[]): boolean {
  return method === 'OPTIONS' && isHttpApiCorsRequest(method, rawHeaders);
}

/** The gateway's own answer to a preflight that matches no route. */
export function httpApiPreflightAnswer(cors: CorsSettings, rawHeaders: readonly string[]): HttpAnswer {
  const allowOrigin = allowedOrigin(cors, header(rawHeaders, 'origin'));
  if (allowOrigin === undefined) return { status: 204, headers: {}, body: '' };
  return {
    status: 204,
    headers: {
      'access-control-allow-origin': allowOrigin,
      ...(cors.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
      'access-control-allow-methods': cors.allowMethods.join(','),
      'access-control-allow-headers': cors.allowHeaders.join(','),
      'access-control-max-age': String(cors.maxAgeSeconds),
    },
    body: '',
  };
}

/**
 * An integration's answer as the client gets it: the integration's own `Access-Control-*` headers
 * dropped, and for a CORS request from an allowed origin the configured ones added (a preflight
 * answered by a route's integration gets the preflight headers).
 */
export function withHttpApiCorsHeaders(
  answer: HttpAnswer,
  cors: CorsSettings,
  method: string,
  rawHeaders: readonly string[],
): HttpAnswer {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    if (!name.toLowerCase().startsWith('access-control-')) headers[name] = value;
  }
  if (!isHttpApiCorsRequest(method, rawHeaders)) return { ...answer, headers };
  if (method === 'OPTIONS') {
    return { ...answer, headers: { ...headers, ...httpApiPreflightAnswer(cors, rawHeaders).headers } };
  }
  const allowOrigin = allowedOrigin(cors, header(rawHeaders, 'origin'));
  if (allowOrigin === undefined) return { ...answer, headers };
  return {
    ...answer,
    headers: {
      ...headers,
      'access-control-allow-origin': allowOrigin,
      ...(cors.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
      ...(cors.exposeHeaders.length > 0 ? { 'access-control-expose-headers': cors.exposeHeaders.join(',') } : {}),
    },
  };
}

/** `*` when every origin is allowed, the origin itself when it is one of them, else undefined. */
function allowedOrigin(cors: CorsSettings, origin: string | undefined): string | undefined {
  if (cors.allowOrigins.includes('*')) return '*';
  return origin !== undefined && cors.allowOrigins.includes(origin) ? origin : undefined;
}

/** The first value of a header, whatever the case of its name. */
function header(rawHeaders: readonly string[], lowerCaseName: string): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() === lowerCaseName) return rawHeaders[i + 1];
  }
  return undefined;
}
