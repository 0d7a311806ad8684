/**
 * Route selection checked against AWS's own examples (each case cites where it comes from), not
 * against the implementation.
 */
import { describe, expect, it } from 'vitest';
import { selectHttpRoute, selectRestRoute } from '../../../local/api-gateway/route-selection.ts';

const key = (selected: { route: { method: string; path: string } } | undefined) =>
  selected === undefined ? undefined : `${selected.route.method} ${selected.route.path}`;

describe('HTTP API route selection', () => {
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html, "Routing API requests".
  const documented = [
    { method: 'GET', path: '/pets/dog/1' },
    { method: 'GET', path: '/pets/dog/{id}' },
    { method: 'GET', path: '/pets/{proxy+}' },
    { method: 'ANY', path: '/{proxy+}' },
    { method: '$default', path: '$default' },
  ];

  it.each([
    ['GET', '/pets/dog/1', 'GET /pets/dog/1'],
    ['GET', '/pets/dog/2', 'GET /pets/dog/{id}'],
    ['GET', '/pets/cat/1', 'GET /pets/{proxy+}'],
    ['POST', '/test/5', 'ANY /{proxy+}'],
  ])('sends %s %s to %s, as the documentation does', (method, path, expected) => {
    expect(key(selectHttpRoute(documented, method, path))).toBe(expected);
  });

  it('falls back to $default, and without one matches nothing', () => {
    const routes = [
      { method: 'GET', path: '/pets' },
      { method: '$default', path: '$default' },
    ];

    expect(key(selectHttpRoute(routes, 'POST', '/pets'))).toBe('$default $default');
    expect(selectHttpRoute([{ method: 'GET', path: '/pets' }], 'POST', '/pets')).toBeUndefined();
  });

  it('prefers a route that defines the method to ANY on the same path ("ANY matches all methods that you haven\'t defined")', () => {
    const routes = [
      { method: 'ANY', path: '/orders' },
      { method: 'POST', path: '/orders' },
    ];

    expect(key(selectHttpRoute(routes, 'POST', '/orders'))).toBe('POST /orders');
    expect(key(selectHttpRoute(routes, 'DELETE', '/orders'))).toBe('ANY /orders');
  });

  it('matches the stage root with a greedy route and an empty value (a captured named-stage event)', () => {
    expect(selectHttpRoute([{ method: 'ANY', path: '/{proxy+}' }], 'GET', '/')).toMatchObject({
      pathParameters: { proxy: '' },
    });
  });
});

describe('REST API resource and method selection', () => {
  const routes = [
    { method: 'ANY', path: '/orders' },
    { method: 'GET', path: '/orders/{id}' },
    { method: 'ANY', path: '/{proxy+}' },
  ];

  it('prefers a specific resource to a generic one at the same level ("a method request against a specific resource takes precedence")', () => {
    expect(key(selectRestRoute(routes, 'GET', '/orders'))).toBe('ANY /orders');
    expect(key(selectRestRoute(routes, 'GET', '/orders/42'))).toBe('GET /orders/{id}');
    expect(key(selectRestRoute(routes, 'GET', '/anything/else'))).toBe('ANY /{proxy+}');
  });

  it('serves /orders/ and //orders with the /orders resource (public reports of REST APIs)', () => {
    expect(key(selectRestRoute(routes, 'GET', '/orders/'))).toBe('ANY /orders');
    expect(key(selectRestRoute(routes, 'GET', '//orders'))).toBe('ANY /orders');
  });

  it('finds no method when the selected resource lacks it and has no ANY (403 Missing Authentication Token)', () => {
    expect(selectRestRoute(routes, 'DELETE', '/orders/42')).toBeUndefined();
  });

  it('does not serve the root with {proxy+}, which stands for "/parent/*"', () => {
    expect(selectRestRoute(routes, 'GET', '/')).toBeUndefined();
  });

  it('gives the greedy parameter the rest of the path, percent-encoding kept', () => {
    expect(selectRestRoute(routes, 'GET', '/a/b%20c/d')?.pathParameters).toEqual({ proxy: 'a/b%20c/d' });
  });
});
