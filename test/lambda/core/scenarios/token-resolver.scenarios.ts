import assert from 'node:assert/strict';
import { isDependencyError } from '../../../../lambda/core/dependency-error.ts';
import { splitCompact } from '../../../support/test-issuer.ts';
import { INTROSPECTOR_ID, ResolverFixture, randomOpaqueToken, storeOutage } from './resolver-fixture.ts';
import type { Scenario } from './scenario.ts';

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function assertDependencyFailure(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => isDependencyError(error) && error.code === code);
}

export const tokenResolverScenarios: Scenario[] = [
  {
    name: 'a split token resolves to its verified JWT with subject, scope and client',
    async run() {
      const fixture = await ResolverFixture.create();
      const { opaque, jwt } = await fixture.issueSplitToken();

      const decision = await fixture.resolve(opaque);

      assert.equal(decision.effect, 'allow');
      assert.ok(decision.effect === 'allow');
      assert.equal(decision.token.tokenType, 'split');
      assert.equal(decision.token.jwt, jwt);
      assert.equal(decision.token.subject, 'user-1');
      assert.equal(decision.token.scope, 'orders:read');
      assert.equal(decision.token.clientId, 'client-1');
      assert.equal(fixture.introspector.calls, 0);
    },
  },
  {
    name: 'records keyed by SHA-384 or SHA-512 resolve when that hash is configured',
    async run() {
      for (const hashAlgorithm of ['SHA-384', 'SHA-512'] as const) {
        const fixture = await ResolverFixture.create({ hashAlgorithm, phantom: false });
        const { opaque } = await fixture.issueSplitToken();

        const decision = await fixture.resolve(opaque);

        assert.equal(decision.effect, 'allow', hashAlgorithm);
      }
    },
  },
  {
    name: 'a record keyed by another hash algorithm is unknown',
    async run() {
      const fixture = await ResolverFixture.create({ hashAlgorithm: 'SHA-256', phantom: false });
      const jwt = await fixture.issuer.mint();
      const { headAndBody, signature } = splitCompact(jwt);
      const { hashToken } = await import('../../../../lambda/core/token-hash.ts');
      fixture.store.records.set(await hashToken(signature, 'SHA-512'), { headAndBody, expiration: nowSeconds() + 300 });

      const decision = await fixture.resolve(signature);

      assert.deepEqual([decision.effect, decision.effect === 'deny' && decision.reason], ['deny', 'unknown']);
    },
  },
  {
    name: 'a record whose expiration has passed is refused even though the table still holds it',
    async run() {
      const fixture = await ResolverFixture.create();
      const { opaque, key } = await fixture.issueSplitToken();
      const record = fixture.store.records.get(key);
      assert.ok(record);
      fixture.store.records.set(key, { ...record, expiration: nowSeconds() - 3600 });

      const decision = await fixture.resolve(opaque);

      assert.equal(decision.effect, 'deny');
      assert.ok(decision.effect === 'deny');
      assert.equal(decision.error, 'invalid_token');
      assert.equal(decision.reason, 'expired_record');
      assert.equal(fixture.introspector.calls, 0, 'a known split token never falls back to introspection');
    },
  },
  {
    name: 'a tampered head_and_body fails signature verification: a table write cannot forge a token',
    async run() {
      const fixture = await ResolverFixture.create();
      const { opaque, key } = await fixture.issueSplitToken();
      const record = fixture.store.records.get(key);
      assert.ok(record);
      const [header, payload] = record.headAndBody.split('.');
      const claims = JSON.parse(atob((payload ?? '').replace(/-/g, '+').replace(/_/g, '/')));
      const forged = btoa(JSON.stringify({ ...claims, scope: 'orders:read orders:write admin' }))
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '');
      fixture.store.records.set(key, { ...record, headAndBody: `${header}.${forged}` });

      const decision = await fixture.resolve(opaque);

      assert.deepEqual([decision.effect, decision.effect === 'deny' && decision.reason], ['deny', 'invalid_signature']);
    },
  },
  {
    name: 'halves of two tokens swapped do not verify',
    async run() {
      const fixture = await ResolverFixture.create({ phantom: false });
      const first = await fixture.issueSplitToken();
      const second = await fixture.issueSplitToken(await fixture.issuer.mint({ sub: 'user-2' }));
      const firstRecord = fixture.store.records.get(first.key);
      const secondRecord = fixture.store.records.get(second.key);
      assert.ok(firstRecord && secondRecord);
      fixture.store.records.set(first.key, secondRecord);

      const decision = await fixture.resolve(first.opaque);

      assert.deepEqual([decision.effect, decision.effect === 'deny' && decision.reason], ['deny', 'invalid_signature']);
    },
  },
  {
    name: 'an unknown opaque token is refused without introspection when the fallback is off',
    async run() {
      const fixture = await ResolverFixture.create({ phantom: false });

      const decision = await fixture.resolve(randomOpaqueToken());

      assert.deepEqual([decision.effect, decision.effect === 'deny' && decision.reason], ['deny', 'unknown']);
      assert.equal(fixture.store.reads, 1);
    },
  },
  {
    name: 'an unknown token falls back to RFC 9701 introspection and resolves to the signed answer',
    async run() {
      const fixture = await ResolverFixture.create();
      fixture.answerIntrospection({
        active: true,
        sub: 'user-9',
        scope: 'orders:read',
        client_id: 'phantom-client',
        token_type: 'Bearer',
        aud: fixture.issuer.audience,
        exp: nowSeconds() + 300,
        iss: fixture.issuer.issuer,
      });

      const decision = await fixture.resolve('opaque-phantom-token-0123456789');

      assert.equal(decision.effect, 'allow');
      assert.ok(decision.effect === 'allow');
      assert.equal(decision.token.tokenType, 'phantom');
      assert.equal(decision.token.subject, 'user-9');
      assert.equal(decision.token.clientId, 'phantom-client');
      assert.equal(fixture.store.reads, 0, 'a token that cannot be a signature skips the table');
    },
  },
  {
    name: 'introspection saying inactive, directly or inside the signed answer, is a 401',
    async run() {
      const fixture = await ResolverFixture.create();
      const direct = await fixture.resolve('inactive-token-1');
      fixture.answerIntrospection({ active: false });
      const signed = await fixture.resolve('inactive-token-2');

      for (const decision of [direct, signed]) {
        assert.deepEqual([decision.effect, decision.effect === 'deny' && decision.reason], ['deny', 'inactive']);
      }
    },
  },
  {
    name: 'an RFC 9701 answer for another audience or past its exp is refused',
    async run() {
      const fixture = await ResolverFixture.create();
      fixture.answerIntrospection(fixture.activeAccessToken({ aud: 'https://other-api.test' }));
      const otherAudience = await fixture.resolve('phantom-a');
      fixture.answerIntrospection(fixture.activeAccessToken({ exp: nowSeconds() - 600 }));
      const expired = await fixture.resolve('phantom-b');

      assert.deepEqual(otherAudience.effect === 'deny' && otherAudience.reason, 'invalid_claims');
      assert.deepEqual(expired.effect === 'deny' && expired.reason, 'expired');
    },
  },
  {
    name: 'an introspection answer signed by another key is refused',
    async run() {
      const fixture = await ResolverFixture.create();
      const stranger = await ResolverFixture.create();
      fixture.introspector.answer = async () => ({
        kind: 'signed',
        jwt: await stranger.issuer.mintIntrospectionAnswer({ active: true, exp: nowSeconds() + 60 }, INTROSPECTOR_ID),
        format: 'token-introspection+jwt',
      });

      const decision = await fixture.resolve('phantom-c');

      assert.deepEqual(decision.effect === 'deny' && decision.reason, 'invalid_signature');
    },
  },
  {
    name: 'the application/jwt form verifies the returned access token itself',
    async run() {
      const fixture = await ResolverFixture.create();
      const accessToken = await fixture.issuer.mint({ sub: 'user-7' });
      fixture.introspector.answer = () => ({ kind: 'signed', jwt: accessToken, format: 'jwt' });

      const decision = await fixture.resolve('phantom-d');

      assert.ok(decision.effect === 'allow');
      assert.equal(decision.token.jwt, accessToken);
      assert.equal(decision.token.subject, 'user-7');
    },
  },
  {
    name: 'a plain JWT is verified directly only when JWT validation is on',
    async run() {
      const on = await ResolverFixture.create({ jwtValidationEnabled: true, phantom: false });
      const off = await ResolverFixture.create({ jwtValidationEnabled: false, phantom: false });
      const jwtForOn = await on.issuer.mint();
      const jwtForOff = await off.issuer.mint();

      const accepted = await on.resolve(jwtForOn);
      const refused = await off.resolve(jwtForOff);

      assert.ok(accepted.effect === 'allow');
      assert.equal(accepted.token.tokenType, 'jwt');
      assert.deepEqual(refused.effect === 'deny' && refused.reason, 'jwt_not_accepted');
    },
  },
  {
    name: 'a plain JWT is accepted only from a client meant to hold JWTs: another client, or none, is refused without I/O',
    async run() {
      const fixture = await ResolverFixture.create({ jwtValidationEnabled: true, jwtClientIds: ['jwt-client'] });
      const { jwt: splitJwt } = await fixture.issueSplitToken(await fixture.issuer.mint({ client_id: 'split-client' }));
      const held = await fixture.issuer.mint({ client_id: 'jwt-client' });
      const noClient = await fixture.issuer.mint({}, { omit: ['client_id'] });
      const lookalike = await fixture.issuer.mint({ client_id: 'JWT-CLIENT' });
      const reads = fixture.store.reads;

      const decisions = await Promise.all([splitJwt, noClient, lookalike].map((jwt) => fixture.resolve(jwt)));
      const accepted = await fixture.resolve(held);

      for (const decision of decisions) {
        assert.equal(decision.effect, 'deny');
        assert.equal(decision.effect === 'deny' && decision.reason, 'jwt_not_accepted');
      }
      assert.equal(fixture.store.reads, reads);
      assert.equal(fixture.introspector.calls, 0);
      assert.ok(accepted.effect === 'allow');
      assert.equal(accepted.token.clientId, 'jwt-client');
    },
  },
  {
    name: 'a JWT is never introspected: a split token JWT the AS would call active is refused without asking it',
    async run() {
      const fixture = await ResolverFixture.create({ jwtValidationEnabled: false });
      const { jwt } = await fixture.issueSplitToken(await fixture.issuer.mint({ client_id: 'split-client' }));
      // An authorization server that introspects its own JWTs (as some do) would answer active.
      fixture.introspector.answer = () => ({ kind: 'signed', jwt, format: 'jwt' });

      const decision = await fixture.resolve(jwt);

      assert.equal(decision.effect === 'deny' && decision.reason, 'jwt_not_accepted');
      assert.equal(fixture.introspector.calls, 0);
      assert.equal(fixture.store.reads, 0);
    },
  },
  {
    name: 'a cached token lives the cache time from when it was looked up, not from when a slow read answered',
    async run() {
      const fixture = await ResolverFixture.create({ cacheTtlSeconds: 2 });
      const { opaque, key } = await fixture.issueSplitToken();
      const lookedUpAt = fixture.nowMs;
      // The record is read at lookedUpAt, revoked at once, and the read answers 900 ms later.
      fixture.store.duringRead = () => {
        fixture.store.records.delete(key);
        fixture.nowMs += 900;
      };

      const first = await fixture.resolve(opaque);
      fixture.store.duringRead = undefined;
      fixture.nowMs = lookedUpAt + 1_999;
      const withinBound = await fixture.resolve(opaque);
      fixture.nowMs = lookedUpAt + 2_001;
      const pastBound = await fixture.resolve(opaque);

      assert.equal(first.effect, 'allow');
      assert.ok(withinBound.effect === 'allow' && withinBound.cached);
      assert.equal(pastBound.effect, 'deny');
    },
  },
  {
    name: 'a split token presented as its whole JWT is refused when JWT validation is off',
    async run() {
      const fixture = await ResolverFixture.create({ phantom: false });
      const { jwt } = await fixture.issueSplitToken();

      const decision = await fixture.resolve(jwt);

      assert.equal(decision.effect, 'deny');
      assert.equal(fixture.store.reads, 0);
    },
  },
  {
    name: 'a valid token without the route scope is denied with insufficient_scope',
    async run() {
      const fixture = await ResolverFixture.create();
      const { opaque } = await fixture.issueSplitToken();

      const decision = await fixture.resolve(opaque, { method: 'POST', path: '/orders' });

      assert.ok(decision.effect === 'deny');
      assert.equal(decision.error, 'insufficient_scope');
      assert.equal(decision.token?.subject, 'user-1');
    },
  },
  {
    name: 'a cached token is checked against each route scope rule again',
    async run() {
      const fixture = await ResolverFixture.create();
      const { opaque } = await fixture.issueSplitToken();

      const read = await fixture.resolve(opaque, { method: 'GET', path: '/orders' });
      const write = await fixture.resolve(opaque, { method: 'POST', path: '/orders' });

      assert.equal(read.effect, 'allow');
      assert.ok(write.effect === 'deny');
      assert.equal(write.error, 'insufficient_scope');
      assert.equal(fixture.store.reads, 1, 'the second call is a cache hit');
    },
  },
  {
    name: 'the cache never outlives the token exp',
    async run() {
      const fixture = await ResolverFixture.create({ cacheTtlSeconds: 3600 });
      const { opaque } = await fixture.issueSplitToken(await fixture.issuer.mint({}, { expiresInSeconds: 20 }));
      assert.equal((await fixture.resolve(opaque)).effect, 'allow');

      fixture.nowMs += 60_000;
      const decision = await fixture.resolve(opaque);

      assert.equal(decision.effect, 'deny');
      assert.equal(fixture.store.reads, 2, 'the expired entry was not served from the cache');
    },
  },
  {
    name: 'a deleted record stops working once the cache time has passed',
    async run() {
      const fixture = await ResolverFixture.create({ cacheTtlSeconds: 10, phantom: false });
      const { opaque, key } = await fixture.issueSplitToken();
      assert.equal((await fixture.resolve(opaque)).effect, 'allow');
      fixture.store.records.delete(key);

      const withinCacheTime = await fixture.resolve(opaque);
      fixture.nowMs += 11_000;
      const afterCacheTime = await fixture.resolve(opaque);

      assert.equal(withinCacheTime.effect, 'allow');
      assert.deepEqual(afterCacheTime.effect === 'deny' && afterCacheTime.reason, 'unknown');
    },
  },
  {
    name: 'a store outage throws a dependency error, is not cached, and recovery needs no restart',
    async run() {
      const fixture = await ResolverFixture.create();
      const { opaque } = await fixture.issueSplitToken();
      fixture.store.failure = storeOutage();

      await assertDependencyFailure(fixture.resolve(opaque), 'token_store_unavailable');
      assert.equal(fixture.introspector.calls, 0, 'an outage is not a miss: no fallback');
      fixture.store.failure = undefined;
      const recovered = await fixture.resolve(opaque);

      assert.equal(recovered.effect, 'allow');
    },
  },
  {
    name: 'introspection calls past the rate limit fail closed instead of reaching the server',
    async run() {
      const fixture = await ResolverFixture.create({ introspectionBurst: 5, split: false });

      const outcomes: string[] = [];
      for (let i = 0; i < 20; i++) {
        try {
          outcomes.push((await fixture.resolve(`random-token-${i}`)).effect);
        } catch (error) {
          outcomes.push(isDependencyError(error) ? error.code : 'other');
        }
      }

      assert.equal(fixture.introspector.calls, 5);
      assert.equal(outcomes.filter((o) => o === 'introspection_rate_limited').length, 15);
      assert.ok(!outcomes.includes('allow'));
    },
  },
  {
    name: 'malformed and oversized credentials are refused before any I/O',
    async run() {
      const fixture = await ResolverFixture.create();
      const headers = [
        undefined,
        '',
        'Basic abc',
        'Bearer',
        'Bearer ',
        'Bearer a b',
        `Bearer ${'a'.repeat(5000)}`,
        'Bearer ä',
      ];

      for (const authorization of headers) {
        const decision = await fixture.resolver.resolve({
          authorization,
          targets: [{ method: 'GET', path: '/orders' }],
        });
        assert.equal(decision.effect, 'deny', String(authorization).slice(0, 20));
      }

      assert.equal(fixture.store.reads + fixture.introspector.calls, 0);
    },
  },
  {
    name: 'a required typ refuses tokens of another type',
    async run() {
      const fixture = await ResolverFixture.create({ requiredTokenType: 'at+jwt', phantom: false });
      const { opaque } = await fixture.issueSplitToken(await fixture.issuer.mint({}, { header: { typ: 'JWT' } }));

      const decision = await fixture.resolve(opaque);

      assert.deepEqual(decision.effect === 'deny' && decision.reason, 'invalid_claims');
    },
  },
];
