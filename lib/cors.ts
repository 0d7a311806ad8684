import { ANY_METHODS, type ApiRoute } from './api-routes.ts';

/**
 * The request headers a browser client of the token authorizer sends beyond the CORS-safelisted
 * ones: the token (`Authorization`, never covered by a `*` in `Access-Control-Allow-Headers`), a
 * DPoP proof (RFC 9449) and a JSON body's `Content-Type`.
 */
export const DEFAULT_CORS_ALLOW_HEADERS: readonly string[] = ['Authorization', 'DPoP', 'Content-Type'];

/**
 * The response headers a browser script may read beyond the safelisted ones: the RFC 6750 / RFC
 * 9728 challenge of a 401 or 403.
 */
export const DEFAULT_CORS_EXPOSE_HEADERS: readonly string[] = ['WWW-Authenticate'];

/** How long a browser may keep a preflight answer, unless told. */
export const DEFAULT_CORS_MAX_AGE_SECONDS = 300;

/**
 * The largest `maxAge` an HTTP API takes (API Gateway v2 `Cors.MaxAge`: -1 to 86400); browsers cap
 * it lower (Chromium at 7200 s).
 */
export const MAX_CORS_MAX_AGE_SECONDS = 86_400;

/** Cross-origin access for browser clients (CORS): which pages may call the API. */
export interface CorsOptions {
  /**
   * The origins whose pages may call the API, each exactly as a browser sends `Origin`
   * (`https://app.example.com`, `http://localhost:5173`: scheme, lower-case host, a port only when
   * not the scheme's default, no path), or `['*']` for any page (never with {@link allowCredentials}).
   */
  readonly allowOrigins: readonly string[];
  /**
   * Methods the actual requests may use. @default every method the route definition names, `ANY`
   * as GET, HEAD, POST, PUT, PATCH and DELETE
   */
  readonly allowMethods?: readonly string[];
  /** Request headers the actual requests may carry. @default {@link DEFAULT_CORS_ALLOW_HEADERS} */
  readonly allowHeaders?: readonly string[];
  /** Response headers scripts may read. @default {@link DEFAULT_CORS_EXPOSE_HEADERS} */
  readonly exposeHeaders?: readonly string[];
  /**
   * How long a browser may reuse a preflight answer, 1 to 86400 seconds.
   * @default {@link DEFAULT_CORS_MAX_AGE_SECONDS}
   */
  readonly maxAgeSeconds?: number;
  /**
   * Whether pages may send credentials (cookies, TLS client certificates: `credentials: 'include'`).
   * Bearer and DPoP tokens in headers need no credentials. Never with the origin `*`.
   * @default false
   */
  readonly allowCredentials?: boolean;
}

/** {@link CorsOptions} with every default filled in and checked. */
export interface CorsSettings {
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds: number;
  readonly allowCredentials: boolean;
}

/** An origin as a browser serializes it (RFC 6454 section 6.2): scheme, host, a non-default port. */
const SERIALIZED_ORIGIN =
  /^(https?):\/\/([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/;

/** An RFC 9110 token (header names and methods). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The settings for `routes`: defaults filled in, every value checked.
 *
 * @throws Error naming the first bad value: an origin a browser would never send (a path, a default
 *   port, upper case), `*` beside other origins or with credentials, a header or method that is not
 *   an RFC 9110 token, a max age out of range
 */
export function resolveCorsSettings(options: CorsOptions, routes: readonly ApiRoute[]): CorsSettings {
  const origins = [...options.allowOrigins];
  if (origins.length === 0) throw new Error('cors.allowOrigins: name at least one origin');
  if (new Set(origins).size !== origins.length) throw new Error('cors.allowOrigins: name each origin once');
  const credentials = options.allowCredentials ?? false;
  if (origins.includes('*')) {
    if (origins.length > 1) throw new Error("cors.allowOrigins: '*' stands alone");
    // The Fetch standard refuses `*` for a request with credentials, and API Gateway refuses the pair.
    if (credentials) throw new Error("cors.allowOrigins: '*' is never allowed with allowCredentials");
  } else {
    for (const origin of origins) {
      const problem = originProblem(origin);
      if (problem !== undefined) throw new Error(`cors.allowOrigins: '${origin.slice(0, 80)}' ${problem}`);
    }
  }
  const maxAgeSeconds = options.maxAgeSeconds ?? DEFAULT_CORS_MAX_AGE_SECONDS;
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 1 || maxAgeSeconds > MAX_CORS_MAX_AGE_SECONDS) {
    throw new Error(`cors.maxAgeSeconds: a whole number from 1 to ${MAX_CORS_MAX_AGE_SECONDS}`);
  }
  return {
    allowOrigins: origins,
    allowMethods: tokens('allowMethods', options.allowMethods ?? routeMethods(routes)).map((method) =>
      method.toUpperCase(),
    ),
    allowHeaders: tokens('allowHeaders', options.allowHeaders ?? DEFAULT_CORS_ALLOW_HEADERS),
    exposeHeaders: tokens('exposeHeaders', options.exposeHeaders ?? DEFAULT_CORS_EXPOSE_HEADERS, true),
    maxAgeSeconds,
    allowCredentials: credentials,
  };
}

/** The methods the routes serve, `ANY` spelled out, `OPTIONS` left to the preflight. */
export function routeMethods(routes: readonly ApiRoute[]): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    const method = route.method.toUpperCase();
    if (method === 'ANY') for (const any of ANY_METHODS) methods.add(any);
    else if (method !== 'OPTIONS') methods.add(method);
  }
  const order = (method: string) => {
    const index = ANY_METHODS.indexOf(method);
    return index < 0 ? ANY_METHODS.length : index;
  };
  return [...methods].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
}

/** Why a browser would never send `origin` as its `Origin`; undefined when it could. */
function originProblem(origin: string): string | undefined {
  const match = SERIALIZED_ORIGIN.exec(origin);
  if (match === null) {
    return 'is not an origin as browsers send it (scheme://host[:port], lower case, no path or trailing slash)';
  }
  const [, scheme, , port] = match;
  if (port !== undefined) {
    const number = Number(port);
    if (number < 1 || number > 65_535 || String(number) !== port) return 'has a bad port';
    if ((scheme === 'https' && number === 443) || (scheme === 'http' && number === 80)) {
      return "names the scheme's default port, which browsers leave out of Origin";
    }
  }
  return undefined;
}

function tokens(name: string, values: readonly string[], mayBeEmpty = false): string[] {
  if (!mayBeEmpty && values.length === 0) throw new Error(`cors.${name}: name at least one`);
  for (const value of values) {
    if (!TOKEN.test(value)) throw new Error(`cors.${name}: '${value.slice(0, 80)}' is not a token`);
  }
  const lower = values.map((value) => value.toLowerCase());
  if (new Set(lower).size !== lower.length) throw new Error(`cors.${name}: name each once`);
  return [...values];
}
