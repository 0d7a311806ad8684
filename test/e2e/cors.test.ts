import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEventFormat } from '../../local/api-gateway/authorizer-events.ts';
import { type LocalStack, startLocalStack } from '../../local/local-stack.ts';
import { tokenFrom } from '../support/local-stack-client.ts';
import { rawRequest } from '../support/raw-http.ts';

/**
 * A browser page on another origin calling the API through the local stack, as the Fetch standard
 * has browsers do it: a preflight without credentials (`Origin`, `Access-Control-Request-Method`,
 * `Access-Control-Request-Headers: authorization,dpop`), then the actual request with the token.
 * Expected values are the page's own origin and the headers it asked for, and what AWS documents:
 * REST answers the preflight from the `OPTIONS` MOCK method and a 401 gateway response can carry
 * the origin; an HTTP API adds its configured headers to integration answers.
 */
const PAGE = 'http://localhost:5173';

const PREFLIGHT = {
  Origin: PAGE,
  'Access-Control-Request-Method': 'GET',
  'Access-Control-Request-Headers': 'authorization,dpop',
};

/** Header names of a comma-separated list, lower case. */
const names = (value: unknown) =>
  String(value ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase());

describe.each<GatewayEventFormat>(['rest', 'http'])('CORS through the local stack with %s events', (eventFormat) => {
  let stack: LocalStack;
  let path: (p: string) => string;

  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, eventFormat, cors: { allowOrigins: [PAGE] }, writeLog: () => {} });
    const stage = new URL(stack.ready.gateway).pathname.replace(/\/$/, '');
    path = (p) => `${stage}${p}`;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each(['/orders', '/orders/42', '/claims', '/admin/users', '/hello'])(
    'answers a browser preflight to %s without a token, without the authorizer, from no backend',
    async (target) => {
      const invocations = stack.gatewayAuthorization.invocations;

      const answer = await rawRequest(stack.ready.gateway, 'OPTIONS', path(target), PREFLIGHT);

      expect(answer.status).toBeGreaterThanOrEqual(200);
      expect(answer.status).toBeLessThan(300);
      expect(answer.headers['access-control-allow-origin']).toBe(PAGE);
      expect(names(answer.headers['access-control-allow-methods'])).toContain('get');
      expect(names(answer.headers['access-control-allow-headers'])).toEqual(
        expect.arrayContaining(['authorization', 'dpop']),
      );
      // The demo backend answers every request it gets with a JSON body; the preflight never got there.
      expect(answer.body).toBe('');
      expect(stack.gatewayAuthorization.invocations).toBe(invocations);
    },
  );

  it('lets the page read the actual request’s answer: the token reaches the backend, the origin comes back', async () => {
    const token = await tokenFrom(stack.ready, 'split', 'orders:read');

    const answer = await rawRequest(stack.ready.gateway, 'GET', path('/orders'), {
      Origin: PAGE,
      Authorization: `Bearer ${token}`,
    });

    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe(PAGE);
    expect(names(answer.headers['access-control-expose-headers'])).toContain('www-authenticate');
    expect(JSON.parse(answer.body)).toMatchObject({ route: expect.stringMatching(/^GET \//) });
  });

  it('never names another page’s origin', async () => {
    const evil = 'https://evil.example.test';
    const token = await tokenFrom(stack.ready, 'split', 'orders:read');

    const preflight = await rawRequest(stack.ready.gateway, 'OPTIONS', path('/orders'), { ...PREFLIGHT, Origin: evil });
    const actual = await rawRequest(stack.ready.gateway, 'GET', path('/orders'), {
      Origin: evil,
      Authorization: `Bearer ${token}`,
    });

    expect(preflight.headers['access-control-allow-origin']).not.toBe(evil);
    expect(actual.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses the actual request without a token: 401, readable by the page where API Gateway can say so', async () => {
    const answer = await rawRequest(stack.ready.gateway, 'GET', path('/orders'), { Origin: PAGE });

    expect(answer.status).toBe(401);
    if (eventFormat === 'rest') {
      // The UNAUTHORIZED gateway response carries the one allowed origin and exposes the challenge.
      expect(answer.headers['access-control-allow-origin']).toBe(PAGE);
      expect(names(answer.headers['access-control-expose-headers'])).toContain('www-authenticate');
      expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm=/);
    }
  });

  it('sends an OPTIONS request without preflight headers to the preflight route, never to the backend', async () => {
    const invocations = stack.gatewayAuthorization.invocations;

    const bare = await rawRequest(stack.ready.gateway, 'OPTIONS', path('/orders'));
    const catchAll = await rawRequest(stack.ready.gateway, 'OPTIONS', path('/admin/secrets'));

    for (const answer of [bare, catchAll]) {
      expect(answer.status).toBe(204);
      expect(answer.body).toBe('');
    }
    expect(stack.gatewayAuthorization.invocations).toBe(invocations);
  });
});

describe.each<GatewayEventFormat>(['rest', 'http'])(
  'OPTIONS through the local stack without CORS, with %s events',
  (eventFormat) => {
    let stack: LocalStack;
    let path: (p: string) => string;

    beforeAll(async () => {
      stack = await startLocalStack({ port: 0, eventFormat, writeLog: () => {} });
      const stage = new URL(stack.ready.gateway).pathname.replace(/\/$/, '');
      path = (p) => `${stage}${p}`;
    });

    afterAll(async () => {
      await stack?.stop();
    });

    it('needs a token like any other method: 401 without one, the route’s scopes with one', async () => {
      const readOnly = await tokenFrom(stack.ready, 'split', 'orders:read');
      const writer = await tokenFrom(stack.ready, 'split', 'orders:write');

      const anonymous = await rawRequest(stack.ready.gateway, 'OPTIONS', path('/orders'), PREFLIGHT);
      // ANY /orders needs orders:write for every method but GET (EXAMPLE_ROUTE_SCOPES): OPTIONS included.
      const withoutScope = await rawRequest(stack.ready.gateway, 'OPTIONS', path('/orders'), {
        Authorization: `Bearer ${readOnly}`,
      });
      const withScope = await rawRequest(stack.ready.gateway, 'OPTIONS', path('/orders'), {
        Authorization: `Bearer ${writer}`,
      });

      expect(anonymous.status).toBe(401);
      expect(withoutScope.status).toBe(403);
      expect(withScope.status).toBe(200);
      expect(JSON.parse(withScope.body)).toMatchObject({ route: expect.stringMatching(/^OPTIONS \//) });
    });
  },
);
