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

/** Standard (not URL-safe) Base64 with padding, without Node's Buffer so the core runs anywhere. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
