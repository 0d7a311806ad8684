/**
 * The local gateway's authorization step, each behaviour against what AWS documents (cited in
 * local/api-gateway/), with a scripted authorizer that counts its invocations.
 */
import { describe, expect, it } from 'vitest';
import type { GatewayEventFormat } from '../../../local/api-gateway/authorizer-events.ts';
import { GatewayAuthorization } from '../../../local/api-gateway/gateway-authorization.ts';
import { routeRequest } from '../../../local/api-gateway/gateway-request.ts';

type Answer = (event: Record<string, unknown>) => unknown;

function setup(
  format: GatewayEventFormat,
  answer: Answer,
  options: { identitySources?: string[]; ttl?: number; timeoutMs?: number } = {},
) {
  let now = 1_000_000;
  const events: Record<string, unknown>[] = [];
  const authorization = new GatewayAuthorization({
    format,
    authorizer: async (event) => {
      events.push(event as Record<string, unknown>);
      return answer(event as Record<string, unknown>);
    },
    identitySources:
      options.identitySources ??
      (format === 'rest'
        ? ['method.request.header.Authorization', 'context.httpMethod', 'context.path']
        : ['$request.header.Authorization', '$context.httpMethod', '$context.path']),
    resultsTtlSeconds: options.ttl ?? 60,
    simpleResponses: true,
    authorizerTimeoutMs: options.timeoutMs ?? 10_000,
    clock: () => now,
  });
  const stage = format === 'rest' ? 'prod' : '$default';
  const request = (method: string, path: string, headers: string[] = ['Authorization', 'Bearer t']) => {
    const routed = routeRequest(format, stage, [{ method: 'ANY', path: '/{proxy+}' }], {
      method,
      target: `${stage === '$default' ? '' : `/${stage}`}${path}`,
      rawHeaders: headers,
      sourceIp: '192.0.2.9',
    });
    if ('unrouted' in routed) throw new Error('unrouted');
    return authorization.authorize(routed.request);
  };
  return { events, request, advance: (seconds: number) => (now += seconds * 1000), authorization };
}

const allowArn = (event: Record<string, unknown>) => ({
  principalId: 'user',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [event.methodArn ?? event.routeArn] }],
  },
  context: { jwt: 'a.b.c' },
});

describe('identity sources and the result cache', () => {
  it.each(['rest', 'http'] as const)(
    '%s: a missing Authorization header is 401 without invoking the authorizer',
    async (format) => {
      const { events, request } = setup(format, allowArn);

      const outcome = await request('GET', '/orders', []);

      expect(outcome).toEqual({ kind: 'unauthorized', invoked: false });
      expect(events).toHaveLength(0);
    },
  );

  it('an empty header is refused before the authorizer on REST ("present, not null and non-empty") but reaches it on HTTP APIs (a captured event)', async () => {
    const rest = setup('rest', allowArn);
    const http = setup('http', () => ({ isAuthorized: false }));

    await rest.request('GET', '/orders', ['Authorization', '']);
    await http.request('GET', '/orders', ['authorization', '']);

    expect(rest.events).toHaveLength(0);
    expect(http.events).toHaveLength(1);
    expect(http.events[0]?.identitySource).toEqual(['', 'GET', '/orders']);
  });

  it('keys the cache by every identity source value: the same token, method and path reuse the answer for the TTL', async () => {
    const { events, request, advance } = setup('rest', allowArn, { ttl: 30 });

    const outcomes = [
      await request('GET', '/orders'),
      await request('GET', '/orders'),
      await request('POST', '/orders'),
      await request('GET', '/orders/1'),
    ];
    advance(31);
    await request('GET', '/orders');

    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['allow', 'allow', 'allow', 'allow']);
    expect(events).toHaveLength(4);
  });

  it('evaluates a cached policy against each later request that shares its key (REST, per the Knowledge Center)', async () => {
    const { events, request } = setup('rest', allowArn, { identitySources: ['method.request.header.Authorization'] });

    const first = await request('GET', '/orders');
    const second = await request('GET', '/orders/1');

    expect([first.kind, second.kind]).toEqual(['allow', 'forbidden']);
    expect(events).toHaveLength(1);
  });

  it('caches a Deny and never a thrown Unauthorized or a failure', async () => {
    let reply: 'deny' | 'unauthorized' | 'fail' = 'deny';
    const { events, request } = setup('rest', (event) => {
      if (reply === 'unauthorized') throw new Error('Unauthorized');
      if (reply === 'fail') throw new Error('boom');
      return {
        ...allowArn(event),
        policyDocument: { Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: ['*'] }] },
      };
    });

    const denied = [await request('GET', '/a'), await request('GET', '/a')];
    reply = 'unauthorized';
    const unauthorized = [await request('GET', '/b'), await request('GET', '/b')];
    reply = 'fail';
    const failed = [await request('GET', '/c'), await request('GET', '/c')];

    expect(denied.map((o) => o.kind)).toEqual(['forbidden', 'forbidden']);
    expect(unauthorized.map((o) => o.kind)).toEqual(['unauthorized', 'unauthorized']);
    expect(failed.map((o) => o.kind)).toEqual(['error', 'error']);
    expect(events).toHaveLength(5);
  });

  it('flushes every cached answer (FlushStageAuthorizersCache / ResetAuthorizersCache)', async () => {
    const { events, request, authorization } = setup('http', () => ({ isAuthorized: true, context: {} }));

    await request('GET', '/x');
    authorization.flush();
    await request('GET', '/x');

    expect(events).toHaveLength(2);
  });
});

describe('the authorizer answer', () => {
  it('is a 500 when the authorizer does not answer within its timeout', async () => {
    const { request } = setup('http', () => new Promise(() => {}), { timeoutMs: 20 });

    expect(await request('GET', '/slow')).toMatchObject({ kind: 'error' });
  });

  it.each([
    [
      'an object in a REST context',
      (e: Record<string, unknown>) => ({ ...allowArn(e), context: { claims: { a: 1 } } }),
    ],
    ['an array in a REST context', (e: Record<string, unknown>) => ({ ...allowArn(e), context: { scopes: ['a'] } })],
    ['no principalId', (e: Record<string, unknown>) => ({ policyDocument: allowArn(e).policyDocument })],
    [
      'a Resource longer than 512 characters',
      () => ({
        ...allowArn({}),
        policyDocument: { Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: ['a'.repeat(513)] }] },
      }),
    ],
    ['no policy at all', () => ({ principalId: 'user' })],
  ])('is a 500 with %s (REST)', async (_name, answer) => {
    const { request } = setup('rest', answer);

    expect(await request('GET', '/orders')).toMatchObject({ kind: 'error' });
  });

  it('lets REST context values be strings, numbers, booleans and null', async () => {
    const { request } = setup('rest', (e) => ({ ...allowArn(e), context: { s: 'x', n: 1, b: true, z: null } }));

    expect(await request('GET', '/orders')).toMatchObject({ kind: 'allow' });
  });

  it('is a 500 when an HTTP API simple response says isAuthorized as a string', async () => {
    const { request } = setup('http', () => ({ isAuthorized: 'true' }));

    expect(await request('GET', '/orders')).toMatchObject({ kind: 'error' });
  });
});
