import { setImmediate } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authorizer } from '../../lambda/authorizer/authorizer.ts';
import type { AuthorizerConfig } from '../../lambda/authorizer/config.ts';
import { OPAQUE_TOKEN_SHAPE } from '../../local/authorization-server.ts';
import { eventFor, resourceArnFor } from '../support/api-gateway-events.ts';
import { type OutcomeKind, outcomeOf, outcomeOfToken } from '../support/authorizer-outcome.ts';
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

/** Where the flood comes from, and where the valid client sits (RFC 5737 documentation addresses). */
const FLOODER = '203.0.113.66';
const LEGITIMATE = '198.51.100.5';
const ISOLATION_ROUTE = { method: 'GET', path: '/orders' } as const;
const ISOLATION_CONCURRENCY = 32;
/** How long the flood runs before the valid tokens are first presented: long enough to spend any unguarded budget. */
const FLOOD_HEAD_START_MS = 2000;
const VALID_TOKENS = 5;

/** The event API Gateway would send for `token` from `sourceIp` (REST REQUEST or HTTP API 2.0). */
function eventFrom(format: 'rest-request' | 'http-simple', token: string, sourceIp: string): Record<string, unknown> {
  const event = eventFor(format, `Bearer ${token}`, ISOLATION_ROUTE);
  const context = event.requestContext as Record<string, Record<string, unknown>>;
  const holder = format === 'http-simple' ? context.http : context.identity;
  if (holder === undefined) throw new Error(`the ${format} fixture has no source address`);
  holder.sourceIp = sourceIp;
  return event;
}

function randomBase64Url(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (byte) => BASE64URL_ALPHABET[byte % 64]).join('');
}

/**
 * Issue 10, finding 7: random opaque tokens used to spend the instance's introspection budget, and
 * every valid phantom token then got 500. Now credentials not shaped like oidc-provider's tokens are
 * refused without a call, and each source address has a budget of its own.
 */
describe('flood isolation: the opaque token shape and per-source introspection budgets', () => {
  const logs = new LogCapture();
  let parts: RealParts;

  beforeAll(async () => {
    logs.install();
    parts = await RealParts.start(logs);
  });

  afterAll(async () => {
    await parts?.stop();
    logs.uninstall();
  });

  function isolatingAuthorizer(budget: {
    ratePerSecond: number;
    burst: number;
    sourceRatePerSecond: number;
    sourceBurst: number;
  }): Authorizer {
    const base = parts.config();
    return parts.authorizer({
      ...base,
      introspection: {
        ...(base.introspection as NonNullable<AuthorizerConfig['introspection']>),
        ...budget,
        maxSources: 10_000,
        tokenShape: OPAQUE_TOKEN_SHAPE,
      },
      logLevel: 'info',
    });
  }

  const sendFrom = async (
    authorizer: Authorizer,
    format: 'rest-request' | 'http-simple',
    token: string,
    sourceIp: string,
  ): Promise<OutcomeKind> =>
    (await outcomeOf(authorizer, eventFrom(format, token, sourceIp), format, resourceArnFor(format, ISOLATION_ROUTE)))
      .kind;

  /**
   * Floods until `until` settles, yielding to the event loop after each request (refusals need no
   * I/O and would otherwise starve every timer). Returns each request's token class and outcome.
   */
  async function flood(
    send: (i: number) => Promise<{ label: string; outcome: OutcomeKind }>,
    until: Promise<unknown>,
  ): Promise<Record<string, Record<string, number>>> {
    let stopped = false;
    void until.finally(() => {
      stopped = true;
    });
    const tally: Record<string, Record<string, number>> = {};
    let next = 0;
    await Promise.all(
      Array.from({ length: ISOLATION_CONCURRENCY }, async () => {
        while (!stopped) {
          const { label, outcome } = await send(next++);
          const row = tally[label] ?? {};
          tally[label] = row;
          row[outcome] = (row[outcome] ?? 0) + 1;
          await setImmediate();
        }
      }),
    );
    return tally;
  }

  /** Presents fresh (never seen, so never cached) valid phantom tokens one by one once the flood has had its head start. */
  async function presentValidTokens(
    authorizer: Authorizer,
    tokens: readonly string[],
    sourceIp: (i: number) => string,
  ): Promise<OutcomeKind[]> {
    await sleep(FLOOD_HEAD_START_MS);
    const outcomes: OutcomeKind[] = [];
    for (const [i, token] of tokens.entries()) {
      outcomes.push(await sendFrom(authorizer, i % 2 === 0 ? 'rest-request' : 'http-simple', token, sourceIp(i)));
      await sleep(100);
    }
    return outcomes;
  }

  it('one address flooding random tokens, shaped or not, leaves fresh phantom tokens from another address at allow', async () => {
    const budget = { ratePerSecond: 20, burst: 40, sourceRatePerSecond: 2, sourceBurst: 5 };
    const authorizer = isolatingAuthorizer(budget);
    const valid = await Promise.all(Array.from({ length: VALID_TOKENS }, () => parts.phantom()));
    parts.asProxy.reset();
    const started = performance.now();

    const legitimate = presentValidTokens(authorizer, valid, () => LEGITIMATE);
    const tally = await flood(async (i) => {
      // A third shaped like oidc-provider's tokens (43 base64url characters), a third like an RS256
      // signature (342), a third of other lengths.
      const length = i % 3 === 0 ? 43 : i % 3 === 1 ? 342 : 44 + (i % 150);
      const outcome = await sendFrom(
        authorizer,
        i % 2 === 0 ? 'rest-request' : 'http-simple',
        randomBase64Url(length),
        FLOODER,
      );
      return { label: length === 43 ? 'well-shaped' : 'other shape', outcome };
    }, legitimate);
    const validOutcomes = await legitimate;
    const elapsedSeconds = (performance.now() - started) / 1000;
    const introspections = parts.asProxy.count('/token/introspection');
    const floodLimit = budget.sourceBurst + Math.ceil(budget.sourceRatePerSecond * elapsedSeconds);
    console.info(
      `[faults] one-address flood for ${elapsedSeconds.toFixed(1)} s: ${JSON.stringify(tally)}; ` +
        `${introspections} introspection calls (flood limit ${floodLimit} + ${VALID_TOKENS} valid); valid ${JSON.stringify(validOutcomes)}`,
    );

    expect(validOutcomes).toEqual(Array(VALID_TOKENS).fill('allow'));
    expect(Object.keys(tally['other shape'] ?? {})).toEqual(['unauthorized']);
    expect(Object.keys(tally['well-shaped'] ?? {}).sort()).toEqual(['error', 'unauthorized']);
    expect(introspections).toBeLessThanOrEqual(floodLimit + VALID_TOKENS);
  }, 60_000);

  it('well-shaped random tokens from many addresses, each within its budget, leave fresh phantom tokens at allow', async () => {
    const addresses = Array.from({ length: 20 }, (_, i) => `203.0.113.${100 + i}`);
    const budget = { ratePerSecond: 100, burst: 200, sourceRatePerSecond: 1, sourceBurst: 3 };
    const authorizer = isolatingAuthorizer(budget);
    const valid = await Promise.all(Array.from({ length: VALID_TOKENS }, () => parts.phantom()));
    parts.asProxy.reset();
    const started = performance.now();

    const legitimate = presentValidTokens(authorizer, valid, (i) => `198.51.100.${10 + i}`);
    const tally = await flood(async (i) => {
      const source = addresses[i % addresses.length] as string;
      const outcome = await sendFrom(
        authorizer,
        i % 2 === 0 ? 'rest-request' : 'http-simple',
        randomBase64Url(43),
        source,
      );
      return { label: 'well-shaped', outcome };
    }, legitimate);
    const validOutcomes = await legitimate;
    const elapsedSeconds = (performance.now() - started) / 1000;
    const introspections = parts.asProxy.count('/token/introspection');
    const floodLimit = addresses.length * (budget.sourceBurst + Math.ceil(budget.sourceRatePerSecond * elapsedSeconds));
    console.info(
      `[faults] ${addresses.length}-address flood for ${elapsedSeconds.toFixed(1)} s: ${JSON.stringify(tally)}; ` +
        `${introspections} introspection calls (flood limit ${floodLimit} + ${VALID_TOKENS} valid); valid ${JSON.stringify(validOutcomes)}`,
    );

    expect(validOutcomes).toEqual(Array(VALID_TOKENS).fill('allow'));
    expect(Object.keys(tally['well-shaped'] ?? {}).sort()).toEqual(['error', 'unauthorized']);
    expect(introspections).toBeLessThanOrEqual(floodLimit + VALID_TOKENS);
  }, 60_000);

  it('the remaining limit: more flooding addresses than the instance budget covers give new phantom tokens 500, while cached ones stay open', async () => {
    const budget = { ratePerSecond: 20, burst: 40, sourceRatePerSecond: 1, sourceBurst: 2 };
    const authorizer = isolatingAuthorizer(budget);
    const cached = await parts.phantom();
    const fresh = await Promise.all(Array.from({ length: VALID_TOKENS }, () => parts.phantom()));
    const cachedFirst = await sendFrom(authorizer, 'rest-request', cached, LEGITIMATE);

    const legitimate = (async () => {
      await sleep(FLOOD_HEAD_START_MS);
      const outcomes = { cached: [] as OutcomeKind[], fresh: [] as OutcomeKind[] };
      for (const [i, token] of fresh.entries()) {
        outcomes.cached.push(await sendFrom(authorizer, 'rest-request', cached, LEGITIMATE));
        // Each from an address of its own, so that only the instance's budget can refuse it.
        outcomes.fresh.push(await sendFrom(authorizer, 'http-simple', token, `198.51.100.${20 + i}`));
        await sleep(100);
      }
      return outcomes;
    })();
    const tally = await flood(async (i) => {
      // A fresh address every time: each one's own budget is never what stops it.
      const outcome = await sendFrom(
        authorizer,
        'rest-request',
        randomBase64Url(43),
        `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      );
      return { label: 'well-shaped', outcome };
    }, legitimate);
    const { cached: cachedOutcomes, fresh: freshOutcomes } = await legitimate;
    console.info(`[faults] distributed flood: ${JSON.stringify(tally)}; fresh valid ${JSON.stringify(freshOutcomes)}`);

    expect(cachedFirst).toBe('allow');
    expect(cachedOutcomes).toEqual(Array(VALID_TOKENS).fill('allow'));
    // A fresh token is allowed only if it happens to win a permit the flood has not taken yet.
    expect(freshOutcomes.every((outcome) => outcome === 'error' || outcome === 'allow')).toBe(true);
    expect(freshOutcomes).toContain('error');
    expect(tally['well-shaped']?.allow ?? 0).toBe(0);
  }, 60_000);

  it('wrote no token, JWT, record or secret to any log line', () => {
    expect(logs.leaks).toEqual([]);
  });
});
