import { describe, expect, it } from 'vitest';
import { type ApiRoute, apiRouteProblems, withCorsPreflightRoutes } from '../../lib/api-routes.ts';
import { EXAMPLE_API_ROUTES } from '../../lib/example-api.ts';

describe('withCorsPreflightRoutes', () => {
  it('adds one public OPTIONS route per path of the example API, served by the preflight integration', () => {
    const added = withCorsPreflightRoutes(EXAMPLE_API_ROUTES).slice(EXAMPLE_API_ROUTES.length);
    expect(added).toEqual(
      ['/claims', '/orders', '/orders/{id}', '/{proxy+}', '/.well-known/oauth-protected-resource'].map((path) => ({
        method: 'OPTIONS',
        path,
        integration: 'cors-preflight',
        authorization: 'none',
      })),
    );
    expect(apiRouteProblems(withCorsPreflightRoutes(EXAMPLE_API_ROUTES))).toEqual([]);
  });

  it('adds one route per resource, whatever its variables are called, and keeps preflight routes already there', () => {
    const routes: ApiRoute[] = [
      { method: 'GET', path: '/a/{id}', integration: 'x' },
      { method: 'PUT', path: '/a/{key}', integration: 'x' },
    ];
    const once = withCorsPreflightRoutes(routes);
    expect(once.filter((route) => route.method === 'OPTIONS')).toHaveLength(1);
    expect(withCorsPreflightRoutes(once)).toEqual(once);
  });

  it('refuses an OPTIONS route of the definition’s own: it would take the preflight', () => {
    expect(() =>
      withCorsPreflightRoutes([
        { method: 'ANY', path: '/x', integration: 'x' },
        { method: 'OPTIONS', path: '/x', integration: 'x' },
      ]),
    ).toThrow(/OPTIONS \/x/);
  });
});

describe('apiRouteProblems', () => {
  it('finds a public route on a token route’s integration, a route twice, bad paths and methods', () => {
    expect(
      apiRouteProblems([
        { method: 'GET', path: '/a', integration: 'x' },
        { method: 'POST', path: '/b', integration: 'x', authorization: 'none' },
        { method: 'GET', path: '/c/{id}', integration: 'y' },
        { method: 'GET', path: '/c/{other}', integration: 'y' },
        { method: 'get', path: 'd', integration: 'y' },
        { method: 'GET', path: '/{p+}/e', integration: 'y' },
        { method: 'GET', path: '/f', integration: 'cors-preflight' },
      ]),
    ).toEqual([
      'Route GET /c/{other}: defined twice',
      'Route get d: the method must be upper case letters (or ANY)',
      'Route get d: the path must start with /',
      'Route GET /{p+}/e: greedy {p+} must be the last segment',
      'Route GET /f: cors-preflight serves public OPTIONS routes only',
      'Route POST /b: a public route needs an integration of its own, but x also serves token routes',
    ]);
  });
});
