import assert from 'node:assert/strict';
import { generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { DpopProofVerifier } from '../../../../lambda/core/dpop-proof.ts';
import { MemoryProofReplayCache } from '../../../../lambda/core/proof-replay.ts';
import type { Decision } from '../../../../lambda/core/resolved-token.ts';
import type { AuthorizationRequest } from '../../../../lambda/core/token-resolver.ts';
import { webJoseCrypto } from '../../../../lambda/core/web-crypto.ts';
import { thumbprintOf } from '../../../support/dpop-proofs.ts';
import { type FixtureOptions, ResolverFixture } from './resolver-fixture.ts';
import type { Scenario } from './scenario.ts';

const URI = 'https://api.example.test/v1/orders';
const reasonOf = (decision: Decision): string => (decision.effect === 'deny' ? decision.reason : decision.effect);

async function dpopFixture(options: FixtureOptions = {}): Promise<ResolverFixture> {
  let fixture: ResolverFixture | undefined;
  const clock = () => fixture?.nowMs ?? Date.now();
  fixture = await ResolverFixture.create({
    ...options,
    overrides: {
      dpop: new DpopProofVerifier({
        allowedAlgorithms: ['ES256'],
        maxAgeSeconds: 60,
        clockSkewSeconds: 5,
        replay: new MemoryProofReplayCache({ maxEntries: 1000, clock }),
        crypto: webJoseCrypto,
        clock,
      }),
      ...options.overrides,
    },
  });
  return fixture;
}

function request(
  scheme: 'DPoP' | 'Bearer',
  token: string,
  extra: Partial<AuthorizationRequest> = {},
): AuthorizationRequest {
  return {
    authorization: `${scheme} ${token}`,
    targets: [{ method: 'GET', path: '/orders' }],
    method: 'GET',
    requestUri: URI,
    ...extra,
  };
}

async function proofFor(keys: KeyPair, token: string, uri = URI, method = 'GET'): Promise<string> {
  return generateProof(keys, uri, method, undefined, token);
}

/** DESIGN invariant 10 through the resolver: each binding proven on every request, cached or not. */
export const tokenBindingScenarios: Scenario[] = [
  {
    name: 'a DPoP-bound split token passes with the DPoP scheme and a proof of its key, on every path, each request with its own proof',
    async run() {
      const fixture = await dpopFixture({ jwtValidationEnabled: true });
      const keys = await generateKeyPair('ES256');
      const cnf = { jkt: await thumbprintOf(keys) };
      const { opaque } = await fixture.issueSplitToken(await fixture.issuer.mint({ cnf }));
      const plain = await fixture.issuer.mint({ cnf });
      fixture.answerIntrospection(fixture.activeAccessToken({ token_type: 'DPoP', cnf }));

      for (const token of [opaque, plain, 'phantom-dpop-token']) {
        const first = await fixture.resolver.resolve(
          request('DPoP', token, { dpopProof: await proofFor(keys, token) }),
        );
        const second = await fixture.resolver.resolve(
          request('DPoP', token, { dpopProof: await proofFor(keys, token) }),
        );
        assert.equal(reasonOf(first), 'allow', token.slice(0, 8));
        assert.equal(reasonOf(second), 'allow');
        assert.equal(
          second.effect === 'allow' && second.cached,
          true,
          'the token came from the cache, the proof did not',
        );
      }
    },
  },
  {
    name: 'a DPoP-bound token is refused as Bearer, without a proof, with a replayed proof or another key’s, even from the cache',
    async run() {
      const fixture = await dpopFixture();
      const keys = await generateKeyPair('ES256');
      const thief = await generateKeyPair('ES256');
      const { opaque } = await fixture.issueSplitToken(
        await fixture.issuer.mint({ cnf: { jkt: await thumbprintOf(keys) } }),
      );
      const proof = await proofFor(keys, opaque);

      const allowed = await fixture.resolver.resolve(request('DPoP', opaque, { dpopProof: proof }));
      const outcomes = [
        await fixture.resolver.resolve(request('Bearer', opaque, { dpopProof: await proofFor(keys, opaque) })),
        await fixture.resolver.resolve(request('DPoP', opaque)),
        await fixture.resolver.resolve(request('DPoP', opaque, { dpopProof: null })),
        await fixture.resolver.resolve(request('DPoP', opaque, { dpopProof: proof })),
        await fixture.resolver.resolve(request('DPoP', opaque, { dpopProof: await proofFor(thief, opaque) })),
        await fixture.resolver.resolve(
          request('DPoP', opaque, { dpopProof: await proofFor(keys, opaque), requestUri: undefined }),
        ),
      ];

      assert.equal(reasonOf(allowed), 'allow');
      assert.deepEqual(outcomes.map(reasonOf), [
        'bound_token_as_bearer',
        'dpop_proof_missing',
        'dpop_proof_missing',
        'dpop_proof_replayed',
        'dpop_proof_invalid',
        'dpop_proof_invalid',
      ]);
      assert.ok(
        outcomes.slice(1).every((decision) => decision.effect === 'deny' && decision.error === 'invalid_dpop_proof'),
      );
      assert.equal(fixture.store.reads, 1, 'every refusal came after a cache hit: the cache never skipped the proof');
    },
  },
  {
    name: 'the DPoP scheme with an unbound token is refused; with DPoP off the DPoP scheme is a wrong scheme',
    async run() {
      const fixture = await dpopFixture();
      const keys = await generateKeyPair('ES256');
      const { opaque } = await fixture.issueSplitToken();
      const off = await ResolverFixture.create({ phantom: false });
      const { opaque: other } = await off.issueSplitToken();

      assert.equal(
        reasonOf(await fixture.resolver.resolve(request('DPoP', opaque, { dpopProof: await proofFor(keys, opaque) }))),
        'dpop_token_not_bound',
      );
      assert.equal(reasonOf(await fixture.resolver.resolve(request('Bearer', opaque))), 'allow');
      assert.equal(reasonOf(await off.resolver.resolve(request('DPoP', other))), 'wrong_scheme');
    },
  },
  {
    name: 'introspection: token_type DPoP needs cnf.jkt; Bearer with cnf.jkt still needs the proof; unknown schemes are refused',
    async run() {
      const fixture = await dpopFixture();
      const keys = await generateKeyPair('ES256');
      const jkt = await thumbprintOf(keys);
      const outcome = async (claims: Record<string, unknown>, scheme: 'DPoP' | 'Bearer', token: string) => {
        fixture.answerIntrospection(fixture.activeAccessToken(claims));
        return reasonOf(
          await fixture.resolver.resolve(request(scheme, token, { dpopProof: await proofFor(keys, token) })),
        );
      };

      assert.equal(await outcome({ token_type: 'DPoP' }, 'DPoP', 'dpop-without-cnf'), 'binding_not_verified');
      assert.equal(await outcome({ token_type: 'DPoP', cnf: {} }, 'DPoP', 'dpop-empty-cnf'), 'binding_not_verified');
      assert.equal(
        await outcome({ token_type: 'Bearer', cnf: { jkt } }, 'Bearer', 'bearer-with-jkt'),
        'bound_token_as_bearer',
      );
      assert.equal(await outcome({ token_type: 'Bearer', cnf: { jkt } }, 'DPoP', 'bearer-with-jkt-2'), 'allow');
      assert.equal(
        await outcome({ token_type: 'N_A', cnf: { jkt } }, 'DPoP', 'unknown-scheme'),
        'binding_not_verified',
      );
      assert.equal(
        await outcome({ token_type: 'DPoP', cnf: { jkt, other: 'x' } }, 'DPoP', 'unknown-member'),
        'binding_not_verified',
      );
    },
  },
  {
    name: 'step-up (RFC 9470): acr outside the route’s values or an auth_time older than its max_age is refused with what it needs',
    async run() {
      const rules = [
        {
          method: 'GET',
          path: '/orders',
          scopes: ['orders:read'],
          acrValues: ['urn:example:mfa', 'phr'],
          maxAgeSeconds: 300,
        },
        { method: 'GET', path: '/orders/{id}', scopes: ['orders:read'] },
      ];
      const { RouteScopePolicy } = await import('../../../../lambda/core/route-scopes.ts');
      const fixture = await ResolverFixture.create({
        phantom: false,
        overrides: { routes: new RouteScopePolicy(rules) },
      });
      const now = Math.floor(fixture.nowMs / 1000);
      const resolveWith = async (claims: Record<string, unknown>, path = '/orders') => {
        const { opaque } = await fixture.issueSplitToken(await fixture.issuer.mint(claims));
        return fixture.resolver.resolve({ authorization: `Bearer ${opaque}`, targets: [{ method: 'GET', path }] });
      };

      const noAcr = await resolveWith({});
      const weak = await resolveWith({ acr: 'urn:example:password', auth_time: now });
      const old = await resolveWith({ acr: 'phr', auth_time: now - 400 });
      const good = await resolveWith({ acr: 'phr', auth_time: now - 100 });
      const otherRoute = await resolveWith({}, '/orders/42');
      const head = await fixture.resolver.resolve({
        authorization: `Bearer ${(await fixture.issueSplitToken(await fixture.issuer.mint({ acr: 'weak' }))).opaque}`,
        targets: [{ method: 'HEAD', path: '/orders/' }],
      });

      assert.deepEqual([noAcr, weak, old, head].map(reasonOf), Array(4).fill('insufficient_user_authentication'));
      assert.deepEqual(noAcr.effect === 'deny' ? noAcr.requiredAuthentication : undefined, {
        acrValues: ['urn:example:mfa', 'phr'],
        maxAgeSeconds: 300,
      });
      assert.equal(noAcr.effect === 'deny' && noAcr.error, 'insufficient_user_authentication');
      assert.equal(reasonOf(good), 'allow');
      assert.equal(reasonOf(otherRoute), 'allow');
    },
  },
];
