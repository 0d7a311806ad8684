/**
 * A route definition: the routes of one API, as both API types declare them and the local gateway
 * serves them. One list, read by the CDK constructs ({@link RestApiRoutes}, {@link HttpApiRoutes}),
 * the local gateway and the protected-resource metadata, so local and deployed cannot drift.
 *
 * @module
 */

/** One route of an API. */
export interface ApiRoute<Integration extends string = string> {
  /** An HTTP method, or `ANY`. */
  readonly method: string;
  /** A resource path: `/`, literal segments, `{name}`, and a last `{name+}`. */
  readonly path: string;
  /** Which integration serves it: a key the constructs and the local gateway map to a backend. */
  readonly integration: Integration;
  /**
   * `none` for a route that must answer without a token (CORS preflight, protected-resource
   * metadata): it gets no authorizer and must have an integration of its own, which no token route
   * uses, so nothing unauthenticated ever reaches a token route's integration through a catch-all.
   * @default 'token'
   */
  readonly authorization?: 'token' | 'none';
}

/**
 * The integration of the CORS preflight routes ({@link withCorsPreflightRoutes}): on a REST API a
 * MOCK integration that answers the `Access-Control-*` headers, on an HTTP API a function that
 * answers 204 and reaches nothing (the API's CORS configuration adds the headers). Reserved: no
 * other route may use it.
 */
export const CORS_PREFLIGHT_INTEGRATION = 'cors-preflight';

/** The methods `ANY` stands for (API Gateway's list without `OPTIONS`, which preflight routes answer). */
export const ANY_METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * The route definition with a public `OPTIONS` route for every path it has, each served by
 * {@link CORS_PREFLIGHT_INTEGRATION}.
 *
 * Why every path: on an HTTP API, route selection comes before API Gateway's own preflight answer,
 * so a preflight to a path an `ANY` route or a greedy route covers would reach that route's
 * authorizer and fail without a token (AWS: "The `$default` route catches requests for all methods
 * and routes that you haven't explicitly defined, including `OPTIONS` requests. To support
 * unauthorized `OPTIONS` requests, add an `OPTIONS /{proxy+}` route … that doesn't require
 * authorization and attach an integration to the route" —
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html; reports show the
 * same for `ANY` routes). An exact method beats `ANY` on the same path on both API types ("The `ANY`
 * method matches all methods that you haven't defined for a route" —
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html; REST
 * `ANY` "will catch any HTTP method that wasn't explicitly declared" —
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-any-method.html),
 * and whichever path wins selection has its own `OPTIONS` route, so no `OPTIONS` request reaches a
 * token route. On a REST API each resource needs its own `OPTIONS` method anyway ("Enabling CORS
 * support for a resource and its methods does not recursively enable it for child resources").
 *
 * @throws Error when the definition already has an `OPTIONS` route on a path that is not a preflight route
 */
export function withCorsPreflightRoutes<I extends string>(
  routes: readonly ApiRoute<I>[],
): readonly ApiRoute<I | typeof CORS_PREFLIGHT_INTEGRATION>[] {
  const preflight: ApiRoute<typeof CORS_PREFLIGHT_INTEGRATION>[] = [];
  const seen = new Set<string>();
  for (const route of routes) {
    const resource = resourceKey(route.path);
    if (seen.has(resource)) continue;
    seen.add(resource);
    const existing = routes.find(
      (other) => other.method.toUpperCase() === 'OPTIONS' && resourceKey(other.path) === resource,
    );
    if (existing === undefined) {
      preflight.push({
        method: 'OPTIONS',
        path: route.path,
        integration: CORS_PREFLIGHT_INTEGRATION,
        authorization: 'none',
      });
    } else if (!isCorsPreflightRoute(existing)) {
      throw new Error(
        `Route OPTIONS ${existing.path}: with CORS on, every path's OPTIONS route is the public preflight route; remove it`,
      );
    }
  }
  return [...routes, ...preflight];
}

/** Whether `route` is a CORS preflight route of {@link withCorsPreflightRoutes}. */
export function isCorsPreflightRoute(route: ApiRoute): boolean {
  return (
    route.method.toUpperCase() === 'OPTIONS' &&
    route.integration === CORS_PREFLIGHT_INTEGRATION &&
    route.authorization === 'none'
  );
}

/**
 * What is wrong with a route definition, one sentence per problem (empty: usable): malformed
 * methods or paths, two routes for one method and resource, a public route sharing its
 * integration with a token route (it would reach that integration without a token), and
 * {@link CORS_PREFLIGHT_INTEGRATION} used by anything but a public `OPTIONS` route.
 */
export function apiRouteProblems(routes: readonly ApiRoute[]): string[] {
  const problems: string[] = [];
  const keys = new Set<string>();
  for (const route of routes) {
    const name = `Route ${route.method} ${route.path}`;
    if (!/^[A-Z]+$/.test(route.method)) problems.push(`${name}: the method must be upper case letters (or ANY)`);
    const pathProblem = routePathProblem(route.path);
    if (pathProblem !== undefined) problems.push(`${name}: ${pathProblem}`);
    const key = `${route.method} ${resourceKey(route.path)}`;
    if (keys.has(key)) problems.push(`${name}: defined twice`);
    keys.add(key);
    if (route.integration === CORS_PREFLIGHT_INTEGRATION && !isCorsPreflightRoute(route)) {
      problems.push(`${name}: ${CORS_PREFLIGHT_INTEGRATION} serves public OPTIONS routes only`);
    }
  }
  const tokenIntegrations = new Set(
    routes.filter((route) => route.authorization !== 'none').map((route) => route.integration),
  );
  for (const route of routes) {
    if (route.authorization === 'none' && tokenIntegrations.has(route.integration)) {
      problems.push(
        `Route ${route.method} ${route.path}: a public route needs an integration of its own, but ${route.integration} also serves token routes`,
      );
    }
  }
  return problems;
}

/** @throws Error listing every problem of {@link apiRouteProblems} */
export function assertUsableRoutes(routes: readonly ApiRoute[], owner: string): void {
  const problems = apiRouteProblems(routes);
  if (problems.length > 0) throw new Error(`${owner}: ${problems.join('; ')}`);
}

/** The path's segments: `[]` for `/`. */
export function pathSegments(path: string): string[] {
  return path.split('/').filter((segment) => segment.length > 0);
}

function routePathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'the path must start with /';
  if (path.length > 1 && path.endsWith('/')) return 'the path must not end with /';
  if (path.includes('//')) return 'the path must not have empty segments';
  const segments = pathSegments(path);
  for (const [index, segment] of segments.entries()) {
    if (!segment.includes('{') && !segment.includes('}')) continue;
    if (!/^\{[A-Za-z0-9._-]+\+?\}$/.test(segment)) return `segment ${segment} must be a literal, {name} or {name+}`;
    if (segment.endsWith('+}') && index !== segments.length - 1) return `greedy ${segment} must be the last segment`;
  }
  return undefined;
}

/** The resource a path names, whatever its variables are called (`/orders/{id}` = `/orders/{key}`). */
function resourceKey(path: string): string {
  return `/${pathSegments(path)
    .map((segment) => {
      if (!segment.startsWith('{')) return segment;
      return segment.endsWith('+}') ? '{+}' : '{}';
    })
    .join('/')}`;
}
