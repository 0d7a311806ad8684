import type { SplitTokenRecordToWrite } from './split-token.ts';

/** What revocation reads back from a stored record: enough to tell whose token it is. */
export interface StoredTokenRecord {
  /** `header.payload` as stored; undefined when the item has no string `head_and_body`. */
  readonly headAndBody: string | undefined;
}

/**
 * Publishes, reads back and revokes split-token records. Adapters implement it (DynamoDB); the token
 * endpoint proxy depends only on this port.
 */
export interface TokenWriter {
  /**
   * Writes a record that must not exist yet. Throws {@link TokenWriteError}: `duplicate_record` when
   * the key is taken, `store_unavailable` when the store cannot answer.
   */
  write(record: SplitTokenRecordToWrite): Promise<void>;
  /**
   * Reads the record under `hashedSignature` (strongly consistent, from where records are written),
   * so revocation can check whose token it is before deleting it. undefined when there is none.
   * Throws {@link TokenWriteError} `store_unavailable` when the store cannot answer.
   */
  read(hashedSignature: string): Promise<StoredTokenRecord | undefined>;
  /** Deletes the record under `hashedSignature`; deleting a missing record is not an error. */
  delete(hashedSignature: string): Promise<void>;
}

/** Why a write or delete failed. Stable strings for logs and metrics. */
export type TokenWriteErrorCode = 'duplicate_record' | 'store_unavailable';

/** A record could not be written or deleted. The message never holds token material. */
export class TokenWriteError extends Error {
  override readonly name = 'TokenWriteError';
  readonly code: TokenWriteErrorCode;

  constructor(code: TokenWriteErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
