import { DependencyError } from '../core/dependency-error.ts';
import { type HttpClient, HttpClientError, isHttpClientError } from '../core/http-client.ts';

/** Settings of {@link readSecretFromExtension}. */
export interface SecretsExtensionOptions {
  /** ARN or name of the secret. */
  readonly secretId: string;
  /** How the extension is called: on Lambda, the function's `NodeHttpClient`. */
  readonly http: HttpClient;
  /** @default process.env.AWS_SESSION_TOKEN, which the extension requires as its token header */
  readonly sessionToken?: string;
  /** @default 2773, or PARAMETERS_SECRETS_EXTENSION_HTTP_PORT */
  readonly port?: number;
  /**
   * Deadline of the whole read, retries included. The default leaves the JWKS fetch beside it and
   * the rest of init well inside Lambda's 10 s init phase. @default 3000
   */
  readonly timeoutMs?: number;
  /** First wait before another attempt, doubling per attempt up to {@link maxRetryDelayMs}. @default 5 */
  readonly retryBaseDelayMs?: number;
  /** Longest wait between attempts. @default 100 */
  readonly maxRetryDelayMs?: number;
}

/**
 * A secret value is at most 64 KiB (Secrets Manager quota); its JSON answer, escaped and with the
 * secret's metadata, stays well under this.
 */
const MAX_ANSWER_BYTES = 512 * 1024;

/**
 * Reads a secret string through the AWS Parameters and Secrets Lambda Extension (a local HTTP
 * endpoint the layer runs beside the function). Using it rather than the Secrets Manager SDK keeps
 * a second AWS client out of the bundle and its load out of the cold start.
 *
 * Lambda starts the function's init once the extension has registered, not once it is ready, so
 * early in init its port may refuse or reset connections: those, and 5xx answers, are tried again
 * with backoff until the deadline. Other answers (a 4xx: no such secret, no permission) are final.
 */
export async function readSecretFromExtension(options: SecretsExtensionOptions): Promise<string> {
  const port = options.port ?? Number(process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? 2773);
  const url = `http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(options.secretId)}`;
  const headers = { 'x-aws-parameters-secrets-token': options.sessionToken ?? process.env.AWS_SESSION_TOKEN ?? '' };
  const timeoutMs = options.timeoutMs ?? 3000;
  const maxDelayMs = options.maxRetryDelayMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let delayMs = options.retryBaseDelayMs ?? 5;
  let attempts = 0;
  try {
    for (;;) {
      attempts++;
      let failure: HttpClientError;
      try {
        const answer = await options.http.request({
          url,
          headers,
          timeoutMs: Math.max(1, deadline - Date.now()),
          maxBodyBytes: MAX_ANSWER_BYTES,
        });
        if (answer.status === 200) return secretStringOf(answer.body);
        if (answer.status < 500) throw new Error(`status ${answer.status}`);
        failure = new HttpClientError('connection_failed', `status ${answer.status}`);
      } catch (error) {
        if (!isHttpClientError(error) || error.code !== 'connection_failed') throw error;
        failure = error;
      }
      if (Date.now() + delayMs >= deadline) throw failure;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(maxDelayMs, delayMs * 2);
    }
  } catch (error) {
    // The message names the secret, never its value.
    throw new DependencyError(
      'secret_unavailable',
      `Could not read secret ${options.secretId}: ${describe(error)}${attempts > 1 ? ` (${attempts} attempts)` : ''}`,
      { cause: error },
    );
  }
}

function secretStringOf(text: string): string {
  const body = parseJson(text) as { SecretString?: unknown } | null;
  if (body === null || typeof body !== 'object') throw new Error('the answer is not a JSON object');
  if (typeof body.SecretString !== 'string' || body.SecretString.length === 0) throw new Error('no SecretString');
  return body.SecretString;
}

/** JSON.parse's own messages quote the text, which here holds the secret. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('the answer is not JSON');
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}
