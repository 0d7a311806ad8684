import assert from 'node:assert/strict';
import { normalizePath } from '../../../../lambda/core/request-path.ts';
import { RouteScopePolicy, type RouteScopeRule, routeRuleProblem } from '../../../../lambda/core/route-scopes.ts';
import type { Scenario } from './scenario.ts';

const RULES: readonly RouteScopeRule[] = [
  { method: 'GET', path: '/orders', scopes: ['orders:read'] },
  { method: 'POST', path: '/orders', scopes: ['orders:write'] },
  { method: 'GET', path: '/orders/{id}', scopes: ['orders:read'] },
  { method: 'GET', path: '/orders/summary', scopes: ['reports'] },
  { method: 'ANY', path: '/admin/{proxy+}', scopes: ['admin'] },
  { method: 'GET', path: '/admin/health', scopes: [] },
  { method: 'ANY', path: '/echo', scopes: ['echo'] },
];

/** Sorted, so expectations do not depend on the order scopes are collected in. */
const required = (policy: RouteScopePolicy, method: string, path: string): string[] =>
  [...policy.requiredScopes({ method, path })].sort();

export const routeScopeScenarios: readonly Scenario[] = [
  {
    name: 'rules apply to concrete paths: a parameter takes one segment, a greedy one any number, the rest gets the defaults',
    run() {
      const policy = new RouteScopePolicy(RULES, ['basic']);

      assert.deepEqual(required(policy, 'GET', '/orders'), ['orders:read']);
      assert.deepEqual(required(policy, 'GET', '/orders/42'), ['orders:read']);
      assert.deepEqual(required(policy, 'GET', '/orders/42/secret'), ['basic']);
      assert.deepEqual(required(policy, 'DELETE', '/admin/users/1'), ['admin']);
      assert.deepEqual(required(policy, 'DELETE', '/admin'), ['admin']);
      assert.deepEqual(required(policy, 'DELETE', '/echo'), ['echo']);
      assert.deepEqual(required(policy, 'POST', '/orders/42'), ['basic']);
      assert.deepEqual(required(policy, 'GET', '/hello'), ['basic']);
      assert.deepEqual(required(policy, 'GET', '/'), ['basic']);
    },
  },
  {
    name: 'the most specific rule wins: a literal over a parameter over a greedy segment, then an exact method over ANY',
    run() {
      const policy = new RouteScopePolicy(
        [
          ...RULES,
          { method: 'ANY', path: '/orders/{id}', scopes: ['any-order'] },
          { method: 'ANY', path: '/{proxy+}', scopes: ['everything'] },
        ],
        ['basic'],
      );

      assert.deepEqual(required(policy, 'GET', '/orders/summary'), ['reports']);
      assert.deepEqual(required(policy, 'GET', '/admin/health'), []);
      assert.deepEqual(required(policy, 'GET', '/orders/7'), ['orders:read']);
      assert.deepEqual(required(policy, 'PUT', '/orders/7'), ['any-order']);
      assert.deepEqual(required(policy, 'GET', '/anything/else'), ['everything']);
      assert.deepEqual(required(policy, 'GET', '/'), ['everything']);
    },
  },
  {
    name: 'equally specific rules that match the same request all apply',
    run() {
      const policy = new RouteScopePolicy([
        { method: 'GET', path: '/a/{x}', scopes: ['left'] },
        { method: 'GET', path: '/{y}/b', scopes: ['right'] },
        { method: 'GET', path: '/c/{x}', scopes: ['one'] },
        { method: 'GET', path: '/c/{z}', scopes: ['two'] },
      ]);

      assert.deepEqual(required(policy, 'GET', '/a/b'), ['left']);
      assert.deepEqual(required(policy, 'GET', '/c/d'), ['one', 'two']);
    },
  },
  {
    name: 'a path a backend would normalize into a closed route needs that route scopes too',
    run() {
      const policy = new RouteScopePolicy(RULES, []);

      for (const path of [
        '/orders/',
        '//orders',
        '/./orders',
        '/%2e/orders',
        '/hello/../orders',
        '/hello/%2E%2E/orders',
        '/hello/..%2Forders',
        '/hello%2F..%2Forders',
        '/hello\\..\\orders',
        '/ORDERS',
        '/%6Frders',
        '/orders;jsessionid=1',
        '/hello/..;/orders',
      ]) {
        assert.ok(required(policy, 'POST', path).includes('orders:write'), `POST ${path}`);
      }
      assert.ok(required(policy, 'GET', '/public/%2e%2e/admin/users').includes('admin'));
      assert.ok(required(policy, 'GET', '/admin%2fusers').includes('admin'));
    },
  },
  {
    name: 'an invalid UTF-8 escape does not keep the escapes around it from splitting the path (as byte-wise decoders read it)',
    run() {
      const policy = new RouteScopePolicy(RULES, []);

      // Python's unquote, Java's URLDecoder and Go read these as /admin/<junk>, /admin/<junk>/../users, /orders/<junk>/..
      for (const path of ['/admin%2F%FF', '/admin%2F%FF%2F..%2Fusers', '/x/%FF%2F..%2F..%2Fadmin/users']) {
        assert.ok(required(policy, 'GET', path).includes('admin'), `GET ${path}`);
      }
      assert.ok(required(policy, 'POST', '/orders%2F%C0%2F..').includes('orders:write'));
    },
  },
  {
    name: 'Unicode case folding, compatibility forms, trailing dots and spaces, a NUL, a tab or a line break cannot dodge a rule',
    run() {
      const policy = new RouteScopePolicy(RULES, []);

      for (const [method, path, scope] of [
        ['GET', '/order%C5%BF', 'orders:read'],
        ['POST', '/ORDER%C5%BF', 'orders:write'],
        ['GET', '/ADM%C4%B0N/users', 'admin'],
        ['GET', '/adm%C4%B1n/users', 'admin'],
        ['GET', '/%EF%BD%81dmin/users', 'admin'],
        ['GET', '/admin%20/users', 'admin'],
        ['GET', '/admin./users', 'admin'],
        ['GET', '/admin%00.json/users', 'admin'],
        ['GET', '/x%EF%BC%8F..%EF%BC%8Fadmin/users', 'admin'],
        ['GET', '/%252e%252e/admin%252Fusers', 'admin'],
        // An HTTP API's rawPath comes decoded; a backend building a URL from it drops tab, LF and CR.
        ['POST', '/ord\ters', 'orders:write'],
        ['POST', '/ord%09ers', 'orders:write'],
        ['GET', '/ad\r\nmin/users', 'admin'],
        ['GET', '/admin/us%0Aers', 'admin'],
        // An HTTP API's rawPath comes decoded; a backend building a URL from it cuts at `?` and `#`.
        ['POST', '/orders?', 'orders:write'],
        ['POST', '/orders#x', 'orders:write'],
        ['GET', '/admin?/users', 'admin'],
      ] as const) {
        assert.ok(required(policy, method, path).includes(scope), `${method} ${path} needs ${scope}`);
      }
    },
  },
  {
    name: 'a path read as a URL parser or a decoding router reads it (dots resolved, an encoded slash kept) needs its rule',
    run() {
      const policy = new RouteScopePolicy([{ method: 'GET', path: '/users/{id}', scopes: ['users:read'] }], []);

      // Express (WHATWG URL: dot segments and %2e resolved, escapes kept) and decodeURI-style routers
      // read each as GET /users/{id} with id "x/y".
      for (const path of ['/x/../users/x%2Fy', '/x/%2e%2e/users/x%2Fy', '/%75sers/x%2Fy', '/USERS/x%2Fy']) {
        assert.ok(required(policy, 'GET', path).includes('users:read'), `GET ${path}`);
      }
    },
  },
  {
    name: 'where the gateway decoded the path, any slash may have been %2F: every grouping of the segments needs its rule',
    run() {
      const policy = new RouteScopePolicy(
        [
          { method: 'GET', path: '/orders/{id}', scopes: ['orders:read'] },
          { method: 'GET', path: '/orders/{id}/items', scopes: ['items:read'] },
          { method: 'ANY', path: '/{proxy+}', scopes: ['basic'] },
        ],
        [],
      );
      const decoded = (path: string) => policy.requiredScopes({ method: 'GET', path, slashesMayBeEscaped: true });

      // /orders/4%2F2 arrives as /orders/4/2; /orders/4%2Fitems as /orders/4/items.
      assert.deepEqual(new Set(decoded('/orders/4/2')), new Set(['basic', 'orders:read']));
      assert.deepEqual(new Set(decoded('/orders/4/items')), new Set(['items:read', 'orders:read', 'basic']));
      // A path that only regroups into the catch-all needs only what it needs.
      assert.deepEqual(decoded('/health/live'), ['basic']);
      // As sent on a REST API (no decoding there), each path needs only its own rule.
      assert.deepEqual(required(policy, 'GET', '/orders/4/items'), ['items:read']);
      // /a%2Fb/../orders/4 arrives as /a/b/../orders/4, which a backend reads as /orders/4: with a dot
      // segment no regrouping is safe, so every scope of the method's rules.
      assert.deepEqual(new Set(decoded('/a/b/../orders/4')), new Set(['orders:read', 'items:read', 'basic']));
      assert.deepEqual(new Set(decoded('/a/b/%2e%2e/orders/4')), new Set(['orders:read', 'items:read', 'basic']));
      // So with any spelling some reading resolves as `..`: parameters, a tab, compatibility forms.
      for (const dots of ['..;', '..;x', '.\t.', '．．', '‥']) {
        assert.deepEqual(
          new Set(decoded(`/a/b/${dots}/orders/4`)),
          new Set(['orders:read', 'items:read', 'basic']),
          dots,
        );
      }
      // Past 8 segments: every scope of the method's rules.
      assert.deepEqual(new Set(decoded('/a/b/c/d/e/f/g/h/i')), new Set(['orders:read', 'items:read', 'basic']));
      // `/orders/4/..%20` decoded ends in `.. `: at the end of a URL a parser strips the space and reads `..`.
      assert.deepEqual(new Set(decoded('/orders/4/.. ')), new Set(['orders:read', 'items:read', 'basic']));
      // As sent on a REST API too: a backend that decodes and builds a URL serves /orders/4.
      assert.deepEqual(
        new Set(required(policy, 'GET', '/orders/4/items/..%20')),
        new Set(['items:read', 'orders:read', 'basic']),
      );
    },
  },
  {
    name: 'a HEAD request needs what GET needs on the same path',
    run() {
      const policy = new RouteScopePolicy(RULES, []);

      assert.deepEqual(required(policy, 'HEAD', '/orders'), ['orders:read']);
      assert.deepEqual(required(policy, 'head', '/orders/1'), ['orders:read']);
    },
  },
  {
    name: 'several readings of one request need the scopes of all of them',
    run() {
      const policy = new RouteScopePolicy(RULES, []);

      const scopes = policy.requiredScopes([
        { method: 'GET', path: '/orders' },
        { method: 'POST', path: '/orders' },
      ]);

      assert.deepEqual([...scopes].sort(), ['orders:read', 'orders:write']);
    },
  },
  {
    name: 'normalization decodes byte by byte, resolves dot segments without climbing above the root, and folds case',
    run() {
      assert.deepEqual(normalizePath('/a/b/../../../c'), ['c']);
      assert.deepEqual(normalizePath('/A/%252e%252e/b'), ['a', '%2e%2e', 'b']);
      assert.deepEqual(normalizePath('/%ff%fe/x'), ['\ufffd\ufffd', 'x']);
      assert.deepEqual(normalizePath('/admin%2F%FF'), ['admin', '\ufffd']);
      assert.deepEqual(normalizePath('/%C3%A9t%C3%A9'), ['ete']);
      assert.deepEqual(normalizePath(''), []);
    },
  },
  {
    name: 'unusable rules are refused with the reason',
    run() {
      assert.equal(routeRuleProblem({ method: 'GET', path: '/a/{id}/b', scopes: ['s'] }), undefined);
      assert.match(routeRuleProblem({ method: 'GET', path: '/{proxy+}/x', scopes: [] }) ?? '', /last segment/);
      assert.match(routeRuleProblem({ method: 'GET', path: 'orders', scopes: [] }) ?? '', /start with/);
      assert.match(routeRuleProblem({ method: 'G E', path: '/', scopes: [] }) ?? '', /method/);
      assert.match(routeRuleProblem({ method: 'GET', path: '/a{b}', scopes: [] }) ?? '', /segment/);
      assert.match(routeRuleProblem({ method: 'GET', path: '/a', scopes: [''] }) ?? '', /scopes/);
      assert.throws(() => new RouteScopePolicy([{ method: 'GET', path: 'x', scopes: [] }]), TypeError);
    },
  },
];
