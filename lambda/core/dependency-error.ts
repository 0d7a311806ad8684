/** Which dependency failed; stable strings for logs and metrics. */
export type DependencyErrorCode =
  | 'token_store_unavailable'
  | 'introspection_unavailable'
  | 'introspection_rate_limited'
  | 'introspection_source_rate_limited'
  | 'jwks_unavailable'
  | 'secret_unavailable'
  /** API Gateway's cache key (the identity sources) would reuse an answer on other requests. */
  | 'cache_key_not_exact'
  /** The per-instance DPoP replay memory is full of live proofs. */
  | 'proof_replay_cache_full'
  /** The shared DPoP replay table could not be written. */
  | 'proof_replay_store_unavailable';

/**
 * A dependency could not give an answer. It is never a statement about the token: adapters turn it
 * into a 500 so that an outage is neither an allow nor a 401. Messages never hold token material.
 */
export class DependencyError extends Error {
  override readonly name = 'DependencyError';
  readonly code: DependencyErrorCode;

  constructor(code: DependencyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isDependencyError(error: unknown): error is DependencyError {
  return error instanceof DependencyError;
}
