import type { JWTPayload } from 'jose';

/**
 * Whether a verified token is bound to a key or certificate (RFC 7800 `cnf`: DPoP's `jkt` in RFC
 * 9449, mTLS's `x5t#S256` in RFC 8705, or any other confirmation method). Any `cnf` member counts,
 * whatever its value: oidc-provider even sends an empty `cnf` object for some bound tokens.
 */
export function carriesBinding(claims: JWTPayload): boolean {
  return Object.hasOwn(claims, 'cnf');
}

/**
 * What an RFC 7662 `token_type` says: `bearer` (RFC 6750, compared without regard to case),
 * `bound` for any other scheme (RFC 9449's `DPoP` and anything unknown: a scheme the gateway does
 * not verify), `missing` when the answer has none (oidc-provider's answer for a refresh token).
 */
export function introspectedTokenType(tokenType: unknown): 'bearer' | 'bound' | 'missing' {
  if (typeof tokenType !== 'string' || tokenType.length === 0) return 'missing';
  return tokenType.toLowerCase() === 'bearer' ? 'bearer' : 'bound';
}
