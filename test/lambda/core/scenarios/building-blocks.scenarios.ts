import assert from 'node:assert/strict';
import { readBearerCredential } from '../../../../lambda/core/bearer-credential.ts';
import { TokenBucket } from '../../../../lambda/core/rate-limiter.ts';
import type { ResolvedToken } from '../../../../lambda/core/resolved-token.ts';
import { ResolvedTokenCache } from '../../../../lambda/core/resolved-token-cache.ts';
import { scopesOf } from '../../../../lambda/core/route-scopes.ts';
import { hashToken } from '../../../../lambda/core/token-hash.ts';
import type { Scenario } from './scenario.ts';

const token = (expiresAtSeconds: number): ResolvedToken => ({
  tokenType: 'split',
  jwt: 'h.p.s',
  claims: {},
  subject: 's',
  scope: '',
  scopes: new Set(),
  clientId: undefined,
  expiresAtSeconds,
  tokenId: 'id',
});

export const buildingBlockScenarios: Scenario[] = [
  {
    name: 'token hashes are standard Base64 with padding, as Curity writes them',
    async run() {
      // SHA-256("abc") from FIPS 180-2, in standard Base64.
      assert.equal(await hashToken('abc', 'SHA-256'), 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=');
      assert.equal((await hashToken('abc', 'SHA-384')).length, 64);
      assert.ok((await hashToken('abc', 'SHA-512')).endsWith('=='));
    },
  },
  {
    name: 'the bearer scheme is case-insensitive and takes one or more spaces',
    run() {
      for (const header of ['Bearer abc', 'bearer abc', 'BEARER abc', 'Bearer   abc']) {
        assert.deepEqual(readBearerCredential(header, 100), { ok: true, token: 'abc', shape: 'opaque' }, header);
      }
    },
  },
  {
    name: 'credentials outside token68, other schemes and oversized headers are typed problems',
    run() {
      const cases: [unknown, string][] = [
        [undefined, 'missing'],
        [42, 'missing'],
        ['Basic dXNlcjpwYXNz', 'wrong_scheme'],
        ['Bearer', 'wrong_scheme'],
        ['Bearerabc', 'wrong_scheme'],
        [' Bearer abc', 'wrong_scheme'],
        ['Bearer abc def', 'malformed'],
        ['Bearer abc,Bearer def', 'malformed'],
        ['Bearer a=b', 'malformed'],
        ['Bearer ', 'malformed'],
        ['Bearer abc\n', 'malformed'],
        ['Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'malformed'],
        [`Bearer ${'x'.repeat(200)}`, 'too_long'],
      ];
      for (const [header, problem] of cases) {
        assert.deepEqual(readBearerCredential(header, 100), { ok: false, problem }, JSON.stringify(header));
      }
    },
  },
  {
    name: 'three dot-separated base64url parts are read as a JWT',
    run() {
      const result = readBearerCredential('Bearer aGVhZA.Ym9keQ.c2ln', 100);
      assert.ok(result.ok);
      assert.equal(result.shape, 'jwt');
    },
  },
  {
    name: 'scopes come from the scope string or an scp array',
    run() {
      assert.deepEqual([...scopesOf({ scope: 'a  b' })], ['a', 'b']);
      assert.deepEqual([...scopesOf({ scp: ['a', 3, 'b'] })], ['a', 'b']);
      assert.deepEqual([...scopesOf({ scope: 7 })], []);
    },
  },
  {
    name: 'the cache evicts the least recently used entry when full',
    run() {
      const cache = new ResolvedTokenCache({ maxEntries: 2, ttlSeconds: 60 });
      const now = 1_000_000;
      cache.set('a', token(now / 1000 + 60), now);
      cache.set('b', token(now / 1000 + 60), now);
      cache.get('a', now);
      cache.set('c', token(now / 1000 + 60), now);

      assert.ok(cache.get('a', now));
      assert.equal(cache.get('b', now), undefined);
      assert.ok(cache.get('c', now));
      assert.equal(cache.size, 2);
    },
  },
  {
    name: 'a cache entry ends at the earlier of its ttl and the token exp',
    run() {
      const cache = new ResolvedTokenCache({ maxEntries: 10, ttlSeconds: 60 });
      cache.set('short', token(1010), 1_000_000);
      cache.set('long', token(5000), 1_000_000);
      cache.set('expired', token(999), 1_000_000);

      assert.ok(cache.get('short', 1_009_999));
      assert.equal(cache.get('short', 1_010_000), undefined);
      assert.ok(cache.get('long', 1_059_999));
      assert.equal(cache.get('long', 1_060_000), undefined);
      assert.equal(cache.get('expired', 1_000_000), undefined);
    },
  },
  {
    name: 'the token bucket allows a burst, then the sustained rate',
    run() {
      const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3 });
      const burst = [0, 0, 0, 0].map(() => bucket.tryTake(0));
      const afterTenthOfASecond = bucket.tryTake(100);
      const immediatelyAgain = bucket.tryTake(100);

      assert.deepEqual(burst, [true, true, true, false]);
      assert.equal(afterTenthOfASecond, true);
      assert.equal(immediatelyAgain, false);
    },
  },
];
