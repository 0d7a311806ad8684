/**
 * Issue 9's findings through the local stack over HTTP, with requests sent byte for byte (no client
 * normalization): rules finer than routes, non-canonical paths after an allowed call, the catch-all,
 * what integrations receive, and the header quota. Both API types.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEventFormat } from '../../local/api-gateway/authorizer-events.ts';
import { type LocalStack, startLocalStack } from '../../local/local-stack.ts';
import { tokenFrom } from '../support/local-stack-client.ts';
import { rawRequest } from '../support/raw-http.ts';

describe.each<GatewayEventFormat>(['rest', 'http'])('route exactness through the %s gateway', (format) => {
  let stack: LocalStack;
  let origin: string;
  let prefix: string;
  let reader: string;
  let admin: string;
  const logLines: string[] = [];

  const call = async (method: string, path: string, token: string, headers: Record<string, string> = {}) =>
    rawRequest(origin, method, `${prefix}${path}`, { authorization: `Bearer ${token}`, ...headers });

  beforeAll(async () => {
    stack = await startLocalStack({
      eventFormat: format,
      cacheTtlSeconds: 60,
      writeLog: (line) => logLines.push(line),
    });
    const url = new URL(stack.ready.gateway);
    origin = url.origin;
    prefix = url.pathname.replace(/\/$/, '');
    reader = await tokenFrom(stack.ready, 'phantom', 'orders:read');
    admin = await tokenFrom(stack.ready, 'split', 'admin');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('applies rules finer than the route: ANY /orders is one route, reading and writing need different scopes', async () => {
    const read = await call('GET', '/orders', reader);
    const write = await call('POST', '/orders', reader);
    const readAgain = await call('GET', '/orders', reader);

    expect([read.status, write.status, readAgain.status]).toEqual([200, 403, 200]);
  });

  it('refuses non-canonical spellings of a closed route after an allowed call on the open one', async () => {
    expect((await call('GET', '/orders', reader)).status).toBe(200);

    for (const path of [
      '/orders/',
      '//orders',
      '/./orders',
      '/%2e/orders',
      '/hello/../orders',
      '/ORDERS',
      '/%6Frders',
    ]) {
      const answer = await call('POST', path, reader);
      expect(answer.status, `POST ${path}`).toBe(403);
    }
  });

  it('serves /admin/... through the catch-all only with the admin scope, however it is spelled', async () => {
    for (const path of ['/admin/users', '/Admin/users', '/public/%2e%2e/admin/users', '/admin;x=1/users']) {
      expect((await call('GET', path, reader)).status, `GET ${path} without admin`).toBe(403);
    }
    expect((await call('GET', '/admin/users', admin)).status).toBe(200);
  });

  it('decides on the path under a parameter route: GET /orders/{id} needs orders:read, deeper paths and other methods orders:write', async () => {
    const writer = await tokenFrom(stack.ready, 'split', 'orders:write');

    expect((await call('GET', '/orders/42', writer)).status).toBe(403);
    expect((await call('GET', '/orders/42', reader)).status).toBe(200);
    expect((await call('GET', '/orders/42/secret', reader)).status).toBe(403);
    if (format === 'rest') {
      expect((await call('GET', '/orders/42/secret', writer)).status).toBe(200);
    } else {
      // An HTTP API decodes the path: /orders/42/secret may have been /orders/42%2Fsecret, which a
      // backend reads as GET /orders/{id}. So it needs what both readings need.
      const both = await tokenFrom(stack.ready, 'split', 'orders:read orders:write');
      expect((await call('GET', '/orders/42/secret', writer)).status).toBe(403);
      expect((await call('GET', '/orders/42%2Fsecret', writer)).status).toBe(403);
      expect((await call('GET', '/orders/42/secret', both)).status).toBe(200);
    }
  });

  it('closes the methods no rule names on a route: an ANY rule covers DELETE, PUT and PATCH', async () => {
    const bare = await tokenFrom(stack.ready, 'split', 'openid');

    for (const [method, path] of [
      ['DELETE', '/orders'],
      ['PUT', '/orders'],
      ['PATCH', '/orders/1'],
    ] as const) {
      expect((await call(method, path, bare)).status, `${method} ${path}`).toBe(403);
      expect((await call(method, path, reader)).status, `${method} ${path} with orders:read`).toBe(403);
    }
  });

  it('refuses a dot segment beside an encoded slash, which a backend resolves over the whole segment', async () => {
    // On an HTTP API /a%2Fb/../admin/users arrives decoded as /a/b/../admin/users; a backend reads
    // a%2Fb as one segment and resolves the path to /admin/users.
    for (const [method, path] of [
      ['GET', '/a%2Fb/../admin/users'],
      ['GET', '/a%2Fb/%2e%2e/admin/users'],
      // Spellings some reading resolves as `..`: a parameter, a tab, fullwidth dots, a two-dot leader.
      ['GET', '/a%2Fb/..;/admin/users'],
      ['GET', '/a%2Fb/.%09./admin/users'],
      ['GET', '/a%2Fb/%EF%BC%8E%EF%BC%8E/admin/users'],
      ['GET', '/a%2Fb/%E2%80%A5/admin/users'],
      ['POST', '/a%2Fb/../orders'],
    ] as const) {
      expect((await call(method, path, reader)).status, `${method} ${path}`).toBe(403);
    }
  });

  it('refuses the spellings a byte-wise, Unicode-aware or Windows backend would read as a closed route', async () => {
    for (const path of [
      '/admin%2F%FF',
      '/admin%2F%FF%2F..%2Fusers',
      '/ADM%C4%B0N/users',
      '/admin%20/users',
      '/admin./users',
    ]) {
      expect((await call('GET', path, reader)).status, `GET ${path}`).toBe(403);
    }
    for (const path of ['/order%C5%BF', '/orders%2F%C0%2F..']) {
      expect((await call('POST', path, reader)).status, `POST ${path}`).toBe(403);
    }
  });

  it('hands integrations the JWT as the API type maps it, overwriting what the client sent', async () => {
    const answer = await call('GET', '/hello', reader, { 'x-verified-jwt': 'a.forged.jwt' });
    const body = JSON.parse(answer.body) as { tokenType?: string; claims?: Record<string, unknown> };

    expect(answer.status).toBe(200);
    expect(body.tokenType).toBe('phantom');
    expect(body.claims?.token_introspection).toMatchObject({ active: true, client_id: 'phantom-client' });
  });

  it('refuses requests whose headers pass the 10,240-byte quota before any authorizer call', async () => {
    const before = stack.gatewayAuthorization.invocations;

    const answer = await call('GET', '/hello', reader, { 'x-padding': 'p'.repeat(10_300) });

    expect(answer.status).toBe(431);
    expect(stack.gatewayAuthorization.invocations).toBe(before);
  });

  it('keeps token material out of the logs', () => {
    const logged = logLines.join('\n');
    for (const token of [reader, admin]) expect(logged).not.toContain(token.slice(-24));
  });
});
