import { type HttpClient, isHttpClientError } from '../core/http-client.ts';
import { NodeHttpClient } from './node-http-client.ts';
import { type AwsCredentials, SigV4Signer } from './sigv4-signer.ts';

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

/** DynamoDB's regional endpoint in the aws, aws-us-gov and aws-cn partitions. */
export function regionalEndpoint(region: string): string {
  return `https://dynamodb.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/** Settings of {@link DynamoDbJsonApi}. */
export interface DynamoDbJsonApiOptions {
  /** The table's region; also the SigV4 signing region. */
  readonly region: string;
  /**
   * Endpoint override (local DynamoDB, FIPS, VPC endpoint DNS names).
   * @default DynamoDB's regional endpoint
   */
  readonly endpoint?: string;
  /** @default {@link credentialsFromEnvironment} of process.env */
  readonly credentials?: AwsCredentials;
  /** How DynamoDB is reached. @default a {@link NodeHttpClient} of its own (node:https, keep-alive) */
  readonly http?: HttpClient;
  /** Attempts per call for throttling, 5xx and connection faults, within the call's deadline. @default 3 */
  readonly maxAttempts?: number;
  /** First retry waits up to this long (full jitter, doubling per attempt). @default 25 */
  readonly retryBaseDelayMs?: number;
}

/** The limits of one call. */
export interface DynamoDbCallLimits {
  /** Deadline of the call, retries included. */
  readonly timeoutMs: number;
  /** Largest answer read. */
  readonly maxBodyBytes: number;
  /** Whether the transport may send it again on a fresh connection when a kept-alive one was dead. */
  readonly idempotent: boolean;
}

/** A call's 200 answer, or why there was none after the attempts the deadline allowed. */
export type DynamoDbCallOutcome =
  | { readonly ok: true; readonly body: string }
  | {
      readonly ok: false;
      /** DynamoDB's error type (`ConditionalCheckFailedException`), when it answered with one. */
      readonly errorType: string | undefined;
      /** Token-free, for error messages: the error type, a status, `timeout` or a system error code. */
      readonly failure: string;
    };

/** DynamoDB errors (by `__type`) worth another attempt; any other 4xx is final. */
const RETRYABLE_ERROR_TYPES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
]);
/**
 * Of those, the ones that say the request was not carried out: the only ones a call that is not
 * idempotent tries again (after a 5xx or a broken connection, its first copy may have landed).
 */
const NOT_APPLIED_ERROR_TYPES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
]);
const CONTENT_TYPE = 'application/x-amz-json-1.0';

/**
 * DynamoDB's JSON protocol (`x-amz-target: DynamoDB_20120810.<Operation>`), signed with SigV4 on
 * node:crypto ({@link SigV4Signer}) and sent through an {@link HttpClient}: what the authorizer's
 * reads and writes need of DynamoDB without loading the AWS SDK, whose client, middleware and
 * credential chain were most of its cold start. Throttling, 5xx answers and connection faults are
 * tried again with backoff within the one deadline (a call that is not idempotent: throttling only);
 * other errors are returned at once.
 */
export class DynamoDbJsonApi {
  private readonly url: string;
  private readonly host: string;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly signer: SigV4Signer;
  private readonly http: HttpClient;

  constructor(options: DynamoDbJsonApiOptions) {
    if (!options.region) throw new Error('A region is required to sign DynamoDB requests');
    const url = new URL(options.endpoint ?? regionalEndpoint(options.region));
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new Error('The DynamoDB endpoint must be an http(s) URL');
    }
    this.url = url.href;
    this.host = url.host;
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 3));
    this.retryBaseDelayMs = Math.max(0, options.retryBaseDelayMs ?? 25);
    this.signer = new SigV4Signer({
      credentials: options.credentials ?? credentialsFromEnvironment(process.env),
      region: options.region,
      service: 'dynamodb',
    });
    this.http = options.http ?? new NodeHttpClient();
  }

  /** Sends `operation` (`GetItem`, `PutItem`) with its JSON `body`. Never throws. */
  async call(operation: string, body: string, limits: DynamoDbCallLimits): Promise<DynamoDbCallOutcome> {
    const target = `DynamoDB_20120810.${operation}`;
    const deadline = Date.now() + limits.timeoutMs;
    let errorType: string | undefined;
    let failure = 'timeout';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.backOff(attempt, deadline);
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) {
        errorType = undefined;
        failure = 'timeout';
        break;
      }
      let retryable: boolean;
      try {
        const answer = await this.http.request({
          url: this.url,
          method: 'POST',
          headers: this.signer.signJsonPost({ host: this.host, target, contentType: CONTENT_TYPE, body }),
          body,
          timeoutMs: remainingMs,
          maxBodyBytes: limits.maxBodyBytes,
          idempotent: limits.idempotent,
        });
        if (answer.status === 200) return { ok: true, body: answer.body };
        errorType = errorTypeOf(answer.body);
        failure = errorType ?? `status ${answer.status}`;
        retryable = limits.idempotent
          ? answer.status >= 500 || (errorType !== undefined && RETRYABLE_ERROR_TYPES.has(errorType))
          : errorType !== undefined && NOT_APPLIED_ERROR_TYPES.has(errorType);
      } catch (error) {
        errorType = undefined;
        failure = failureOf(error);
        retryable = limits.idempotent && isHttpClientError(error) && error.code === 'connection_failed';
      }
      if (!retryable) break;
    }
    return { ok: false, errorType, failure };
  }

  /** Full jitter, doubling per attempt, never past the deadline. */
  private backOff(attempt: number, deadline: number): Promise<void> {
    const delayMs = Math.min(Math.random() * this.retryBaseDelayMs * 2 ** (attempt - 2), deadline - Date.now());
    return delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, delayMs)) : Promise.resolve();
  }
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
