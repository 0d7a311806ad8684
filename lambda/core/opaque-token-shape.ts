/**
 * Alphabets an authorization server draws the part of its opaque tokens after the prefix from:
 * `token68` is anything RFC 6750 allows (no restriction), `base64url` is `A-Za-z0-9-_`, `hex` is
 * `0-9a-fA-F`, `uuid` is one UUID in its 8-4-4-4-12 hex form (36 characters).
 */
export type OpaqueTokenCharset = 'token68' | 'base64url' | 'hex' | 'uuid';

export const OPAQUE_TOKEN_CHARSETS: readonly OpaqueTokenCharset[] = ['token68', 'base64url', 'hex', 'uuid'];

/**
 * What the authorization server's opaque tokens look like. Credentials of another shape cannot be
 * its tokens, so they are refused before an introspection call spends the budget. A cheap filter
 * against junk, not a security boundary: well-shaped random tokens still reach the server.
 */
export interface OpaqueTokenShape {
  /** Text every token starts with (Curity: `_0XBPWQQ_`). @default none */
  readonly prefix?: string;
  /** Fewest characters, prefix included. */
  readonly minLength: number;
  /** Most characters, prefix included. */
  readonly maxLength: number;
  /** Alphabet of the characters after the prefix. */
  readonly charset: OpaqueTokenCharset;
}

/** Whether `token` (already known to be RFC 6750 token68) has the shape. One pass, no regular expression. */
export function hasOpaqueTokenShape(token: string, shape: OpaqueTokenShape): boolean {
  if (token.length < shape.minLength || token.length > shape.maxLength) return false;
  const prefix = shape.prefix ?? '';
  if (!token.startsWith(prefix)) return false;
  switch (shape.charset) {
    case 'token68':
      return true;
    case 'base64url':
      return everyCharFrom(token, prefix.length, isBase64UrlChar);
    case 'hex':
      return everyCharFrom(token, prefix.length, isHexChar);
    case 'uuid':
      return isUuid(token, prefix.length);
  }
}

/** Why a shape cannot describe any token, or undefined when it is usable. */
export function opaqueTokenShapeProblem(shape: OpaqueTokenShape): string | undefined {
  const prefix = shape.prefix ?? '';
  if (!Number.isInteger(shape.minLength) || shape.minLength < 1)
    return 'the minimum length must be a whole number from 1';
  if (!Number.isInteger(shape.maxLength) || shape.maxLength < shape.minLength) {
    return 'the maximum length must be a whole number no smaller than the minimum';
  }
  if (!/^[A-Za-z0-9\-._~+/]*$/.test(prefix)) return 'the prefix must be made of RFC 6750 token68 characters';
  if (prefix.length >= shape.maxLength) return 'the maximum length must leave room after the prefix';
  if (!OPAQUE_TOKEN_CHARSETS.includes(shape.charset))
    return `the charset must be one of ${OPAQUE_TOKEN_CHARSETS.join(', ')}`;
  if (shape.charset === 'uuid') {
    const length = prefix.length + UUID_LENGTH;
    if (length < shape.minLength || length > shape.maxLength) {
      return `a prefixed UUID is ${length} characters long, outside the length range`;
    }
  }
  return undefined;
}

const UUID_LENGTH = 36;
const UUID_HYPHENS: ReadonlySet<number> = new Set([8, 13, 18, 23]);

function isUuid(token: string, start: number): boolean {
  if (token.length - start !== UUID_LENGTH) return false;
  for (let i = 0; i < UUID_LENGTH; i++) {
    const c = token.charCodeAt(start + i);
    if (UUID_HYPHENS.has(i) ? c !== 0x2d : !isHexChar(c)) return false;
  }
  return true;
}

function everyCharFrom(token: string, start: number, allowed: (c: number) => boolean): boolean {
  for (let i = start; i < token.length; i++) if (!allowed(token.charCodeAt(i))) return false;
  return true;
}

function isBase64UrlChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;
}

function isHexChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}
