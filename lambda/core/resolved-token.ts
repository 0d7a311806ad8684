import type { JWTPayload } from 'jose';
import type { TokenBinding } from './token-binding.ts';

/** Which path turned the client's credential into a JWT. */
export type TokenType = 'split' | 'phantom' | 'jwt';

/** A credential the core has verified; everything an adapter needs to answer and to pass on. */
export interface ResolvedToken {
  readonly tokenType: TokenType;
  /** The verified JWT handed to backends. */
  readonly jwt: string;
  /** The token's claims (for phantom RFC 9701 answers, the `token_introspection` member). */
  readonly claims: JWTPayload;
  readonly subject: string | undefined;
  /** Space-separated granted scopes; empty when the token has none. */
  readonly scope: string;
  readonly scopes: ReadonlySet<string>;
  readonly clientId: string | undefined;
  /** When the token stops being valid, epoch seconds; bounds every cache. */
  readonly expiresAtSeconds: number;
  /** A short, non-reversible id of the credential for log correlation. */
  readonly tokenId: string;
  /**
   * What the token is bound to (`cnf`), proven on every request, cached or not; undefined for a
   * Bearer token. @default unbound
   */
  readonly binding?: TokenBinding;
}

/**
 * Error codes the core can answer with: RFC 6750's, RFC 9449's `invalid_dpop_proof` (section 7.1)
 * and RFC 9470's `insufficient_user_authentication` (section 3).
 */
export type DenyError =
  | 'invalid_token'
  | 'invalid_dpop_proof'
  | 'insufficient_scope'
  | 'insufficient_user_authentication';

/** Why a credential was refused; stable strings for logs, never shown to clients beyond the error. */
export type DenyReason =
  | 'missing'
  | 'too_long'
  | 'wrong_scheme'
  | 'malformed'
  | 'unknown'
  | 'expired_record'
  | 'inactive'
  | 'jwt_not_accepted'
  | 'forbidden_header'
  | 'invalid_signature'
  /** The issuer's key the token names cannot be used (the key set is broken; reported apart). */
  | 'unusable_key'
  | 'invalid_claims'
  | 'expired'
  /** An introspection answer without `token_type`: not an access token (a refresh token, say). */
  | 'not_access_token'
  /**
   * Bound in a way the gateway cannot prove (an empty or unknown `cnf`, a `token_type` other than
   * Bearer and DPoP), or DPoP-bound while DPoP is not enabled.
   */
  | 'binding_not_verified'
  /** A DPoP-bound token sent with the Bearer scheme (RFC 9449 section 7.2). */
  | 'bound_token_as_bearer'
  /** The DPoP scheme with a token that is not DPoP-bound. */
  | 'dpop_token_not_bound'
  /** A DPoP-bound token without a `DPoP` header, or with several. */
  | 'dpop_proof_missing'
  /** A proof that fails a check of RFC 9449 section 4.3 (the decision's `detail` says which). */
  | 'dpop_proof_invalid'
  /** A proof whose `jti` was seen before (RFC 9449 section 11.1). */
  | 'dpop_proof_replayed'
  /** A certificate-bound token (RFC 8705) on a request without a client certificate. */
  | 'certificate_missing'
  /** A certificate-bound token with another certificate than the one it is bound to. */
  | 'certificate_mismatch'
  /** The token's `acr` or `auth_time` is below what the route needs (RFC 9470). */
  | 'insufficient_user_authentication'
  /** Not shaped like the authorization server's opaque tokens; refused without introspection. */
  | 'unrecognized_shape'
  | 'insufficient_scope';

export type Decision =
  | { readonly effect: 'allow'; readonly token: ResolvedToken; readonly cached: boolean }
  | {
      readonly effect: 'deny';
      readonly error: DenyError;
      readonly reason: DenyReason;
      /** Log correlation id of the credential, when there was one. */
      readonly tokenId?: string | undefined;
      /** Present when the token was valid but lacked a scope. */
      readonly token?: ResolvedToken;
      /** With `insufficient_scope`: every scope the request needs (for the challenge's `scope`). */
      readonly requiredScopes?: readonly string[];
      /** With `insufficient_user_authentication`: what the route needs (RFC 9470's challenge). */
      readonly requiredAuthentication?: { readonly acrValues?: readonly string[]; readonly maxAgeSeconds?: number };
      /** Which check failed, for logs (a DPoP proof problem); never token material. */
      readonly detail?: string;
    };
