import assert from 'node:assert/strict';
import { hasOpaqueTokenShape, opaqueTokenShapeProblem } from '../../../../lambda/core/opaque-token-shape.ts';
import { SourceRateLimiter, sourceKeyOf } from '../../../../lambda/core/source-rate-limiter.ts';
import type { Scenario } from './scenario.ts';

/** Curity's opaque access token as its published examples show it: `_0XBPWQQ_` and a UUID. */
const CURITY_SHAPE = { prefix: '_0XBPWQQ_', minLength: 45, maxLength: 45, charset: 'uuid' } as const;

/** The per-source introspection budget and the opaque token shape filter (DESIGN invariant 8). */
export const floodGuardScenarios: Scenario[] = [
  {
    name: 'the per-source limiter keeps at most maxSources buckets, forgetting the least recently seen',
    run() {
      const limiter = new SourceRateLimiter({ ratePerSecond: 0, burst: 1, maxSources: 3 });
      const first = ['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((source) => limiter.tryTake(source, 0));
      const againFirst = limiter.tryTake('192.0.2.1', 0);
      for (let i = 4; i < 1000; i++) limiter.tryTake(`192.0.2.${i % 250}`, 0);
      const size = limiter.size;

      assert.deepEqual(first, [true, true, true]);
      assert.equal(againFirst, false, 'a source that spent its burst is refused');
      assert.equal(size, 3);
    },
  },
  {
    name: 'a source forgotten under pressure comes back with a full bucket; one seen recently keeps its state',
    run() {
      const limiter = new SourceRateLimiter({ ratePerSecond: 0, burst: 1, maxSources: 2 });
      limiter.tryTake('198.51.100.1', 0);
      limiter.tryTake('198.51.100.2', 0);
      limiter.tryTake('198.51.100.2', 0);
      limiter.tryTake('198.51.100.3', 0); // forgets .1, the least recently seen

      assert.equal(limiter.tryTake('198.51.100.3', 0), false);
      assert.equal(limiter.tryTake('198.51.100.1', 0), true);
    },
  },
  {
    name: 'an IPv6 source counts by its /56 (one subscriber, not 256 budgets), an IPv4-mapped one by its IPv4 address',
    run() {
      assert.equal(sourceKeyOf('2001:db8:1:2::1'), sourceKeyOf('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff'));
      assert.equal(sourceKeyOf('2001:db8:1:200::1'), sourceKeyOf('2001:db8:1:2ff::1'));
      assert.notEqual(sourceKeyOf('2001:db8:1:2ff::1'), sourceKeyOf('2001:db8:1:300::1'));
      assert.equal(sourceKeyOf('::ffff:192.0.2.10'), '192.0.2.10');
      assert.equal(sourceKeyOf('192.0.2.10'), '192.0.2.10');
      assert.notEqual(sourceKeyOf('192.0.2.10'), sourceKeyOf('192.0.2.11'));
      assert.equal(sourceKeyOf('::1'), sourceKeyOf('0:0:0:0:0:0:0:2'));
      assert.equal(sourceKeyOf('not:an:address'), 'not:an:address');
    },
  },
  {
    name: 'the opaque token shape matches oidc-provider and Curity tokens and nothing else of theirs',
    run() {
      const oidcProvider = { minLength: 43, maxLength: 43, charset: 'base64url' } as const;
      const curityExample = '_0XBPWQQ_d18ee5e3-464a-4a86-bb7f-152364daa54e';

      assert.ok(hasOpaqueTokenShape('a3jz6xNSH0enNXA9H0a-cVS6qDp1WG1OXDI1yCIcSXw', oidcProvider));
      assert.ok(!hasOpaqueTokenShape('a3jz6xNSH0enNXA9H0a-cVS6qDp1WG1OXDI1yCIcSX', oidcProvider));
      assert.ok(!hasOpaqueTokenShape('a3jz6xNSH0enNXA9H0a+cVS6qDp1WG1OXDI1yCIcSXw', oidcProvider));
      assert.ok(hasOpaqueTokenShape(curityExample, CURITY_SHAPE));
      assert.ok(!hasOpaqueTokenShape(curityExample.replace('_0X', '_1X'), CURITY_SHAPE), 'a refresh token prefix');
      assert.ok(!hasOpaqueTokenShape(curityExample.replace('-464a', 'x464a'), CURITY_SHAPE));
      assert.ok(!hasOpaqueTokenShape(curityExample.replace('d18e', 'g18e'), CURITY_SHAPE));
      assert.ok(hasOpaqueTokenShape('0123456789abcdefABCDEF', { minLength: 1, maxLength: 64, charset: 'hex' }));
      assert.ok(!hasOpaqueTokenShape('0123456789abcdefg', { minLength: 1, maxLength: 64, charset: 'hex' }));
      assert.ok(hasOpaqueTokenShape('a~b+c/d=', { minLength: 1, maxLength: 64, charset: 'token68' }));
    },
  },
  {
    name: 'a shape that can describe no token is reported',
    run() {
      assert.equal(opaqueTokenShapeProblem(CURITY_SHAPE), undefined);
      assert.match(opaqueTokenShapeProblem({ minLength: 0, maxLength: 10, charset: 'base64url' }) ?? '', /minimum/);
      assert.match(opaqueTokenShapeProblem({ minLength: 10, maxLength: 9, charset: 'base64url' }) ?? '', /maximum/);
      assert.match(
        opaqueTokenShapeProblem({ prefix: 'abc def', minLength: 10, maxLength: 20, charset: 'base64url' }) ?? '',
        /prefix/,
      );
      assert.match(opaqueTokenShapeProblem({ ...CURITY_SHAPE, maxLength: 44, minLength: 44 }) ?? '', /UUID/);
    },
  },
];
