/**
 * The local stack in two regions, driven over HTTP: tokens issued through the front land in the home
 * table, a replicator applies them to the other region's replica after the configured lag, and each
 * region's gateway asks its own authorizer, which reads its own replica. Expected bounds are added
 * up here from the configured times (never read back from the stack); replicas are read directly to
 * know what they held when a gateway answered.
 */
import type { ChildProcess } from 'node:child_process';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../lambda/core/token-hash.ts';
import { createLocalDynamoDbClient } from '../../local/dynamodb-client.ts';
import { type LocalStack, type LocalStackRegion, type ReadyLine, startLocalStack } from '../../local/local-stack.ts';
import { basicAuthorization, revokeAt, tokenFrom } from '../support/local-stack-client.ts';
import { spawnLocalStack } from '../support/local-stack-process.ts';
import { lastAllowed } from '../support/staleness-probe.ts';

const REGIONS = ['us-east-1', 'eu-west-1'] as const;
const CACHE_SECONDS = 1;
const LAG_MS = 1000;
/** Time between the authorizer's answer and the gateway storing it, and one polling step. */
const SLACK_MS = 300;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** GET `path` with the token at a region's gateway: the status and, for a 200, the token type the backend saw. */
async function call(gateway: string, token: string, path = '/orders'): Promise<{ status: number; tokenType?: string }> {
  const response = await fetch(`${gateway}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  return response.status === 200
    ? { status: 200, tokenType: (JSON.parse(text) as { tokenType?: string }).tokenType }
    : { status: response.status };
}

/** Polls until `condition` holds; the time it took, in milliseconds. */
async function until(condition: () => Promise<boolean>, timeoutMs: number, stepMs = 25): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await pause(stepMs);
  }
  return Date.now() - started;
}

/** Reads the record of `token` from one region's replica itself. */
async function replicaHolds(stack: LocalStack, region: LocalStackRegion, token: string): Promise<boolean> {
  const client = createLocalDynamoDbClient({ endpoint: region.tableEndpoint, region: region.region });
  try {
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: stack.dynamoDb.tableName,
        Key: { [stack.dynamoDb.keyAttribute]: { S: await hashToken(token, 'SHA-256') } },
        ConsistentRead: true,
      }),
    );
    return Item !== undefined;
  } finally {
    client.destroy();
  }
}

/** A token request at the front, whatever its outcome. */
async function tokenRequest(ready: ReadyLine): Promise<{ status: number; error?: string }> {
  const response = await fetch(ready.tokenEndpoint, {
    method: 'POST',
    headers: { authorization: basicAuthorization(ready.clients.split) },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }),
  });
  const body = (await response.json()) as { error?: string };
  return { status: response.status, ...(body.error === undefined ? {} : { error: body.error }) };
}

describe('two regions without the home-region fallback', () => {
  let stack: LocalStack;
  let home: LocalStackRegion;
  let other: LocalStackRegion;
  const logLines: string[] = [];
  const tokensSeen: string[] = [];
  const issue = async (kind: 'split' | 'phantom' = 'split') => {
    const token = await tokenFrom(stack.ready, kind, 'orders:read');
    tokensSeen.push(token);
    return token;
  };

  beforeAll(async () => {
    stack = await startLocalStack({
      regions: REGIONS,
      replicationLagMs: LAG_MS,
      cacheTtlSeconds: CACHE_SECONDS,
      clockSkewSeconds: 0,
      writeLog: (line) => logLines.push(line),
    });
    [home, other] = stack.regions as [LocalStackRegion, LocalStackRegion];
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('lists the regions, home first, and the lag in the ready line, and counts the lag in the revocation bound', () => {
    const { ready } = stack;

    expect(ready.regions).toEqual([
      { region: 'us-east-1', gateway: ready.gateway, home: true },
      { region: 'eu-west-1', gateway: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/v1$/), home: false },
    ]);
    expect(ready.regions?.[1]?.gateway).not.toBe(ready.gateway);
    expect(ready.replicationLagMs).toBe(LAG_MS);
    expect(ready.staleness.afterRevocation).toBe(LAG_MS / 1000 + 2 * CACHE_SECONDS);
    expect(ready.staleness.afterExpiry).toBe(CACHE_SECONDS);
  });

  it('refuses a token issued at home in the other region until it replicates, then resolves it in both', async () => {
    // The other region's 401 counts only if its replica still lacked the record after the answer.
    let token = '';
    let issuedAt = 0;
    let refusedBeforeReplication = false;
    for (let attempt = 0; attempt < 3 && !refusedBeforeReplication; attempt++) {
      token = await issue();
      issuedAt = Date.now();
      const atOnce = await call(other.gateway, token);
      refusedBeforeReplication = atOnce.status === 401 && !(await replicaHolds(stack, other, token));
    }
    const atHome = await call(home.gateway, token);
    await until(async () => (await call(other.gateway, token)).status === 200, LAG_MS + 5000);
    const replicatedAfterMs = Date.now() - issuedAt;
    const afterReplication = await Promise.all([call(home.gateway, token), call(other.gateway, token)]);

    console.info(`[regions] a new token resolved in eu-west-1 ${replicatedAfterMs} ms after it was issued`);
    expect(refusedBeforeReplication).toBe(true);
    expect(atHome).toEqual({ status: 200, tokenType: 'split' });
    expect(replicatedAfterMs).toBeLessThanOrEqual(LAG_MS + SLACK_MS);
    expect(afterReplication).toEqual([
      { status: 200, tokenType: 'split' },
      { status: 200, tokenType: 'split' },
    ]);
  });

  it('resolves a phantom token in every region at once: it is introspected, not replicated', async () => {
    const token = await issue('phantom');

    const answers = await Promise.all([call(home.gateway, token), call(other.gateway, token)]);

    expect(answers).toEqual([
      { status: 200, tokenType: 'phantom' },
      { status: 200, tokenType: 'phantom' },
    ]);
  });

  it('stops a revoked token in each region within its bound: the caches at home, the lag and the caches elsewhere', async () => {
    const homeBoundMs = 2 * CACHE_SECONDS * 1000;
    const otherBoundMs = LAG_MS + 2 * CACHE_SECONDS * 1000;
    const token = await issue();
    await until(async () => (await call(other.gateway, token)).status === 200, LAG_MS + 5000);
    await Promise.all([
      lastAllowed(home.gateway, token, Date.now() + 300),
      lastAllowed(other.gateway, token, Date.now() + 300),
    ]);

    const revokedAt = Date.now();
    expect(await revokeAt(stack.ready, 'split', token)).toBe(200);
    const [lastHome, lastOther] = await Promise.all([
      lastAllowed(home.gateway, token, revokedAt + homeBoundMs + 2000),
      lastAllowed(other.gateway, token, revokedAt + otherBoundMs + 2000),
    ]);

    console.info(
      `[regions] revoked token last allowed ${lastHome - revokedAt} ms after revocation at home (bound ${homeBoundMs} ms), ${lastOther - revokedAt} ms in eu-west-1 (bound ${otherBoundMs} ms)`,
    );
    expect(lastHome - revokedAt).toBeLessThanOrEqual(homeBoundMs + SLACK_MS);
    expect(lastOther - revokedAt).toBeLessThanOrEqual(otherBoundMs + SLACK_MS);
  }, 30_000);

  it('answers 500 in the other region while its replica is down, leaves the home region alone, and catches the replica up', async () => {
    const before = await issue();
    await until(async () => replicaHolds(stack, other, before), LAG_MS + 5000);

    await stack.outages.replicas['eu-west-1']?.interrupt();
    let during: { status: number }[];
    let issuedDuringOutage: string;
    try {
      issuedDuringOutage = await issue();
      during = await Promise.all([
        call(other.gateway, before),
        call(home.gateway, before),
        call(home.gateway, issuedDuringOutage),
      ]);
    } finally {
      await stack.outages.replicas['eu-west-1']?.resume();
    }
    const caughtUp = await until(
      async () => (await call(other.gateway, issuedDuringOutage)).status === 200,
      LAG_MS + 5000,
    );

    expect(during.map((answer) => answer.status)).toEqual([500, 200, 200]);
    expect(caughtUp).toBeLessThanOrEqual(LAG_MS + 5000);
    expect(await call(other.gateway, before)).toEqual({ status: 200, tokenType: 'split' });
  }, 30_000);

  it('fails issuing closed while the home table is down, and the other region keeps resolving replicated tokens', async () => {
    const replicated = await issue();
    await until(async () => replicaHolds(stack, other, replicated), LAG_MS + 5000);

    await stack.outages.dynamoDb.interrupt();
    let issuing: { status: number; error?: string };
    let inOther: { status: number };
    let atHome: { status: number };
    try {
      issuing = await tokenRequest(stack.ready);
      inOther = await call(other.gateway, replicated);
      atHome = await call(home.gateway, replicated);
    } finally {
      await stack.outages.dynamoDb.resume();
    }
    const issuingAfterwards = await tokenRequest(stack.ready);

    expect(issuing.status).toBe(503);
    expect(issuing.error).toBe('server_error');
    expect(inOther).toEqual({ status: 200, tokenType: 'split' });
    expect(atHome.status).toBe(500);
    expect(issuingAfterwards.status).toBe(200);
  }, 30_000);

  it('loses nothing and keeps the order while the replicator is paused: a put and its delete arrive as put, then delete', async () => {
    const replicator = stack.outages.replicator;
    if (!replicator) throw new Error('expected a replicator');
    await replicator.interrupt();
    let revoked: string;
    let kept: string;
    let whilePaused: { status: number }[];
    let heldWhilePaused: boolean[];
    try {
      revoked = await issue();
      kept = await issue();
      expect(await revokeAt(stack.ready, 'split', revoked)).toBe(200);
      await pause(LAG_MS + 500);
      whilePaused = await Promise.all([call(other.gateway, revoked), call(other.gateway, kept)]);
      heldWhilePaused = await Promise.all([replicaHolds(stack, other, revoked), replicaHolds(stack, other, kept)]);
    } finally {
      await replicator.resume();
    }
    // The three writes were due long ago: they are applied at once, in order.
    await until(async () => (await call(other.gateway, kept)).status === 200, 5000);
    await pause(SLACK_MS);

    expect(whilePaused.map((answer) => answer.status)).toEqual([401, 401]);
    expect(heldWhilePaused).toEqual([false, false]);
    expect(await replicaHolds(stack, other, revoked)).toBe(false);
    expect(await replicaHolds(stack, other, kept)).toBe(true);
    expect((await call(other.gateway, revoked)).status).toBe(401);
  }, 30_000);

  it('keeps token material out of the logs of every region', () => {
    const logged = logLines.join('\n');

    expect(tokensSeen.length).toBeGreaterThan(5);
    for (const seen of tokensSeen) expect(logged).not.toContain(seen.slice(-32));
  });
});

describe('two regions with the home-region fallback', () => {
  let stack: LocalStack;
  let home: LocalStackRegion;
  let other: LocalStackRegion;

  beforeAll(async () => {
    stack = await startLocalStack({
      regions: REGIONS,
      replicationLagMs: LAG_MS,
      homeRegionFallback: true,
      cacheTtlSeconds: CACHE_SECONDS,
      writeLog: () => {},
    });
    [home, other] = stack.regions as [LocalStackRegion, LocalStackRegion];
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('resolves a token issued at home in the other region at once, read from the home table', async () => {
    const token = await tokenFrom(stack.ready, 'split', 'orders:read');

    const atOnce = await call(other.gateway, token);
    const replicaHadIt = await replicaHolds(stack, other, token);

    expect(atOnce).toEqual({ status: 200, tokenType: 'split' });
    expect(replicaHadIt).toBe(false);
  });

  it('fails closed in the other region for a token only the home table holds while it is down, and keeps serving replicated ones', async () => {
    const replicated = await tokenFrom(stack.ready, 'split', 'orders:read');
    await until(async () => replicaHolds(stack, other, replicated), LAG_MS + 5000);
    await stack.outages.replicator?.interrupt();
    const onlyAtHome = await tokenFrom(stack.ready, 'split', 'orders:read');

    await stack.outages.dynamoDb.interrupt();
    let answers: { status: number }[];
    try {
      answers = await Promise.all([
        call(other.gateway, onlyAtHome),
        call(other.gateway, replicated),
        call(home.gateway, onlyAtHome),
      ]);
    } finally {
      await stack.outages.dynamoDb.resume();
      await stack.outages.replicator?.resume();
    }

    expect(answers.map((answer) => answer.status)).toEqual([500, 200, 500]);
  }, 30_000);
});

describe('LOCAL_REGIONS=us-east-1,eu-west-1 npm start (tsx bin/local-stack.ts in a child process)', () => {
  let child: ChildProcess | undefined;

  afterAll(() => {
    if (child?.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
  });

  it('prints one ready line with the regions and the lag, replicates, and exits 0 on SIGTERM', async () => {
    const stack = spawnLocalStack({ LOCAL_REGIONS: 'us-east-1,eu-west-1', REPLICATION_LAG_MS: '500' });
    const running = stack.child;
    child = running;
    const { exited } = stack;
    const firstLine = await stack.firstLine;
    const ready = JSON.parse(firstLine) as ReadyLine;
    const [homeRegion, otherRegion] = ready.regions ?? [];

    const token = await tokenFrom(ready, 'split', 'orders:read');
    const atHome = await call(ready.gateway, token);
    const elsewhereAfterMs = await until(
      async () => (await call(otherRegion?.gateway ?? '', token)).status === 200,
      5000,
    );
    running.kill('SIGTERM');
    const code = await exited;

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
      'regions',
      'replicationLagMs',
    ]);
    expect(homeRegion).toEqual({ region: 'us-east-1', gateway: ready.gateway, home: true });
    expect(otherRegion).toMatchObject({ region: 'eu-west-1', home: false });
    expect(ready.replicationLagMs).toBe(500);
    // npm start runs sender-constrained by default, which leaves the gateway's result cache off
    // (a cached answer would skip the proof): the authorizer's 10 s cache plus the half-second lag.
    expect(ready.staleness.afterRevocation).toBe(10.5);
    expect(atHome).toEqual({ status: 200, tokenType: 'split' });
    expect(elsewhereAfterMs).toBeLessThanOrEqual(500 + SLACK_MS);
    expect(code).toBe(0);
    expect(stack.stdout()).toBe(`${firstLine}\n`);
  }, 60_000);
});
