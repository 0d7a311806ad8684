import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authorizer } from '../../lambda/authorizer/authorizer.ts';
import { type OutcomeKind, outcomeOfToken } from '../support/authorizer-outcome.ts';
import { LogCapture } from '../support/log-capture.ts';
import { RealParts } from '../support/real-parts.ts';
import { sleep } from '../support/traffic.ts';

const CACHE_TTL_SECONDS = 2;
const POLL_INTERVAL_MS = 25;

describe(`revocation takes effect within the cache time (${CACHE_TTL_SECONDS} s)`, () => {
  const logs = new LogCapture();
  let parts: RealParts;
  let authorizer: Authorizer;

  beforeAll(async () => {
    logs.install();
    parts = await RealParts.start(logs);
    authorizer = parts.authorizer(parts.config(parts.proxied, { cacheTtlSeconds: CACHE_TTL_SECONDS }));
  });

  afterAll(async () => {
    await parts?.stop();
    logs.uninstall();
  });

  const send = (token: string): Promise<OutcomeKind> => outcomeOfToken(authorizer, 'rest-request', token);

  /** Polls until the token is refused; the time from `revoke` to the first refusal, and what came before. */
  async function timeToRefusal(
    token: string,
    revoke: () => Promise<void>,
  ): Promise<{ ms: number; before: Set<OutcomeKind> }> {
    // Fill the cache shortly before revoking, so the revocation meets a nearly full cache life.
    expect(await send(token)).toBe('allow');
    await revoke();
    const revokedAt = performance.now();
    const before = new Set<OutcomeKind>();
    for (;;) {
      const outcome = await send(token);
      if (outcome === 'unauthorized') return { ms: performance.now() - revokedAt, before };
      before.add(outcome);
      if (performance.now() - revokedAt > CACHE_TTL_SECONDS * 1000 * 3) return { ms: Number.POSITIVE_INFINITY, before };
      await sleep(POLL_INTERVAL_MS);
    }
  }

  it('a split token whose record is deleted, and a phantom token revoked at the AS, stop working in time', async () => {
    const split = await parts.split(await parts.jwt());
    const phantom = await parts.phantom();

    const [splitResult, phantomResult] = await Promise.all([
      timeToRefusal(split, () => parts.deleteRecord(split)),
      timeToRefusal(phantom, () => parts.revokeAtServer(phantom)),
    ]);

    console.info(
      `[hostile] revocation with a ${CACHE_TTL_SECONDS} s cache: record deleted -> refused after ${Math.round(splitResult.ms)} ms; ` +
        `revoked at the AS -> refused after ${Math.round(phantomResult.ms)} ms`,
    );
    for (const result of [splitResult, phantomResult]) {
      expect(result.ms).toBeLessThanOrEqual(CACHE_TTL_SECONDS * 1000 + 250);
      // Until then only the cached allow was served: never an error, never a 403.
      expect([...result.before]).toEqual(['allow']);
    }
  }, 20_000);

  it('wrote no token, JWT, record or secret to any log line', () => {
    expect(logs.leaks).toEqual([]);
  });
});
