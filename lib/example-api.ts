import type { RouteScopeRule } from '../lambda/core/route-scopes.ts';
import type { ApiRoute } from './api-routes.ts';

/** What serves a route of the example API. */
export type ExampleIntegration =
  /** The example backend function (AWS) or the demo backend (local): verifies the JWT, shows its claims. */
  | 'claims'
  /** An HTTP integration that receives the verified JWT in a header (AWS: an echo service; local: the demo backend). */
  | 'echo'
  /** The RFC 9728 metadata document, answered by the gateway itself (REST: a mock integration). */
  | 'protected-resource-metadata';

/**
 * The example API's routes, the same on the REST API, the HTTP API and the local gateway (which
 * reads this very list), so local and deployed cannot drift. Every route goes through the token
 * authorizer but the public metadata route, which has its own integration; with CORS on, each path
 * also gets a public preflight route (`withCorsPreflightRoutes`). Kept apart from the scope rules
 * ({@link EXAMPLE_ROUTE_SCOPES}): rules may be finer than routes, and often are.
 */
export const EXAMPLE_API_ROUTES: readonly ApiRoute<ExampleIntegration>[] = [
  { method: 'GET', path: '/claims', integration: 'claims' },
  { method: 'ANY', path: '/orders', integration: 'echo' },
  { method: 'GET', path: '/orders/{id}', integration: 'echo' },
  { method: 'ANY', path: '/{proxy+}', integration: 'echo' },
  // RFC 9728: OAuth and MCP clients read it before they hold a token.
  {
    method: 'GET',
    path: '/.well-known/oauth-protected-resource',
    integration: 'protected-resource-metadata',
    authorization: 'none',
  },
];

/**
 * Scopes per request, finer than the routes: `ANY /orders` is one route, but reading needs
 * `orders:read` and every other method `orders:write` (an `ANY` rule closes the methods no rule
 * names, so a new method on the route is never open by default); the catch-all `ANY /{proxy+}`
 * serves `/admin/...`, which needs `admin`. Everything else (`/claims`, `/hello`, any other path)
 * needs only a valid token.
 */
export const EXAMPLE_ROUTE_SCOPES: readonly RouteScopeRule[] = [
  { method: 'ANY', path: '/orders', scopes: ['orders:write'] },
  { method: 'GET', path: '/orders', scopes: ['orders:read'] },
  { method: 'ANY', path: '/orders/{proxy+}', scopes: ['orders:write'] },
  { method: 'GET', path: '/orders/{id}', scopes: ['orders:read'] },
  { method: 'ANY', path: '/admin/{proxy+}', scopes: ['admin'] },
];

/** The REST API's stage (its invoke URL ends in `/v1/`). */
export const REST_STAGE_NAME = 'v1';

/** The HTTP API's stage: `$default`, served at the root of its invoke URL. */
export const HTTP_STAGE_NAME = '$default';

/** A request header an integration receives, mapped from a key of the authorizer's context. */
export interface ContextHeaderMapping {
  readonly header: string;
  readonly contextKey: string;
}

/**
 * REST HTTP integrations: `integration.request.header.<header>` = `context.authorizer.<key>`,
 * replacing whatever the client sent under that name (`Authorization` included).
 */
export const REST_CONTEXT_HEADERS: readonly ContextHeaderMapping[] = [
  { header: 'Authorization', contextKey: 'authorization' },
  { header: 'X-Token-Type', contextKey: 'tokenType' },
];

/**
 * HTTP API integrations: `overwrite:header.<header>` = `$context.authorizer.<key>`. HTTP APIs
 * reserve `Authorization` (it cannot be mapped), so the client's opaque token still reaches the
 * backend there, and the JWT arrives in `x-verified-jwt`, overwritten so a client cannot inject it.
 */
export const HTTP_CONTEXT_HEADERS: readonly ContextHeaderMapping[] = [
  { header: 'x-verified-jwt', contextKey: 'jwt' },
  { header: 'x-token-type', contextKey: 'tokenType' },
];
