import { describe, expect, it } from 'vitest';
import { expiryBoundSeconds, revocationBoundSeconds } from '../../../lambda/core/cache-staleness.ts';

// The expected figures are added up by hand from the layers the README names: the replica's lag,
// then the authorizer's in-memory entry, then the gateway's result cache refilled from it.
describe('revocationBoundSeconds', () => {
  it('is the two cache times where the authorizer reads the home table', () => {
    expect(
      revocationBoundSeconds({ authorizerCacheTtlSeconds: 30, gatewayResultsTtlSeconds: 30, clockSkewSeconds: 30 }),
    ).toBe(60);
  });

  it('adds the replication lag in a region that reads a replica', () => {
    const times = { authorizerCacheTtlSeconds: 10, gatewayResultsTtlSeconds: 10, clockSkewSeconds: 30 };

    expect(revocationBoundSeconds({ ...times, replicationLagSeconds: 1 })).toBe(21);
    expect(revocationBoundSeconds({ ...times, replicationLagSeconds: 0.25 })).toBe(20.25);
    expect(revocationBoundSeconds({ ...times, replicationLagSeconds: 0 })).toBe(20);
  });

  it('is the lag alone with both caches off (strict caching)', () => {
    expect(
      revocationBoundSeconds({
        authorizerCacheTtlSeconds: 0,
        gatewayResultsTtlSeconds: 0,
        clockSkewSeconds: 0,
        replicationLagSeconds: 1.5,
      }),
    ).toBe(1.5);
  });
});

describe('expiryBoundSeconds', () => {
  it('does not depend on replication: exp travels inside the token', () => {
    const times = { authorizerCacheTtlSeconds: 10, gatewayResultsTtlSeconds: 20, clockSkewSeconds: 30 };

    expect(expiryBoundSeconds(times)).toBe(50);
    expect(expiryBoundSeconds({ ...times, replicationLagSeconds: 5 })).toBe(50);
  });
});
