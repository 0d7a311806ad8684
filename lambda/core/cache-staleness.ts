/**
 * The cache times every layer uses, and how stale an answer can get because of them: one place,
 * read by the handler's configuration, the CDK constructs, the local stack and the README, so the
 * stated bounds and the running code cannot disagree.
 *
 * Two caches sit in front of the token table and the authorization server:
 * 1. the authorizer's in-memory cache of resolved tokens (per warm Lambda instance), entries
 *    living `authorizerCacheTtlSeconds` at most and never past the token's `exp`;
 * 2. API Gateway's authorizer result cache, keeping each answer for the authorizer's fixed
 *    `gatewayResultsTtlSeconds`, whatever the token's `exp`.
 * An answer the gateway caches may itself come from an in-memory entry resolved up to
 * `authorizerCacheTtlSeconds` earlier, so the layers add up. In a region other than the table's
 * home, the replica the authorizer reads lags the home table: a deletion reaches it only after the
 * replication lag, and only then can the caches above start to run out.
 */

/** How long a warm authorizer instance keeps a resolved token, unless configured. */
export const DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS = 30;

/** How long API Gateway keeps an authorizer answer when the constructs are not told otherwise. */
export const DEFAULT_GATEWAY_RESULTS_TTL_SECONDS = 30;

/** Tolerance on `exp`, `nbf` and a record's `expiration`, unless configured. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;

/** The cache times of one deployment. */
export interface CacheTimes {
  /** The authorizer's in-memory cache (`CACHE_TTL_SECONDS`); 0 when off. */
  readonly authorizerCacheTtlSeconds: number;
  /** API Gateway's result cache (the authorizer's `resultsCacheTtl`); 0 when off. */
  readonly gatewayResultsTtlSeconds: number;
  /** `CLOCK_SKEW_SECONDS`. */
  readonly clockSkewSeconds: number;
  /**
   * How long after a write in the home region the replica this authorizer reads has it: 0 (or unset)
   * in the home region and for a multi-Region strongly consistent table read with `ConsistentRead`;
   * for an eventually consistent global table AWS states no bound ("typically within a second",
   * CloudWatch `ReplicationLatency`, no SLA); the local stack's `REPLICATION_LAG_MS`.
   * @default 0
   */
  readonly replicationLagSeconds?: number;
}

/**
 * The longest a token is still let through after it was revoked: its record deleted from the home
 * table, or revoked at the authorization server. The deletion reaches the replica this authorizer
 * reads after {@link CacheTimes.replicationLagSeconds}; from then on the two caches may each keep the
 * old answer for their whole time. (A phantom token's revocation has no lag: the bound holds for it too.)
 */
export function revocationBoundSeconds(times: CacheTimes): number {
  return (times.replicationLagSeconds ?? 0) + times.authorizerCacheTtlSeconds + times.gatewayResultsTtlSeconds;
}

/**
 * The longest a token is still let through after its `exp`: the authorizer accepts it until
 * `exp + clockSkewSeconds`, and API Gateway may keep that answer for its whole result TTL.
 */
export function expiryBoundSeconds(times: CacheTimes): number {
  return times.clockSkewSeconds + times.gatewayResultsTtlSeconds;
}
