import type { JWK } from 'jose';
import { encodeBase64Url } from './base64url.ts';
import type { JoseCrypto } from './crypto-port.ts';

const ascii = new TextEncoder();

/**
 * The members RFC 7638 section 3.2 hashes for each key type, in lexicographic order: the required
 * public members only (RFC 7518 section 6.2.1 for EC, 6.3.1 for RSA; RFC 8037 section 2 for OKP).
 */
const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
};

/**
 * The RFC 7638 JWK thumbprint with SHA-256, base64url: what RFC 9449 puts in a DPoP-bound token's
 * `cnf.jkt` (section 6.1). The JSON has the required members in lexicographic order with no
 * whitespace (RFC 7638 section 3.3). Undefined for a key type or member that is not a string.
 */
export async function jwkThumbprint(key: JWK, crypto: JoseCrypto): Promise<string | undefined> {
  const members =
    typeof key.kty === 'string' && Object.hasOwn(THUMBPRINT_MEMBERS, key.kty) ? THUMBPRINT_MEMBERS[key.kty] : undefined;
  if (members === undefined) return undefined;
  const parts: string[] = [];
  for (const name of members) {
    const value = (key as Record<string, unknown>)[name];
    if (typeof value !== 'string') return undefined;
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(value)}`);
  }
  return encodeBase64Url(await crypto.digest('SHA-256', ascii.encode(`{${parts.join(',')}}`)));
}

/** base64url of the SHA-256 of `text`'s ASCII bytes: RFC 9449's `ath` of an access token (section 4.2). */
export async function accessTokenHash(token: string, crypto: JoseCrypto): Promise<string> {
  return encodeBase64Url(await crypto.digest('SHA-256', ascii.encode(token)));
}

const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----\s*$/;

/**
 * RFC 8705 section 3.1's `x5t#S256`: base64url of the SHA-256 of the certificate's DER encoding.
 * `pem` is one PEM certificate (RFC 7468 section 5) as API Gateway passes it (`clientCertPem`);
 * undefined for anything else: no PEM, several certificates, bad base64.
 */
export async function certificateThumbprint(pem: string, crypto: JoseCrypto): Promise<string | undefined> {
  const match = PEM_CERTIFICATE.exec(pem.trim());
  if (match === null) return undefined;
  const base64 = (match[1] as string).replace(/\s+/g, '');
  let binary: string;
  try {
    binary = atob(base64);
  } catch {
    return undefined;
  }
  if (binary.length === 0) return undefined;
  const der = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) der[i] = binary.charCodeAt(i);
  return encodeBase64Url(await crypto.digest('SHA-256', der));
}
