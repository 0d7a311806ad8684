import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { glueToken, SplitTokenError, splitToken } from '../../../../lambda/core/issuing/split-token.ts';
import { hashToken, TOKEN_HASH_ALGORITHMS } from '../../../../lambda/core/token-hash.ts';
import { TestIssuer } from '../../../support/test-issuer.ts';

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const signature = 'c2lnbmF0dXJlLWJ5dGVzLXRoYXQtbG9vay1saWtlLWEtcmVhbC1vbmU';

function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error instanceof SplitTokenError ? error.code : 'other'),
  );
}

describe('splitToken', () => {
  it('gives the signature as the opaque token and header.payload with exp as the record', async () => {
    const issuer = await TestIssuer.create();
    const jwt = await issuer.mint({}, { expiresInSeconds: 120 });
    const [header, payload, sig] = jwt.split('.');

    const { opaqueToken, record } = await splitToken(jwt, 'SHA-256');

    expect(opaqueToken).toBe(sig);
    expect(record.headAndBody).toBe(`${header}.${payload}`);
    expect(record.expiration).toBe(decodeJwt(jwt).exp);
  });

  it('keys the record by the padded standard Base64 SHA-256 of the signature', async () => {
    const jwt = `${base64url({ alg: 'RS256' })}.${base64url({ exp: 2_000_000_000 })}.${signature}`;

    const { record } = await splitToken(jwt, 'SHA-256');

    const expected = createHash('sha256').update(signature, 'ascii').digest('base64');
    expect(record.hashedSignature).toBe(expected);
    expect(record.hashedSignature).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it.each(TOKEN_HASH_ALGORITHMS)('uses %s when asked', async (algorithm) => {
    const jwt = `${base64url({ alg: 'ES256' })}.${base64url({ exp: 2_000_000_000 })}.${signature}`;

    const { record } = await splitToken(jwt, algorithm);

    expect(record.hashedSignature).toBe(await hashToken(signature, algorithm));
  });

  it.each([
    ['two parts', `${base64url({ alg: 'RS256' })}.${base64url({ exp: 1 })}`, 'not_a_jws'],
    ['an empty signature (alg none)', `${base64url({ alg: 'none' })}.${base64url({ exp: 1 })}.`, 'not_a_jws'],
    ['five parts (JWE)', 'a.b.c.d.e', 'not_a_jws'],
    ['characters outside base64url', `${base64url({ alg: 'RS256' })}.${base64url({ exp: 1 })}.si+g/`, 'not_a_jws'],
    ['a header that is not JSON', `bm90LWpzb24.${base64url({ exp: 1 })}.${signature}`, 'invalid_header'],
    ['a header without alg', `${base64url({ typ: 'JWT' })}.${base64url({ exp: 1 })}.${signature}`, 'invalid_header'],
    ['a payload that is not JSON', `${base64url({ alg: 'RS256' })}.bm90LWpzb24.${signature}`, 'invalid_payload'],
    ['no exp', `${base64url({ alg: 'RS256' })}.${base64url({ sub: 'x' })}.${signature}`, 'missing_expiration'],
    ['a string exp', `${base64url({ alg: 'RS256' })}.${base64url({ exp: '1' })}.${signature}`, 'missing_expiration'],
  ])('refuses %s with a typed error', async (_name, value, code) => {
    expect(await codeOf(splitToken(value, 'SHA-256'))).toBe(code);
  });

  it('never puts the token into the error message', async () => {
    const jwt = `${base64url({ alg: 'RS256' })}.${base64url({ sub: 'x' })}.${signature}`;

    const error = (await splitToken(jwt, 'SHA-256').catch((reason: unknown) => reason)) as Error;

    expect(error.message).not.toContain(signature);
    expect(error.message).not.toContain(jwt.split('.')[1]);
  });

  it('round-trips: gluing the record to the opaque token gives the JWT back, keyed by its hash', async () => {
    const part = fc
      .base64String({ minLength: 4 })
      .map((s) => s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'));
    await fc.assert(
      fc.asyncProperty(
        fc.record({ alg: fc.constantFrom('RS256', 'ES256', 'EdDSA', 'PS384'), kid: fc.string() }),
        fc.record({ exp: fc.integer({ min: 1, max: 2 ** 40 }), sub: fc.string(), scope: fc.string() }),
        part.filter((s) => s.length > 0),
        fc.constantFrom(...TOKEN_HASH_ALGORITHMS),
        async (header, payload, sig, algorithm) => {
          const jwt = `${base64url(header)}.${base64url(payload)}.${sig}`;

          const { opaqueToken, record } = await splitToken(jwt, algorithm);

          expect(glueToken(record.headAndBody, opaqueToken)).toBe(jwt);
          expect(record.hashedSignature).toBe(await hashToken(opaqueToken, algorithm));
          expect(record.expiration).toBe(payload.exp);
        },
      ),
      { numRuns: 200 },
    );
  });
});
