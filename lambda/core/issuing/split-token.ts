import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { JoseCrypto } from '../crypto-port.ts';
import { hashToken, type TokenHashAlgorithm } from '../token-hash.ts';
import { webJoseCrypto } from '../web-crypto.ts';

/** The DESIGN section 2 record of a split token, before it is written. */
export interface SplitTokenRecordToWrite {
  /** Standard Base64 (padded) of the hash of the signature part: the record key. */
  readonly hashedSignature: string;
  /** `header.payload` of the JWT, exactly as issued. */
  readonly headAndBody: string;
  /** The JWT's `exp`, epoch seconds; also the table's TTL attribute. */
  readonly expiration: number;
}

/** A JWT cut in two: what the client gets, and what the gateway stores. */
export interface SplitToken {
  /** The signature part: the client's opaque access token. */
  readonly opaqueToken: string;
  readonly record: SplitTokenRecordToWrite;
}

/** Why a value cannot be split. Stable strings for logs and metrics. */
export type SplitTokenErrorCode = 'not_a_jws' | 'invalid_header' | 'invalid_payload' | 'missing_expiration';

/** The value is not a signed JWT with a numeric `exp`. The message never holds token material. */
export class SplitTokenError extends Error {
  override readonly name = 'SplitTokenError';
  readonly code: SplitTokenErrorCode;

  constructor(code: SplitTokenErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Three base64url parts, none empty: a compact JWS with a signature (so never `alg: none`). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Splits a signed JWT (`header.payload.signature`) into the client's opaque token (the signature)
 * and the record the gateway resolves it with (DESIGN section 2, interoperable with Curity's
 * aws-token-publisher). Pure and runtime-agnostic (web crypto and jose only). It does not verify
 * the signature: the caller got the JWT from the authorization server, and the authorizer
 * verifies the glued JWT anyway.
 *
 * @param crypto where the record key's digest comes from; wire node:crypto on Node. @default WebCrypto ({@link webJoseCrypto})
 * @throws {@link SplitTokenError} when `jwt` is not a compact JWS whose payload is a JSON object
 *   with a numeric `exp`
 */
export async function splitToken(
  jwt: string,
  hashAlgorithm: TokenHashAlgorithm,
  crypto: JoseCrypto = webJoseCrypto,
): Promise<SplitToken> {
  if (typeof jwt !== 'string' || !COMPACT_JWS.test(jwt)) {
    throw new SplitTokenError('not_a_jws', 'Not a compact JWS with three non-empty parts');
  }
  const cut = jwt.lastIndexOf('.');
  const headAndBody = jwt.slice(0, cut);
  const opaqueToken = jwt.slice(cut + 1);
  try {
    const header = decodeProtectedHeader(jwt);
    if (typeof header.alg !== 'string' || header.alg === 'none') throw new Error('alg');
  } catch {
    throw new SplitTokenError('invalid_header', 'The JWS header is not a JSON object with an algorithm');
  }
  let exp: unknown;
  try {
    exp = decodeJwt(jwt).exp;
  } catch {
    throw new SplitTokenError('invalid_payload', 'The JWS payload is not a JSON object');
  }
  if (typeof exp !== 'number' || !Number.isFinite(exp) || exp <= 0) {
    throw new SplitTokenError('missing_expiration', 'The JWT has no numeric exp claim');
  }
  return {
    opaqueToken,
    record: { hashedSignature: await hashToken(opaqueToken, hashAlgorithm, crypto), headAndBody, expiration: exp },
  };
}

/** The JWT again, from a record and its opaque token: what the authorizer does after its lookup. */
export function glueToken(headAndBody: string, opaqueToken: string): string {
  return `${headAndBody}.${opaqueToken}`;
}
