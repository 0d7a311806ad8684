import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_FORMATS } from '../support/api-gateway-events.ts';
import { describeOutcome } from '../support/authorizer-outcome.ts';
import { tokenMutation } from '../support/hostile-arbitraries.ts';
import { InProcessAuthorizer, PROPERTY_ROUTES, type ValidCredential } from '../support/in-process-authorizer.ts';

/** Cases per (token kind, JWT validation setting) pair. */
const MUTATION_RUNS = Number(process.env.HOSTILE_MUTATION_RUNS ?? 6000);

for (const jwtValidationEnabled of [false, true]) {
  describe(`mutated valid tokens (JWT validation ${jwtValidationEnabled ? 'on' : 'off'})`, () => {
    let harness: InProcessAuthorizer;
    let byKind: Record<'split' | 'jwt' | 'phantom', ValidCredential[]>;
    let cases = 0;
    const tally: Record<string, number> = {};

    beforeAll(async () => {
      harness = await InProcessAuthorizer.create({ jwtValidationEnabled });
      harness.logs.install();
      byKind = { split: [], jwt: [], phantom: [] };
      for (const algorithm of ['RS256', 'ES256', 'EdDSA'] as const) {
        byKind.split.push(await harness.addSplitToken('orders:read orders:write', algorithm));
        byKind.jwt.push(await harness.addJwtToken('orders:read', algorithm));
      }
      byKind.split.push(await harness.addSplitToken('orders:read'));
      byKind.phantom.push(await harness.addPhantomToken('orders:read orders:write'));
      byKind.phantom.push(await harness.addPhantomToken('orders:write'));
    });

    afterAll(() => {
      harness.logs.uninstall();
      console.info(
        `[hostile] token mutation (JWT validation ${jwtValidationEnabled}): ${cases} cases ${JSON.stringify(tally)}`,
      );
    });

    for (const kind of ['split', 'jwt', 'phantom'] as const) {
      it(`a ${kind} token changed in any way is never allowed unless byte-identical to a valid token`, async () => {
        const all = () => [...byKind.split, ...byKind.jwt, ...byKind.phantom];
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...byKind[kind]),
            fc.array(tokenMutation(all), { minLength: 0, maxLength: 3 }),
            fc.constantFrom(...EVENT_FORMATS),
            fc.constantFrom(...PROPERTY_ROUTES),
            async (valid, mutations, format, route) => {
              cases++;
              const token = mutations.reduce((t, mutate) => mutate(t), valid.credential);
              const header = `Bearer ${token}`;
              harness.logs.watch('mutated token', token);
              const expected = harness.expected(header, route);

              const outcome = await harness.send(format, header, route);
              tally[outcome.kind] = (tally[outcome.kind] ?? 0) + 1;

              if (outcome.kind !== expected.kind)
                throw new Error(`expected ${expected.kind}, got ${describeOutcome(outcome)}`);
              if (outcome.kind === 'allow') {
                if (!harness.valid.has(token))
                  throw new Error('allowed a token that is not byte-identical to a valid one');
                if (expected.kind !== 'allow' || outcome.context.jwt !== expected.jwt)
                  throw new Error('wrong JWT in context');
              }
            },
          ),
          { numRuns: MUTATION_RUNS },
        );
      }, 120_000);
    }

    it('wrote no token, JWT, record or secret to any log line', () => {
      expect(harness.logs.leaks).toEqual([]);
    });
  });
}
