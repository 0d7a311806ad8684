/**
 * The CORS headers a backend behind a REST API proxy integration adds to its own answers: API
 * Gateway adds none there ("your backend is responsible for returning the
 * `Access-Control-Allow-Origin` and `Access-Control-Allow-Headers` headers, because a proxy
 * integration doesn't return an integration response" —
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html). Behind an HTTP API
 * with a CORS configuration they are harmless: API Gateway "ignores CORS headers returned from your
 * backend integration" and adds its own. Pure: no I/O, no environment.
 */

/** What the backend allows: the same origins, exposed headers and credentials as the API's CORS settings. */
export interface BackendCors {
  /** Origins exactly as browsers send them, or `['*']`. */
  readonly allowOrigins: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly allowCredentials: boolean;
}

/**
 * The headers for an answer to a request from `origin`: `Access-Control-Allow-Origin` (the origin
 * itself when allowed, `*` when every origin is), credentials and exposed headers with it, and
 * `Vary: Origin` whenever the answer depends on the origin, so no cache hands one page's answer to
 * another. Nothing for a request without `Origin` or from an origin not allowed (the browser then
 * keeps the answer from the page).
 */
export function backendCorsHeaders(cors: BackendCors | undefined, origin: string | undefined): Record<string, string> {
  if (cors === undefined) return {};
  const any = cors.allowOrigins.length === 1 && cors.allowOrigins[0] === '*';
  const vary: Record<string, string> = any ? {} : { vary: 'Origin' };
  if (origin === undefined || origin.length === 0) return vary;
  if (!any && !cors.allowOrigins.includes(origin)) return vary;
  return {
    ...vary,
    'access-control-allow-origin': any ? '*' : origin,
    ...(cors.allowCredentials && !any ? { 'access-control-allow-credentials': 'true' } : {}),
    ...(cors.exposeHeaders.length > 0 ? { 'access-control-expose-headers': cors.exposeHeaders.join(',') } : {}),
  };
}

/**
 * {@link BackendCors} from `CORS_ALLOWED_ORIGINS` (comma-separated), `CORS_EXPOSE_HEADERS`
 * (comma-separated) and `CORS_ALLOW_CREDENTIALS` (`true`); undefined without origins.
 */
export function backendCorsFromEnvironment(env: Readonly<Record<string, string | undefined>>): BackendCors | undefined {
  const list = (value: string | undefined) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  const allowOrigins = list(env.CORS_ALLOWED_ORIGINS);
  if (allowOrigins.length === 0) return undefined;
  return {
    allowOrigins,
    exposeHeaders: list(env.CORS_EXPOSE_HEADERS),
    allowCredentials: env.CORS_ALLOW_CREDENTIALS?.trim() === 'true',
  };
}

/** The request's `Origin`, whatever the case of its name (payload 1.0 keeps the client's case). */
export function originOf(headers: Readonly<Record<string, string | undefined>> | null | undefined): string | undefined {
  if (headers === null || headers === undefined) return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'origin' && typeof value === 'string') return value;
  }
  return undefined;
}
