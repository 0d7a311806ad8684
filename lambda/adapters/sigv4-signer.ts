import { createHash, createHmac } from 'node:crypto';

/** AWS credentials as Lambda hands them to a function. Never logged. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** What {@link SigV4Signer.signJsonPost} signs: a POST of an AWS JSON protocol operation to `/`. */
export interface JsonPost {
  /** The endpoint's `host` (`host:port` when the URL has a port). */
  readonly host: string;
  /** `x-amz-target`, e.g. `DynamoDB_20120810.GetItem`. */
  readonly target: string;
  /** `content-type`, e.g. `application/x-amz-json-1.0`. */
  readonly contentType: string;
  readonly body: string;
}

/** Longest a derived signing key is kept: it is only valid for its day. */
const MAX_CACHED_KEYS = 4;

/**
 * AWS Signature Version 4 for one service and region (IAM User Guide, "Create a signed AWS API
 * request"), on node:crypto: the canonical request over `content-type`, `host`, `x-amz-date`,
 * `x-amz-security-token` (with temporary credentials) and `x-amz-target`, the payload hashed, the
 * signing key derived once per day. Synchronous, a few microseconds per request: the AWS SDK's
 * signer costs several times more per request and its packages weigh on a cold start.
 */
export class SigV4Signer {
  private readonly credentials: AwsCredentials;
  private readonly region: string;
  private readonly service: string;
  private readonly signingKeys = new Map<string, Buffer>();

  constructor(options: { credentials: AwsCredentials; region: string; service: string }) {
    this.credentials = options.credentials;
    this.region = options.region;
    this.service = options.service;
  }

  /** The request's headers, `authorization` included. `now` is the signing time. */
  signJsonPost(post: JsonPost, now: Date = new Date()): Record<string, string> {
    const { accessKeyId, sessionToken } = this.credentials;
    // 20260102T030405Z
    const amzDate = `${now.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
    const day = amzDate.slice(0, 8);
    const scope = `${day}/${this.region}/${this.service}/aws4_request`;
    const signedHeaders = sessionToken
      ? 'content-type;host;x-amz-date;x-amz-security-token;x-amz-target'
      : 'content-type;host;x-amz-date;x-amz-target';
    const canonicalHeaders =
      `content-type:${post.contentType}\nhost:${post.host}\nx-amz-date:${amzDate}\n` +
      (sessionToken ? `x-amz-security-token:${sessionToken}\n` : '') +
      `x-amz-target:${post.target}\n`;
    const canonicalRequest = `POST\n/\n\n${canonicalHeaders}\n${signedHeaders}\n${sha256Hex(post.body)}`;
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
    const signature = createHmac('sha256', this.signingKey(day)).update(stringToSign).digest('hex');
    const headers: Record<string, string> = {
      'content-type': post.contentType,
      host: post.host,
      'x-amz-date': amzDate,
      'x-amz-target': post.target,
      authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    };
    if (sessionToken) headers['x-amz-security-token'] = sessionToken;
    return headers;
  }

  private signingKey(day: string): Buffer {
    let key = this.signingKeys.get(day);
    if (key === undefined) {
      const dateKey = hmac(`AWS4${this.credentials.secretAccessKey}`, day);
      key = hmac(hmac(hmac(dateKey, this.region), this.service), 'aws4_request');
      if (this.signingKeys.size >= MAX_CACHED_KEYS) this.signingKeys.clear();
      this.signingKeys.set(day, key);
    }
    return key;
  }
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data).digest('hex');
}
