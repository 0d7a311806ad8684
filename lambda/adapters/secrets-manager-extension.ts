import { readBoundedText } from '../core/bounded-body.ts';
import { DependencyError } from '../core/dependency-error.ts';

/** Settings of {@link readSecretFromExtension}. */
export interface SecretsExtensionOptions {
  /** ARN or name of the secret. */
  readonly secretId: string;
  /** @default process.env.AWS_SESSION_TOKEN, which the extension requires as its token header */
  readonly sessionToken?: string;
  /** @default 2773, or PARAMETERS_SECRETS_EXTENSION_HTTP_PORT */
  readonly port?: number;
  /** @default 3000 */
  readonly timeoutMs?: number;
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
 */
export async function readSecretFromExtension(options: SecretsExtensionOptions): Promise<string> {
  const port = options.port ?? Number(process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? 2773);
  const url = `http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(options.secretId)}`;
  try {
    const response = await fetch(url, {
      headers: { 'X-Aws-Parameters-Secrets-Token': options.sessionToken ?? process.env.AWS_SESSION_TOKEN ?? '' },
      signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
    });
    if (!response.ok) throw new Error(`status ${response.status}`);
    const text = await readBoundedText(response, MAX_ANSWER_BYTES);
    if (text === undefined) throw new Error('answer too large');
    const body = parseJson(text) as { SecretString?: unknown } | null;
    if (body === null || typeof body !== 'object') throw new Error('the answer is not a JSON object');
    if (typeof body.SecretString !== 'string' || body.SecretString.length === 0) throw new Error('no SecretString');
    return body.SecretString;
  } catch (error) {
    // The message names the secret, never its value.
    throw new DependencyError('secret_unavailable', `Could not read secret ${options.secretId}: ${describe(error)}`, {
      cause: error,
    });
  }
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
