/**
 * Route selection as AWS documents it for each API type. The local gateway uses it to decide
 * which route (and integration) serves a request, and which route key or resource the event names;
 * the authorizer never relies on either.
 */

/** A route: a method (or `ANY`) and a resource path with `{name}` and a last `{name+}`. */
export interface RouteDefinition {
  readonly method: string;
  readonly path: string;
}

/** The selected route and the values of its path variables. */
export interface SelectedRoute<R extends RouteDefinition> {
  readonly route: R;
  readonly pathParameters: Readonly<Record<string, string>>;
}

type Part =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'variable'; readonly name: string }
  | { readonly kind: 'greedy'; readonly name: string };

function partsOf(path: string): Part[] {
  return path
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => {
      if (!segment.startsWith('{')) return { kind: 'literal', value: segment };
      return segment.endsWith('+}')
        ? { kind: 'greedy', name: segment.slice(1, -2) }
        : { kind: 'variable', name: segment.slice(1, -1) };
    });
}

/**
 * HTTP API route selection (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html):
 * "API Gateway selects the route with the most-specific match, using the following priorities:
 * 1. Full match for a route and method. 2. Match for a route and method with a greedy path variable
 * ({proxy+}). 3. The $default route." "The ANY method matches all methods that you haven't defined
 * for a route." Among full matches, a literal segment is more specific than a path variable (the
 * documentation's example sends `GET /pets/dog/1` to `GET /pets/dog/1` over `GET /pets/dog/{id}`);
 * among greedy matches, the longest matching prefix wins (`GET /pets/cat/1` goes to
 * `GET /pets/{proxy+}` over `ANY /{proxy+}`). A greedy variable also matches the empty rest: a
 * captured event shows `/dev/` served by `ANY /{proxy+}` with `proxy` = "".
 *
 * `path` is the path after the stage, as API Gateway decoded it (HTTP APIs decode the path).
 *
 * @returns undefined when nothing matches and there is no `$default` route
 */
export function selectHttpRoute<R extends RouteDefinition>(
  routes: readonly R[],
  method: string,
  path: string,
): SelectedRoute<R> | undefined {
  const segments = path.split('/').filter((segment) => segment.length > 0);
  let best: { selected: SelectedRoute<R>; rank: number[] } | undefined;
  for (const route of routes) {
    if (route.path === '$default' || route.method === '$default') continue;
    const routeMethod = route.method.toUpperCase();
    if (routeMethod !== 'ANY' && routeMethod !== method) continue;
    const parts = partsOf(route.path);
    const matched = matchParts(parts, segments, 0);
    if (matched === undefined) continue;
    const greedy = parts.at(-1)?.kind === 'greedy';
    // Full matches before greedy ones; then literal before variable, left to right; then the method.
    const rank = [greedy ? 0 : 1, ...matched.perSegment, routeMethod === 'ANY' ? 0 : 1];
    if (best === undefined || compare(rank, best.rank) > 0) {
      best = { selected: { route, pathParameters: matched.parameters }, rank };
    }
  }
  if (best !== undefined) return best.selected;
  const fallback = routes.find((route) => route.path === '$default' || route.method === '$default');
  return fallback && { route: fallback, pathParameters: {} };
}

/**
 * REST API resource and method selection. Resources form a tree; "a method request against a
 * specific resource takes precedence over a method request against a generic resource at the same
 * level of the resource hierarchy", and "The /parent/{proxy+} placeholder stands for any resource
 * matching the path pattern of /parent/*" (one or more segments)
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-settings-method-request.html).
 * `ANY` "will catch any HTTP method that wasn't explicitly declared"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-any-method.html).
 * Empty segments are ignored: public reports show `/orders/` and `//orders` served by `/orders`.
 * A resource that matches but has no method for the request is not retried elsewhere: the client
 * gets the missing-authentication-token 403. Undocumented: whether selection backtracks; assumed not.
 *
 * `path` is the path after the stage, percent-encoding kept (REST APIs keep it).
 *
 * @returns undefined when no resource and method match (API Gateway answers 403 Missing Authentication Token)
 */
export function selectRestRoute<R extends RouteDefinition>(
  routes: readonly R[],
  method: string,
  path: string,
): SelectedRoute<R> | undefined {
  const segments = path.split('/').filter((segment) => segment.length > 0);
  let bestResource: { path: string; rank: number[]; parameters: Record<string, string> } | undefined;
  for (const route of routes) {
    const parts = partsOf(route.path);
    const matched = matchParts(parts, segments, 1);
    if (matched === undefined) continue;
    if (bestResource === undefined || compare(matched.perSegment, bestResource.rank) > 0) {
      bestResource = { path: canonicalPath(parts), rank: matched.perSegment, parameters: matched.parameters };
    }
  }
  if (bestResource === undefined) return undefined;
  const onResource = routes.filter((route) => canonicalPath(partsOf(route.path)) === bestResource.path);
  const exact = onResource.find((route) => route.method.toUpperCase() === method);
  const chosen = exact ?? onResource.find((route) => route.method.toUpperCase() === 'ANY');
  return chosen && { route: chosen, pathParameters: bestResource.parameters };
}

/**
 * Per path segment 3 for a literal, 2 for a variable, 1 for a greedy one; the greedy variable's
 * value is the rest joined by `/`, at least `minimumGreedySegments` long.
 */
function matchParts(
  parts: readonly Part[],
  segments: readonly string[],
  minimumGreedySegments: number,
): { perSegment: number[]; parameters: Record<string, string> } | undefined {
  const perSegment: number[] = [];
  const parameters: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as Part;
    if (part.kind === 'greedy') {
      const rest = segments.slice(i);
      if (rest.length < minimumGreedySegments) return undefined;
      parameters[part.name] = rest.join('/');
      for (const _ of rest) perSegment.push(1);
      return { perSegment, parameters };
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    if (part.kind === 'variable') {
      parameters[part.name] = segment;
      perSegment.push(2);
    } else if (part.value === segment) {
      perSegment.push(3);
    } else {
      return undefined;
    }
  }
  return parts.length === segments.length ? { perSegment, parameters } : undefined;
}

/** The resource a route belongs to, whatever its variables are named. */
function canonicalPath(parts: readonly Part[]): string {
  return `/${parts.map(canonicalSegment).join('/')}`;
}

function canonicalSegment(part: Part): string {
  if (part.kind === 'literal') return part.value;
  return part.kind === 'variable' ? '{}' : '{+}';
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
