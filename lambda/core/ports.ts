/**
 * The ports through which the core reaches the outside world. Adapters implement them; the core
 * never knows whether a record came from DynamoDB or a Map.
 */

/** `header.payload` of a split token's JWT, as the authorization server wrote it (DESIGN section 2). */
export interface SplitTokenRecord {
  /** `header.payload` exactly as issued. */
  readonly headAndBody: string;
  /** The JWT's `exp`, epoch seconds. */
  readonly expiration: number;
}

/** Reads split-token records. Throws {@link DependencyError} when the store cannot answer. */
export interface TokenStore {
  /** The record under `hashedSignature`, or undefined when there is none. */
  getRecord(hashedSignature: string): Promise<SplitTokenRecord | undefined>;
}

/**
 * `token-introspection+jwt`: RFC 9701, a JWT signed by the authorization server whose
 * `token_introspection` claim holds the RFC 7662 answer.
 * `jwt`: the older form (Curity's phantom token) where the answer is the access-token JWT itself,
 * and 204 or an empty body means inactive.
 */
export type IntrospectionResponseFormat = 'token-introspection+jwt' | 'jwt';

/**
 * What an introspection call returned, before any verification: the server said the token is
 * inactive, or it answered with a JWT that the core must verify (an RFC 9701 answer may still say
 * inactive inside).
 */
export type IntrospectionAnswer =
  | { readonly kind: 'inactive' }
  | { readonly kind: 'signed'; readonly jwt: string; readonly format: IntrospectionResponseFormat };

/** Asks the authorization server about a token. Throws {@link DependencyError} when it cannot. */
export interface Introspector {
  introspect(token: string): Promise<IntrospectionAnswer>;
}

/** Milliseconds since the epoch; injectable so tests can move time. */
export type Clock = () => number;

/** Structured, token-free diagnostics. Field values must never hold token material. */
export interface DecisionLog {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}
