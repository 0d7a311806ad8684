import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestClientCredentialsToken } from '../../local/client-credentials.ts';
import { type LocalStack, startLocalStack } from '../../local/local-stack.ts';
import { LogCapture } from '../support/log-capture.ts';

type Echo = { tokenType?: string; claims?: Record<string, unknown>; jwtHeader?: { kid?: string } };

describe('through the local gateway, what the backend verifies comes from the token only', () => {
  const logs = new LogCapture();
  let stack: LocalStack;
  let forged: string;

  beforeAll(async () => {
    logs.install();
    const jsonLog = logs.jsonLog('info');
    stack = await startLocalStack({ port: 0, writeLog: (line) => jsonLog.info('local stack', { line }) });
    // A JWT-shaped value a client might hope a backend reads instead of the gateway's header.
    forged = `${btoa('{"alg":"none"}')}.${btoa('{"sub":"admin","scope":"admin","client_id":"admin"}')}.`;
  });

  afterAll(async () => {
    await stack?.stop();
    logs.uninstall();
  });

  const token = async (client: 'split' | 'phantom' | 'jwt') => {
    const { access_token } = await requestClientCredentialsToken({
      tokenEndpoint: stack.ready.tokenEndpoint,
      ...stack.ready.clients[client],
      scope: 'orders:read',
    });
    logs.remember(`${client} token`, access_token);
    return access_token;
  };

  for (const client of ['split', 'phantom', 'jwt'] as const) {
    it(`${client}: client headers named like the context change nothing`, async () => {
      const credential = await token(client);

      const response = await fetch(`${stack.ready.gateway}/orders?jwt=${encodeURIComponent(forged)}`, {
        headers: [
          ['authorization', `Bearer ${credential}`],
          ['x-verified-jwt', forged],
          ['x-token-type', 'admin'],
          ['x-amzn-oidc-data', forged],
          ['jwt', forged],
          ['sub', 'admin'],
        ],
      });
      const echo = (await response.json()) as Echo;

      expect(response.status).toBe(200);
      expect(echo.tokenType).toBe(client);
      const claims = client === 'phantom' ? (echo.claims?.token_introspection as Record<string, unknown>) : echo.claims;
      expect(claims?.client_id).toBe(stack.ready.clients[client].clientId);
      expect(claims?.scope).toBe('orders:read');
    });
  }

  it('a valid token next to a forged Authorization header is refused (401)', async () => {
    const credential = await token('split');

    const response = await fetch(`${stack.ready.gateway}/orders`, {
      headers: [
        ['authorization', `Bearer ${credential}`],
        ['authorization', `Bearer ${forged}`],
      ],
    });

    expect(response.status).toBe(401);
  });

  it('wrote no token, JWT or secret to any log line', () => {
    expect(logs.leaks).toEqual([]);
  });
});
