import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import { DependencyError } from '../core/dependency-error.ts';
import type { ProofReplayGuard } from '../core/proof-replay.ts';
import { ProofReplayAttributes } from './proof-replay-attributes.ts';
import {
  type AwsCredentials,
  credentialsFromEnvironment,
  NodeSha256,
  regionalEndpoint,
} from './sigv4-dynamodb-token-store.ts';

/** Settings of {@link SigV4DynamoDbProofReplayTable}. */
export interface SigV4DynamoDbProofReplayTableOptions {
  readonly tableName: string;
  /** The table's region; also the SigV4 signing region. */
  readonly region: string;
  /** Endpoint override (local DynamoDB). @default DynamoDB's regional endpoint */
  readonly endpoint?: string;
  /** @default {@link credentialsFromEnvironment} of process.env */
  readonly credentials?: AwsCredentials;
  /** Deadline of one write, retries included. */
  readonly timeoutMs: number;
  /** Attempts for throttling, 5xx and connection faults within {@link timeoutMs}. @default 3 */
  readonly maxAttempts?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly clock?: () => number;
}

const TARGET = 'DynamoDB_20120810.PutItem';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
const MAX_RESPONSE_BYTES = 64 * 1024;
const RETRYABLE_ERROR_TYPES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
]);

/**
 * The DPoP replay guard every authorizer instance shares: one conditional `PutItem` per proof
 * (`attribute_not_exists(proof_id) OR expires_at < :now`, since DynamoDB's TTL deletes late), so
 * a proof any instance has accepted is refused by all the others. `ConditionalCheckFailedException`
 * is a replay; any other failure is a {@link DependencyError} (500), never an accepted replay.
 * Signed with SigV4 over node:http(s) like the token store's `GetItem`: no AWS SDK in the
 * authorizer. The role needs `dynamodb:PutItem` on this table only.
 */
export class SigV4DynamoDbProofReplayTable implements ProofReplayGuard {
  private readonly url: URL;
  private readonly tableName: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly clock: () => number;
  private readonly signer: SignatureV4;
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(options: SigV4DynamoDbProofReplayTableOptions) {
    this.url = new URL(options.endpoint ?? regionalEndpoint(options.region));
    if (this.url.protocol !== 'https:' && this.url.protocol !== 'http:') {
      throw new Error('The DynamoDB endpoint must be an http(s) URL');
    }
    this.tableName = options.tableName;
    this.timeoutMs = options.timeoutMs;
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 3));
    this.clock = options.clock ?? Date.now;
    this.signer = new SignatureV4({
      service: 'dynamodb',
      region: options.region,
      credentials: options.credentials ?? credentialsFromEnvironment(process.env),
      sha256: NodeSha256,
      applyChecksum: false,
    });
    const https = this.url.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.send = https ? httpsRequest : httpRequest;
  }

  async firstUse(key: string, expiresAtMs: number): Promise<boolean> {
    const body = JSON.stringify({
      TableName: this.tableName,
      Item: {
        [ProofReplayAttributes.proofId]: { S: key },
        [ProofReplayAttributes.expiresAt]: { N: String(Math.ceil(expiresAtMs / 1000)) },
      },
      ConditionExpression: 'attribute_not_exists(#id) OR #exp < :now',
      ExpressionAttributeNames: { '#id': ProofReplayAttributes.proofId, '#exp': ProofReplayAttributes.expiresAt },
      ExpressionAttributeValues: { ':now': { N: String(Math.floor(this.clock() / 1000)) } },
    });
    const signal = AbortSignal.timeout(this.timeoutMs);
    let failure = 'unknown error';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await delay(Math.random() * 25 * 2 ** (attempt - 2), signal);
      let retryable: boolean;
      try {
        const answer = await this.post(body, signal);
        if (answer.status === 200) return true;
        const type = errorTypeOf(answer.body);
        if (type === 'ConditionalCheckFailedException') return false;
        failure = type ?? `status ${answer.status}`;
        retryable = answer.status >= 500 || (type !== undefined && RETRYABLE_ERROR_TYPES.has(type));
      } catch (error) {
        failure = signal.aborted ? 'timeout' : error instanceof Error ? error.name : 'unknown error';
        retryable = !signal.aborted;
      }
      if (!retryable) break;
    }
    throw new DependencyError(
      'proof_replay_store_unavailable',
      `DynamoDB PutItem on the replay table failed (${failure})`,
    );
  }

  private async post(body: string, signal: AbortSignal): Promise<{ status: number; body: string }> {
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
    return new Promise((resolve, reject) => {
      const request = this.send(
        url,
        { method: 'POST', agent: this.agent, headers: signed.headers, signal },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) response.destroy(new Error('answer too large'));
            else chunks.push(chunk);
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
}

function errorTypeOf(body: string): string | undefined {
  try {
    const type = (JSON.parse(body) as { __type?: unknown } | null)?.__type;
    return typeof type === 'string' ? type.slice(type.lastIndexOf('#') + 1).slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
