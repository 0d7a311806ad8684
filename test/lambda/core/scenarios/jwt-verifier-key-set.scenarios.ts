import assert from 'node:assert/strict';
import {
  base64url,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { JoseCrypto } from '../../../../lambda/core/crypto-port.ts';
import { type JwtExpectation, JwtVerifier, type JwtVerifierOptions } from '../../../../lambda/core/jwt-verifier.ts';
import { ScriptedFetch } from './remote-jwks.scenarios.ts';
import type { Scenario } from './scenario.ts';

// The key set findings of issue 10 through the whole verifier, on a given crypto port. Expected
// answers come from RFC 8017 (signature length) and from jose 6 itself (key selection and import),
// never from the verifier.

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'https://api.test';
const EXPECT: JwtExpectation = { audiences: [AUDIENCE], type: 'at+jwt', requireExpiry: true };
const encoder = new TextEncoder();

interface Problem {
  readonly kid: string | undefined;
  readonly reason: string;
}

function verifierFor(port: JoseCrypto, keys: JWK[], options: Partial<JwtVerifierOptions> = {}) {
  const problems: Problem[] = [];
  const verifier = new JwtVerifier({
    issuer: ISSUER,
    jwksUri: 'https://unused.test/jwks',
    allowedAlgorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    clockSkewSeconds: 30,
    jwks: { keys },
    crypto: port,
    onKeySetProblem: (problem: Problem) => problems.push(problem),
    ...options,
  } as JwtVerifierOptions);
  return { verifier, problems };
}

const claims = (extra: JWTPayload = {}): JWTPayload => {
  const now = Math.floor(Date.now() / 1000);
  return { iss: ISSUER, aud: AUDIENCE, sub: 'user-1', iat: now, exp: now + 300, jti: crypto.randomUUID(), ...extra };
};

async function reasonOf(verifier: JwtVerifier, jwt: string): Promise<string> {
  const result = await verifier.verify(jwt, EXPECT);
  return result.ok ? 'ok' : result.reason;
}

/** jose 6's own verdict on the token with this key set: the independent reference. */
async function joseVerdict(jwt: string, keys: JWK[]): Promise<'ok' | 'refused'> {
  try {
    await jwtVerify(jwt, createLocalJWKSet({ keys }), { issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt' });
    return 'ok';
  } catch {
    return 'refused';
  }
}

/** A compact JWS signed with WebCrypto over exactly this header and payload (no library checks). */
async function signRaw(
  header: Record<string, unknown>,
  payload: JWTPayload,
  privateKey: CryptoKey,
  parameters: AlgorithmIdentifier | RsaPssParams | EcdsaParams,
): Promise<string> {
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}`;
  const signature = new Uint8Array(await crypto.subtle.sign(parameters, privateKey, encoder.encode(input)));
  return `${input}.${base64url.encode(signature)}`;
}

/** A key pair from jose with its public JWK under `kid`. */
async function keyPair(alg: string, kid: string) {
  const pair = await generateKeyPair(alg, { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid };
  const privateJwk: JWK = { ...(await exportJWK(pair.privateKey)), kid };
  const sign = (payload: JWTPayload = claims(), header: Record<string, unknown> = {}) =>
    new SignJWT(payload).setProtectedHeader({ alg, typ: 'at+jwt', kid, ...header }).sign(pair.privateKey);
  return { pair, publicJwk, privateJwk, sign };
}

/** A token whose RSA signature starts with a zero byte, found by signing fresh claims until one does. */
async function tokenWithLeadingZero(sign: () => Promise<string>): Promise<string> {
  // Each signature starts with 0x00 with probability about 1/256; 4096 tries all miss with about 1e-7.
  for (let attempt = 0; attempt < 4096; attempt++) {
    const token = await sign();
    const signature = base64url.decode(token.slice(token.lastIndexOf('.') + 1));
    if (signature[0] === 0) return token;
  }
  throw new Error('no signature with a leading zero byte in 4096 tries');
}

/** The scenarios on one crypto port. */
export function keySetScenarios(label: string, port: JoseCrypto): Scenario[] {
  return [
    {
      name: `${label}: an RSA signature one byte shorter than the modulus (its leading zero dropped) is refused, PS256 and RS256 alike (RFC 8017 sections 8.1.2 and 8.2.2)`,
      async run() {
        for (const alg of ['PS256', 'RS256'] as const) {
          const signer = await keyPair(alg, 'k1');
          const token = await tokenWithLeadingZero(() => signer.sign());
          const cut = token.lastIndexOf('.');
          const signature = base64url.decode(token.slice(cut + 1));
          const short = `${token.slice(0, cut)}.${base64url.encode(signature.subarray(1))}`;
          const { verifier } = verifierFor(port, [signer.publicJwk]);

          assert.equal(signature.length, 256, `${alg}: a 2048-bit key signs 256 bytes`);
          assert.equal(await reasonOf(verifier, token), 'ok', `${alg}: the full-length signature`);
          assert.equal(await reasonOf(verifier, short), 'invalid_signature', `${alg}: 255 bytes`);
          const signingInput = encoder.encode(token.slice(0, cut));
          assert.equal(
            await port.verifySignature(alg, signer.publicJwk, signingInput, signature.subarray(1)),
            false,
            `${alg}: the port itself`,
          );
        }
      },
    },
    {
      name: `${label}: a token naming an unusable key is refused as unusable_key (never a dependency error), as jose refuses it, and the key is reported once`,
      async run() {
        const rsa = await keyPair('RS256', 'private-rsa');
        const withKeyOps = await keyPair('RS256', 'sign-and-verify');
        const ec = await keyPair('ES256', 'off-curve');
        const ed = await keyPair('EdDSA', 'short-x');
        const small = await crypto.subtle.generateKey(
          {
            name: 'RSASSA-PKCS1-v1_5',
            modulusLength: 1024,
            publicExponent: new Uint8Array([1, 0, 1]),
            hash: 'SHA-256',
          },
          true,
          ['sign', 'verify'],
        );
        const smallJwk: JWK = { ...(await exportJWK(small.publicKey)), kid: 'rsa-1024' };
        const smallToken = () =>
          signRaw({ alg: 'RS256', typ: 'at+jwt', kid: 'rsa-1024' }, claims(), small.privateKey, {
            name: 'RSASSA-PKCS1-v1_5',
          });
        const y = base64url.decode(ec.publicJwk.y as string);
        y[y.length - 1] = (y[y.length - 1] as number) ^ 1;
        const x = base64url.decode(ed.publicJwk.x as string);

        const cases: [string, JWK, () => Promise<string>][] = [
          ['a private RSA key', rsa.privateJwk, () => rsa.sign()],
          ['an RSA key of 1024 bits', smallJwk, smallToken],
          [
            'a public key with key_ops sign and verify',
            { ...withKeyOps.publicJwk, key_ops: ['sign', 'verify'] },
            () => withKeyOps.sign(),
          ],
          ['an EC point off the curve', { ...ec.publicJwk, y: base64url.encode(y) }, () => ec.sign()],
          ['an Ed25519 key of 31 bytes', { ...ed.publicJwk, x: base64url.encode(x.subarray(1)) }, () => ed.sign()],
        ];
        for (const [what, key, mint] of cases) {
          const { verifier, problems } = verifierFor(port, [key]);
          const tokens = [await mint(), await mint()];

          for (const token of [...tokens, ...tokens]) {
            assert.equal(await reasonOf(verifier, token), 'unusable_key', what);
          }
          assert.equal(await joseVerdict(tokens[0] as string, [key]), 'refused', `${what}: jose refuses it too`);
          assert.equal(problems.length, 1, `${what}: reported once, not per request`);
          assert.equal(problems[0]?.kid, key.kid, what);
          assert.match(problems[0]?.reason ?? '', /\w/, what);
        }
        // The same tokens with the keys as they should be: the key was the only fault.
        assert.equal(await reasonOf(verifierFor(port, [rsa.publicJwk]).verifier, await rsa.sign()), 'ok');
        assert.equal(await reasonOf(verifierFor(port, [ec.publicJwk]).verifier, await ec.sign()), 'ok');
        assert.equal(await reasonOf(verifierFor(port, [ed.publicJwk]).verifier, await ed.sign()), 'ok');
      },
    },
    {
      name: `${label}: a refetched key set with the same broken key is reported again, once`,
      async run() {
        const signer = await keyPair('RS256', 'k1');
        const stranger = await keyPair('RS256', 'not-in-the-set');
        const broken = { ...signer.publicJwk, key_ops: ['sign', 'verify'] };
        const scripted = new ScriptedFetch(() => Response.json({ keys: [broken] }));
        const { verifier, problems } = verifierFor(port, [], {
          jwks: undefined,
          jwksUri: 'https://issuer.test/jwks',
          http: scripted.http,
          jwksCooldownMs: 0,
        });

        for (let i = 0; i < 3; i++) assert.equal(await reasonOf(verifier, await signer.sign()), 'unusable_key');
        // An unknown kid makes the verifier fetch the set again: new key objects, a new key set.
        assert.equal(await reasonOf(verifier, await stranger.sign()), 'invalid_signature');
        for (let i = 0; i < 3; i++) assert.equal(await reasonOf(verifier, await signer.sign()), 'unusable_key');

        assert.equal(scripted.calls, 2);
        assert.equal(problems.length, 2, 'once per fetched key set');
      },
    },
    {
      name: `${label}: JWK use, key_ops, alg and ext select and refuse keys exactly as jose 6 does`,
      async run() {
        const signer = await keyPair('RS256', 'k1');
        const other = await keyPair('RS256', 'k2');
        const good = signer.publicJwk;
        const withKid = await signer.sign();
        const withoutKid = await new SignJWT(claims())
          .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' })
          .sign(signer.pair.privateKey);
        const variants: [string, Record<string, unknown>][] = [
          ['plain', {}],
          ['key_ops [verify]', { key_ops: ['verify'] }],
          ['key_ops [sign, verify]', { key_ops: ['sign', 'verify'] }],
          ['key_ops ["sign, verify"]', { key_ops: ['sign, verify'] }],
          ['key_ops [verify, encrypt]', { key_ops: ['verify', 'encrypt'] }],
          ['key_ops [verify, verify]', { key_ops: ['verify', 'verify'] }],
          ['key_ops []', { key_ops: [] }],
          ['key_ops [encrypt]', { key_ops: ['encrypt'] }],
          ['key_ops "verify"', { key_ops: 'verify' }],
          ['key_ops [verify, 1]', { key_ops: ['verify', 1] }],
          ['use sig', { use: 'sig' }],
          ['use enc', { use: 'enc' }],
          ['use SIG', { use: 'SIG' }],
          ['use empty', { use: '' }],
          ['alg RS256', { alg: 'RS256' }],
          ['alg PS256', { alg: 'PS256' }],
          ['alg rs256', { alg: 'rs256' }],
          ['ext true', { ext: true }],
          ['ext false', { ext: false }],
          ['ext "true"', { ext: 'true' }],
          ['use sig and key_ops [verify]', { use: 'sig', key_ops: ['verify'] }],
          ['use sig and key_ops [sign, verify]', { use: 'sig', key_ops: ['sign', 'verify'] }],
        ];
        const keySets: [string, JWK[]][] = variants.map(([what, change]) => [what, [{ ...good, ...change } as JWK]]);
        // A second key under another kid: only a kid-less token has to choose between them.
        keySets.push(
          [
            'another key with key_ops [sign, verify] beside',
            [good, { ...other.publicJwk, key_ops: ['sign', 'verify'] }],
          ],
          ['another key with use enc beside', [good, { ...other.publicJwk, use: 'enc' }]],
          ['another usable key beside', [good, other.publicJwk]],
        );

        const disagreements: string[] = [];
        let accepted = 0;
        for (const [what, keys] of keySets) {
          for (const [tokenKind, token] of [
            ['kid', withKid],
            ['no kid', withoutKid],
          ] as const) {
            const expected = await joseVerdict(token, keys);
            const reason = await reasonOf(verifierFor(port, keys).verifier, token);
            const ours = reason === 'ok' ? 'ok' : 'refused';
            if (ours === 'ok') accepted++;
            if (ours !== expected) disagreements.push(`${what}, ${tokenKind}: jose ${expected}, verifier ${reason}`);
          }
        }
        assert.deepEqual(disagreements, []);
        assert.ok(accepted > 0 && accepted < keySets.length * 2, 'the table holds both verdicts');
      },
    },
  ];
}
