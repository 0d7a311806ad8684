/**
 * How stale an answer really gets, measured through the local stack against the bounds stated in
 * lambda/core/cache-staleness.ts (the same functions the constructs and the README use): requests on
 * ever new paths keep filling fresh gateway cache entries from the authorizer's in-memory entry,
 * which is what makes the layers add up. Upper bounds only; a small slack covers the time between
 * the authorizer's answer and the gateway storing it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEventFormat } from '../../local/api-gateway/authorizer-events.ts';
import { type LocalStack, startLocalStack } from '../../local/local-stack.ts';
import { revokeAt, tokenFrom } from '../support/local-stack-client.ts';
import { lastAllowed } from '../support/staleness-probe.ts';

const CACHE_SECONDS = 2;
const SLACK_MS = 300;
const _pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each<GatewayEventFormat>(['rest', 'http'])('staleness through the %s gateway', (format) => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ eventFormat: format, cacheTtlSeconds: CACHE_SECONDS, clockSkewSeconds: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each(['split', 'phantom'] as const)(
    'a revoked %s token stops within the stated revocation bound, which counts both caches',
    async (kind) => {
      const bound = stack.ready.staleness.afterRevocation;
      const token = await tokenFrom(stack.ready, kind);
      await lastAllowed(stack.ready.gateway, token, Date.now() + 100);

      const revokedAt = Date.now();
      expect(await revokeAt(stack.ready, kind, token)).toBe(200);
      const last = await lastAllowed(stack.ready.gateway, token, revokedAt + (bound + 2) * 1000);

      console.info(
        `[staleness] ${format} ${kind}: allowed ${last - revokedAt} ms after revocation; bound ${bound * 1000} ms`,
      );
      expect(bound).toBe(2 * CACHE_SECONDS);
      expect(last - revokedAt).toBeLessThanOrEqual(bound * 1000 + SLACK_MS);
    },
    30_000,
  );

  it('the emergency flush ends every cached answer at once', async () => {
    const token = await tokenFrom(stack.ready, 'split');
    await lastAllowed(stack.ready.gateway, token, Date.now() + 500);
    await revokeAt(stack.ready, 'split', token);

    stack.flushAuthorizerCaches();
    const last = await lastAllowed(stack.ready.gateway, token, Date.now() + 500, 50);

    expect(last).toBe(0);
  });
});

describe('staleness after expiry', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ cacheTtlSeconds: CACHE_SECONDS, clockSkewSeconds: 0, accessTokenTtlSeconds: 3 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('a token passes at most the stated bound after its exp: skew plus the gateway cache time', async () => {
    const bound = stack.ready.staleness.afterExpiry;
    const jwt = await tokenFrom(stack.ready, 'jwt');
    const exp = (JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString()) as { exp: number }).exp;

    const last = await lastAllowed(stack.ready.gateway, jwt, exp * 1000 + (bound + 2) * 1000);

    console.info(`[staleness] rest jwt: allowed ${last - exp * 1000} ms after exp; bound ${bound * 1000} ms`);
    expect(bound).toBe(CACHE_SECONDS);
    expect(last).toBeGreaterThan(0);
    expect(last - exp * 1000).toBeLessThanOrEqual(bound * 1000 + SLACK_MS);
  }, 30_000);
});
