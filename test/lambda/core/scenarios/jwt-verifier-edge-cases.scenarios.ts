import assert from 'node:assert/strict';
import { base64url, exportJWK, generateKeyPair, type JWK } from 'jose';
import { decodeBase64Url, isCanonicalBase64Url } from '../../../../lambda/core/base64url.ts';
import type { JoseCrypto } from '../../../../lambda/core/crypto-port.ts';
import { isDependencyError } from '../../../../lambda/core/dependency-error.ts';
import { type JwtExpectation, JwtVerifier, type JwtVerifierOptions } from '../../../../lambda/core/jwt-verifier.ts';
import { webJoseCrypto } from '../../../../lambda/core/web-crypto.ts';
import { jwksAnswer, ScriptedFetch } from './remote-jwks.scenarios.ts';
import type { Scenario } from './scenario.ts';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'https://api.test';
const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;
const SKEW = 30;
const EXPECT: JwtExpectation = { audiences: [AUDIENCE], type: 'at+jwt', requireExpiry: true };

const encodeJson = (value: unknown) => base64url.encode(typeof value === 'string' ? value : JSON.stringify(value));

interface Signer {
  readonly jwk: JWK;
  /** A compact JWS over exactly this header and payload (anything JSON, or a raw string). */
  sign(header: unknown, payload: unknown): Promise<string>;
}

/** Signs raw header and payload bytes with WebCrypto: no library between the test and the token. */
async function signer(alg: 'RS256' | 'ES256' = 'RS256', kid = 'k1'): Promise<Signer> {
  const pair = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(pair.publicKey)), kid };
  const parameters = alg === 'RS256' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: 'SHA-256' };
  return {
    jwk,
    async sign(header, payload) {
      const input = `${encodeJson(header)}.${encodeJson(payload)}`;
      const signature = await crypto.subtle.sign(parameters, pair.privateKey, new TextEncoder().encode(input));
      return `${input}.${base64url.encode(new Uint8Array(signature))}`;
    },
  };
}

const header = (extra: Record<string, unknown> = {}) => ({ alg: 'RS256', typ: 'at+jwt', kid: 'k1', ...extra });
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'user-1',
  iat: NOW - 10,
  exp: NOW + 300,
  ...extra,
});

function verifierFor(keys: JWK[], options: Partial<JwtVerifierOptions> = {}): JwtVerifier {
  return new JwtVerifier({
    issuer: ISSUER,
    jwksUri: 'https://unused.test/jwks',
    allowedAlgorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    clockSkewSeconds: SKEW,
    jwks: { keys },
    clock: () => NOW_MS,
    ...options,
  });
}

async function reasonOf(verifier: JwtVerifier, jwt: string, expectation = EXPECT): Promise<string> {
  const result = await verifier.verify(jwt, expectation);
  return result.ok ? 'ok' : result.reason;
}

const isJwksUnavailable = (error: unknown) => isDependencyError(error) && error.code === 'jwks_unavailable';

export const jwtVerifierEdgeCaseScenarios: Scenario[] = [
  {
    name: 'claims: aud as an array must hold one of the expected audiences; a missing aud or iss is refused',
    async run() {
      const rsa = await signer();
      const verifier = verifierFor([rsa.jwk]);
      const cases: [string, Record<string, unknown>, string][] = [
        ['aud array with ours', { aud: ['https://other.test', AUDIENCE] }, 'ok'],
        ['aud array without ours', { aud: ['https://other.test'] }, 'invalid_claims'],
        ['aud array of non-strings', { aud: [1, null] }, 'invalid_claims'],
        ['aud empty array', { aud: [] }, 'invalid_claims'],
        ['aud an object', { aud: { [AUDIENCE]: true } }, 'invalid_claims'],
        ['aud missing', { aud: undefined }, 'invalid_claims'],
        ['iss missing', { iss: undefined }, 'invalid_claims'],
        ['iss differs in case', { iss: ISSUER.toUpperCase() }, 'invalid_claims'],
        ['iss with a trailing slash', { iss: `${ISSUER}/` }, 'invalid_claims'],
      ];
      for (const [label, extra, expected] of cases) {
        assert.equal(await reasonOf(verifier, await rsa.sign(header(), claims(extra))), expected, label);
      }
    },
  },
  {
    name: 'claims: exp, nbf and iat must be numbers when present; exp and nbf are checked with the skew',
    async run() {
      const rsa = await signer();
      const verifier = verifierFor([rsa.jwk]);
      const cases: [string, Record<string, unknown>, string][] = [
        ['exp a string', { exp: String(NOW + 300) }, 'invalid_claims'],
        ['exp null', { exp: null }, 'invalid_claims'],
        ['exp just inside the skew', { exp: NOW - SKEW + 1 }, 'ok'],
        ['exp exactly at the skew', { exp: NOW - SKEW }, 'expired'],
        ['nbf within the skew', { nbf: NOW + SKEW }, 'ok'],
        ['nbf past the skew', { nbf: NOW + SKEW + 1 }, 'invalid_claims'],
        ['nbf a string', { nbf: String(NOW - 10) }, 'invalid_claims'],
        ['iat a string', { iat: 'yesterday' }, 'invalid_claims'],
        ['iat in the future (no max age is checked)', { iat: NOW + 3600 }, 'ok'],
        ['expired and wrong aud: the aud is checked first', { exp: NOW - 3600, aud: 'x' }, 'invalid_claims'],
      ];
      for (const [label, extra, expected] of cases) {
        assert.equal(await reasonOf(verifier, await rsa.sign(header(), claims(extra))), expected, label);
      }
    },
  },
  {
    name: 'claims: exp may be absent only when the expectation says so, and must then still be a number if present',
    async run() {
      const rsa = await signer();
      const verifier = verifierFor([rsa.jwk]);
      const optional = { ...EXPECT, requireExpiry: false };

      assert.equal(await reasonOf(verifier, await rsa.sign(header(), claims({ exp: undefined })), optional), 'ok');
      assert.equal(
        await reasonOf(verifier, await rsa.sign(header(), claims({ exp: 'later' })), optional),
        'invalid_claims',
      );
      assert.equal(await reasonOf(verifier, await rsa.sign(header(), claims({ exp: undefined }))), 'invalid_claims');
    },
  },
  {
    name: 'typ compares as a media type: case-insensitive, application/ optional; missing or non-string is refused',
    async run() {
      const rsa = await signer();
      const verifier = verifierFor([rsa.jwk]);
      const cases: [unknown, string][] = [
        ['AT+JWT', 'ok'],
        ['application/at+jwt', 'ok'],
        ['Application/AT+JWT', 'ok'],
        ['jwt', 'invalid_claims'],
        ['application/jwt', 'invalid_claims'],
        [undefined, 'invalid_claims'],
        [['at+jwt'], 'invalid_claims'],
      ];
      for (const [typ, expected] of cases) {
        assert.equal(await reasonOf(verifier, await rsa.sign(header({ typ }), claims())), expected, String(typ));
      }
      const untyped = { ...EXPECT, type: undefined };
      assert.equal(await reasonOf(verifier, await rsa.sign(header({ typ: undefined }), claims()), untyped), 'ok');
    },
  },
  {
    name: 'crit of any kind and b64 other than true are refused even when validly signed',
    async run() {
      const rsa = await signer();
      const verifier = verifierFor([rsa.jwk]);
      const headers: Record<string, unknown>[] = [
        { crit: ['exp'], exp: NOW + 300 },
        { crit: ['b64'], b64: true },
        { crit: ['b64'], b64: false },
        { crit: [] },
        { b64: false },
        { b64: 'false' },
      ];
      for (const extra of headers) {
        assert.equal(
          await reasonOf(verifier, await rsa.sign(header(extra), claims())),
          'forbidden_header',
          JSON.stringify(extra),
        );
      }
      assert.equal(await reasonOf(verifier, await rsa.sign(header({ b64: true }), claims())), 'ok');
    },
  },
  {
    name: 'key selection: a kid the JWKS lacks, an EC key under the kid, use enc, another alg or key_ops without verify is no key',
    async run() {
      const rsa = await signer('RS256', 'k1');
      const ec = await signer('ES256', 'k1');
      const token = await rsa.sign(header(), claims());
      const cases: [string, JWK[], string][] = [
        ['control', [rsa.jwk], 'ok'],
        ['kid mismatch', [{ ...rsa.jwk, kid: 'k2' }], 'invalid_signature'],
        ['EC key for an RS alg', [ec.jwk], 'invalid_signature'],
        ['use enc', [{ ...rsa.jwk, use: 'enc' }], 'invalid_signature'],
        ['use sig', [{ ...rsa.jwk, use: 'sig' }], 'ok'],
        ['key alg PS256', [{ ...rsa.jwk, alg: 'PS256' }], 'invalid_signature'],
        ['key alg RS256', [{ ...rsa.jwk, alg: 'RS256' }], 'ok'],
        ['key_ops without verify', [{ ...rsa.jwk, key_ops: ['encrypt'] }], 'invalid_signature'],
        ['key_ops with verify', [{ ...rsa.jwk, key_ops: ['verify'] }], 'ok'],
        ['the wrong key under the kid', [{ ...(await signer()).jwk, kid: 'k1' }], 'invalid_signature'],
      ];
      for (const [label, keys, expected] of cases) {
        assert.equal(await reasonOf(verifierFor(keys), token), expected, label);
      }
    },
  },
  {
    name: 'key selection: ES256 needs a P-256 key, and a token without kid needs exactly one fitting key',
    async run() {
      const ec = await signer('ES256', 'e1');
      const rsa = await signer('RS256', 'r1');
      const es256 = await ec.sign({ alg: 'ES256', typ: 'at+jwt' }, claims());

      assert.equal(await reasonOf(verifierFor([ec.jwk, rsa.jwk]), es256), 'ok', 'one EC key among others');
      assert.equal(await reasonOf(verifierFor([{ ...ec.jwk, crv: 'P-384' }]), es256), 'invalid_signature', 'P-384');
      const twoEc = [ec.jwk, { ...(await signer('ES256', 'e2')).jwk }];
      assert.equal(await reasonOf(verifierFor(twoEc), es256), 'invalid_signature', 'two candidates and no kid');
      const withKid = await ec.sign({ alg: 'ES256', typ: 'at+jwt', kid: 'e1' }, claims());
      assert.equal(await reasonOf(verifierFor(twoEc), withKid), 'ok', 'the kid picks one');
      const numericKid = await ec.sign({ alg: 'ES256', typ: 'at+jwt', kid: 1 }, claims());
      assert.equal(await reasonOf(verifierFor([{ ...ec.jwk, kid: '1' }]), numericKid), 'invalid_signature', 'kid 1');
    },
  },
  {
    name: 'a JWKS key that is private or an RSA key under 2048 bits refuses the token as unusable_key, never a dependency error',
    async run() {
      const rsa = await signer();
      const token = await rsa.sign(header(), claims());
      assert.equal(await reasonOf(verifierFor([{ ...rsa.jwk, d: 'AQAB' }]), token), 'unusable_key');

      const small = await crypto.subtle.generateKey(
        { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
        true,
        ['sign', 'verify'],
      );
      const smallJwk = { ...(await exportJWK(small.publicKey)), kid: 'k1' };
      const input = `${encodeJson(header())}.${encodeJson(claims())}`;
      const signature = await crypto.subtle.sign(
        'RSASSA-PKCS1-v1_5',
        small.privateKey,
        new TextEncoder().encode(input),
      );
      const smallToken = `${input}.${base64url.encode(new Uint8Array(signature))}`;
      assert.equal(await reasonOf(verifierFor([smallJwk]), smallToken), 'unusable_key');
    },
  },
  {
    name: 'structure: parts, JSON objects and canonical base64url are checked before any key is used, with or without a native decoder',
    async run() {
      const rsa = await signer();
      const valid = await rsa.sign(header(), claims());
      const [h, p, s] = valid.split('.') as [string, string, string];
      const last = s.charAt(s.length - 1);
      // RS256 signatures are 256 bytes: 342 characters, the last carrying 4 spare bits.
      const sibling = `${s.slice(0, -1)}${String.fromCharCode(last.charCodeAt(0) + 1)}`;
      const refused: [string, string, string][] = [
        ['two parts', `${h}.${p}`, 'invalid_signature'],
        ['four parts', `${valid}.${s}`, 'invalid_signature'],
        ['padded signature', `${valid}==`, 'invalid_signature'],
        ['non-canonical signature spelling', `${h}.${p}.${sibling}`, 'invalid_signature'],
        [
          'standard base64 characters',
          `${h}.${p}.${s.replace(/[-_]/g, (c) => (c === '-' ? '+' : '/'))}`,
          'invalid_signature',
        ],
        ['whitespace in the payload', `${h}.${p.slice(0, 4)} ${p.slice(4)}.${s}`, 'invalid_signature'],
        ['header an array', await rsa.sign([header()], claims()), 'invalid_signature'],
        ['header not JSON', await rsa.sign('{alg:RS256', claims()), 'invalid_signature'],
        ['alg missing', await rsa.sign(header({ alg: undefined }), claims()), 'invalid_signature'],
        ['alg not a string', await rsa.sign(header({ alg: ['RS256'] }), claims()), 'invalid_signature'],
        ['alg PS384 (not allowed)', await rsa.sign(header({ alg: 'PS384' }), claims()), 'invalid_signature'],
      ];
      // A lenient decoder (whitespace, stray bits, padding) stands in for a runtime's native one.
      for (const decodeBase64Url of [undefined, (text: string) => base64url.decode(text)]) {
        const calls: string[] = [];
        const spy: JoseCrypto = {
          digest: (algorithm, data) => webJoseCrypto.digest(algorithm, data),
          verifySignature: (alg, key, input, signature) => {
            calls.push(alg);
            return webJoseCrypto.verifySignature(alg, key, input, signature);
          },
          ...(decodeBase64Url ? { decodeBase64Url } : {}),
        };
        const verifier = verifierFor([rsa.jwk], { crypto: spy });
        const label = decodeBase64Url ? 'native decoder' : 'core decoder';
        for (const [what, jwt, expected] of refused) {
          assert.equal(await reasonOf(verifier, jwt), expected, `${label}: ${what}`);
        }
        assert.deepEqual(calls, [], `${label}: no signature was checked for any of them`);

        const payloadArray = await rsa.sign(header(), [claims()]);
        assert.equal(await reasonOf(verifier, payloadArray), 'invalid_claims', `${label}: payload array`);
        assert.equal(await reasonOf(verifier, await rsa.sign(header(), 'not json')), 'invalid_claims', label);
        assert.equal(await reasonOf(verifier, valid), 'ok', label);
      }
    },
  },
  {
    name: 'claims are only read after the signature: a forged expired token is an invalid signature',
    async run() {
      const rsa = await signer();
      const other = await signer();
      const forged = await other.sign(header(), claims({ exp: NOW - 3600, aud: 'x' }));

      assert.equal(await reasonOf(verifierFor([rsa.jwk]), forged), 'invalid_signature');
    },
  },
  {
    name: 'the crypto port decides the signature, and a key the port cannot import refuses the token as unusable_key',
    async run() {
      const rsa = await signer();
      const token = await rsa.sign(header(), claims());
      const refusing: JoseCrypto = { digest: () => new Uint8Array(32), verifySignature: () => false };
      const broken: JoseCrypto = {
        digest: () => new Uint8Array(32),
        verifySignature: () => {
          throw new TypeError('bad key');
        },
      };

      assert.equal(await reasonOf(verifierFor([rsa.jwk], { crypto: refusing }), token), 'invalid_signature');
      assert.equal(await reasonOf(verifierFor([rsa.jwk], { crypto: broken }), token), 'unusable_key');
    },
  },
  {
    name: 'unsupported algorithms cannot be put on the allowlist',
    run() {
      for (const alg of ['RSA-OAEP', 'ES256K', 'Ed448', 'rs256']) {
        assert.throws(() => verifierFor([], { allowedAlgorithms: ['RS256', alg] }), /Unsupported JWS algorithms/, alg);
      }
    },
  },
  {
    name: 'remote JWKS through the verifier: a rotated key is found by one refetch; within the cooldown it is not',
    async run() {
      const oldKey = await signer('RS256', 'old');
      const newKey = await signer('RS256', 'new');
      const token = await newKey.sign(header({ kid: 'new' }), claims());
      const remote = (cooldownMs: number) => {
        const scripted = new ScriptedFetch(jwksAnswer([oldKey.jwk]));
        const verifier = verifierFor([], {
          jwks: undefined,
          jwksUri: 'https://issuer.test/jwks',
          http: scripted.http,
          jwksCooldownMs: cooldownMs,
        });
        return { scripted, verifier };
      };

      const cooling = remote(60_000);
      const first = cooling.verifier.verify(token, EXPECT);
      cooling.scripted.answer = jwksAnswer([oldKey.jwk, newKey.jwk]);
      assert.equal((await first).ok, false);
      assert.equal(await reasonOf(cooling.verifier, token), 'invalid_signature');
      assert.equal(cooling.scripted.calls, 1, 'one fetch, no refetch within the cooldown');

      const ready = remote(0);
      ready.scripted.answer = jwksAnswer([oldKey.jwk]);
      const rotated = ready.verifier.verify(token, EXPECT);
      ready.scripted.answer = jwksAnswer([oldKey.jwk, newKey.jwk]);
      assert.equal((await rotated).ok, true);
      assert.equal(ready.scripted.calls, 2);
    },
  },
  {
    name: 'remote JWKS through the verifier: an unreachable JWKS is a dependency error, never a verdict',
    async run() {
      const rsa = await signer();
      const token = await rsa.sign(header(), claims());
      const scripted = new ScriptedFetch(() => new Response('down', { status: 503 }));
      const verifier = verifierFor([], { jwks: undefined, http: scripted.http });

      await assert.rejects(async () => verifier.verify(token, EXPECT), isJwksUnavailable);
    },
  },
];

export const base64UrlScenarios: Scenario[] = [
  {
    name: 'base64url: the strict decoder and the check used before native decoders accept exactly the same texts',
    run() {
      const texts = [
        '',
        'AA',
        'AB',
        'AAA',
        'AAB',
        'AAAA',
        'A',
        'AAAAA',
        'AA==',
        'AA A',
        'A+/A',
        'A-_A',
        'AAé',
        'QQ',
        'Qg',
      ];
      for (let length = 0; length < 40; length++) {
        const bytes = crypto.getRandomValues(new Uint8Array(length));
        const text = base64url.encode(bytes);
        texts.push(text, `${text}A`, `${text.slice(0, -1)}B`, `${text.slice(0, -1)}h`);
        assert.deepEqual(decodeBase64Url(text), bytes, text);
      }
      for (const text of texts) {
        assert.equal(decodeBase64Url(text) !== undefined, isCanonicalBase64Url(text), JSON.stringify(text));
      }
    },
  },
];
