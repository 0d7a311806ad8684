import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_FORMATS, type EventFormat } from '../support/api-gateway-events.ts';
import { describeOutcome } from '../support/authorizer-outcome.ts';
import {
  anyString,
  BASE64URL_ALPHABET,
  bearerScheme,
  headerFromBytes,
  NON_TOKEN68_CHARACTERS,
  separator,
  stringOver,
  TOKEN68_ALPHABET,
} from '../support/hostile-arbitraries.ts';
import { InProcessAuthorizer, PROPERTY_ROUTES } from '../support/in-process-authorizer.ts';

/** Cases per event format; four formats. */
const HEADER_RUNS = Number(process.env.HOSTILE_HEADER_RUNS ?? 9000);
const BYTES_RUNS = Number(process.env.HOSTILE_BYTES_RUNS ?? 2500);
const WHOLE_EVENT_RUNS = Number(process.env.HOSTILE_EVENT_BYTES_RUNS ?? 4000);

describe('any Authorization header value, through every event format', () => {
  let harness: InProcessAuthorizer;
  let credentials: string[];
  let cases = 0;
  const tally: Record<string, number> = {};

  beforeAll(async () => {
    harness = await InProcessAuthorizer.create({ jwtValidationEnabled: true });
    harness.logs.install();
    await harness.addSplitToken('orders:read orders:write');
    await harness.addSplitToken('orders:read', 'ES256');
    await harness.addSplitToken('orders:write', 'EdDSA');
    await harness.addJwtToken('orders:read');
    await harness.addPhantomToken('orders:read orders:write');
    await harness.addPhantomToken('');
    credentials = [...harness.valid.keys()];
  });

  afterAll(() => {
    harness.logs.uninstall();
    console.info(`[hostile] header fuzzing: ${cases} cases ${JSON.stringify(tally)}`);
  });

  /** Headers built around valid credentials, so that allows and near misses are common. */
  const nearValid = () => {
    const credential = fc.constantFrom(...credentials);
    return fc.oneof(
      fc.tuple(bearerScheme, separator, credential).map(([scheme, gap, token]) => `${scheme}${gap}${token}`),
      fc
        .tuple(bearerScheme, credential, fc.constantFrom(...NON_TOKEN68_CHARACTERS), fc.nat())
        .map(([scheme, token, char, at]) => {
          const cut = at % (token.length + 1);
          return `${scheme} ${token.slice(0, cut)}${char}${token.slice(cut)}`;
        }),
      fc
        .tuple(credential, fc.constantFrom(' ', '  ', '\t', '\n', ',', ', Bearer x'))
        .map(([token, junk]) => `Bearer ${token}${junk}`),
      fc.tuple(credential, anyString(20)).map(([token, prefix]) => `${prefix}Bearer ${token}`),
      fc
        .tuple(credential, fc.integer({ min: 4096, max: 70_000 }))
        .map(([token, size]) => `Bearer ${token}`.padEnd(size, 'A')),
      credential,
      credential.map((token) => `Basic ${token}`),
    );
  };

  const anyHeader = () =>
    fc.oneof(
      { weight: 3, arbitrary: anyString(300) },
      { weight: 3, arbitrary: anyString(300).map((rest) => `Bearer ${rest}`) },
      {
        weight: 3,
        arbitrary: fc
          .tuple(bearerScheme, separator, stringOver(TOKEN68_ALPHABET, { minLength: 0, maxLength: 400 }))
          .map(([scheme, gap, token]) => `${scheme}${gap}${token}`),
      },
      {
        weight: 2,
        arbitrary: stringOver(BASE64URL_ALPHABET, { minLength: 86, maxLength: 400 }).map((token) => `Bearer ${token}`),
      },
      {
        weight: 2,
        arbitrary: fc
          .array(stringOver(BASE64URL_ALPHABET, { maxLength: 60 }), { minLength: 3, maxLength: 3 })
          .map((parts) => `Bearer ${parts.join('.')}`),
      },
      { weight: 4, arbitrary: nearValid() },
    );

  async function check(format: EventFormat, header: string, route: (typeof PROPERTY_ROUTES)[number]): Promise<void> {
    cases++;
    harness.logs.watch('fuzzed header', header);
    const expected = harness.expected(header, route);

    const outcome = await harness.send(format, header, route);
    tally[outcome.kind] = (tally[outcome.kind] ?? 0) + 1;

    if (outcome.kind !== expected.kind) {
      throw new Error(`expected ${expected.kind}, got ${describeOutcome(outcome)}`);
    }
    if (outcome.kind === 'allow' && expected.kind === 'allow') {
      if (outcome.context.jwt !== expected.jwt || outcome.context.authorization !== `Bearer ${expected.jwt}`) {
        throw new Error('allowed with a context that does not carry the verified JWT');
      }
    }
  }

  for (const format of EVENT_FORMATS) {
    it(`${format}: every header value ends in the exact expected allow, 403 or 401, never a crash`, async () => {
      await fc.assert(
        fc.asyncProperty(anyHeader(), fc.constantFrom(...PROPERTY_ROUTES), (header, route) =>
          check(format, header, route),
        ),
        { numRuns: HEADER_RUNS },
      );
    }, 120_000);

    it(`${format}: any bytes as the header value are refused with 401, never a crash`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            headerFromBytes,
            headerFromBytes.map((value) => `Bearer ${value}`),
          ),
          fc.constantFrom(...PROPERTY_ROUTES),
          (header, route) => check(format, header, route),
        ),
        { numRuns: BYTES_RUNS },
      );
    }, 120_000);
  }

  it('any bytes or value as the whole event are refused with 401, never a crash', async () => {
    const anyEvent = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
      fc.jsonValue(),
      fc.anything(),
      fc.string().map((text) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return text;
        }
      }),
    );
    await fc.assert(
      fc.asyncProperty(anyEvent, fc.constantFrom(...EVENT_FORMATS), async (event, format) => {
        cases++;
        let error: unknown;
        try {
          await harness.authorizerFor(format)(event);
        } catch (thrown) {
          error = thrown;
        }
        expect((error as Error | undefined)?.message).toBe('Unauthorized');
      }),
      { numRuns: WHOLE_EVENT_RUNS },
    );
  }, 120_000);

  it('wrote no token, JWT, record or secret to any log line', () => {
    expect(harness.logs.lineCount).toBeGreaterThan(cases / 2);
    expect(harness.logs.leaks).toEqual([]);
  });
});
