import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../../../lambda/adapters/api-gateway/authorizer-answer.ts';
import { JsonLog } from '../../../lambda/adapters/json-log.ts';
import { createAuthorizer } from '../../../lambda/authorizer/authorizer.ts';
import { EVENT_FORMATS, eventFor } from '../../support/api-gateway-events.ts';
import { authorizerConfig } from '../../support/authorizer-config.ts';
import { TestIssuer } from '../../support/test-issuer.ts';

type Json = Record<string, unknown>;

// A key in the issuer's set that can verify nothing (private material, key_ops jose cannot import)
// must not turn every token naming it into a 500 and an alarm: 401 for the token, one warning and
// one metric for the key set.

async function authorizerWithBrokenKey(change: Record<string, unknown>) {
  const issuer = await TestIssuer.create();
  const lines: Json[] = [];
  const log = new JsonLog({ level: 'debug', write: (line) => lines.push(JSON.parse(line) as Json) });
  const jwks = {
    keys: issuer.jwks.keys.map((key) => (key.kid === 'test-RS256' ? { ...key, ...change } : key)),
  };
  const authorize = createAuthorizer(
    authorizerConfig(
      { issuer: issuer.issuer, jwksUri: 'https://issuer.test/jwks', audiences: [issuer.audience] },
      { tokenTableName: undefined, jwtValidationEnabled: true, jwtClientIds: ['client-1'], routeScopes: [] },
    ),
    { jwks, log, functionName: 'authorizer-under-test' },
  );
  return { issuer, lines, authorize };
}

describe('authorizer with an unusable key in the issuer key set', () => {
  for (const [what, change] of [
    ['private key material', { d: 'AQAB' }],
    ['key_ops sign and verify', { key_ops: ['sign', 'verify'] }],
  ] as const) {
    it(`answers 401 (Unauthorized), not 500, to tokens naming a key with ${what}, and warns once with a metric`, async () => {
      const { issuer, lines, authorize } = await authorizerWithBrokenKey(change);

      for (let i = 0; i < 10; i++) {
        for (const format of EVENT_FORMATS) {
          const token = await issuer.mint({}, { algorithm: 'RS256' });
          await expect(authorize(eventFor(format, `Bearer ${token}`))).rejects.toThrow(UnauthorizedError);
        }
      }

      const warnings = lines.filter((line) => line.level === 'warn');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ kid: 'test-RS256', KeySetProblems: 1 });
      const emf = (warnings[0] as { _aws?: { CloudWatchMetrics?: { Metrics?: { Name: string }[] }[] } })._aws;
      expect(emf?.CloudWatchMetrics?.[0]?.Metrics?.[0]?.Name).toBe('KeySetProblems');
      expect(lines.filter((line) => line.level === 'error')).toEqual([]);
      expect(lines.filter((line) => line.message === 'denied').map((line) => line.reason)).toEqual(
        Array(10 * EVENT_FORMATS.length).fill('unusable_key'),
      );
    });
  }

  it('still allows tokens signed with the usable keys of the same set', async () => {
    const { issuer, authorize } = await authorizerWithBrokenKey({ key_ops: ['sign', 'verify'] });
    const token = await issuer.mint({}, { algorithm: 'ES256' });

    const answer = (await authorize(eventFor('http-simple', `Bearer ${token}`))) as unknown as Json;

    expect(answer.isAuthorized).toBe(true);
  });
});
