import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NodeJoseCrypto, nodeJoseCrypto } from '../../../lambda/adapters/node-crypto.ts';
import { decodeBase64Url } from '../../../lambda/core/base64url.ts';
import { JwtVerifier } from '../../../lambda/core/jwt-verifier.ts';
import { hashToken, TOKEN_HASH_ALGORITHMS } from '../../../lambda/core/token-hash.ts';
import { webJoseCrypto } from '../../../lambda/core/web-crypto.ts';
import { TestIssuer } from '../../support/test-issuer.ts';
import { cryptoPortScenarios, PORT_ALGORITHMS, signedSample } from '../core/scenarios/crypto-port.scenarios.ts';
import { keySetScenarios } from '../core/scenarios/jwt-verifier-key-set.scenarios.ts';

describe('node:crypto port: the JoseCrypto contract', () => {
  for (const scenario of cryptoPortScenarios('node:crypto port', nodeJoseCrypto)) it(scenario.name, scenario.run);
});

describe('node:crypto port: the verifier key set findings', () => {
  for (const scenario of keySetScenarios('node:crypto port', nodeJoseCrypto)) it(scenario.name, scenario.run);
});

describe('node:crypto port', () => {
  it('answers synchronously, so the core pays no promise or thread-pool hop', async () => {
    const sample = await signedSample('RS256');
    const port = new NodeJoseCrypto();

    expect(port.verifySignature('RS256', sample.key, sample.signingInput, sample.signature)).toBe(true);
    expect(port.digest('SHA-256', new Uint8Array([1, 2, 3]))).toBeInstanceOf(Uint8Array);
  });

  it('agrees with the WebCrypto port on every algorithm, valid or tampered', async () => {
    for (const alg of PORT_ALGORITHMS) {
      const sample = await signedSample(alg);
      const tampered = new Uint8Array(sample.signature);
      tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
      for (const signature of [sample.signature, tampered]) {
        expect(nodeJoseCrypto.verifySignature(alg, sample.key, sample.signingInput, signature)).toBe(
          await webJoseCrypto.verifySignature(alg, sample.key, sample.signingInput, signature),
        );
      }
    }
  });

  it('imports each JWK object once', async () => {
    const sample = await signedSample('ES256');
    const port = new NodeJoseCrypto();
    const key = { ...sample.key };

    port.verifySignature('ES256', key, sample.signingInput, sample.signature);
    // Change the object behind the cache's back: the cached key is still used, proving one import.
    key.x = 'AAAA';
    expect(port.verifySignature('ES256', key, sample.signingInput, sample.signature)).toBe(true);
  });

  it('never imports private members: a JWK with d verifies as its public key', async () => {
    const sample = await signedSample('EdDSA');
    const withPrivate = { ...sample.key, d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A' };

    expect(nodeJoseCrypto.verifySignature('EdDSA', withPrivate, sample.signingInput, sample.signature)).toBe(true);
  });

  it('refuses an algorithm it does not know rather than guessing', async () => {
    const sample = await signedSample('RS256');
    expect(() => nodeJoseCrypto.verifySignature('HS256', sample.key, sample.signingInput, sample.signature)).toThrow(
      /Unsupported/,
    );
  });

  it('hashToken gives the same record keys through either port', async () => {
    for (const algorithm of TOKEN_HASH_ALGORITHMS) {
      const token = 'a'.repeat(342);
      const viaNode = await hashToken(token, algorithm, nodeJoseCrypto);
      expect(viaNode).toBe(await hashToken(token, algorithm));
      expect(viaNode).toBe(createHash(algorithm.replace('-', '').toLowerCase()).update(token).digest('base64'));
    }
  });

  it('decodes base64url like the core decoder', () => {
    for (let length = 0; length < 300; length += 7) {
      const text = Buffer.from(crypto.getRandomValues(new Uint8Array(length))).toString('base64url');
      expect(Buffer.from(nodeJoseCrypto.decodeBase64Url?.(text) ?? [])).toEqual(
        Buffer.from(decodeBase64Url(text) ?? []),
      );
    }
  });

  it('wired into the verifier, Buffer leniency never reaches a token: other spellings of a valid one are refused', async () => {
    const issuer = await TestIssuer.create();
    const verifier = new JwtVerifier({
      issuer: issuer.issuer,
      jwksUri: 'https://unused.test/jwks',
      allowedAlgorithms: ['RS256', 'ES256', 'EdDSA'],
      clockSkewSeconds: 30,
      jwks: issuer.jwks,
      crypto: nodeJoseCrypto,
    });
    const expectation = { audiences: [issuer.audience], type: 'at+jwt', requireExpiry: true };
    for (const algorithm of ['RS256', 'ES256', 'EdDSA'] as const) {
      const jwt = await issuer.mint({}, { algorithm });
      const [h, p, s] = jwt.split('.') as [string, string, string];
      expect((await verifier.verify(jwt, expectation)).ok).toBe(true);
      const respelled = [
        `${jwt}=`,
        `${h}.${p}.${s.slice(0, 10)} ${s.slice(10)}`,
        `${h}.${p}.${s.slice(0, 10)}\n${s.slice(10)}`,
        `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}`,
        `${h}.${p}.${s.slice(0, -1)}${String.fromCharCode(s.charCodeAt(s.length - 1) + 1)}`,
        `${h} .${p}.${s}`,
      ].filter((variant) => variant !== jwt);
      for (const variant of respelled) {
        expect(await verifier.verify(variant, expectation), `${algorithm}: ${variant.slice(-12)}`).toEqual({
          ok: false,
          reason: 'invalid_signature',
        });
      }
    }
  });
});
