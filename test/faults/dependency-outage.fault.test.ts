import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authorizer } from '../../lambda/authorizer/authorizer.ts';
import { startAuthorizationServer } from '../../local/authorization-server.ts';
import { type OutcomeKind, outcomeOfToken } from '../support/authorizer-outcome.ts';
import { LogCapture } from '../support/log-capture.ts';
import { RealParts } from '../support/real-parts.ts';
import { overlaps, type RequestKind, runTraffic, sleep, type TimeWindow, tallyOf } from '../support/traffic.ts';

const DYNAMODB_TIMEOUT_MS = 400;
const INTROSPECTION_TIMEOUT_MS = 400;
const JWKS_TIMEOUT_MS = 400;
/** No answer may take longer: every dependency at its deadline, plus scheduling slack. */
const ANSWER_BOUND_MS = DYNAMODB_TIMEOUT_MS + INTROSPECTION_TIMEOUT_MS + JWKS_TIMEOUT_MS + 300;
/** How long after a dependency is back the authorizer may still fail (reconnects, SDK backoff). */
const RECOVERY_GRACE_MS = 1000;

describe('dynalite and oidc-provider stopped and restarted while requests flow', () => {
  const logs = new LogCapture();
  let parts: RealParts;
  let authorizer: Authorizer;
  let worstMs = 0;

  beforeAll(async () => {
    logs.install();
    parts = await RealParts.start(logs);
    // Straight to the servers, no cache: every request meets the outage.
    authorizer = parts.authorizer(
      parts.config(parts.direct, {
        cacheTtlSeconds: 0,
        dynamoDbTimeoutMs: DYNAMODB_TIMEOUT_MS,
        jwksTimeoutMs: JWKS_TIMEOUT_MS,
        introspection: {
          ...(parts.config().introspection as NonNullable<ReturnType<RealParts['config']>['introspection']>),
          endpoint: parts.as.introspectionEndpoint,
          timeoutMs: INTROSPECTION_TIMEOUT_MS,
        },
      }),
    );
  });

  afterAll(async () => {
    await parts?.stop();
    logs.uninstall();
    console.info(`[faults] outage: worst answer ${Math.round(worstMs)} ms (bound ${ANSWER_BOUND_MS} ms)`);
  });

  const send = (token: string): Promise<OutcomeKind> => outcomeOfToken(authorizer, 'rest-request', token);

  async function mix(): Promise<RequestKind[]> {
    const split = await parts.split(await parts.jwt());
    const phantom = await parts.phantom();
    const unknownSplitShaped = Buffer.from(crypto.getRandomValues(new Uint8Array(256))).toString('base64url');
    return [
      { label: 'split', valid: true, send: () => send(split) },
      { label: 'phantom', valid: true, send: () => send(phantom) },
      { label: 'unknown', valid: false, send: () => send(unknownSplitShaped) },
      { label: 'malformed', valid: false, send: () => send('not a token') },
    ];
  }

  /** Checks what must hold whatever the fault: no false allow, bounded time, clean outside the window. */
  function assertFailClosed(samples: Awaited<ReturnType<typeof runTraffic>>, fault: TimeWindow): void {
    const outside = samples.filter((sample) => !overlaps(sample, fault));
    const inside = samples.filter((sample) => overlaps(sample, fault));
    worstMs = Math.max(worstMs, ...samples.map((sample) => sample.durationMs));

    expect(samples.filter((sample) => !sample.valid && sample.outcome === 'allow')).toEqual([]);
    expect(samples.filter((sample) => sample.valid && sample.outcome === 'unauthorized')).toEqual([]);
    expect(outside.filter((sample) => sample.outcome !== (sample.valid ? 'allow' : 'unauthorized'))).toEqual([]);
    expect(inside.some((sample) => sample.outcome === 'error')).toBe(true);
    expect(Math.max(...samples.map((sample) => sample.durationMs))).toBeLessThan(ANSWER_BOUND_MS);
    expect(samples.filter((sample) => sample.outcome === 'malformed')).toEqual([]);
  }

  it('DynamoDB down: split tokens fail closed with 500 within the deadline, then recover by themselves', async () => {
    const kinds = await mix();
    const fault = { fromMs: 0, toMs: 0 };
    let restartedAtMs = 0;
    const scenario = (async () => {
      await sleep(800);
      fault.fromMs = Date.now();
      await parts.dynamo.stop();
      await sleep(1500);
      await parts.dynamo.start();
      restartedAtMs = Date.now();
      fault.toMs = restartedAtMs + RECOVERY_GRACE_MS;
      await sleep(RECOVERY_GRACE_MS + 1000);
    })();

    const samples = await runTraffic(kinds, { concurrency: 4, until: scenario });

    console.info(`[faults] DynamoDB outage: ${samples.length} requests ${JSON.stringify(tallyOf(samples))}`);
    assertFailClosed(samples, fault);
    // A read that starts within its deadline of the restart may retry into the recovered table and
    // rightly succeed; every read that ends before the restart must have failed closed.
    const splitDuringOutage = samples.filter(
      (s) =>
        s.label === 'split' &&
        s.startedAtMs > fault.fromMs + 100 &&
        s.startedAtMs < restartedAtMs - DYNAMODB_TIMEOUT_MS - 100,
    );
    expect(splitDuringOutage.length).toBeGreaterThan(0);
    expect(new Set(splitDuringOutage.map((s) => s.outcome))).toEqual(new Set(['error']));
  }, 30_000);

  it('authorization server down: phantom tokens fail closed with 500 within the deadline, then recover', async () => {
    const kinds = await mix();
    const fault = { fromMs: 0, toMs: 0 };
    const scenario = (async () => {
      await sleep(800);
      fault.fromMs = Date.now();
      const restartOptions = parts.as.restartOptions;
      await parts.as.stop();
      await sleep(1500);
      parts.as = await startAuthorizationServer(restartOptions);
      fault.toMs = Date.now() + RECOVERY_GRACE_MS;
      await sleep(RECOVERY_GRACE_MS + 1000);
    })();

    const samples = await runTraffic(kinds, { concurrency: 4, until: scenario });

    console.info(`[faults] AS outage: ${samples.length} requests ${JSON.stringify(tallyOf(samples))}`);
    assertFailClosed(samples, fault);
    const phantomDuringOutage = samples.filter(
      (s) =>
        s.label === 'phantom' &&
        s.startedAtMs > fault.fromMs + 100 &&
        s.startedAtMs < fault.toMs - RECOVERY_GRACE_MS - 100,
    );
    expect(new Set(phantomDuringOutage.map((s) => s.outcome))).toEqual(new Set(['error']));
    // Split tokens need only the JWKS, which the authorizer holds: the AS outage does not stop them.
    const splitDuringOutage = samples.filter((s) => s.label === 'split' && overlaps(s, fault));
    expect(new Set(splitDuringOutage.map((s) => s.outcome))).toEqual(new Set(['allow']));
  }, 30_000);

  it('wrote no token, JWT, record or secret to any log line', () => {
    expect(logs.leaks).toEqual([]);
  });
});
