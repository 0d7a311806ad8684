import type { JoseCrypto } from './crypto-port.ts';
import { webJoseCrypto } from './web-crypto.ts';

/** Hashes that may key split-token records (DESIGN section 2). */
export type TokenHashAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';

export const TOKEN_HASH_ALGORITHMS: readonly TokenHashAlgorithm[] = ['SHA-256', 'SHA-384', 'SHA-512'];

const encoder = new TextEncoder();

/**
 * The record key of an opaque token: standard Base64, with padding, of the digest over the token's
 * ASCII bytes. Compatible with Curity's aws-token-publisher.
 *
 * @param crypto where the digest comes from; wire node:crypto on Node. @default WebCrypto ({@link webJoseCrypto})
 */
export async function hashToken(
  token: string,
  algorithm: TokenHashAlgorithm,
  crypto: JoseCrypto = webJoseCrypto,
): Promise<string> {
  return bytesToBase64(await crypto.digest(algorithm, encoder.encode(token)));
}

/** Length of a log id: enough to correlate log lines, far too little to present as a token. */
const LOG_ID_LENGTH = 12;

/**
 * The id logs carry for a credential: the first characters of its SHA-256 record key. The
 * authorizer and the token endpoint proxy log the same id for the same token.
 */
export function tokenLogIdOf(sha256RecordKey: string): string {
  return sha256RecordKey.slice(0, LOG_ID_LENGTH);
}

/** {@link tokenLogIdOf} a credential, hashing it first. */
export async function tokenLogId(credential: string, crypto: JoseCrypto = webJoseCrypto): Promise<string> {
  return tokenLogIdOf(await hashToken(credential, 'SHA-256', crypto));
}

/** Standard (not URL-safe) Base64 with padding, without Node's Buffer so the core runs anywhere. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
