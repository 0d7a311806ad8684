import { DependencyError } from '../core/dependency-error.ts';
import { type HttpAnswer, type HttpClient, isHttpClientError } from '../core/http-client.ts';
import type { SplitTokenRecord, TokenStore } from '../core/ports.ts';
import { NodeHttpClient } from './node-http-client.ts';
import { type AwsCredentials, SigV4Signer } from './sigv4-signer.ts';
import { RecordAttributes } from './token-record-attributes.ts';

export type { AwsCredentials };

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
  /** Attempts per read for throttling, 5xx and connection faults, within {@link timeoutMs}. @default 3 */
  readonly maxAttempts?: number;
  /** First retry waits up to this long (full jitter, doubling per attempt). @default 25 */
  readonly retryBaseDelayMs?: number;
  /** How DynamoDB is reached. @default a {@link NodeHttpClient} of its own (node:https, keep-alive) */
  readonly http?: HttpClient;
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

type DynamoDbItem = Readonly<Record<string, { readonly S?: unknown; readonly N?: unknown } | undefined>>;

/**
 * Reads split-token records with one eventually consistent `GetItem`, signed with SigV4 on
 * node:crypto ({@link SigV4Signer}) and sent through an {@link HttpClient} (on Lambda the
 * function's `NodeHttpClient`: node:https, keep-alive). It does not load the AWS SDK, whose
 * client, middleware and credential chain were most of the authorizer's cold start (see the
 * README's Performance section). Throttling, 5xx answers and connection faults are tried again with
 * backoff within the one deadline. Faults throw {@link DependencyError} (`token_store_unavailable`);
 * messages hold no token material.
 */
export class SigV4DynamoDbTokenStore implements TokenStore {
  private readonly url: string;
  private readonly host: string;
  private readonly tableName: string;
  private readonly keyAttribute: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly signer: SigV4Signer;
  private readonly http: HttpClient;

  constructor(options: SigV4DynamoDbTokenStoreOptions) {
    if (!options.region) throw new Error('A region is required to sign DynamoDB requests');
    const url = new URL(options.endpoint ?? regionalEndpoint(options.region));
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new Error('The DynamoDB endpoint must be an http(s) URL');
    }
    this.url = url.href;
    this.host = url.host;
    this.tableName = options.tableName;
    this.keyAttribute = options.keyAttribute ?? RecordAttributes.hashedSignature;
    this.timeoutMs = options.timeoutMs;
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 3));
    this.retryBaseDelayMs = Math.max(0, options.retryBaseDelayMs ?? 25);
    this.signer = new SigV4Signer({
      credentials: options.credentials ?? credentialsFromEnvironment(process.env),
      region: options.region,
      service: 'dynamodb',
    });
    this.http = options.http ?? new NodeHttpClient();
  }

  async getRecord(hashedSignature: string): Promise<SplitTokenRecord | undefined> {
    const body = JSON.stringify({
      TableName: this.tableName,
      Key: { [this.keyAttribute]: { S: hashedSignature } },
      ProjectionExpression: '#hb, #exp',
      ExpressionAttributeNames: { '#hb': RecordAttributes.headAndBody, '#exp': RecordAttributes.expiration },
    });
    const deadline = Date.now() + this.timeoutMs;
    let answer: HttpAnswer | undefined;
    let failure = 'timeout';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.backOff(attempt, deadline);
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) {
        failure = 'timeout';
        break;
      }
      let retryable: boolean;
      try {
        answer = await this.http.request({
          url: this.url,
          method: 'POST',
          headers: this.signer.signJsonPost({ host: this.host, target: TARGET, contentType: CONTENT_TYPE, body }),
          body,
          timeoutMs: remainingMs,
          maxBodyBytes: MAX_RESPONSE_BYTES,
          // A read: sending it again on a fresh connection does no harm.
          idempotent: true,
        });
        if (answer.status === 200) break;
        const type = errorTypeOf(answer.body);
        failure = type ?? `status ${answer.status}`;
        retryable = answer.status >= 500 || (type !== undefined && RETRYABLE_ERROR_TYPES.has(type));
      } catch (error) {
        failure = failureOf(error);
        retryable = isHttpClientError(error) && error.code === 'connection_failed';
      }
      answer = undefined;
      if (!retryable) break;
    }
    if (answer === undefined) {
      throw new DependencyError('token_store_unavailable', `DynamoDB GetItem failed (${failure})`);
    }
    return recordOf(answer.body);
  }

  /** Full jitter, doubling per attempt, never past the deadline. */
  private backOff(attempt: number, deadline: number): Promise<void> {
    const delayMs = Math.min(Math.random() * this.retryBaseDelayMs * 2 ** (attempt - 2), deadline - Date.now());
    return delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, delayMs)) : Promise.resolve();
  }
}

/** DynamoDB's regional endpoint in the aws, aws-us-gov and aws-cn partitions. */
export function regionalEndpoint(region: string): string {
  return `https://dynamodb.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
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

/** `timeout`, the system error of a connection (`ECONNREFUSED`), or what else went wrong. */
function failureOf(error: unknown): string {
  if (!isHttpClientError(error)) return error instanceof Error ? error.name : 'unknown error';
  return error.code === 'connection_failed' ? (error.detail ?? error.code) : error.code;
}
