import assert from 'node:assert/strict';
import { isDependencyError } from '../../../../lambda/core/dependency-error.ts';
import type { Decision } from '../../../../lambda/core/resolved-token.ts';
import { SourceRateLimiter } from '../../../../lambda/core/source-rate-limiter.ts';
import { ResolverFixture, randomOpaqueToken } from './resolver-fixture.ts';
import type { Scenario } from './scenario.ts';

const reasonOf = (decision: Decision): string => (decision.effect === 'deny' ? decision.reason : decision.effect);

/** A JWK thumbprint-shaped value (RFC 7638 SHA-256, base64url); the gateway never computes it here. */
const SOME_JKT = 'yUE6goJrnNEHlW8pCgAl-hJEA6hC02hy3H1HU9JnYNc';

async function outcomeOf(promise: Promise<Decision>): Promise<string> {
  try {
    return reasonOf(await promise);
  } catch (error) {
    return isDependencyError(error) ? error.code : 'other';
  }
}

/**
 * Issue 10, findings 1, 2 and 7 at the core: introspection answers count only for Bearer access
 * tokens for this API, bound tokens are refused on every path, and introspection is budgeted per
 * source and skipped for credentials the server cannot have issued.
 */
export const tokenCheckScenarios: Scenario[] = [
  {
    name: 'an introspection answer without token_type (a refresh token) is not an access token',
    async run() {
      const fixture = await ResolverFixture.create();
      // RFC 7662 section 2.2 as oidc-provider answers for a refresh token: active, no aud, no token_type.
      const refreshToken = fixture.activeAccessToken({ exp: Math.floor(fixture.nowMs / 1000) + 14 * 86_400 });
      delete refreshToken.aud;
      delete refreshToken.token_type;
      fixture.answerIntrospection(refreshToken);

      assert.equal(reasonOf(await fixture.resolve('refresh-token-0123456789')), 'not_access_token');
    },
  },
  {
    name: 'an answer without aud is refused unless the audience requirement is relaxed, and token_type stays required',
    async run() {
      const strict = await ResolverFixture.create();
      const relaxed = await ResolverFixture.create({ phantomOverrides: { requireAudience: false } });
      const withoutAudience = (fixture: ResolverFixture) => {
        const claims = fixture.activeAccessToken();
        delete claims.aud;
        return claims;
      };
      strict.answerIntrospection(withoutAudience(strict));
      relaxed.answerIntrospection(withoutAudience(relaxed));
      const strictDecision = await strict.resolve('no-audience-token-1');
      const relaxedDecision = await relaxed.resolve('no-audience-token-2');
      const otherAudience = relaxed.activeAccessToken({ aud: ['https://other-api.test'] });
      relaxed.answerIntrospection(otherAudience);
      const relaxedOther = await relaxed.resolve('other-audience-token');
      const noType = withoutAudience(relaxed);
      delete noType.token_type;
      relaxed.answerIntrospection(noType);
      const relaxedNoType = await relaxed.resolve('no-type-token');

      assert.equal(reasonOf(strictDecision), 'invalid_claims');
      assert.equal(reasonOf(relaxedDecision), 'allow');
      assert.equal(reasonOf(relaxedOther), 'invalid_claims', 'a present aud must still name this API');
      assert.equal(reasonOf(relaxedNoType), 'not_access_token');
    },
  },
  {
    name: 'an answer whose own iss is missing or names another issuer is refused',
    async run() {
      const fixture = await ResolverFixture.create();
      const missing = fixture.activeAccessToken();
      delete missing.iss;
      fixture.answerIntrospection(missing);
      const withoutIssuer = await fixture.resolve('no-issuer-token');
      fixture.answerIntrospection(fixture.activeAccessToken({ iss: 'https://another-issuer.test' }));
      const otherIssuer = await fixture.resolve('other-issuer-token');

      assert.equal(reasonOf(withoutIssuer), 'invalid_claims');
      assert.equal(reasonOf(otherIssuer), 'invalid_claims');
    },
  },
  {
    name: 'token_type Bearer is compared without regard to case; DPoP and unknown schemes are bindings not verified',
    async run() {
      const fixture = await ResolverFixture.create();
      const outcomes: Record<string, string> = {};
      for (const tokenType of ['Bearer', 'bearer', 'BEARER', 'DPoP', 'dpop', 'N_A']) {
        fixture.answerIntrospection(fixture.activeAccessToken({ token_type: tokenType }));
        outcomes[tokenType] = reasonOf(await fixture.resolve(`typed-token-${tokenType}`));
      }

      assert.deepEqual(outcomes, {
        Bearer: 'allow',
        bearer: 'allow',
        BEARER: 'allow',
        DPoP: 'binding_not_verified',
        dpop: 'binding_not_verified',
        N_A: 'binding_not_verified',
      });
    },
  },
  {
    name: 'an introspected Bearer token with a cnf (certificate-bound, RFC 8705) is refused without a client certificate',
    async run() {
      const fixture = await ResolverFixture.create();
      fixture.answerIntrospection(fixture.activeAccessToken({ cnf: { 'x5t#S256': SOME_JKT } }));

      assert.equal(reasonOf(await fixture.resolve('mtls-bound-token')), 'certificate_missing');
    },
  },
  {
    name: 'with DPoP off, a split token, a plain JWT and an application/jwt answer carrying cnf.jkt are refused and never cached',
    async run() {
      const split = await ResolverFixture.create({ phantom: false });
      const { opaque } = await split.issueSplitToken(await split.issuer.mint({ cnf: { jkt: SOME_JKT } }));
      const splitFirst = await split.resolve(opaque);
      const splitAgain = await split.resolve(opaque);

      const plain = await ResolverFixture.create({ phantom: false, jwtValidationEnabled: true });
      const plainJwt = await plain.issuer.mint({ cnf: { jkt: SOME_JKT } });
      const plainDecision = await plain.resolve(plainJwt);

      const phantomJwt = await ResolverFixture.create();
      const accessToken = await phantomJwt.issuer.mint({ cnf: { jkt: SOME_JKT } });
      phantomJwt.introspector.answer = () => ({ kind: 'signed', jwt: accessToken, format: 'jwt' });
      const phantomDecision = await phantomJwt.resolve('phantom-jwt-form-token');

      assert.equal(reasonOf(splitFirst), 'binding_not_verified');
      assert.equal(reasonOf(splitAgain), 'binding_not_verified');
      assert.equal(split.store.reads, 2, 'a refused bound token is looked up again, not served from the cache');
      assert.equal(reasonOf(plainDecision), 'binding_not_verified');
      assert.equal(reasonOf(phantomDecision), 'binding_not_verified');
    },
  },
  {
    name: 'a credential not shaped like the server’s opaque tokens is refused without an introspection call',
    async run() {
      const fixture = await ResolverFixture.create({
        split: false,
        phantomOverrides: { tokenShape: { minLength: 43, maxLength: 43, charset: 'base64url' } },
      });
      fixture.answerIntrospection(fixture.activeAccessToken());

      const longer = await fixture.resolve(randomOpaqueToken(342));
      const wrongAlphabet = await fixture.resolve(`${randomOpaqueToken(42)}~`);
      const jwtShaped = await fixture.resolve(
        `${randomOpaqueToken(20)}.${randomOpaqueToken(20)}.${randomOpaqueToken(20)}`,
      );
      const callsBefore = fixture.introspector.calls;
      const wellShaped = await fixture.resolve(randomOpaqueToken(43));

      assert.deepEqual(
        [reasonOf(longer), reasonOf(wrongAlphabet), reasonOf(jwtShaped)],
        ['unrecognized_shape', 'unrecognized_shape', 'jwt_not_accepted'],
      );
      assert.equal(callsBefore, 0);
      assert.equal(reasonOf(wellShaped), 'allow');
      assert.equal(fixture.introspector.calls, 1);
    },
  },
  {
    name: 'one source spends only its own introspection budget; others and requests without a source go on',
    async run() {
      const fixture = await ResolverFixture.create({
        split: false,
        introspectionBurst: 50,
        phantomOverrides: { sourceRateLimiter: new SourceRateLimiter({ ratePerSecond: 1, burst: 5, maxSources: 100 }) },
      });
      fixture.answerIntrospection(fixture.activeAccessToken());

      const flood: string[] = [];
      for (let i = 0; i < 20; i++) flood.push(await outcomeOf(fixture.resolveFrom(`flood-token-${i}`, '203.0.113.7')));
      // Six /64s of one /56: one subscriber, one budget.
      const sameSlash56: string[] = [];
      for (let i = 0; i < 6; i++) {
        sameSlash56.push(await outcomeOf(fixture.resolveFrom(`v6-token-${i}`, `2001:db8:1:2${i}0::${i + 1}`)));
      }
      const otherSource = await outcomeOf(fixture.resolveFrom('other-source-token', '198.51.100.9'));
      const noSource = await outcomeOf(fixture.resolveFrom('token-event-token', undefined));

      assert.deepEqual(flood.slice(0, 5), ['allow', 'allow', 'allow', 'allow', 'allow']);
      assert.ok(flood.slice(5).every((outcome) => outcome === 'introspection_source_rate_limited'));
      assert.deepEqual(sameSlash56, ['allow', 'allow', 'allow', 'allow', 'allow', 'introspection_source_rate_limited']);
      assert.equal(otherSource, 'allow');
      assert.equal(noSource, 'allow');
      assert.equal(fixture.introspector.calls, 5 + 5 + 1 + 1);
    },
  },
];
