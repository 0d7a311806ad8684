import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_ROUTE_SCOPES } from '../../lib/example-api.ts';
import type { GatewayEventFormat } from '../../local/api-gateway/authorizer-events.ts';
import { type LocalStack, startLocalStack } from '../../local/local-stack.ts';

/**
 * RFC 9470 step-up through the local stack: a rule asks for an authentication level a client
 * credentials token (no `acr`, no `auth_time`) cannot have, and the refusal carries what the route
 * needs as far as each API type lets a response vary: the REST 403 body from the Deny's context,
 * nothing on an HTTP API. The expected values are the rule's own.
 */
describe.each<GatewayEventFormat>(['rest', 'http'])('step-up through the local stack with %s events', (eventFormat) => {
  let stack: LocalStack;
  const STEP_UP = { method: 'GET', path: '/claims', scopes: [], acrValues: ['urn:example:mfa'], maxAgeSeconds: 300 };

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      eventFormat,
      routeScopes: [...EXAMPLE_ROUTE_SCOPES, STEP_UP],
      writeLog: () => {},
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses a token below the route’s authentication level, and says what it needs where it can', async () => {
    const { clientId, clientSecret } = stack.ready.clients.split;
    const issued = (await (
      await fetch(stack.ready.tokenEndpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }),
      })
    ).json()) as { access_token: string };
    const call = (path: string) =>
      fetch(`${stack.ready.gateway}${path}`, { headers: { authorization: `Bearer ${issued.access_token}` } });

    const stepUp = await call('/claims');
    const body = (await stepUp.json()) as Record<string, unknown>;
    const elsewhere = await call('/orders');
    await elsewhere.arrayBuffer();

    expect(stepUp.status).toBe(403);
    expect(elsewhere.status).toBe(200);
    if (eventFormat === 'rest') {
      expect(body).toMatchObject({
        error: 'insufficient_user_authentication',
        acr_values: 'urn:example:mfa',
        max_age: '300',
      });
    } else {
      expect(body).toEqual({ message: 'Forbidden' });
    }
  });
});
