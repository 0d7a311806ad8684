const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Sextet of each base64url character by char code; -1 for anything else. */
const SEXTETS = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTETS[ALPHABET.charCodeAt(i)] = i;

/**
 * Decodes unpadded base64url (RFC 7515 section 2) strictly: only the 64 alphabet characters, no
 * padding or whitespace, and a last character without stray low bits. Decoders that ignore those
 * bits give one byte string up to 16 spellings, so a signature would have several valid forms;
 * only the canonical one is accepted. Runtime-neutral (no Buffer).
 *
 * @returns the bytes, or undefined when `text` is not canonical base64url
 */
export function decodeBase64Url(text: string): Uint8Array | undefined {
  const length = text.length;
  const remainder = length % 4;
  if (remainder === 1) return undefined;
  const bytes = new Uint8Array(((length * 3) >> 2) | 0);
  let out = 0;
  let i = 0;
  const whole = length - remainder;
  for (; i < whole; i += 4) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = sextet(text, i + 2);
    const d = sextet(text, i + 3);
    if ((a | b | c | d) < 0) return undefined;
    const triple = (a << 18) | (b << 12) | (c << 6) | d;
    bytes[out++] = triple >> 16;
    bytes[out++] = (triple >> 8) & 0xff;
    bytes[out++] = triple & 0xff;
  }
  if (remainder === 2) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    if ((a | b) < 0 || (b & 0x0f) !== 0) return undefined;
    bytes[out++] = (a << 2) | (b >> 4);
  } else if (remainder === 3) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = sextet(text, i + 2);
    if ((a | b | c) < 0 || (c & 0x03) !== 0) return undefined;
    bytes[out++] = (a << 2) | (b >> 4);
    bytes[out++] = ((b & 0x0f) << 4) | (c >> 2);
  }
  return bytes;
}

const BASE64URL_TEXT = /^[A-Za-z0-9_-]*$/;

/**
 * Whether `text` is canonical unpadded base64url, without decoding it: what {@link decodeBase64Url}
 * accepts, for runtimes that decode natively.
 */
export function isCanonicalBase64Url(text: string): boolean {
  const remainder = text.length % 4;
  if (remainder === 1 || !BASE64URL_TEXT.test(text)) return false;
  if (remainder === 0) return true;
  const last = SEXTETS[text.charCodeAt(text.length - 1)] as number;
  return (last & (remainder === 2 ? 0x0f : 0x03)) === 0;
}

function sextet(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? (SEXTETS[code] as number) : -1;
}

/** Unpadded base64url (RFC 7515 section 2) of `bytes`; runtime-neutral (no Buffer). */
export function encodeBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const triple = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      ALPHABET.charAt(triple >> 18) +
      ALPHABET.charAt((triple >> 12) & 63) +
      ALPHABET.charAt((triple >> 6) & 63) +
      ALPHABET.charAt(triple & 63);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const a = bytes[i] as number;
    out += ALPHABET.charAt(a >> 2) + ALPHABET.charAt((a & 3) << 4);
  } else if (rest === 2) {
    const a = bytes[i] as number;
    const b = bytes[i + 1] as number;
    out += ALPHABET.charAt(a >> 2) + ALPHABET.charAt(((a & 3) << 4) | (b >> 4)) + ALPHABET.charAt((b & 15) << 2);
  }
  return out;
}
