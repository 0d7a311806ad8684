import assert from 'node:assert/strict';
import { CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { decodeBase64Url } from '../../../../lambda/core/base64url.ts';
import type { DigestAlgorithm, JoseCrypto } from '../../../../lambda/core/crypto-port.ts';
import { bytesToBase64 } from '../../../../lambda/core/token-hash.ts';
import { webJoseCrypto } from '../../../../lambda/core/web-crypto.ts';
import type { Scenario } from './scenario.ts';

/** Algorithms every port must verify, with a key from jose's generateKeyPair. */
export const PORT_ALGORITHMS = ['RS256', 'RS384', 'PS256', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

interface SignedSample {
  readonly alg: string;
  readonly key: JWK;
  readonly signingInput: Uint8Array;
  readonly signature: Uint8Array;
  readonly privateKey: CryptoKey;
}

/** A JWS signed by jose (WebCrypto), cut into what a port is given. */
export async function signedSample(alg: string, payload = '{"sub":"port"}'): Promise<SignedSample> {
  const pair = await generateKeyPair(alg, { extractable: true });
  const key = { ...(await exportJWK(pair.publicKey)), alg, use: 'sig', kid: `port-${alg}` };
  const jws = await new CompactSign(new TextEncoder().encode(payload))
    .setProtectedHeader({ alg })
    .sign(pair.privateKey);
  const cut = jws.lastIndexOf('.');
  return {
    alg,
    key,
    signingInput: new TextEncoder().encode(jws.slice(0, cut)),
    signature: decodeBase64Url(jws.slice(cut + 1)) as Uint8Array,
    privateKey: pair.privateKey,
  };
}

const DIGESTS: Record<DigestAlgorithm, string> = {
  // FIPS 180-2 test vectors of "abc", in standard Base64.
  'SHA-256': 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=',
  'SHA-384': 'ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn',
  'SHA-512': '3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==',
};

/** The contract of a {@link JoseCrypto}: the same scenarios for the WebCrypto default and the node:crypto adapter. */
export function cryptoPortScenarios(label: string, port: JoseCrypto): Scenario[] {
  return [
    {
      name: `${label}: digests match the FIPS 180-2 vectors`,
      async run() {
        for (const [algorithm, expected] of Object.entries(DIGESTS)) {
          const digest = await port.digest(algorithm as DigestAlgorithm, new TextEncoder().encode('abc'));
          assert.equal(bytesToBase64(digest), expected, algorithm);
        }
      },
    },
    {
      name: `${label}: verifies ${PORT_ALGORITHMS.join(', ')} signatures made by jose`,
      async run() {
        for (const alg of PORT_ALGORITHMS) {
          const sample = await signedSample(alg);
          assert.equal(await port.verifySignature(alg, sample.key, sample.signingInput, sample.signature), true, alg);
          // Again: the imported key comes from the cache.
          assert.equal(await port.verifySignature(alg, sample.key, sample.signingInput, sample.signature), true, alg);
        }
      },
    },
    {
      name: `${label}: a changed signing input, a flipped signature bit, a wrong length or another key fails`,
      async run() {
        for (const alg of PORT_ALGORITHMS) {
          const sample = await signedSample(alg);
          const other = await signedSample(alg);
          const input = new Uint8Array(sample.signingInput);
          input[input.length - 1] = (input[input.length - 1] as number) ^ 1;
          const flipped = new Uint8Array(sample.signature);
          flipped[0] = (flipped[0] as number) ^ 0x80;
          const cases: [string, JWK, Uint8Array, Uint8Array][] = [
            ['input', sample.key, input, sample.signature],
            ['bit', sample.key, sample.signingInput, flipped],
            ['short', sample.key, sample.signingInput, sample.signature.slice(1)],
            ['long', sample.key, sample.signingInput, new Uint8Array([...sample.signature, 0])],
            ['empty', sample.key, sample.signingInput, new Uint8Array()],
            ['other key', other.key, sample.signingInput, sample.signature],
          ];
          for (const [what, key, signingInput, signature] of cases) {
            assert.equal(await port.verifySignature(alg, key, signingInput, signature), false, `${alg} ${what}`);
          }
        }
      },
    },
    {
      name: `${label}: RS256 and PS256 signatures do not verify as each other`,
      async run() {
        const rs = await signedSample('RS256');
        const ps = await signedSample('PS256');
        const psKey = { ...ps.key, alg: undefined };
        const rsKey = { ...rs.key, alg: undefined };
        assert.equal(await port.verifySignature('PS256', rsKey, rs.signingInput, rs.signature), false);
        assert.equal(await port.verifySignature('RS256', psKey, ps.signingInput, ps.signature), false);
      },
    },
    {
      name: `${label}: an RSA-PSS signature with a salt other than the hash length is refused`,
      async run() {
        for (const [alg, saltLengths] of [
          ['PS256', [0, 20, 64]],
          ['PS512', [0, 32]],
        ] as const) {
          const sample = await signedSample(alg);
          for (const saltLength of saltLengths) {
            const signature = new Uint8Array(
              await crypto.subtle.sign(
                { name: 'RSA-PSS', saltLength },
                sample.privateKey,
                sample.signingInput as Uint8Array<ArrayBuffer>,
              ),
            );
            assert.equal(
              await port.verifySignature(alg, sample.key, sample.signingInput, signature),
              false,
              `${alg} salt ${saltLength}`,
            );
          }
        }
      },
    },
    {
      name: `${label}: a key that cannot be imported throws (the verifier reports the JWKS), a bad signature does not`,
      async run() {
        const broken: JWK = { kty: 'EC', crv: 'P-256', x: 'AAAA' };
        await assert.rejects(async () => port.verifySignature('ES256', broken, new Uint8Array(1), new Uint8Array(64)));
      },
    },
  ];
}

/** The core's default port, on whatever runtime runs the scenarios. */
export const webCryptoPortScenarios: Scenario[] = cryptoPortScenarios('WebCrypto port', webJoseCrypto);
