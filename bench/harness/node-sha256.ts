import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { Checksum, SourceData } from '@smithy/types';

/**
 * SHA-256 and HMAC-SHA-256 from node:crypto for `@smithy/signature-v4` (synchronous, no WebCrypto
 * round trips): how the token store signed before its signer was written on node:crypto, kept to
 * show the AWS SDK signer's cost beside it.
 */
export class NodeSha256 implements Checksum {
  private readonly secret: SourceData | undefined;
  private hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.secret = secret;
    this.hash = NodeSha256.create(secret);
  }

  update(data: Uint8Array): void {
    this.hash.update(data);
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = NodeSha256.create(this.secret);
  }

  private static create(secret: SourceData | undefined): Hash | Hmac {
    if (secret === undefined) return createHash('sha256');
    const key =
      typeof secret === 'string'
        ? secret
        : ArrayBuffer.isView(secret)
          ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength)
          : new Uint8Array(secret);
    return createHmac('sha256', key);
  }
}
