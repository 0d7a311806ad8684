/** Why an Authorization header value yields no usable credential. */
export type CredentialProblem = 'missing' | 'too_long' | 'wrong_scheme' | 'malformed';

/** The shape of a credential decides which resolution paths may see it. */
export type CredentialShape = 'opaque' | 'jwt';

export type BearerCredential =
  | { readonly ok: true; readonly token: string; readonly shape: CredentialShape }
  | { readonly ok: false; readonly problem: CredentialProblem };

/** RFC 6750 section 2.1: `Bearer` (any case), one or more spaces, then a token68 value. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const JWT_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** A JWT without its signature (`alg: none`): never valid, so refused before it costs an introspection. */
const UNSIGNED_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.$/;
const SCHEME = 'bearer';

/**
 * Reads the bearer token from an Authorization header value. Total over its input: any value,
 * including non-strings, gives a typed result and never throws. The length bound is checked first,
 * before any other work, so oversized input costs nothing.
 */
export function readBearerCredential(headerValue: unknown, maxHeaderLength: number): BearerCredential {
  if (typeof headerValue !== 'string' || headerValue.length === 0) return { ok: false, problem: 'missing' };
  if (headerValue.length > maxHeaderLength) return { ok: false, problem: 'too_long' };
  const separator = headerValue.indexOf(' ');
  if (separator !== SCHEME.length || headerValue.slice(0, separator).toLowerCase() !== SCHEME) {
    return { ok: false, problem: 'wrong_scheme' };
  }
  let start = separator;
  while (headerValue.charCodeAt(start) === 0x20) start++;
  const token = headerValue.slice(start);
  if (!TOKEN68.test(token) || UNSIGNED_JWT.test(token)) return { ok: false, problem: 'malformed' };
  return { ok: true, token, shape: JWT_COMPACT.test(token) ? 'jwt' : 'opaque' };
}
