import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SigV4DynamoDbTokenWriter } from '../../../../lambda/adapters/sigv4-dynamodb-token-writer.ts';
import { type ProxyRequest, TokenEndpointProxy } from '../../../../lambda/core/issuing/token-endpoint-proxy.ts';
import { hashToken } from '../../../../lambda/core/token-hash.ts';
import {
  type AuthorizationServer,
  type ClientCredentials,
  startAuthorizationServer,
} from '../../../../local/authorization-server.ts';
import { createLocalDynamoDbClient } from '../../../../local/dynamodb-client.ts';
import { type DynamoDbServer, startDynamoDbServer } from '../../../../local/dynamodb-server.ts';
import { createTokenTable } from '../../../../local/token-table.ts';
import { localTokenWriter } from '../../../support/local-token-writer.ts';
import { RecordingLog } from '../../../support/recording-log.ts';

const TABLE = 'split-tokens';

function basic({ clientId, clientSecret }: ClientCredentials): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
}

function tokenRequest(client: ClientCredentials, scope = 'orders:read'): ProxyRequest {
  return {
    method: 'POST',
    path: '/token',
    headers: {
      authorization: basic(client),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      'x-not-forwarded': 'dropped',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  };
}

function revocationRequest(client: ClientCredentials, token: string): ProxyRequest {
  return {
    method: 'POST',
    path: '/revoke',
    headers: { authorization: basic(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  };
}

describe('token endpoint proxy against oidc-provider and dynalite', () => {
  let as: AuthorizationServer;
  let db: DynamoDbServer;
  let client: ReturnType<typeof createLocalDynamoDbClient>;
  let writer: SigV4DynamoDbTokenWriter;
  const log = new RecordingLog();
  const logLines = log.lines;
  const proxyWith = (overrides: Partial<ConstructorParameters<typeof TokenEndpointProxy>[0]> = {}) =>
    new TokenEndpointProxy({
      upstreamTokenEndpoint: as.tokenEndpoint,
      upstreamRevocationEndpoint: as.revocationEndpoint,
      writer,
      passThroughClientIds: [as.clients.jwt.clientId],
      log,
      ...overrides,
    });
  const recordOf = async (opaqueToken: string) =>
    (
      await client.send(
        new GetItemCommand({
          TableName: TABLE,
          Key: { hashed_signature: { S: await hashToken(opaqueToken, 'SHA-256') } },
        }),
      )
    ).Item;
  const recordCount = async () => (await client.send(new ScanCommand({ TableName: TABLE, Select: 'COUNT' }))).Count;

  beforeAll(async () => {
    [as, db] = await Promise.all([startAuthorizationServer(), startDynamoDbServer()]);
    await createTokenTable({ endpoint: db.endpoint, tableName: TABLE });
    client = createLocalDynamoDbClient({ endpoint: db.endpoint, maxAttempts: 1 });
    writer = localTokenWriter(db.endpoint, TABLE);
  });

  afterAll(async () => {
    client?.destroy();
    await Promise.all([as?.stop(), db?.stop()]);
  });

  it('splits a JWT access token: the client gets the signature, the table gets the DESIGN record', async () => {
    const response = await proxyWith().handle(tokenRequest(as.clients.split));
    const answer = JSON.parse(response.body) as Record<string, unknown>;
    const opaque = answer.access_token as string;
    const item = await recordOf(opaque);
    const jwt = `${item?.head_and_body?.S}.${opaque}`;
    const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(as.jwksUri)), {
      issuer: as.issuer,
      audience: as.audience,
    });

    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(answer).toEqual({ access_token: opaque, expires_in: 300, token_type: 'Bearer', scope: 'orders:read' });
    expect(opaque).toMatch(/^[A-Za-z0-9_-]{300,}$/);
    expect(item?.head_and_body?.S?.split('.')).toHaveLength(2);
    expect(item?.expiration?.N).toBe(String(payload.exp));
    expect(payload).toMatchObject({ client_id: 'split-client', scope: 'orders:read' });
  });

  it('passes an opaque (phantom) token through untouched and writes nothing', async () => {
    const before = await recordCount();

    const response = await proxyWith().handle(tokenRequest(as.clients.phantom));
    const answer = JSON.parse(response.body) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(answer).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'orders:read' });
    expect(answer.access_token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(await recordOf(answer.access_token as string)).toBeUndefined();
    expect(await recordCount()).toBe(before);
  });

  it('passes the JWT of a pass-through client through untouched', async () => {
    const before = await recordCount();

    const response = await proxyWith().handle(tokenRequest(as.clients.jwt));
    const answer = JSON.parse(response.body) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect((answer.access_token as string).split('.')).toHaveLength(3);
    expect(await recordCount()).toBe(before);
  });

  it('passes an error answer through with its status and body', async () => {
    const response = await proxyWith().handle(tokenRequest({ ...as.clients.split, clientSecret: 'wrong' }));

    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'invalid_client' });
  });

  it('answers an OAuth server_error without any token when the record cannot be written', async () => {
    const broken = localTokenWriter(db.endpoint, 'no-such-table');
    logLines.length = 0;

    const response = await proxyWith({ writer: broken }).handle(tokenRequest(as.clients.split));
    const answer = JSON.parse(response.body) as Record<string, unknown>;

    expect(response.status).toBe(503);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(answer.error).toBe('server_error');
    expect(answer).not.toHaveProperty('access_token');
    expect(response.body).not.toMatch(/[A-Za-z0-9_-]{40,}/);
    expect(logLines.join('\n')).toContain('store_unavailable');
  });

  it('answers 502 server_error when the authorization server is unreachable', async () => {
    const response = await proxyWith({ upstreamTokenEndpoint: 'http://127.0.0.1:1/token' }).handle(
      tokenRequest(as.clients.split),
    );

    expect(response.status).toBe(502);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'server_error' });
  });

  it('deletes the record when the authorization server accepts the revocation', async () => {
    const proxy = proxyWith();
    const issued = await proxy.handle(tokenRequest(as.clients.split));
    const opaque = JSON.parse(issued.body).access_token as string;
    expect(await recordOf(opaque)).toBeDefined();

    const response = await proxy.handle(revocationRequest(as.clients.split, opaque));

    expect(response.status).toBe(200);
    expect(await recordOf(opaque)).toBeUndefined();
  });

  it('keeps the record when the authorization server refuses the revocation request', async () => {
    const proxy = proxyWith();
    const issued = await proxy.handle(tokenRequest(as.clients.split));
    const opaque = JSON.parse(issued.body).access_token as string;

    const response = await proxy.handle(revocationRequest({ ...as.clients.split, clientSecret: 'wrong' }, opaque));

    expect(response.status).toBe(401);
    expect(await recordOf(opaque)).toBeDefined();
  });

  it('never logs token material', async () => {
    logLines.length = 0;
    const proxy = proxyWith();
    const issued = await proxy.handle(tokenRequest(as.clients.split));
    const opaque = JSON.parse(issued.body).access_token as string;
    const item = await recordOf(opaque);
    await proxy.handle(revocationRequest(as.clients.split, opaque));

    const logged = logLines.join('\n');
    expect(logLines.length).toBeGreaterThanOrEqual(2);
    expect(logged).not.toContain(opaque.slice(0, 24));
    expect(logged).not.toContain(item?.head_and_body?.S?.slice(0, 24));
    expect(logged).not.toContain(as.clients.split.clientSecret);
    expect(logged).toMatch(/"tokenId":"[A-Za-z0-9+/]{12}"/);
  });

  it('serves payload 2.0 events through the Lambda handler configured from the environment', async () => {
    vi.stubEnv('UPSTREAM_TOKEN_ENDPOINT', as.tokenEndpoint);
    vi.stubEnv('UPSTREAM_REVOCATION_ENDPOINT', as.revocationEndpoint);
    vi.stubEnv('TOKEN_TABLE_NAME', TABLE);
    vi.stubEnv('DYNAMODB_ENDPOINT', db.endpoint);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    vi.stubEnv('LOG_LEVEL', 'error');
    try {
      const { handler } = await import('../../../../lambda/token-endpoint-proxy/handler.ts');
      const request = tokenRequest(as.clients.split);

      const result = await handler({
        version: '2.0',
        rawPath: '/token',
        headers: request.headers as Record<string, string>,
        requestContext: { http: { method: 'POST', path: '/token' } },
        body: Buffer.from(request.body).toString('base64'),
        isBase64Encoded: true,
      });
      const opaque = JSON.parse(result.body).access_token as string;

      expect(result.statusCode).toBe(200);
      expect(opaque).not.toContain('.');
      expect(await recordOf(opaque)).toBeDefined();
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
