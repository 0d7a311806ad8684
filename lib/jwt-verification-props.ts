/** How a JWT is verified: shared by the authorizer and by backends that verify the forwarded JWT again. */
export interface JwtVerificationProps {
  /** Expected `iss` of every JWT (https URL). */
  readonly issuer: string;

  /** The issuer's JSON Web Key Set (https URL). */
  readonly jwksUri: string;

  /** Accepted `aud` values; a JWT must carry at least one. */
  readonly audiences: readonly string[];

  /**
   * JWS algorithms accepted, e.g. `RS256`, `PS256`, `ES256`, `EdDSA`. `none` and HMAC algorithms are
   * always refused.
   *
   * @default - RS256, PS256, ES256, EdDSA
   */
  readonly allowedAlgorithms?: readonly string[];

  /**
   * Expected JOSE `typ` header of access-token JWTs, e.g. `at+jwt`.
   *
   * @default - `typ` is not checked
   */
  readonly requiredTokenType?: string;
}
