/** Why an Authorization header value yields no usable credential. */
export type CredentialProblem = 'missing' | 'too_long' | 'wrong_scheme' | 'malformed';

/** The shape of a credential decides which resolution paths may see it. */
export type CredentialShape = 'opaque' | 'jwt';

export type BearerCredential =
  | { readonly ok: true; readonly token: string; readonly shape: CredentialShape }
  | { readonly ok: false; readonly problem: CredentialProblem };

const SCHEME = 'bearer';
const DPOP_SCHEME = 'dpop';

/** The authentication schemes an access token may come in: RFC 6750 Bearer, RFC 9449 DPoP. */
export type AuthorizationScheme = 'bearer' | 'dpop';

/**
 * Reads the bearer token from an Authorization header value. Total over its input: any value,
 * including non-strings, gives a typed result and never throws. The length bound is checked first,
 * before any other work, so oversized input costs nothing.
 */
export function readBearerCredential(headerValue: unknown, maxHeaderLength: number): BearerCredential {
  const bearer = readBearerScheme(headerValue, maxHeaderLength);
  if (!bearer.ok) return bearer;
  const shape = shapeOf(bearer.token);
  return shape === undefined ? { ok: false, problem: 'malformed' } : { ok: true, token: bearer.token, shape };
}

/**
 * The scheme, length and spacing checks of {@link readBearerCredential} without the token's
 * grammar: the token it returns is not yet known to be well formed (a cache lookup by exact
 * string needs no more).
 */
export function readBearerScheme(
  headerValue: unknown,
  maxHeaderLength: number,
): { readonly ok: true; readonly token: string } | { readonly ok: false; readonly problem: CredentialProblem } {
  if (typeof headerValue !== 'string' || headerValue.length === 0) return { ok: false, problem: 'missing' };
  if (headerValue.length > maxHeaderLength) return { ok: false, problem: 'too_long' };
  const separator = headerValue.indexOf(' ');
  if (separator !== SCHEME.length || headerValue.slice(0, separator).toLowerCase() !== SCHEME) {
    return { ok: false, problem: 'wrong_scheme' };
  }
  let start = separator;
  while (headerValue.charCodeAt(start) === 0x20) start++;
  return { ok: true, token: headerValue.slice(start) };
}

/**
 * {@link readBearerScheme} for both schemes a resource server with DPoP accepts: `Bearer` and
 * `DPoP` (RFC 9449 section 7.1; both take a token68, schemes compared without regard to case).
 */
export function readAuthorizationScheme(
  headerValue: unknown,
  maxHeaderLength: number,
):
  | { readonly ok: true; readonly scheme: AuthorizationScheme; readonly token: string }
  | { readonly ok: false; readonly problem: CredentialProblem } {
  if (typeof headerValue !== 'string' || headerValue.length === 0) return { ok: false, problem: 'missing' };
  if (headerValue.length > maxHeaderLength) return { ok: false, problem: 'too_long' };
  const separator = headerValue.indexOf(' ');
  const scheme = separator < 0 ? '' : headerValue.slice(0, separator).toLowerCase();
  if (scheme !== SCHEME && scheme !== DPOP_SCHEME) return { ok: false, problem: 'wrong_scheme' };
  let start = separator;
  while (headerValue.charCodeAt(start) === 0x20) start++;
  return { ok: true, scheme, token: headerValue.slice(start) };
}

/**
 * One pass over the token, on the hot path of every request (regular expressions cost several
 * microseconds on a 342-character token). Accepts RFC 6750 token68 (`[A-Za-z0-9-._~+/]+=*`); a
 * token of three non-empty base64url parts is a JWT; a JWT with an empty signature (`alg: none`)
 * can never be valid and is refused here, before it costs an introspection.
 */
export function shapeOf(token: string): CredentialShape | undefined {
  const length = token.length;
  let dots = 0;
  let firstDot = -1;
  let lastDot = -1;
  let base64url = true;
  let end = length;
  while (end > 0 && token.charCodeAt(end - 1) === 0x3d) end--; // trailing '=' padding
  if (end === 0) return undefined;
  for (let i = 0; i < end; i++) {
    const c = token.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f) {
      continue;
    }
    if (c === 0x2e) {
      dots++;
      if (firstDot < 0) firstDot = i;
      lastDot = i;
    } else if (c === 0x7e || c === 0x2b || c === 0x2f) {
      base64url = false;
    } else {
      return undefined;
    }
  }
  const threeParts = base64url && end === length && dots === 2 && firstDot > 0 && lastDot > firstDot + 1;
  if (!threeParts) return 'opaque';
  return lastDot === length - 1 ? undefined : 'jwt';
}
