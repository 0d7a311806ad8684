import { requestClientCredentialsToken } from '../../local/client-credentials.ts';
import { type LocalStack, type LocalStackRegion, startLocalStack } from '../../local/local-stack.ts';
import type { BenchContext } from '../harness/context.ts';
import { summarize } from '../harness/measure.ts';
import type { BudgetCheck, ResultRow, SectionResult } from '../harness/report.ts';

const SECTION = 'replication';
/** The local replicator's lag and the cache times of both regions: what the bound is checked against. */
const LAG_MS = 1000;
const CACHE_SECONDS = 2;
/** Tokens measured per case at scale 1, and how many are watched at once while they arrive and after their revocation. */
const TOKENS = 40;
const ARRIVAL_CONCURRENCY = 2;
const REVOCATION_CONCURRENCY = 8;
/** Polling steps: until a new token resolves, and while a revoked one may still pass. */
const ARRIVAL_POLL_MS = 20;
const REVOCATION_POLL_MS = 100;
/** What polling and one request add to a measured time (the step, a loopback request, the gateway storing its answer). */
const SLACK_MS = 300;

/**
 * The two-region local stack (`LOCAL_REGIONS`-style, in this process): how long until a token
 * issued at home resolves in the other region, without and with the home-region fallback, and how
 * long a revoked token still passes at home and in the other region, each over many tokens, next
 * to the configured lag and cache times. It checks that the stated bounds hold for a configured
 * lag; it does not measure AWS's replication.
 */
export async function benchReplication(context: BenchContext): Promise<SectionResult> {
  const tokens = Math.max(5, Math.round(TOKENS * context.scale));
  const times = { replicationLagMs: LAG_MS, cacheTtlSeconds: CACHE_SECONDS, clockSkewSeconds: 0 };
  const homeBoundMs = 2 * CACHE_SECONDS * 1000;
  const otherBoundMs = LAG_MS + homeBoundMs;

  const withoutFallback = await startLocalStack({
    regions: ['us-east-1', 'eu-west-1'],
    ...times,
    logLevel: 'warn',
    writeLog: () => {},
  });
  let arrival: number[];
  let staleHome: number[];
  let staleOther: number[];
  try {
    const [home, other] = withoutFallback.regions as [LocalStackRegion, LocalStackRegion];
    // First how long new tokens take to arrive, few at a time so that polling does not load the machine.
    const issued = await inParallel(tokens, ARRIVAL_CONCURRENCY, async () => {
      const token = await issue(withoutFallback);
      const issuedAt = performance.now();
      const arrivedAt = await firstAllowed(other.gateway, token, issuedAt + LAG_MS + 10_000);
      return { token, arrival: arrivedAt - issuedAt };
    });
    arrival = issued.map(({ arrival }) => arrival);
    // Then each token in use in both regions (both caches filled), revoked at home a random part of
    // the cache time later (so that cached entries end at every point around the replica's lag), and
    // watched in both regions.
    const queue = issued.map(({ token }) => token);
    const stale = await inParallel(tokens, REVOCATION_CONCURRENCY, async () => {
      const token = queue.shift() as string;
      await Promise.all([call(home.gateway, token, '/orders'), call(other.gateway, token, '/orders')]);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * CACHE_SECONDS * 1000));
      await revoke(withoutFallback, token);
      const revokedAt = performance.now();
      const [lastHome, lastOther] = await Promise.all([
        lastAllowed(home.gateway, token, revokedAt + homeBoundMs + 1000),
        lastAllowed(other.gateway, token, revokedAt + otherBoundMs + 1000),
      ]);
      // Never allowed after the revocation: 0.
      return { home: Math.max(0, lastHome - revokedAt), other: Math.max(0, lastOther - revokedAt) };
    });
    staleHome = stale.map((m) => m.home);
    staleOther = stale.map((m) => m.other);
  } finally {
    await withoutFallback.stop();
  }

  const withFallback = await startLocalStack({
    regions: ['us-east-1', 'eu-west-1'],
    ...times,
    homeRegionFallback: true,
    logLevel: 'warn',
    writeLog: () => {},
  });
  let arrivalWithFallback: number[];
  let firstCallAllowed = 0;
  try {
    const [, other] = withFallback.regions as [LocalStackRegion, LocalStackRegion];
    arrivalWithFallback = await inParallel(tokens, 1, async () => {
      const token = await issue(withFallback);
      const issuedAt = performance.now();
      if ((await call(other.gateway, token, '/orders')) === 200) {
        firstCallAllowed++;
        return performance.now() - issuedAt;
      }
      return (await firstAllowed(other.gateway, token, issuedAt + LAG_MS + 10_000)) - issuedAt;
    });
  } finally {
    await withFallback.stop();
  }

  const rows: ResultRow[] = [
    row(
      'new token resolves in the other region, no fallback',
      arrival,
      `${tokens} tokens; configured lag ${LAG_MS} ms: the bound; polled every ${ARRIVAL_POLL_MS} ms`,
    ),
    row(
      'new token resolves in the other region, home-region fallback',
      arrivalWithFallback,
      `${tokens} tokens; ${firstCallAllowed} allowed on the first call`,
    ),
    row(
      'revoked token last allowed, home region',
      staleHome,
      `${tokens} tokens; bound ${homeBoundMs} ms = caches ${CACHE_SECONDS} s + ${CACHE_SECONDS} s; polled every ${REVOCATION_POLL_MS} ms, a new path every third call`,
    ),
    row(
      'revoked token last allowed, other region',
      staleOther,
      `${tokens} tokens; bound ${otherBoundMs} ms = lag ${LAG_MS} ms + caches ${CACHE_SECONDS} s + ${CACHE_SECONDS} s`,
    ),
  ];
  const most = (values: readonly number[]) => Math.max(...values);
  const budgets: BudgetCheck[] = [
    bound('replication: a new token resolves elsewhere within the lag', most(arrival), LAG_MS),
    {
      budget: 'replication: with the fallback, a new token resolves elsewhere on the first call',
      measured: `${firstCallAllowed} of ${tokens}`,
      limit: `${tokens}`,
      ok: firstCallAllowed === tokens,
    },
    bound('replication: a revoked token stops at home within its bound', most(staleHome), homeBoundMs),
    bound('replication: a revoked token stops elsewhere within its bound', most(staleOther), otherBoundMs),
  ];
  return { rows, budgets };
}

function row(name: string, valuesMs: readonly number[], detail: string): ResultRow {
  const timing = summarize(valuesMs.map((ms) => ms * 1000));
  const maxMs = Math.max(...valuesMs);
  return {
    section: SECTION,
    case: name,
    medianUs: timing.medianUs,
    p99Us: timing.p99Us,
    detail: `${detail}; max ${Math.round(maxMs)} ms`,
    figures: { medianMs: timing.medianUs / 1000, p99Ms: timing.p99Us / 1000, maxMs, samples: valuesMs.length },
  };
}

function bound(budget: string, measuredMs: number, boundMs: number): BudgetCheck {
  return {
    budget,
    measured: `max ${Math.round(measuredMs)} ms`,
    limit: `≤ ${boundMs} ms + ${SLACK_MS} ms`,
    ok: measuredMs <= boundMs + SLACK_MS,
  };
}

/** Runs `measure` `count` times, `concurrency` at a time; the results in completion order. */
async function inParallel<T>(count: number, concurrency: number, measure: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started++;
      results.push(await measure());
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

async function issue(stack: LocalStack): Promise<string> {
  const response = await requestClientCredentialsToken({
    tokenEndpoint: stack.ready.tokenEndpoint,
    ...stack.ready.clients.split,
    scope: 'orders:read',
  });
  return response.access_token;
}

async function revoke(stack: LocalStack, token: string): Promise<void> {
  const { clientId, clientSecret } = stack.ready.clients.split;
  const response = await fetch(stack.ready.revocationEndpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ token }),
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`revocation answered ${response.status}`);
}

async function call(gateway: string, token: string, path: string): Promise<number> {
  const response = await fetch(`${gateway}${path}`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

/** When the first allowed answer came back (performance.now()). */
async function firstAllowed(gateway: string, token: string, deadline: number): Promise<number> {
  for (;;) {
    const status = await call(gateway, token, '/orders');
    if (status === 200) return performance.now();
    if (status !== 401) throw new Error(`a new token got ${status}`);
    if (performance.now() > deadline) throw new Error('a new token never resolved');
    await new Promise((resolve) => setTimeout(resolve, ARRIVAL_POLL_MS));
  }
}

/**
 * Calls until `until`, every third call on a new path (a new gateway cache key, filled from
 * whatever the authorizer still holds), the others on a recent one; when the last allowed call was
 * sent (performance.now()).
 */
async function lastAllowed(gateway: string, token: string, until: number): Promise<number> {
  const paths: string[] = [];
  let last = 0;
  for (let i = 0; performance.now() < until; i++) {
    if (i % 3 === 0) paths.push(`/probe/${Math.random().toString(36).slice(2)}`);
    const recent = paths.slice(-20);
    const path = i % 3 === 0 ? (paths.at(-1) as string) : (recent[Math.floor(Math.random() * recent.length)] as string);
    const sentAt = performance.now();
    const status = await call(gateway, token, path);
    if (status === 200) last = sentAt;
    else if (status !== 401) throw new Error(`a revoked token got ${status}`);
    await new Promise((resolve) => setTimeout(resolve, REVOCATION_POLL_MS));
  }
  return last;
}
