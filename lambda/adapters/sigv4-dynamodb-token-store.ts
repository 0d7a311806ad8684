import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import { DependencyError } from '../core/dependency-error.ts';
import type { SplitTokenRecord, TokenStore } from '../core/ports.ts';
import { RecordAttributes } from './token-record-attributes.ts';

/** AWS credentials as Lambda hands them to a function. Never logged. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Settings of {@link SigV4DynamoDbTokenStore}. */
export interface SigV4DynamoDbTokenStoreOptions {
  readonly tableName: string;
  /** @default 'hashed_signature' */
  readonly keyAttribute?: string;
  /** Region of the replica to read; also the SigV4 signing region. */
  readonly region: string;
  /**
   * Endpoint override (local DynamoDB, FIPS, VPC endpoint DNS names).
   * @default https://dynamodb.<region>.amazonaws.com (`.amazonaws.com.cn` in China regions)
   */
  readonly endpoint?: string;
  /** The function's credentials. @default {@link credentialsFromEnvironment} of process.env */
  readonly credentials?: AwsCredentials;
  /** Deadline of one read, retries included. */
  readonly timeoutMs: number;
  /**
   * Ask for a strongly consistent read (`ConsistentRead`): with a multi-Region strongly consistent
   * table, the latest write from any region; it costs a cross-region round trip and fails while
   * this region cannot reach a second one.
   * @default false (an eventually consistent read of the local replica)
   */
  readonly consistentRead?: boolean;
  /** Attempts per read for throttling, 5xx and connection faults, within {@link timeoutMs}. @default 3 */
  readonly maxAttempts?: number;
  /** First retry waits up to this long (full jitter, doubling per attempt). @default 25 */
  readonly retryBaseDelayMs?: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The credentials Lambda puts in the environment of every function (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`); they stay valid for the life of the execution
 * environment. Throws when they are missing; the message names the variables, never a value.
 */
export function credentialsFromEnvironment(env: Env): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required to sign DynamoDB requests');
  }
  const sessionToken = env.AWS_SESSION_TOKEN;
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

/** DynamoDB errors (by `__type`) worth another attempt; anything else 4xx is final. */
const RETRYABLE_ERROR_TYPES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
]);
/** An item is at most 400 KB; a larger answer is not a GetItem answer. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const TARGET = 'DynamoDB_20120810.GetItem';
const CONTENT_TYPE = 'application/x-amz-json-1.0';

interface Answer {
  readonly status: number;
  readonly body: string;
}

type DynamoDbItem = Readonly<Record<string, { readonly S?: unknown; readonly N?: unknown } | undefined>>;

/**
 * Reads split-token records with one `GetItem` (eventually consistent unless asked otherwise), signed with SigV4
 * (`@smithy/signature-v4`, the AWS SDK's own signer, over `node:crypto` hashes) and sent over a
 * keep-alive `node:http(s)` agent. It does not load the AWS SDK,
 * whose client, middleware and credential chain were most of the authorizer's cold start (see the
 * README's Performance section).
 * Faults throw {@link DependencyError} (`token_store_unavailable`); messages hold no token material.
 */
export class SigV4DynamoDbTokenStore implements TokenStore {
  private readonly url: URL;
  private readonly tableName: string;
  private readonly keyAttribute: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly consistentRead: boolean;
  private readonly signer: SignatureV4;
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(options: SigV4DynamoDbTokenStoreOptions) {
    if (!options.region) throw new Error('A region is required to sign DynamoDB requests');
    this.url = new URL(options.endpoint ?? regionalEndpoint(options.region));
    if (this.url.protocol !== 'https:' && this.url.protocol !== 'http:') {
      throw new Error('The DynamoDB endpoint must be an http(s) URL');
    }
    this.tableName = options.tableName;
    this.keyAttribute = options.keyAttribute ?? RecordAttributes.hashedSignature;
    this.timeoutMs = options.timeoutMs;
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 3));
    this.retryBaseDelayMs = Math.max(0, options.retryBaseDelayMs ?? 25);
    this.consistentRead = options.consistentRead ?? false;
    const credentials = options.credentials ?? credentialsFromEnvironment(process.env);
    this.signer = new SignatureV4({
      service: 'dynamodb',
      region: options.region,
      credentials,
      sha256: NodeSha256,
      applyChecksum: false,
    });
    const https = this.url.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.send = https ? httpsRequest : httpRequest;
  }

  async getRecord(hashedSignature: string): Promise<SplitTokenRecord | undefined> {
    const body = JSON.stringify({
      TableName: this.tableName,
      Key: { [this.keyAttribute]: { S: hashedSignature } },
      ProjectionExpression: '#hb, #exp',
      ExpressionAttributeNames: { '#hb': RecordAttributes.headAndBody, '#exp': RecordAttributes.expiration },
      ...(this.consistentRead ? { ConsistentRead: true } : {}),
    });
    const signal = AbortSignal.timeout(this.timeoutMs);
    let answer: Answer | undefined;
    let failure = 'unknown error';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.backOff(attempt, signal);
      let retryable: boolean;
      try {
        answer = await this.post(body, signal);
        if (answer.status === 200) break;
        const type = errorTypeOf(answer.body);
        failure = type ?? `status ${answer.status}`;
        retryable = answer.status >= 500 || (type !== undefined && RETRYABLE_ERROR_TYPES.has(type));
      } catch (error) {
        failure = nameOf(error, signal);
        retryable = !signal.aborted && !(error instanceof ResponseTooLarge);
      }
      answer = undefined;
      if (!retryable) break;
    }
    if (answer === undefined) {
      throw new DependencyError('token_store_unavailable', `DynamoDB GetItem failed (${failure})`);
    }
    return recordOf(answer.body);
  }

  private async post(body: string, signal: AbortSignal): Promise<Answer> {
    const { url } = this;
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: {},
      headers: {
        host: url.host,
        'content-type': CONTENT_TYPE,
        'content-length': String(Buffer.byteLength(body)),
        'x-amz-target': TARGET,
      },
      body,
    });
    signal.throwIfAborted();
    return new Promise<Answer>((resolve, reject) => {
      const request = this.send(
        url,
        { method: 'POST', agent: this.agent, headers: signed.headers, signal },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              response.destroy(new ResponseTooLarge());
              return;
            }
            chunks.push(chunk);
          });
          response.on('error', reject);
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  private backOff(attempt: number, signal: AbortSignal): Promise<void> {
    const delayMs = Math.random() * this.retryBaseDelayMs * 2 ** (attempt - 2);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, delayMs);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** DynamoDB's regional endpoint in the aws, aws-us-gov and aws-cn partitions. */
export function regionalEndpoint(region: string): string {
  return `https://dynamodb.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

class ResponseTooLarge extends Error {
  override readonly name = 'ResponseTooLarge';
}

/** The record in a 200 answer, undefined when there is no item. */
function recordOf(body: string): SplitTokenRecord | undefined {
  let parsed: { Item?: DynamoDbItem } | null;
  try {
    parsed = JSON.parse(body) as { Item?: DynamoDbItem } | null;
  } catch {
    throw new DependencyError('token_store_unavailable', 'DynamoDB GetItem failed (the answer does not parse)');
  }
  const item = parsed?.Item;
  if (item === undefined || item === null) return undefined;
  // A record without usable attributes is refused as expired, not introspected.
  const headAndBody = item[RecordAttributes.headAndBody]?.S;
  const expiration = Number(item[RecordAttributes.expiration]?.N);
  return {
    headAndBody: typeof headAndBody === 'string' ? headAndBody : '',
    expiration: Number.isFinite(expiration) ? expiration : 0,
  };
}

/** `ResourceNotFoundException` out of `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"}`. */
function errorTypeOf(body: string): string | undefined {
  try {
    const type = (JSON.parse(body) as { __type?: unknown } | null)?.__type;
    if (typeof type !== 'string') return undefined;
    return type.slice(type.lastIndexOf('#') + 1).slice(0, 64);
  } catch {
    return undefined;
  }
}

function nameOf(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'timeout';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code.slice(0, 64);
  return error instanceof Error ? error.name : 'unknown error';
}

/** SHA-256 and HMAC-SHA-256 for the signer, from node:crypto (synchronous, no WebCrypto round trips). */
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
