import type { ChildProcess } from 'node:child_process';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../lambda/core/token-hash.ts';
import type { GatewayEventFormat } from '../../local/api-gateway/authorizer-events.ts';
import type { ClientCredentials } from '../../local/authorization-server.ts';
import { createLocalDynamoDbClient } from '../../local/dynamodb-client.ts';
import { type LocalStack, type ReadyLine, startLocalStack } from '../../local/local-stack.ts';
import { spawnLocalStack } from '../support/local-stack-process.ts';

const CACHE_TTL_SECONDS = 1;

function basic({ clientId, clientSecret }: ClientCredentials): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
}

async function getToken(ready: ReadyLine, client: ClientCredentials, scope?: string): Promise<string> {
  const response = await fetch(ready.tokenEndpoint, {
    method: 'POST',
    headers: { authorization: basic(client) },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function call(ready: ReadyLine, method: string, path: string, token?: string) {
  const response = await fetch(`${ready.gateway}${path}`, {
    method,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  return {
    status: response.status,
    wwwAuthenticate: response.headers.get('www-authenticate'),
    body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> & {
      tokenType?: string;
      jwtHeader?: Record<string, unknown>;
      claims?: Record<string, unknown>;
    },
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each<GatewayEventFormat>(['rest', 'http'])('local stack with %s events', (eventFormat) => {
  let stack: LocalStack;
  let ready: ReadyLine;
  let db: ReturnType<typeof createLocalDynamoDbClient>;
  const logLines: string[] = [];
  const tokensSeen: string[] = [];
  const token = async (kind: 'split' | 'phantom' | 'jwt', scope?: string) => {
    const value = await getToken(ready, ready.clients[kind], scope);
    tokensSeen.push(value);
    return value;
  };
  const keyOf = async (opaque: string) => ({ hashed_signature: { S: await hashToken(opaque, 'SHA-256') } });
  const readRecord = async (opaque: string) =>
    (await db.send(new GetItemCommand({ TableName: stack.dynamoDb.tableName, Key: await keyOf(opaque) }))).Item;
  const overwriteRecord = async (opaque: string, change: { headAndBody?: string; expiration?: number }) => {
    const item = await readRecord(opaque);
    await db.send(
      new PutItemCommand({
        TableName: stack.dynamoDb.tableName,
        Item: {
          ...(await keyOf(opaque)),
          head_and_body: { S: change.headAndBody ?? (item?.head_and_body?.S as string) },
          expiration: { N: String(change.expiration ?? item?.expiration?.N) },
        },
      }),
    );
  };

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      eventFormat,
      cacheTtlSeconds: CACHE_TTL_SECONDS,
      writeLog: (line) => logLines.push(line),
    });
    ready = stack.ready;
    db = createLocalDynamoDbClient({ endpoint: stack.dynamoDb.endpoint });
  });

  afterAll(async () => {
    db?.destroy();
    await stack?.stop();
  });

  it('turns a split token into a JWT the backend verifies', async () => {
    const opaque = await token('split', 'orders:read');

    const { status, body } = await call(ready, 'GET', '/orders', opaque);

    expect(opaque).toMatch(/^[A-Za-z0-9_-]{300,}$/);
    expect(status).toBe(200);
    expect(body.tokenType).toBe('split');
    expect(body.jwtHeader).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    expect(body.claims).toMatchObject({ client_id: 'split-client', scope: 'orders:read', iss: ready.issuer });
  });

  it('turns a phantom token into a signed introspection JWT the backend verifies', async () => {
    const opaque = await token('phantom', 'orders:read');

    const { status, body } = await call(ready, 'GET', '/orders', opaque);

    expect(opaque).not.toContain('.');
    expect(status).toBe(200);
    expect(body.tokenType).toBe('phantom');
    expect(body.jwtHeader).toMatchObject({ typ: 'token-introspection+jwt' });
    expect(body.claims?.token_introspection).toMatchObject({ active: true, client_id: 'phantom-client' });
  });

  it('passes a plain JWT of the jwt client on after verifying it', async () => {
    const jwt = await token('jwt', 'orders:read orders:write');

    const { status, body } = await call(ready, 'POST', '/orders', jwt);

    expect(jwt.split('.')).toHaveLength(3);
    expect(status).toBe(200);
    expect(body.tokenType).toBe('jwt');
    expect(body.claims).toMatchObject({ client_id: 'jwt-client', scope: 'orders:read orders:write' });
  });

  it('lets any valid token call the open route', async () => {
    const opaque = await token('split');

    const { status, body } = await call(ready, 'GET', '/hello', opaque);

    expect(status).toBe(200);
    expect(body.route).toBe('GET /hello');
  });

  // REST: one static UNAUTHORIZED gateway response naming the RFC 9728 metadata; HTTP APIs have no
  // gateway responses. (This stack runs without sender-constrained tokens: no DPoP challenge.)
  const unauthorizedChallenge = () =>
    eventFormat === 'rest'
      ? `Bearer realm="opaque-token-gateway (local)", error="invalid_token", resource_metadata="${ready.protectedResourceMetadata}"`
      : null;

  it('refuses a missing token with 401', async () => {
    const { status, wwwAuthenticate } = await call(ready, 'GET', '/hello');

    expect(status).toBe(401);
    expect(wwwAuthenticate).toBe(unauthorizedChallenge());
  });

  it('refuses an unknown token with 401 invalid_token', async () => {
    const { status, wwwAuthenticate } = await call(ready, 'GET', '/hello', 'A'.repeat(342));

    expect(status).toBe(401);
    expect(wwwAuthenticate).toBe(unauthorizedChallenge());
  });

  it('refuses a split token with one character changed with 401', async () => {
    const opaque = await token('split', 'orders:read');
    const middle = Math.floor(opaque.length / 2);
    const tampered = `${opaque.slice(0, middle)}${opaque[middle] === 'A' ? 'B' : 'A'}${opaque.slice(middle + 1)}`;

    const { status } = await call(ready, 'GET', '/orders', tampered);

    expect(status).toBe(401);
  });

  it('refuses a split token whose stored head_and_body was tampered with, with 401', async () => {
    const opaque = await token('split', 'orders:read');
    const stored = (await readRecord(opaque))?.head_and_body?.S ?? '';
    const [header, payload] = stored.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, scope: 'orders:read orders:write' })).toString('base64url');
    await overwriteRecord(opaque, { headAndBody: `${header}.${forged}` });

    const { status } = await call(ready, 'POST', '/orders', opaque);

    expect(status).toBe(401);
  });

  it('refuses a split token whose record has expired with 401', async () => {
    const opaque = await token('split', 'orders:read');
    await overwriteRecord(opaque, { expiration: Math.floor(Date.now() / 1000) - 3600 });

    const { status } = await call(ready, 'GET', '/orders', opaque);

    expect(status).toBe(401);
  });

  it('refuses a revoked split token with 401 once the cache time has passed', async () => {
    const opaque = await token('split', 'orders:read');
    expect((await call(ready, 'GET', '/orders', opaque)).status).toBe(200);

    const revocation = await fetch(ready.revocationEndpoint, {
      method: 'POST',
      headers: { authorization: basic(ready.clients.split) },
      body: new URLSearchParams({ token: opaque }),
    });
    await pause(CACHE_TTL_SECONDS * 1000 + 200);
    const { status } = await call(ready, 'GET', '/orders', opaque);

    expect(revocation.status).toBe(200);
    expect(await readRecord(opaque)).toBeUndefined();
    expect(status).toBe(401);
  });

  it('keeps a split token working when another client revokes it (RFC 7009: 200, but not its token)', async () => {
    const opaque = await token('split', 'orders:read');
    expect((await call(ready, 'GET', '/orders', opaque)).status).toBe(200);

    const revocation = await fetch(ready.revocationEndpoint, {
      method: 'POST',
      headers: { authorization: basic(ready.clients.phantom) },
      body: new URLSearchParams({ token: opaque }),
    });
    await pause(CACHE_TTL_SECONDS * 1000 + 200);

    expect(revocation.status).toBe(200);
    expect(await readRecord(opaque)).toBeDefined();
    expect((await call(ready, 'GET', '/orders', opaque)).status).toBe(200);
  });

  it('refuses the whole JWT of a split token, which every backend receives, before and after its revocation', async () => {
    const opaque = await token('split', 'orders:read');
    const jwt = `${(await readRecord(opaque))?.head_and_body?.S}.${opaque}`;
    tokensSeen.push(jwt);
    const before = {
      opaque: await call(ready, 'GET', '/orders', opaque),
      jwt: await call(ready, 'GET', '/orders', jwt),
    };

    const revocation = await fetch(ready.revocationEndpoint, {
      method: 'POST',
      headers: { authorization: basic(ready.clients.split) },
      body: new URLSearchParams({ token: opaque }),
    });
    await pause(CACHE_TTL_SECONDS * 1000 + 200);
    const after = {
      opaque: await call(ready, 'GET', '/orders', opaque),
      jwt: await call(ready, 'GET', '/orders', jwt),
    };

    expect(jwt.split('.')).toHaveLength(3);
    expect(before.opaque.status).toBe(200);
    expect(before.jwt.status).toBe(401);
    expect(revocation.status).toBe(200);
    expect(after.opaque.status).toBe(401);
    expect(after.jwt.status).toBe(401);
  });

  it('refuses a revoked phantom token with 401 once the cache time has passed', async () => {
    const opaque = await token('phantom', 'orders:read');
    expect((await call(ready, 'GET', '/orders', opaque)).status).toBe(200);

    await fetch(ready.revocationEndpoint, {
      method: 'POST',
      headers: { authorization: basic(ready.clients.phantom) },
      body: new URLSearchParams({ token: opaque }),
    });
    await pause(CACHE_TTL_SECONDS * 1000 + 200);

    expect((await call(ready, 'GET', '/orders', opaque)).status).toBe(401);
  });

  it('refuses a token without the route scope with 403 insufficient_scope', async () => {
    const opaque = await token('split', 'orders:read');

    const { status, wwwAuthenticate, body } = await call(ready, 'POST', '/orders', opaque);

    expect(status).toBe(403);
    if (eventFormat === 'rest') {
      expect(wwwAuthenticate).toBe(
        `Bearer realm="opaque-token-gateway (local)", error="insufficient_scope", resource_metadata="${ready.protectedResourceMetadata}"`,
      );
      expect(body).toMatchObject({ error: 'insufficient_scope', scope: 'orders:write', acr_values: '', max_age: '' });
    } else {
      expect(wwwAuthenticate).toBeNull();
      expect(body).toEqual({ message: 'Forbidden' });
    }
  });

  it('does not let a cached answer open a route the token lacks the scope for', async () => {
    const opaque = await token('phantom', 'orders:read');

    const allowed = await call(ready, 'GET', '/orders', opaque);
    const denied = await call(ready, 'POST', '/orders', opaque);
    const allowedAgain = await call(ready, 'GET', '/orders', opaque);

    expect([allowed.status, denied.status, allowedAgain.status]).toEqual([200, 403, 200]);
  });

  it('sends every path through the authorizer: the catch-all route needs a token too', async () => {
    const before = stack.gatewayAuthorization.invocations;

    const { status } = await call(ready, 'GET', '/nowhere/at/all', 'A'.repeat(342));

    expect(status).toBe(401);
    expect(stack.gatewayAuthorization.invocations).toBe(before + 1);
  });

  it('keeps token material out of the logs', async () => {
    const logged = logLines.join('\n');

    expect(tokensSeen.length).toBeGreaterThan(5);
    for (const seen of tokensSeen) expect(logged).not.toContain(seen.slice(-32));
    expect(logged).not.toContain(ready.clients.split.clientSecret);
  });
});

describe('npm start (tsx bin/local-stack.ts in a child process)', () => {
  let child: ChildProcess | undefined;

  afterAll(() => {
    if (child?.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
  });

  it('prints one ready line within 30 s, serves the walkthrough, and exits 0 on SIGTERM', async () => {
    const started = Date.now();
    const stack = spawnLocalStack({});
    const running = stack.child;
    child = running;
    const { exited } = stack;
    const firstLine = await stack.firstLine;
    const readyAfterMs = Date.now() - started;
    const ready = JSON.parse(firstLine) as ReadyLine;

    const discovered = await (await fetch(`${ready.issuer}/.well-known/openid-configuration`)).json();
    const opaque = await getToken(ready, ready.clients.split, 'orders:read');
    const hello = await call(ready, 'GET', '/orders', opaque);
    running.kill('SIGTERM');
    const code = await exited;

    expect(readyAfterMs).toBeLessThan(30_000);
    expect(Object.keys(ready)).toEqual([
      'event',
      'gateway',
      'issuer',
      'tokenEndpoint',
      'revocationEndpoint',
      'jwksUri',
      'clients',
      'routes',
      'staleness',
      'protectedResourceMetadata',
      'corsAllowedOrigins',
      'dpopAlgorithms',
    ]);
    expect(ready.event).toBe('ready');
    // npm start lets a dev server's page on localhost:5173 call the API (CORS_ALLOWED_ORIGINS unset).
    expect(ready.corsAllowedOrigins).toEqual(['http://localhost:5173']);
    // The issuer is the front's origin; discovery there names the endpoints the ready line names.
    expect(ready.tokenEndpoint).toBe(`${ready.issuer}/token`);
    expect(ready.revocationEndpoint).toBe(`${ready.issuer}/token/revocation`);
    expect(discovered).toMatchObject({
      issuer: ready.issuer,
      token_endpoint: ready.tokenEndpoint,
      revocation_endpoint: ready.revocationEndpoint,
    });
    expect(Object.keys(ready.clients).sort()).toEqual(['jwt', 'phantom', 'split']);
    expect(ready.routes).toContainEqual({ method: 'GET', path: '/orders', scopes: ['orders:read'] });
    expect(hello.status).toBe(200);
    expect(hello.body.tokenType).toBe('split');
    expect(code).toBe(0);
    expect(stack.stdout()).toBe(`${firstLine}\n`);
  });
});
