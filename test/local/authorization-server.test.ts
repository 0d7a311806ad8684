import { generateKeyPair, generateProof } from 'dpop';
import { calculateJwkThumbprint, createRemoteJWKSet, decodeProtectedHeader, exportJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthorizationServer,
  type ClientCredentials,
  startAuthorizationServer,
} from '../../local/authorization-server.ts';
import { requestClientCredentialsToken, TokenRequestError } from '../../local/client-credentials.ts';
import { requestBackchannelTokens } from '../support/backchannel-client.ts';

const INTROSPECTION_JWT = 'application/token-introspection+jwt';

function basicAuthorization({ clientId, clientSecret }: ClientCredentials): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
}

function introspect(server: AuthorizationServer, token: string, accept: string): Promise<Response> {
  return fetch(server.introspectionEndpoint, {
    method: 'POST',
    headers: { authorization: basicAuthorization(server.clients.introspector), accept },
    body: new URLSearchParams({ token }),
  });
}

async function verifyIntrospectionJwt(server: AuthorizationServer, response: Response) {
  const jwks = createRemoteJWKSet(new URL(server.jwksUri));
  return jwtVerify(await response.text(), jwks, {
    issuer: server.issuer,
    audience: server.clients.introspector.clientId,
    typ: 'token-introspection+jwt',
    algorithms: ['RS256'],
  });
}

function phantomToken(server: AuthorizationServer): Promise<string> {
  return requestClientCredentialsToken({
    tokenEndpoint: server.tokenEndpoint,
    ...server.clients.phantom,
    scope: 'orders:read',
  }).then((response) => response.access_token);
}

async function connectionError(request: Promise<unknown>): Promise<string | undefined> {
  const error = await request.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  return (error as { cause?: { code?: string } } | undefined)?.cause?.code;
}

describe('local authorization server', () => {
  let server: AuthorizationServer;

  beforeAll(async () => {
    server = await startAuthorizationServer();
  });

  afterAll(async () => {
    await server.stop();
  });

  it('listens on 127.0.0.1 with the issuer and endpoints its discovery document names', async () => {
    const response = await fetch(`${server.issuer}/.well-known/openid-configuration`);
    const discovery = (await response.json()) as Record<string, unknown>;

    expect(server.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(discovery).toMatchObject({
      issuer: server.issuer,
      token_endpoint: server.tokenEndpoint,
      introspection_endpoint: server.introspectionEndpoint,
      revocation_endpoint: server.revocationEndpoint,
      jwks_uri: server.jwksUri,
    });
  });

  it('gives the split client an RFC 9068 JWT access token verifiable against the JWKS', async () => {
    const jwks = createRemoteJWKSet(new URL(server.jwksUri));

    const response = await requestClientCredentialsToken({
      tokenEndpoint: server.tokenEndpoint,
      ...server.clients.split,
      scope: 'orders:read',
    });
    const { payload, protectedHeader } = await jwtVerify(response.access_token, jwks, {
      issuer: server.issuer,
      audience: server.audience,
      typ: 'at+jwt',
      algorithms: ['RS256'],
    });

    expect(response.access_token.split('.')).toHaveLength(3);
    expect(response).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'orders:read' });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(payload).toMatchObject({
      client_id: 'split-client',
      sub: 'split-client',
      scope: 'orders:read',
      aud: 'https://api.example.test',
    });
    expect(payload.exp).toBe((payload.iat ?? 0) + 300);
    expect(payload.jti).toEqual(expect.any(String));
  });

  it('gives the jwt client the same kind of JWT access token', async () => {
    const response = await requestClientCredentialsToken({
      tokenEndpoint: server.tokenEndpoint,
      ...server.clients.jwt,
      scope: 'orders:read orders:write',
    });

    const { payload } = await jwtVerify(response.access_token, createRemoteJWKSet(new URL(server.jwksUri)), {
      issuer: server.issuer,
      audience: server.audience,
      typ: 'at+jwt',
    });
    expect(payload).toMatchObject({ client_id: 'jwt-client', scope: 'orders:read orders:write' });
  });

  it('gives the phantom client an opaque token that is not a JWT', async () => {
    const response = await requestClientCredentialsToken({
      tokenEndpoint: server.tokenEndpoint,
      ...server.clients.phantom,
      scope: 'orders:read',
    });

    expect(response).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'orders:read' });
    expect(response.access_token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(response.access_token).not.toContain('.');
  });

  it('answers introspection of a phantom token with a signed RFC 9701 JWT naming the API when asked for one', async () => {
    const token = await phantomToken(server);

    const response = await introspect(server, token, INTROSPECTION_JWT);
    const contentType = response.headers.get('content-type');
    const { payload, protectedHeader } = await verifyIntrospectionJwt(server, response);

    expect(response.status).toBe(200);
    expect(contentType).toMatch(/^application\/token-introspection\+jwt/);
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'token-introspection+jwt' });
    expect(payload).toEqual({
      iss: server.issuer,
      aud: 'gateway-introspector',
      iat: expect.any(Number),
      token_introspection: {
        active: true,
        iss: server.issuer,
        aud: server.audience,
        client_id: 'phantom-client',
        scope: 'orders:read',
        token_type: 'Bearer',
        iat: expect.any(Number),
        exp: expect.any(Number),
      },
    });
  });

  it('puts the API audience into the introspection answer when the phantom client asks for the resource', async () => {
    const { access_token: token } = await requestClientCredentialsToken({
      tokenEndpoint: server.tokenEndpoint,
      ...server.clients.phantom,
      scope: 'orders:read',
      resource: server.audience,
    });

    const { payload } = await verifyIntrospectionJwt(server, await introspect(server, token, INTROSPECTION_JWT));

    expect(token).not.toContain('.');
    expect(payload.aud).toBe('gateway-introspector');
    expect(payload.token_introspection).toMatchObject({ active: true, aud: server.audience });
  });

  it('gives the phantom client a userinfo token without an audience when it asks for OpenID scopes only', async () => {
    const { access_token: token } = await requestClientCredentialsToken({
      tokenEndpoint: server.tokenEndpoint,
      ...server.clients.phantom,
      scope: 'openid',
    });

    const { payload } = await verifyIntrospectionJwt(server, await introspect(server, token, INTROSPECTION_JWT));

    expect(payload.token_introspection).toMatchObject({ active: true, token_type: 'Bearer', scope: 'openid' });
    expect(payload.token_introspection).not.toHaveProperty('aud');
  });

  it('issues opaque tokens of 43 base64url characters (256 random bits, no prefix)', async () => {
    const tokens = await Promise.all(Array.from({ length: 20 }, () => phantomToken(server)));

    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('issues a real refresh token through CIBA, and introspects it without aud and without token_type', async () => {
    const tokens = await requestBackchannelTokens(server);

    const { payload } = await verifyIntrospectionJwt(
      server,
      await introspect(server, tokens.refresh_token, INTROSPECTION_JWT),
    );
    const answer = payload.token_introspection as Record<string, unknown>;

    expect(tokens.token_type).toBe('Bearer');
    expect(answer).toMatchObject({ active: true, sub: 'demo-user', client_id: 'phantom-client', iss: server.issuer });
    expect(answer.scope).toContain('orders:read');
    expect(answer).not.toHaveProperty('aud');
    expect(answer).not.toHaveProperty('token_type');
    expect((answer.exp as number) - (answer.iat as number)).toBe(14 * 24 * 60 * 60);
  });

  it('binds a phantom token to the DPoP key of the proof sent with the token request', async () => {
    const keys = await generateKeyPair('ES256');
    const response = await fetch(server.tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(server.clients.phantom),
        dpop: await generateProof(keys, server.tokenEndpoint, 'POST'),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }),
    });
    const issued = (await response.json()) as { access_token: string; token_type: string };

    const { payload } = await verifyIntrospectionJwt(
      server,
      await introspect(server, issued.access_token, INTROSPECTION_JWT),
    );

    expect(issued.token_type).toBe('DPoP');
    expect(payload.token_introspection).toMatchObject({
      active: true,
      token_type: 'DPoP',
      aud: server.audience,
      cnf: { jkt: await calculateJwkThumbprint(await exportJWK(keys.publicKey)) },
    });
  });

  it('answers plain JSON introspection when JSON is asked for', async () => {
    const token = await phantomToken(server);

    const response = await introspect(server, token, 'application/json');

    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ active: true, client_id: 'phantom-client' });
  });

  it('goes down and comes back on its port with its tokens through the outage switch', async () => {
    const token = await phantomToken(server);

    await server.outage.interrupt();
    const whileDown = await connectionError(phantomToken(server));
    await server.outage.resume();
    const { payload } = await verifyIntrospectionJwt(server, await introspect(server, token, INTROSPECTION_JWT));

    expect(whileDown).toBe('ECONNREFUSED');
    expect(payload.token_introspection).toMatchObject({ active: true });
  });

  it('reports a garbage token as inactive', async () => {
    const response = await introspect(server, 'not-a-token-the-server-issued', INTROSPECTION_JWT);

    const { payload } = await verifyIntrospectionJwt(server, response);

    expect(payload.token_introspection).toEqual({ active: false });
  });

  it('refuses to introspect JWT access tokens', async () => {
    const { access_token: token } = await requestClientCredentialsToken({
      tokenEndpoint: server.tokenEndpoint,
      ...server.clients.split,
    });

    const response = await introspect(server, token, INTROSPECTION_JWT);

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'unsupported_token_type' });
  });

  it('does not let another client introspect the phantom client tokens', async () => {
    const token = await phantomToken(server);

    const response = await fetch(server.introspectionEndpoint, {
      method: 'POST',
      headers: { authorization: basicAuthorization(server.clients.jwt), accept: 'application/json' },
      body: new URLSearchParams({ token }),
    });

    expect(await response.json()).toEqual({ active: false });
  });

  it('makes a revoked phantom token inactive', async () => {
    const token = await phantomToken(server);

    const revocation = await fetch(server.revocationEndpoint, {
      method: 'POST',
      headers: { authorization: basicAuthorization(server.clients.phantom) },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    const { payload } = await verifyIntrospectionJwt(server, await introspect(server, token, INTROSPECTION_JWT));

    expect(revocation.status).toBe(200);
    expect(payload.token_introspection).toEqual({ active: false });
  });

  it('rejects a wrong client secret with invalid_client', async () => {
    const request = requestClientCredentialsToken({
      tokenEndpoint: server.tokenEndpoint,
      clientId: server.clients.split.clientId,
      clientSecret: 'wrong',
    });

    await expect(request).rejects.toBeInstanceOf(TokenRequestError);
    await expect(request).rejects.toMatchObject({ status: 401, error: 'invalid_client' });
  });

  it('also accepts client_secret_post', async () => {
    const response = await fetch(server.tokenEndpoint, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: server.clients.phantom.clientId,
        client_secret: server.clients.phantom.clientSecret,
      }),
    });

    expect(response.status).toBe(200);
  });
});

describe('local authorization server options', () => {
  it.each(['ES256', 'EdDSA'] as const)('signs JWT access tokens with %s when asked to', async (alg) => {
    const server = await startAuthorizationServer({ accessTokenAlgorithm: alg, accessTokenTtlSeconds: 60 });
    try {
      const response = await requestClientCredentialsToken({
        tokenEndpoint: server.tokenEndpoint,
        ...server.clients.split,
      });

      const { payload } = await jwtVerify(response.access_token, createRemoteJWKSet(new URL(server.jwksUri)), {
        issuer: server.issuer,
        audience: server.audience,
        algorithms: [alg],
      });

      expect(decodeProtectedHeader(response.access_token).alg).toBe(alg);
      expect(response.expires_in).toBe(60);
      expect(payload.exp).toBe((payload.iat ?? 0) + 60);
    } finally {
      await server.stop();
    }
  });

  it('generates different client secrets and keys for each server', async () => {
    const [first, second] = await Promise.all([startAuthorizationServer(), startAuthorizationServer()]);
    try {
      expect(first.clients.split.clientSecret).not.toBe(second.clients.split.clientSecret);
      expect(first.clients.split.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(first.keys.map((key) => key.kid)).not.toEqual(second.keys.map((key) => key.kid));
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});

describe('local authorization server lifecycle', () => {
  it('refuses connections once stopped', async () => {
    const server = await startAuthorizationServer();
    await phantomToken(server);

    await server.stop();
    const code = await connectionError(phantomToken(server));

    expect(code).toBe('ECONNREFUSED');
  });

  it('comes back on the same port with the same keys, clients and tokens after a restart', async () => {
    const first = await startAuthorizationServer();
    const { access_token: jwt } = await requestClientCredentialsToken({
      tokenEndpoint: first.tokenEndpoint,
      ...first.clients.split,
    });
    const opaque = await phantomToken(first);
    await first.stop();

    const second = await startAuthorizationServer(first.restartOptions);
    try {
      const verified = await jwtVerify(jwt, createRemoteJWKSet(new URL(second.jwksUri)), {
        issuer: second.issuer,
        audience: second.audience,
      });
      const introspection = await verifyIntrospectionJwt(second, await introspect(second, opaque, INTROSPECTION_JWT));
      const fresh = await phantomToken(second);

      expect(second.issuer).toBe(first.issuer);
      expect(second.clients).toEqual(first.clients);
      expect(verified.payload.client_id).toBe('split-client');
      expect(introspection.payload.token_introspection).toMatchObject({ active: true });
      expect(fresh).not.toContain('.');
    } finally {
      await second.stop();
    }
  });
});
