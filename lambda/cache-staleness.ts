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
 * `authorizerCacheTtlSeconds` earlier, so the layers add up.
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
}

/**
 * The longest a token is still let through after it was revoked: its record deleted from the
 * table the authorizer reads, or revoked at the authorization server. Split tokens read from a
 * replica in another region add the table's replication lag (about a second for global tables).
 */
export function revocationBoundSeconds(times: CacheTimes): number {
  return times.authorizerCacheTtlSeconds + times.gatewayResultsTtlSeconds;
}

/**
 * The longest a token is still let through after its `exp`: the authorizer accepts it until
 * `exp + clockSkewSeconds`, and API Gateway may keep that answer for its whole result TTL.
 */
export function expiryBoundSeconds(times: CacheTimes): number {
  return times.clockSkewSeconds + times.gatewayResultsTtlSeconds;
}
