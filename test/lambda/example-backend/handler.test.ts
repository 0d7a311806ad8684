import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeServer, listenOnLoopback } from '../../../local/loopback-http.ts';
import { TestIssuer } from '../../support/test-issuer.ts';

type Handler = (event: unknown) => Promise<{ statusCode: number; body: string }>;

describe('example backend: verifies the JWT from the authorizer context itself', () => {
  let issuer: TestIssuer;
  let handler: Handler;
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(issuer.jwks));
  });

  beforeAll(async () => {
    const port = await listenOnLoopback(server, 0);
    issuer = await TestIssuer.create({ issuer: `http://127.0.0.1:${port}` });
    vi.stubEnv('ISSUER', issuer.issuer);
    vi.stubEnv('JWKS_URI', `${issuer.issuer}/jwks`);
    vi.stubEnv('AUDIENCE', issuer.audience);
    vi.stubEnv('REQUIRED_TOKEN_TYPE', 'at+jwt');
    vi.stubEnv('INTROSPECTION_RESPONSE_AUDIENCE', 'gateway-introspector');
    vi.resetModules();
    ({ handler } = (await import('../../../lambda/example-backend/handler.ts')) as unknown as { handler: Handler });
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await closeServer(server);
  });

  const rest = (jwt: unknown) => ({ requestContext: { authorizer: { jwt } } });
  const http = (jwt: unknown) => ({ version: '2.0', requestContext: { authorizer: { lambda: { jwt } } } });

  it('answers the claims of a valid access token on REST and HTTP APIs', async () => {
    const jwt = await issuer.mint({ sub: 'alice' });

    for (const event of [rest(jwt), http(jwt)]) {
      const response = await handler(event);
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body).claims.sub).toBe('alice');
    }
  });

  it('reads a phantom token RFC 9701 answer as the claims it holds', async () => {
    const answer = await issuer.mintIntrospectionAnswer(
      { active: true, client_id: 'phantom-client', exp: Math.floor(Date.now() / 1000) + 60 },
      'gateway-introspector',
    );

    const response = await handler(rest(answer));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).claims.client_id).toBe('phantom-client');
  });

  it('refuses an inactive introspection answer, a forged token and a missing one with 401', async () => {
    const inactive = await issuer.mintIntrospectionAnswer({ active: false }, 'gateway-introspector');
    const stranger = await TestIssuer.create({ issuer: issuer.issuer });
    const forged = await stranger.mint();

    for (const event of [rest(inactive), rest(forged), rest(undefined), {}]) {
      expect((await handler(event)).statusCode).toBe(401);
    }
  });
});
