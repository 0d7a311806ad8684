import type { JWTPayload } from 'jose';

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
}

/** RFC 6750 error codes the core can answer with. */
export type DenyError = 'invalid_token' | 'insufficient_scope';

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
  /** Bound to a key or certificate (`cnf`, or a `token_type` other than Bearer) with no verified proof. */
  | 'binding_not_verified'
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
    };
