import type { JWK } from 'jose';
import { isJsonWebKeySet, type JsonWebKeySet } from './jwk-set.ts';

/**
 * Where the verifier gets the issuer's public keys. A source hands out the same key objects until
 * it refetches, so crypto ports can cache imported keys by identity.
 */
export interface JwksSource {
  /**
   * The current keys: synchronously while they are fresh, a promise when they must be fetched.
   * @throws {@link DependencyError} (`jwks_unavailable`) when they cannot be fetched
   */
  keys(): readonly JWK[] | Promise<readonly JWK[]>;
  /**
   * Fetches the keys again because none matched a token (a rotated key), or undefined when that is
   * not allowed now (cooling down after the last fetch, or a static set): unknown `kid`s must not
   * be able to stampede the issuer.
   * @throws {@link DependencyError} (`jwks_unavailable`) when they cannot be fetched
   */
  refetchForUnknownKey(): Promise<readonly JWK[]> | undefined;
  /** The keys held now, fresh or not, without fetching anything; undefined before the first fetch. */
  held(): readonly JWK[] | undefined;
}

/** A fixed key set (tests, or keys configured out of band): never fetched, never refetched. */
export class StaticJwks implements JwksSource {
  private readonly snapshot: readonly JWK[];

  /** @throws TypeError when `jwks` is not `{ keys: [...] }` with JSON object members */
  constructor(jwks: JsonWebKeySet) {
    if (!isJsonWebKeySet(jwks)) throw new TypeError('The JWKS must be { keys: [...] } with JSON object members');
    // A private copy: later changes to the caller's object cannot swap keys under the verifier.
    this.snapshot = Object.freeze(structuredClone(jwks.keys) as JWK[]);
  }

  keys(): readonly JWK[] {
    return this.snapshot;
  }

  refetchForUnknownKey(): undefined {
    return undefined;
  }

  held(): readonly JWK[] {
    return this.snapshot;
  }
}
