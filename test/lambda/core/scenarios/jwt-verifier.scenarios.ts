import assert from 'node:assert/strict';
import { base64url, SignJWT } from 'jose';
import { isDependencyError } from '../../../../lambda/core/dependency-error.ts';
import { type JwtExpectation, JwtVerifier } from '../../../../lambda/core/jwt-verifier.ts';
import { TestIssuer } from '../../../support/test-issuer.ts';
import type { Scenario } from './scenario.ts';

const encode = (value: unknown) => base64url.encode(JSON.stringify(value));

async function setup(allowedAlgorithms = ['RS256', 'ES256', 'EdDSA']) {
  const issuer = await TestIssuer.create();
  const verifier = new JwtVerifier({
    issuer: issuer.issuer,
    jwksUri: 'https://unused.test/jwks',
    allowedAlgorithms,
    clockSkewSeconds: 30,
    jwks: issuer.jwks,
  });
  const expectation: JwtExpectation = { audiences: [issuer.audience], type: 'at+jwt', requireExpiry: true };
  const reasonFor = async (jwt: string): Promise<string> => {
    const result = await verifier.verify(jwt, expectation);
    return result.ok ? 'ok' : result.reason;
  };
  return { issuer, verifier, expectation, reasonFor };
}

export const jwtVerifierScenarios: Scenario[] = [
  {
    name: 'RS256, ES256 and EdDSA tokens from the issuer verify',
    async run() {
      const { issuer, verifier, expectation } = await setup();
      for (const algorithm of ['RS256', 'ES256', 'EdDSA'] as const) {
        const result = await verifier.verify(await issuer.mint({}, { algorithm }), expectation);
        assert.equal(result.ok, true, algorithm);
      }
    },
  },
  {
    name: 'alg none is refused',
    async run() {
      const issuer = await TestIssuer.create();
      const claims = { iss: issuer.issuer, aud: issuer.audience, exp: Math.floor(Date.now() / 1000) + 60 };
      const unsigned = `${encode({ alg: 'none', typ: 'at+jwt' })}.${encode(claims)}.`;
      const { reasonFor } = await setup();

      assert.notEqual(await reasonFor(unsigned), 'ok');
    },
  },
  {
    name: 'an HMAC token keyed with the issuer public key is refused',
    async run() {
      const { issuer, verifier, expectation } = await setup();
      const publicKeyBytes = new TextEncoder().encode(JSON.stringify(issuer.publicJwk('RS256')));
      const forged = await new SignJWT({ sub: 'attacker', scope: 'orders:write' })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'test-RS256' })
        .setIssuer(issuer.issuer)
        .setAudience(issuer.audience)
        .setExpirationTime('5m')
        .sign(publicKeyBytes);

      const result = await verifier.verify(forged, expectation);

      assert.equal(result.ok, false);
    },
  },
  {
    name: 'HMAC and none cannot be put on the allowlist',
    run() {
      for (const alg of ['HS256', 'none']) {
        assert.throws(
          () =>
            new JwtVerifier({
              issuer: 'https://i.test',
              jwksUri: 'https://i.test/jwks',
              allowedAlgorithms: [alg],
              clockSkewSeconds: 0,
            }),
          /not allowed/,
        );
      }
    },
  },
  {
    name: 'jku, x5u, jwk and x5c headers are refused even on a validly signed token',
    async run() {
      const { issuer, reasonFor } = await setup();
      for (const header of [
        { jku: 'https://attacker.test/jwks' },
        { x5u: 'https://attacker.test/cert' },
        { jwk: issuer.publicJwk('RS256') },
        { x5c: ['MIIB'] },
      ]) {
        assert.equal(await reasonFor(await issuer.mint({}, { header })), 'forbidden_header', Object.keys(header)[0]);
      }
    },
  },
  {
    name: 'expired, not yet valid, wrong issuer, wrong audience and wrong typ are refused',
    async run() {
      const { issuer, reasonFor } = await setup();
      const now = Math.floor(Date.now() / 1000);
      const cases: [string, Promise<string>, string][] = [
        ['expired', issuer.mint({}, { expiresInSeconds: -120 }), 'expired'],
        ['nbf ahead', issuer.mint({ nbf: now + 600 }), 'invalid_claims'],
        ['wrong iss', issuer.mint({ iss: 'https://evil.test' }), 'invalid_claims'],
        ['wrong aud', issuer.mint({ aud: 'https://other.test' }), 'invalid_claims'],
        ['wrong typ', issuer.mint({}, { header: { typ: 'JWT' } }), 'invalid_claims'],
        ['no exp', issuer.mint({}, { omit: ['exp'] }), 'invalid_claims'],
      ];
      for (const [label, jwt, reason] of cases) {
        assert.equal(await reasonFor(await jwt), reason, label);
      }
    },
  },
  {
    name: 'a token within the clock skew of its exp still verifies',
    async run() {
      const { issuer, reasonFor } = await setup();

      assert.equal(await reasonFor(await issuer.mint({}, { expiresInSeconds: -10 })), 'ok');
    },
  },
  {
    name: 'an algorithm off the allowlist is refused',
    async run() {
      const { issuer, reasonFor } = await setup(['RS256']);

      assert.equal(await reasonFor(await issuer.mint({}, { algorithm: 'EdDSA' })), 'invalid_signature');
    },
  },
  {
    name: 'an unknown kid is refused',
    async run() {
      const { issuer, reasonFor } = await setup();

      assert.equal(await reasonFor(await issuer.mint({}, { header: { kid: 'rotated-away' } })), 'invalid_signature');
    },
  },
  {
    name: 'garbage that is not a JWS is refused, not thrown',
    async run() {
      const { reasonFor } = await setup();
      for (const garbage of ['a.b.c', '..', 'eyJ.eyJ.sig', `${encode({ alg: 'RS256' })}.%%%.x`]) {
        assert.notEqual(await reasonFor(garbage), 'ok', garbage);
      }
    },
  },
  {
    name: 'an unreachable JWKS is a dependency error, not a denial',
    async run() {
      const issuer = await TestIssuer.create();
      const verifier = new JwtVerifier({
        issuer: issuer.issuer,
        jwksUri: 'http://127.0.0.1:9/jwks',
        allowedAlgorithms: ['RS256'],
        clockSkewSeconds: 0,
        jwksTimeoutMs: 2000,
      });

      await assert.rejects(
        verifier.verify(await issuer.mint(), { audiences: [issuer.audience], type: undefined, requireExpiry: true }),
        (error: unknown) => isDependencyError(error) && error.code === 'jwks_unavailable',
      );
    },
  },
];
