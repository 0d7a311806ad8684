import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CIBA_GRANT_TYPE, DEMO_USER, DEVICE_CODE_GRANT_TYPE } from '../../local/authorization-server.ts';
import { createLocalDynamoDbClient } from '../../local/dynamodb-client.ts';
import { type LocalStack, startLocalStack } from '../../local/local-stack.ts';

// Issue 11: a standard OAuth/OIDC client library (openid-client, which most Node.js apps use and
// which is built on oauth4webapi) given nothing but the issuer URL and its credentials. It reads the
// discovery document from the issuer, which is the front, and so sends its token and revocation
// requests to the front, which splits tokens and checks revocation ownership.

const CACHE_TTL_SECONDS = 1;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client configured from the issuer alone (plain http is allowed on loopback only, by opting in). */
function discover(stack: LocalStack, clientId: string, clientSecret: string): Promise<client.Configuration> {
  return client.discovery(new URL(stack.ready.issuer), clientId, clientSecret, undefined, {
    execute: [client.allowInsecureRequests],
  });
}

/** The split-token record key, from DESIGN section 2 rather than from the code under test. */
function recordKeyOf(opaque: string) {
  return { hashed_signature: { S: createHash('sha256').update(opaque, 'ascii').digest('base64') } };
}

async function callApi(stack: LocalStack, accessToken: string) {
  const response = await fetch(`${stack.ready.gateway}/orders`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  const body = (await response.json()) as { tokenType?: string };
  return { status: response.status, tokenType: body.tokenType };
}

describe.each([
  { jwtValidation: false, as: 'as deployed by default' },
  { jwtValidation: true, as: 'as the local stack runs by default' },
])('a discovery-based client, JWT validation $jwtValidation ($as)', ({ jwtValidation }) => {
  let stack: LocalStack;
  let db: ReturnType<typeof createLocalDynamoDbClient>;
  const configs: Partial<Record<'split' | 'phantom' | 'jwt', client.Configuration>> = {};
  const configOf = async (kind: 'split' | 'phantom' | 'jwt') => {
    const { clientId, clientSecret } = stack.ready.clients[kind];
    configs[kind] ??= await discover(stack, clientId, clientSecret);
    return configs[kind];
  };
  const recordOf = async (opaque: string) =>
    (await db.send(new GetItemCommand({ TableName: stack.dynamoDb.tableName, Key: recordKeyOf(opaque) }))).Item;

  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, cacheTtlSeconds: CACHE_TTL_SECONDS, jwtValidation, writeLog: () => {} });
    db = createLocalDynamoDbClient({ endpoint: stack.dynamoDb.endpoint });
  });

  afterAll(async () => {
    db?.destroy();
    await stack?.stop();
  });

  it('discovers the token and revocation endpoints on the issuer: the ones the ready line names', async () => {
    const metadata = (await configOf('split')).serverMetadata();

    expect(metadata.issuer).toBe(stack.ready.issuer);
    expect(metadata.token_endpoint).toBe(`${stack.ready.issuer}/token`);
    expect(metadata.token_endpoint).toBe(stack.ready.tokenEndpoint);
    expect(metadata.revocation_endpoint).toBe(stack.ready.revocationEndpoint);
    expect(metadata.jwks_uri).toBe(stack.ready.jwksUri);
  });

  it('gets a split token for split-client, which the gateway resolves', async () => {
    const tokens = await client.clientCredentialsGrant(await configOf('split'), { scope: 'orders:read' });

    expect(tokens.access_token).toMatch(/^[A-Za-z0-9_-]{300,}$/);
    expect((await recordOf(tokens.access_token))?.head_and_body?.S?.split('.')).toHaveLength(2);
    expect(await callApi(stack, tokens.access_token)).toEqual({ status: 200, tokenType: 'split' });
  });

  it('gets an opaque phantom token for phantom-client, which the gateway introspects', async () => {
    const tokens = await client.clientCredentialsGrant(await configOf('phantom'), { scope: 'orders:read' });

    expect(tokens.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await recordOf(tokens.access_token)).toBeUndefined();
    expect(await callApi(stack, tokens.access_token)).toEqual({ status: 200, tokenType: 'phantom' });
  });

  it(`gets a plain JWT for jwt-client (a pass-through client), which the gateway ${jwtValidation ? 'accepts' : 'refuses'}`, async () => {
    const tokens = await client.clientCredentialsGrant(await configOf('jwt'), { scope: 'orders:read' });

    expect(tokens.access_token.split('.')).toHaveLength(3);
    expect((await callApi(stack, tokens.access_token)).status).toBe(jwtValidation ? 200 : 401);
  });

  it('revokes a split token through the front: its record is deleted and the gateway refuses it', async () => {
    const config = await configOf('split');
    const tokens = await client.clientCredentialsGrant(config, { scope: 'orders:read' });
    expect((await callApi(stack, tokens.access_token)).status).toBe(200);

    await client.tokenRevocation(config, tokens.access_token);
    await pause(CACHE_TTL_SECONDS * 1000 + 200);

    expect(await recordOf(tokens.access_token)).toBeUndefined();
    expect((await callApi(stack, tokens.access_token)).status).toBe(401);
  });

  it('revokes a phantom token through the front: the gateway refuses it', async () => {
    const config = await configOf('phantom');
    const tokens = await client.clientCredentialsGrant(config, { scope: 'orders:read' });
    expect((await callApi(stack, tokens.access_token)).status).toBe(200);

    await client.tokenRevocation(config, tokens.access_token);
    await pause(CACHE_TTL_SECONDS * 1000 + 200);

    expect((await callApi(stack, tokens.access_token)).status).toBe(401);
  });

  it('runs the README’s standard-client script (bin/standard-client.ts) from the issuer alone', async () => {
    const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
    const { clientId, clientSecret } = stack.ready.clients.split;

    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        tsxCli,
        'bin/standard-client.ts',
        stack.ready.issuer,
        clientId,
        clientSecret,
        'orders:read',
        `${stack.ready.gateway}/orders`,
      ],
      { cwd: fileURLToPath(new URL('../../', import.meta.url)), timeout: 30_000 },
    );

    expect(stdout).toContain(`token endpoint: ${stack.ready.tokenEndpoint}\n`);
    expect(stdout).toMatch(/access token: opaque, \d+ characters/);
    expect(stdout).toContain(`GET ${stack.ready.gateway}/orders: 200 `);
    expect(stdout).toContain('"tokenType":"split"');
    expect(stdout.trimEnd().endsWith('revoked')).toBe(true);
  });

  it('cannot go around the front: the authorization server’s own origin refuses the token request', async () => {
    const { clientId, clientSecret } = stack.ready.clients.split;

    const direct = await fetch(`${stack.authorizationServer.origin}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }),
    });
    const discoveryThere = await fetch(`${stack.authorizationServer.origin}/.well-known/openid-configuration`);

    expect(direct.status).toBe(403);
    expect(discoveryThere.status).toBe(403);
  });
});

describe('what else the local authorization server serves, behind the front', () => {
  let stack: LocalStack;
  let browser: client.Configuration;
  let phantom: client.Configuration;

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      cacheTtlSeconds: CACHE_TTL_SECONDS,
      jwtValidation: false,
      writeLog: () => {},
    });
    browser = await discover(stack, stack.browserClient.clientId, stack.browserClient.clientSecret);
    const { clientId, clientSecret } = stack.ready.clients.phantom;
    phantom = await discover(stack, clientId, clientSecret);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const pkce = async () => {
    const verifier = client.randomPKCECodeVerifier();
    return { code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' };
  };

  it('authorization endpoint: answers its redirect to the login interaction, with its cookies, not followed', async () => {
    const url = client.buildAuthorizationUrl(browser, {
      redirect_uri: stack.browserClient.redirectUri,
      scope: 'openid',
      ...(await pkce()),
    });

    const answer = await fetch(url, { redirect: 'manual' });

    expect(url.origin).toBe(stack.ready.issuer);
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toMatch(/^\/interaction\/[A-Za-z0-9_-]+$/);
    const cookies = answer.headers.getSetCookie().map((cookie) => cookie.split('=')[0]);
    expect(cookies).toEqual(expect.arrayContaining(['_interaction', '_interaction_resume']));
  });

  it('pushed authorization requests (RFC 9126): the request is pushed through the front, the redirect follows', async () => {
    const url = await client.buildAuthorizationUrlWithPAR(browser, {
      redirect_uri: stack.browserClient.redirectUri,
      scope: 'openid',
      ...(await pkce()),
    });

    const answer = await fetch(url, { redirect: 'manual' });

    expect(url.origin).toBe(stack.ready.issuer);
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toMatch(/^\/interaction\//);
  });

  it('JWKS: a split token’s JWT verifies against the key set discovery names', async () => {
    const { clientId, clientSecret } = stack.ready.clients.split;
    const split = await discover(stack, clientId, clientSecret);
    const tokens = await client.clientCredentialsGrant(split, { scope: 'orders:read' });
    const db = createLocalDynamoDbClient({ endpoint: stack.dynamoDb.endpoint });
    const item = (
      await db.send(new GetItemCommand({ TableName: stack.dynamoDb.tableName, Key: recordKeyOf(tokens.access_token) }))
    ).Item;
    db.destroy();

    const { payload } = await jwtVerify(
      `${item?.head_and_body?.S}.${tokens.access_token}`,
      createRemoteJWKSet(new URL(split.serverMetadata().jwks_uri as string)),
      { issuer: stack.ready.issuer },
    );

    expect(payload.client_id).toBe('split-client');
  });

  it('userinfo: answers for an end-user’s access token obtained through the front (CIBA)', async () => {
    const started = await client.initiateBackchannelAuthentication(phantom, { scope: 'openid', login_hint: DEMO_USER });
    const tokens = await client.genericGrantRequest(phantom, CIBA_GRANT_TYPE, { auth_req_id: started.auth_req_id });

    const userinfo = await client.fetchUserInfo(phantom, tokens.access_token, DEMO_USER);

    expect(userinfo.sub).toBe(DEMO_USER);
  });

  it('introspection: answers the client for its own token', async () => {
    const tokens = await client.clientCredentialsGrant(phantom, { scope: 'orders:read' });

    const introspection = await client.tokenIntrospection(phantom, tokens.access_token);

    expect(introspection).toMatchObject({ active: true, client_id: 'phantom-client', iss: stack.ready.issuer });
  });

  it('device flow (RFC 8628): the verification URI is on the issuer, its page is served, polling is pending', async () => {
    const started = await client.initiateDeviceAuthorization(browser, { scope: 'openid' });
    const page = await fetch(started.verification_uri_complete ?? started.verification_uri);
    const polled = await client
      .genericGrantRequest(browser, DEVICE_CODE_GRANT_TYPE, { device_code: started.device_code })
      .then(
        () => 'issued',
        (error: { error?: string }) => error.error,
      );

    expect(started.verification_uri).toBe(`${stack.ready.issuer}/device`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form');
    expect(polled).toBe('authorization_pending');
  });
});
