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
    const body = (await response.json()) as { SecretString?: unknown };
    if (typeof body.SecretString !== 'string' || body.SecretString.length === 0) throw new Error('no SecretString');
    return body.SecretString;
  } catch (error) {
    // The message names the secret, never its value.
    throw new DependencyError('secret_unavailable', `Could not read secret ${options.secretId}: ${describe(error)}`, {
      cause: error,
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}
