import fc from 'fast-check';
import type { JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { NodeJoseCrypto } from '../../../lambda/adapters/node-crypto.ts';
import { createAuthorizer } from '../../../lambda/authorizer/authorizer.ts';
import type { JoseCrypto } from '../../../lambda/core/crypto-port.ts';
import type { JwksSource } from '../../../lambda/core/jwks-source.ts';
import { JwtVerifier } from '../../../lambda/core/jwt-verifier.ts';
import { everyPathReading, pathReadings, plainPathReadings } from '../../../lambda/core/request-path.ts';
import { eventFor } from '../../support/api-gateway-events.ts';
import { authorizerConfig } from '../../support/authorizer-config.ts';
import { TestIssuer } from '../../support/test-issuer.ts';

// Work a cold instance does while its first miss waits on I/O: the route readings of plain paths
// (a shortcut that must read exactly as the full reading does), the issuer's keys imported ahead,
// and the composition root's scheduling of both, which must never change an answer or throw.

const EXPECT = { audiences: ['https://api.test'], type: 'at+jwt', requireExpiry: true } as const;

/** A node:crypto port that records the keys it is asked to prepare and to verify with. */
function recordingPort(options: { prepareThrows?: boolean } = {}) {
  const port = new NodeJoseCrypto();
  const prepared: JWK[] = [];
  const verifiedWith: JWK[] = [];
  const recording: JoseCrypto = {
    digest: (algorithm, data) => port.digest(algorithm, data),
    decodeBase64Url: (text) => port.decodeBase64Url(text),
    verifySignature: (alg, key, input, signature) => {
      verifiedWith.push(key);
      return port.verifySignature(alg, key, input, signature);
    },
    prepareKey: (key) => {
      prepared.push(key);
      if (options.prepareThrows) throw new Error('no import here');
      port.prepareKey(key);
    },
  };
  return { recording, prepared, verifiedWith };
}

describe('path readings of plain paths', () => {
  const plainPath = fc.stringMatching(/^[/A-Za-z0-9_~-]{0,40}$/);

  it('are exactly every reading the full reading finds, for any path of letters, digits, -, _, ~ and /', () => {
    fc.assert(
      fc.property(plainPath, (path) => {
        expect(plainPathReadings(path)).toEqual(everyPathReading(path));
        expect(pathReadings(path)).toEqual(everyPathReading(path));
      }),
      { numRuns: 2000 },
    );
  });

  it('are not taken for a path with anything a backend may decode, resolve, cut or fold', () => {
    for (const path of ['/orders/%41', '/a/../admin', '/a;b', '/a\\b', '/a.', '/ord\ters', '/a?b', '/ſ', '/a ']) {
      expect(pathReadings(path)).toEqual(everyPathReading(path));
      expect(everyPathReading(path)).not.toEqual(plainPathReadings(path));
    }
  });
});

describe('JwtVerifier.keyPreparations', () => {
  /** Runs every step, as a composition root does when no answer comes first. */
  function prepareEveryKey(verifier: JwtVerifier): void {
    for (const step of verifier.keyPreparations()) step();
  }

  async function keySet() {
    const issuer = await TestIssuer.create();
    const keys = issuer.jwks.keys as JWK[];
    return { issuer, keys };
  }

  it('imports each usable key of an allowed type, once a token would select it, and nothing else', async () => {
    const { issuer, keys } = await keySet();
    const withPrivate = { ...(keys.find((key) => key.kty === 'RSA') as JWK), kid: 'private', d: 'AQAB' };
    const { recording, prepared, verifiedWith } = recordingPort();
    const verifier = new JwtVerifier({
      issuer: issuer.issuer,
      jwksUri: 'https://unused.test/jwks',
      allowedAlgorithms: ['RS256', 'ES256'],
      clockSkewSeconds: 0,
      jwks: { keys: [...keys, withPrivate] },
      crypto: recording,
    });

    prepareEveryKey(verifier);

    const allowedTypes = prepared.map((key) => `${key.kty}/${key.crv ?? ''}`);
    expect(new Set(allowedTypes)).toEqual(new Set(['RSA/', 'EC/P-256']));
    expect(prepared.map((key) => key.kid)).not.toContain('private');
    const token = await issuer.mint({ aud: EXPECT.audiences[0] }, { algorithm: 'RS256' });
    const result = await verifier.verify(token, EXPECT);
    expect(result.ok).toBe(true);
    // The key verified with is one of the objects prepared: a port caching by identity finds it.
    expect(prepared).toContain(verifiedWith[0]);
  });

  it('never throws, and leaves verification and key-set reports as they were, when the port cannot import', async () => {
    const { issuer, keys } = await keySet();
    const broken = keys.map((key) => (key.kty === 'RSA' ? { ...key, d: 'AQAB' } : key));
    const problems: string[] = [];
    const { recording } = recordingPort({ prepareThrows: true });
    const verifier = new JwtVerifier({
      issuer: issuer.issuer,
      jwksUri: 'https://unused.test/jwks',
      allowedAlgorithms: ['RS256', 'ES256'],
      clockSkewSeconds: 0,
      jwks: { keys: broken },
      crypto: recording,
      onKeySetProblem: (problem) => problems.push(problem.reason),
    });

    expect(() => prepareEveryKey(verifier)).not.toThrow();
    const good = await issuer.mint({ aud: EXPECT.audiences[0] }, { algorithm: 'ES256' });
    const bad = await issuer.mint({ aud: EXPECT.audiences[0] }, { algorithm: 'RS256' });
    expect((await verifier.verify(good, EXPECT)).ok).toBe(true);
    expect(await verifier.verify(bad, EXPECT)).toEqual({ ok: false, reason: 'unusable_key' });
    expect(problems).toEqual(['a JWKS member holds private key material']);
  });

  it('never throws on a key set member of any shape', async () => {
    const { issuer, keys } = await keySet();
    const hostile = JSON.parse('[{"kty":{"toString":1,"valueOf":1}},{"kty":"EC","crv":{"toString":1}},{"kty":null}]');
    const { recording, prepared } = recordingPort();
    const verifier = new JwtVerifier({
      issuer: issuer.issuer,
      jwksUri: 'https://unused.test/jwks',
      allowedAlgorithms: ['RS256', 'ES256'],
      clockSkewSeconds: 0,
      jwks: { keys: [...hostile, ...keys] },
      crypto: recording,
    });

    expect(() => prepareEveryKey(verifier)).not.toThrow();
    expect(prepared.map((key) => key.kty).sort()).toEqual(['EC', 'RSA']);
  });

  it('fetches nothing: before a remote key set has been fetched there is nothing to prepare', () => {
    let fetched = 0;
    const source: JwksSource = {
      keys: () => {
        fetched++;
        return Promise.resolve([]);
      },
      refetchForUnknownKey: () => undefined,
      held: () => undefined,
    };
    const { recording, prepared } = recordingPort();
    const verifier = new JwtVerifier({
      issuer: 'https://issuer.test',
      jwksUri: 'https://unused.test/jwks',
      allowedAlgorithms: ['RS256'],
      clockSkewSeconds: 0,
      keySource: source,
      crypto: recording,
    });

    prepareEveryKey(verifier);

    expect(fetched).toBe(0);
    expect(prepared).toEqual([]);
  });
});

describe('authorizer: work done while the first miss waits', () => {
  it('answers the first miss as it would without it, even when the preparation throws', async () => {
    const issuer = await TestIssuer.create();
    const throwingSource: JwksSource = {
      keys: () => issuer.jwks.keys as JWK[],
      refetchForUnknownKey: () => undefined,
      held: () => {
        throw new Error('held keys unavailable');
      },
    };
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const authorize = createAuthorizer(
        authorizerConfig(
          { issuer: issuer.issuer, jwksUri: 'https://issuer.test/jwks', audiences: [issuer.audience] },
          {
            tokenTableName: undefined,
            jwtValidationEnabled: true,
            jwtClientIds: ['client-1'],
            routeScopes: [{ method: 'GET', path: '/orders', scopes: ['orders:read'] }],
          },
        ),
        { jwksSource: throwingSource, functionName: 'authorizer-under-test' },
      );
      const allowed = await issuer.mint({ scope: 'orders:read' }, { algorithm: 'RS256' });
      const lacking = await issuer.mint({ scope: 'orders:write' }, { algorithm: 'RS256' });

      const first = (await authorize(eventFor('http-simple', `Bearer ${allowed}`))) as unknown as {
        isAuthorized: boolean;
      };
      const second = (await authorize(eventFor('http-simple', `Bearer ${lacking}`))) as unknown as {
        isAuthorized: boolean;
      };
      await new Promise((resolve) => setImmediate(resolve));

      expect(first.isAuthorized).toBe(true);
      expect(second.isAuthorized).toBe(false);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  async function authorizerPreparingWith(keysAfterMs: number) {
    const issuer = await TestIssuer.create();
    const keys = issuer.jwks.keys as JWK[];
    const source: JwksSource = {
      keys: () => (keysAfterMs === 0 ? keys : new Promise((resolve) => setTimeout(() => resolve(keys), keysAfterMs))),
      refetchForUnknownKey: () => undefined,
      held: () => keys,
    };
    const { recording, prepared } = recordingPort();
    const authorize = createAuthorizer(
      authorizerConfig(
        { issuer: issuer.issuer, jwksUri: 'https://issuer.test/jwks', audiences: [issuer.audience] },
        { tokenTableName: undefined, jwtValidationEnabled: true, jwtClientIds: ['client-1'], routeScopes: [] },
      ),
      { jwksSource: source, crypto: recording, functionName: 'authorizer-under-test' },
    );
    return { issuer, keys, prepared, authorize };
  }

  it('imports the keys one per turn of the event loop while the first miss waits', async () => {
    const { issuer, keys, prepared, authorize } = await authorizerPreparingWith(50);
    const token = await issuer.mint({}, { algorithm: 'RS256' });

    const answer = (await authorize(eventFor('http-simple', `Bearer ${token}`))) as unknown as {
      isAuthorized: boolean;
    };

    expect(answer.isAuthorized).toBe(true);
    expect(new Set(prepared)).toEqual(new Set(keys));
  });

  it('stops preparing once the miss is answered: an answer that comes first is not kept waiting', async () => {
    const { issuer, prepared, authorize } = await authorizerPreparingWith(0);
    const token = await issuer.mint({}, { algorithm: 'RS256' });

    const answer = (await authorize(eventFor('http-simple', `Bearer ${token}`))) as unknown as {
      isAuthorized: boolean;
    };
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));

    expect(answer.isAuthorized).toBe(true);
    expect(prepared).toEqual([]);
  });
});
