import { NodeHttpClient } from '../adapters/node-http-client.ts';
import { readSecretFromExtension } from '../adapters/secrets-manager-extension.ts';
import { type Authorizer, createAuthorizer, remoteJwksFor } from './authorizer.ts';
import { readAuthorizerSettings, withClientSecret } from './config.ts';

/**
 * Lambda entry point of the token authorizer (REST TOKEN and REQUEST, HTTP API payload 2.0).
 *
 * Init (Lambda's init phase, which waits for this ES module's top-level await) reads and validates
 * the configuration, then reads the introspection client secret and fetches the issuer's JWKS side
 * by side, wiring the authorizer while they are in flight, so the first event costs at most one
 * GetItem or introspection plus a verification. A failed init is never cached: a bad setting fails
 * every invocation with a message that names it, and a failed secret read is tried again by the next
 * invocation. A failed JWKS fetch does not fail the init: the first verification fetches the keys.
 */
const http = new NodeHttpClient();

async function start(): Promise<Authorizer> {
  const settings = readAuthorizerSettings(process.env);
  // Both reads in flight together. The secret's (plain http to the extension) starts first: starting
  // the JWKS fetch sets TLS up, milliseconds the secret's round trip need not wait for.
  const secretArn = settings.introspection?.clientSecretArn;
  const secretRead = secretArn === undefined ? undefined : readSecretFromExtension({ secretId: secretArn, http });
  secretRead?.catch(() => undefined);
  const jwks = remoteJwksFor(settings, http);
  const keys = Promise.resolve(jwks.keys()).catch(() => undefined);
  const authorizer = createAuthorizer(withClientSecret(settings, await secretRead), {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local',
    http,
    jwksSource: jwks,
  });
  await keys;
  return authorizer;
}

/** Set once init has succeeded, so that warm invocations do not wait on a promise. */
let authorizer: Authorizer | undefined;
/** The init in flight; cleared when it fails, so the next invocation starts it again. */
let starting: Promise<Authorizer> | undefined;

function begin(): Promise<Authorizer> {
  starting ??= start().then(
    (started) => {
      authorizer = started;
      return started;
    },
    (error: unknown) => {
      starting = undefined;
      throw error;
    },
  );
  return starting;
}

// Lambda's init phase: a failure here is the first invocation's to retry, not an init error.
await begin().catch(() => undefined);

export function handler(event: unknown): Promise<unknown> {
  if (authorizer !== undefined) return authorizer(event);
  return begin().then((started) => started(event));
}
