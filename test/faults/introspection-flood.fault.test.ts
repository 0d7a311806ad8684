import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authorizer } from '../../lambda/authorizer.ts';
import type { AuthorizerConfig } from '../../lambda/authorizer-config.ts';
import { type OutcomeKind, outcomeOfToken } from '../support/authorizer-outcome.ts';
import { BASE64URL_ALPHABET } from '../support/hostile-arbitraries.ts';
import { LogCapture } from '../support/log-capture.ts';
import { RealParts } from '../support/real-parts.ts';
import { sleep } from '../support/traffic.ts';

const FLOOD_SIZE = 10_000;
const CONCURRENCY = 32;
const RATE_PER_SECOND = 20;
const BURST = 40;

/** One in this many random tokens is shaped like an RS256 signature (a split token), the rest like a handle. */
const SIGNATURE_SHAPED_EVERY = 10;

/** Random opaque tokens: most shaped like an oidc-provider handle, some like an RS256 signature. */
function randomOpaqueToken(i: number): string {
  const length = i % SIGNATURE_SHAPED_EVERY === 0 ? 342 : 43;
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (byte) => BASE64URL_ALPHABET[byte % 64]).join('');
}

describe('a flood of random opaque tokens', () => {
  const logs = new LogCapture();
  let parts: RealParts;
  let authorizer: Authorizer;

  beforeAll(async () => {
    logs.install();
    parts = await RealParts.start(logs);
    const base = parts.config();
    const config: AuthorizerConfig = {
      ...base,
      introspection: {
        ...(base.introspection as NonNullable<AuthorizerConfig['introspection']>),
        ratePerSecond: RATE_PER_SECOND,
        burst: BURST,
      },
      logLevel: 'info',
    };
    authorizer = parts.authorizer(config);
  });

  afterAll(async () => {
    await parts?.stop();
    logs.uninstall();
  });

  const send = (token: string): Promise<OutcomeKind> => outcomeOfToken(authorizer, 'http-simple', token);

  it(`${FLOOD_SIZE} random tokens reach the AS at no more than the configured rate, and never open anything`, async () => {
    parts.asProxy.reset();
    parts.dynamoProxy.reset();
    const outcomes: Record<string, number> = {};
    let next = 0;
    const started = performance.now();

    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < FLOOD_SIZE) {
          const outcome = await send(randomOpaqueToken(next++));
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        }
      }),
    );
    const elapsedSeconds = (performance.now() - started) / 1000;

    const introspections = parts.asProxy.count('/token/introspection');
    const getItems = parts.dynamoProxy.count('GetItem');
    const limit = BURST + Math.ceil(RATE_PER_SECOND * elapsedSeconds);
    console.info(
      `[faults] flood: ${FLOOD_SIZE} tokens in ${elapsedSeconds.toFixed(1)} s -> ${introspections} introspection calls ` +
        `(limit ${limit} = burst ${BURST} + ${RATE_PER_SECOND}/s), ${getItems} GetItems, outcomes ${JSON.stringify(outcomes)}`,
    );
    expect(outcomes.allow ?? 0).toBe(0);
    expect(outcomes.forbidden ?? 0).toBe(0);
    expect(outcomes.malformed ?? 0).toBe(0);
    expect(introspections).toBeGreaterThanOrEqual(BURST);
    expect(introspections).toBeLessThanOrEqual(limit);
    // Only signature-shaped tokens are looked up, once each: the table is read, never hammered twice.
    expect(getItems).toBe(FLOOD_SIZE / SIGNATURE_SHAPED_EVERY);
  }, 120_000);

  it('during and after the flood, split tokens still resolve and phantom tokens resolve once the bucket refills', async () => {
    const split = await parts.split(await parts.jwt());
    const phantom = await parts.phantom();
    for (let i = 0; i < 200; i++) await send(randomOpaqueToken(i));

    const splitDuringFlood = await send(split);
    await sleep(Math.ceil(1000 / RATE_PER_SECOND) * 2);
    const phantomAfterRefill = await send(phantom);

    expect(splitDuringFlood).toBe('allow');
    expect(phantomAfterRefill).toBe('allow');
  });

  it('wrote no token, JWT, record or secret to any log line', () => {
    expect(logs.leaks).toEqual([]);
  });
});
