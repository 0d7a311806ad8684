import { readSecretFromExtension } from './adapters/secrets-manager-extension.ts';
import { type Authorizer, createAuthorizer } from './authorizer.ts';
import { readAuthorizerConfig } from './authorizer-config.ts';

/**
 * Lambda entry point of the token authorizer (REST TOKEN and REQUEST, HTTP API payload 2.0).
 * Configuration is read and validated once per instance, during init; a bad setting fails every
 * invocation with a message that names it, and a transient failure (the secret store) is retried.
 */
let ready: Promise<Authorizer> | undefined = start();

function start(): Promise<Authorizer> {
  const starting = readAuthorizerConfig(process.env, (secretId) => readSecretFromExtension({ secretId })).then(
    (config) => createAuthorizer(config, { functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local' }),
  );
  // Observed here so a failed init is not an unhandled rejection before the first invocation.
  starting.catch(() => {});
  return starting;
}

/** Set once init has succeeded, so that warm invocations do not wait on the init promise. */
let authorizer: Authorizer | undefined;

export function handler(event: unknown): Promise<unknown> {
  if (authorizer !== undefined) return authorizer(event);
  ready ??= start();
  return ready.then(
    (started) => {
      authorizer = started;
      return started(event);
    },
    (error: unknown) => {
      ready = undefined;
      throw error;
    },
  );
}
