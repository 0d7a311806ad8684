import assert from 'node:assert/strict';
import { generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { calculateJwkThumbprint, exportJWK, generateKeyPair as joseKeyPair } from 'jose';
import { type DpopProofInput, DpopProofVerifier, normalizedHttpUri } from '../../../../lambda/core/dpop-proof.ts';
import { jwkThumbprint } from '../../../../lambda/core/key-thumbprints.ts';
import { MemoryProofReplayCache } from '../../../../lambda/core/proof-replay.ts';
import { webJoseCrypto } from '../../../../lambda/core/web-crypto.ts';
import { athOf, handMadeProof, thumbprintOf } from '../../../support/dpop-proofs.ts';
import type { Scenario } from './scenario.ts';

const URL_ADDRESSED = 'https://api.example.test/v1/orders';
const TOKEN = 'c3BsaXQtdG9rZW4tc2lnbmF0dXJlLW5vdC1hLXJlYWwtb25l';

interface Setup {
  readonly verifier: DpopProofVerifier;
  readonly keys: KeyPair;
  readonly jkt: string;
  nowMs: number;
}

async function setup(alg: 'ES256' | 'Ed25519' | 'RS256' | 'PS256' = 'ES256'): Promise<Setup> {
  const keys = await generateKeyPair(alg);
  const state = { nowMs: Date.now() } as Setup & { nowMs: number };
  const clock = () => state.nowMs;
  const verifier = new DpopProofVerifier({
    allowedAlgorithms: ['ES256', 'Ed25519', 'EdDSA', 'RS256', 'PS256'],
    maxAgeSeconds: 60,
    clockSkewSeconds: 5,
    replay: new MemoryProofReplayCache({ maxEntries: 100, clock }),
    crypto: webJoseCrypto,
    clock,
  });
  return Object.assign(state, { verifier, keys, jkt: await thumbprintOf(keys) });
}

function input(s: Setup, proof: string, overrides: Partial<DpopProofInput> = {}): DpopProofInput {
  return { proof, method: 'GET', uri: URL_ADDRESSED, accessToken: TOKEN, jkt: s.jkt, ...overrides };
}

async function problemOf(s: Setup, proof: string, overrides: Partial<DpopProofInput> = {}): Promise<string> {
  const result = await s.verifier.verify(input(s, proof, overrides));
  return result.ok ? 'ok' : result.problem;
}

/** DPoP proofs (RFC 9449 section 4.3), made by the `dpop` client or by jose, never by the code under test. */
export const dpopProofScenarios: Scenario[] = [
  {
    name: 'RFC 7638 section 3.1: the example RSA key has the thumbprint the RFC gives, and EC and OKP keys agree with jose',
    async run() {
      const rfcKey = {
        kty: 'RSA',
        n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
        e: 'AQAB',
        alg: 'RS256',
        kid: '2011-04-29',
      };
      assert.equal(await jwkThumbprint(rfcKey, webJoseCrypto), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
      for (const alg of ['ES256', 'ES384', 'EdDSA'] as const) {
        const jwk = await exportJWK((await joseKeyPair(alg, { extractable: true })).publicKey);
        assert.equal(await jwkThumbprint({ ...jwk, use: 'sig' }, webJoseCrypto), await calculateJwkThumbprint(jwk));
      }
    },
  },
  {
    name: 'a proof from the dpop client for the request and token is accepted, with each algorithm it offers',
    async run() {
      for (const alg of ['ES256', 'Ed25519', 'RS256', 'PS256'] as const) {
        const s = await setup(alg);
        const proof = await generateProof(s.keys, URL_ADDRESSED, 'GET', undefined, TOKEN);
        assert.equal(await problemOf(s, proof), 'ok', alg);
      }
    },
  },
  {
    name: 'htu is compared after RFC 3986 normalization, without query or fragment',
    async run() {
      const s = await setup();
      for (const htu of [
        'HTTPS://API.EXAMPLE.TEST:443/v1/orders',
        'https://api.example.test/v1/%6Frders',
        'https://api.example.test/v1/orders?page=2#top',
        'https://api.example.test/v1/./orders',
      ]) {
        const proof = await generateProof(s.keys, htu, 'GET', undefined, TOKEN);
        assert.equal(await problemOf(s, proof), 'ok', htu);
      }
      assert.equal(normalizedHttpUri('https://h.test/a%2fb'), 'https://h.test/a%2Fb');
      assert.equal(normalizedHttpUri('https://user@h.test/'), undefined);
      assert.equal(normalizedHttpUri('ftp://h.test/'), undefined);
    },
  },
  {
    name: 'a proof for another method, URL, token or key is refused, each for its own reason',
    async run() {
      const s = await setup();
      const other = await generateKeyPair('ES256');
      const cases: [string, Promise<string>][] = [
        ['htm', generateProof(s.keys, URL_ADDRESSED, 'POST', undefined, TOKEN)],
        ['htu', generateProof(s.keys, 'https://api.example.test/v1/admin', 'GET', undefined, TOKEN)],
        ['htu', generateProof(s.keys, 'http://api.example.test/v1/orders', 'GET', undefined, TOKEN)],
        ['htu', generateProof(s.keys, 'https://other.example.test/v1/orders', 'GET', undefined, TOKEN)],
        ['htu', generateProof(s.keys, 'https://api.example.test/orders', 'GET', undefined, TOKEN)],
        ['ath', generateProof(s.keys, URL_ADDRESSED, 'GET', undefined, `${TOKEN}x`)],
        ['ath', generateProof(s.keys, URL_ADDRESSED, 'GET')],
        ['key_mismatch', generateProof(other, URL_ADDRESSED, 'GET', undefined, TOKEN)],
      ];
      for (const [expected, proof] of cases) assert.equal(await problemOf(s, await proof), expected);
    },
  },
  {
    name: 'iat: older than the window or ahead of the clock skew is refused; at the edges it is accepted',
    async run() {
      const s = await setup();
      const now = Math.floor(s.nowMs / 1000);
      const claims = async (iat: number) => ({
        htm: 'GET',
        htu: URL_ADDRESSED,
        iat,
        jti: crypto.randomUUID(),
        ath: await athOf(TOKEN),
      });
      assert.equal(await problemOf(s, await handMadeProof(s.keys, 'ES256', await claims(now - 61))), 'iat');
      assert.equal(await problemOf(s, await handMadeProof(s.keys, 'ES256', await claims(now + 10))), 'iat');
      assert.equal(await problemOf(s, await handMadeProof(s.keys, 'ES256', await claims(now - 59))), 'ok');
      assert.equal(await problemOf(s, await handMadeProof(s.keys, 'ES256', await claims(now + 4))), 'ok');
      const noIat = { htm: 'GET', htu: URL_ADDRESSED, jti: crypto.randomUUID(), ath: await athOf(TOKEN) };
      assert.equal(await problemOf(s, await handMadeProof(s.keys, 'ES256', noIat)), 'iat');
    },
  },
  {
    name: 'a jti is accepted once within the window; the same jti of another key is another proof',
    async run() {
      const s = await setup();
      const proof = await generateProof(s.keys, URL_ADDRESSED, 'GET', undefined, TOKEN);
      assert.equal(await problemOf(s, proof), 'ok');
      assert.equal(await problemOf(s, proof), 'replayed');
      s.nowMs += 30_000;
      assert.equal(await problemOf(s, proof), 'replayed');
      s.nowMs += 40_000;
      assert.equal(await problemOf(s, proof), 'iat', 'past the window the iat refuses it, not the memory');
      const other = await setup();
      const claims = {
        htm: 'GET',
        htu: URL_ADDRESSED,
        iat: Math.floor(Date.now() / 1000),
        jti: 'shared-jti',
        ath: await athOf(TOKEN),
      };
      const otherKeys = await generateKeyPair('ES256');
      assert.equal(await problemOf(other, await handMadeProof(other.keys, 'ES256', claims)), 'ok');
      assert.equal(
        await problemOf(other, await handMadeProof(otherKeys, 'ES256', claims), { jkt: await thumbprintOf(otherKeys) }),
        'ok',
      );
    },
  },
  {
    name: 'the header: typ dpop+jwt, an allowed asymmetric alg, a public jwk fitting it; crit refused',
    async run() {
      const s = await setup();
      const now = Math.floor(s.nowMs / 1000);
      const claims = async () => ({
        htm: 'GET',
        htu: URL_ADDRESSED,
        iat: now,
        jti: crypto.randomUUID(),
        ath: await athOf(TOKEN),
      });
      const extractable = (await joseKeyPair('ES256', { extractable: true })) as unknown as KeyPair;
      const privateJwk = await exportJWK(extractable.privateKey);
      assert.equal(
        await problemOf(s, await handMadeProof(extractable, 'ES256', await claims(), { jwk: privateJwk }), {
          jkt: await thumbprintOf(extractable),
        }),
        'jwk',
        'a jwk with its private member d',
      );
      assert.equal(await problemOf(s, await handMadeProof(s.keys, 'ES256', await claims(), { typ: 'JWT' })), 'typ');
      assert.equal(await problemOf(s, await handMadeProof(s.keys, 'ES256', await claims(), { typ: undefined })), 'typ');
      assert.equal(
        await problemOf(s, await handMadeProof(s.keys, 'ES256', await claims(), { jwk: { kty: 'EC', crv: 'P-256' } })),
        'jwk',
      );
      const rsa = await generateKeyPair('RS256');
      assert.equal(
        await problemOf(
          s,
          await handMadeProof(s.keys, 'ES256', await claims(), { jwk: await exportJWK(rsa.publicKey) }),
        ),
        'jwk',
      );
      const header = (value: unknown) =>
        btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
      const genuine = await generateProof(s.keys, URL_ADDRESSED, 'GET', undefined, TOKEN);
      const [, payload, signature] = genuine.split('.');
      const decodedHeader = JSON.parse(atob((genuine.split('.')[0] as string).replace(/-/g, '+').replace(/_/g, '/')));
      assert.equal(
        await problemOf(s, `${header({ ...decodedHeader, crit: ['exp'], exp: 1 })}.${payload}.${signature}`),
        'typ',
      );
      for (const alg of ['none', 'HS256', 'ES384', 'RS512']) {
        assert.equal(await problemOf(s, `${header({ ...decodedHeader, alg })}.${payload}.${signature}`), 'alg', alg);
      }
      assert.equal(
        await problemOf(s, `${genuine.split('.')[0]}.${payload}.${signature?.slice(0, -4)}AAAA`),
        'signature',
      );
      assert.equal(await problemOf(s, `${genuine}.x`), 'malformed');
      assert.equal(await problemOf(s, 'x'.repeat(9000)), 'malformed');
    },
  },
  {
    name: 'the replay memory fails closed when it is full of live proofs, and frees expired ones',
    run() {
      let now = 1_000_000;
      const memory = new MemoryProofReplayCache({ maxEntries: 2, clock: () => now });
      assert.equal(memory.firstUse('a', now + 1000), true);
      assert.equal(memory.firstUse('b', now + 5000), true);
      assert.throws(() => memory.firstUse('c', now + 1000), /full/);
      now += 2000;
      assert.equal(memory.firstUse('c', now + 1000), true, 'a expired and made room');
      assert.equal(memory.firstUse('b', now + 1000), false);
    },
  },
];
