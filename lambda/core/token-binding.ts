import type { JWTPayload } from 'jose';
import { isJsonObject } from './json-object.ts';

/** What a bound token is bound to (RFC 7800 `cnf`); each member present must be proven. */
export interface TokenBinding {
  /** RFC 9449 section 6: the SHA-256 JWK thumbprint of the DPoP proof key. */
  readonly jkt?: string;
  /** RFC 8705 section 3.1: the SHA-256 thumbprint of the client certificate's DER. */
  readonly x5tS256?: string;
}

/**
 * How a verified token is bound: `none` (a Bearer token), `bound` to a DPoP key and/or a client
 * certificate, or `unverifiable`: a `cnf` the gateway cannot prove (an empty one, which
 * oidc-provider sends for some tokens, an unknown confirmation method, a value that is not a
 * string), which is refused.
 */
export type BindingReading =
  | { readonly kind: 'none' }
  | { readonly kind: 'bound'; readonly binding: TokenBinding }
  | { readonly kind: 'unverifiable' };

const NONE: BindingReading = Object.freeze({ kind: 'none' });
const UNVERIFIABLE: BindingReading = Object.freeze({ kind: 'unverifiable' });

/** The binding a token's claims carry: any `cnf` member counts, whatever its value. */
export function bindingOf(claims: JWTPayload): BindingReading {
  if (!Object.hasOwn(claims, 'cnf')) return NONE;
  const cnf = claims.cnf;
  if (!isJsonObject(cnf)) return UNVERIFIABLE;
  const names = Object.keys(cnf);
  if (names.length === 0) return UNVERIFIABLE;
  let jkt: string | undefined;
  let x5tS256: string | undefined;
  for (const name of names) {
    const value = cnf[name];
    if (typeof value !== 'string' || value.length === 0) return UNVERIFIABLE;
    if (name === 'jkt') jkt = value;
    else if (name === 'x5t#S256') x5tS256 = value;
    else return UNVERIFIABLE;
  }
  return {
    kind: 'bound',
    binding: { ...(jkt === undefined ? {} : { jkt }), ...(x5tS256 === undefined ? {} : { x5tS256 }) },
  };
}

/**
 * The binding of an introspected token (RFC 7662 answer): its `cnf` (RFC 9449 section 6.2, RFC
 * 8705 section 3.2), checked against its `token_type`: `DPoP` needs a `cnf.jkt`; any scheme but
 * `Bearer` and `DPoP` cannot be proven here.
 */
export function introspectedBindingOf(claims: JWTPayload, tokenType: 'bearer' | 'dpop' | 'other'): BindingReading {
  if (tokenType === 'other') return UNVERIFIABLE;
  const reading = bindingOf(claims);
  if (tokenType === 'dpop' && (reading.kind !== 'bound' || reading.binding.jkt === undefined)) return UNVERIFIABLE;
  return reading;
}

/**
 * What an RFC 7662 `token_type` says: `bearer` (RFC 6750) and `dpop` (RFC 9449 section 6.2),
 * compared without regard to case; `other` for any other scheme; `missing` when the answer has
 * none (oidc-provider's answer for a refresh token).
 */
export function introspectedTokenType(tokenType: unknown): 'bearer' | 'dpop' | 'other' | 'missing' {
  if (typeof tokenType !== 'string' || tokenType.length === 0) return 'missing';
  const lower = tokenType.toLowerCase();
  return lower === 'bearer' ? 'bearer' : lower === 'dpop' ? 'dpop' : 'other';
}
