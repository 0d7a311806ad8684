import { afterEach, describe, expect, it } from 'vitest';
import { NodeHttpClient } from '../../../lambda/adapters/node-http-client.ts';
import { readSecretFromExtension } from '../../../lambda/adapters/secrets-manager-extension.ts';
import { isDependencyError } from '../../../lambda/core/dependency-error.ts';
import {
  reserveLoopbackPort,
  type SecretsExtensionEmulator,
  startSecretsExtensionEmulator,
} from '../../support/secrets-extension-emulator.ts';

// Lambda starts the function's init once extensions have registered, not once they are ready
// (AWS Lambda Developer Guide, "Lambda Extensions API", Init phase): the extension's port may
// refuse or reset connections early in init. The emulator starts late or resets on purpose.

const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:introspection-AbCdEf';
const SECRET_VALUE = 'test-only-introspection-secret';
const SESSION = 'test-session';

describe('readSecretFromExtension through the Lambda transport', () => {
  const http = new NodeHttpClient();
  const running: SecretsExtensionEmulator[] = [];
  const start = async (...args: Parameters<typeof startSecretsExtensionEmulator>) => {
    const emulator = await startSecretsExtensionEmulator(...args);
    running.push(emulator);
    return emulator;
  };
  afterEach(async () => {
    await Promise.all(running.splice(0).map((emulator) => emulator.stop()));
  });
  const read = (port: number, timeoutMs = 3000) =>
    readSecretFromExtension({ secretId: SECRET_ID, http, port, sessionToken: SESSION, timeoutMs });
  const secretUnavailable = (error: unknown) => isDependencyError(error) && error.code === 'secret_unavailable';

  it('reads the SecretString with the session token header', async () => {
    const extension = await start({ [SECRET_ID]: SECRET_VALUE }, SESSION);

    expect(await read(extension.port)).toBe(SECRET_VALUE);
    expect(extension.requests).toBe(1);
  });

  it('waits for an extension whose port refuses connections early in init, and reads once it listens', async () => {
    const port = await reserveLoopbackPort();
    let startedLate: Promise<SecretsExtensionEmulator> | undefined;
    const late = setTimeout(() => {
      startedLate = start({ [SECRET_ID]: SECRET_VALUE }, SESSION, { port });
    }, 300);

    const secret = await read(port);

    clearTimeout(late);
    expect(secret).toBe(SECRET_VALUE);
    expect(startedLate).toBeDefined();
    expect((await startedLate)?.requests).toBe(1);
  });

  it('tries again when the extension resets its first connections', async () => {
    const extension = await start({ [SECRET_ID]: SECRET_VALUE }, SESSION, { resetFirstConnections: 3 });

    expect(await read(extension.port)).toBe(SECRET_VALUE);
    expect(extension.connections).toBe(4);
    expect(extension.requests).toBe(1);
  });

  it('gives up at the deadline when the extension never listens, naming the secret and not its value', async () => {
    const port = await reserveLoopbackPort();

    const error = await read(port, 300).catch((caught: unknown) => caught);

    expect(error).toSatisfy(secretUnavailable);
    expect((error as Error).message).toContain(SECRET_ID);
    expect((error as Error).message).toMatch(/connection_failed: ECONNREFUSED \(\d+ attempts\)/);
  });

  it('takes a 4xx answer as final: one request, no retry', async () => {
    const extension = await start({}, SESSION);

    await expect(read(extension.port)).rejects.toSatisfy(secretUnavailable);
    expect(extension.requests).toBe(1);
  });

  it('never puts the secret in the error when the answer is not what it should be', async () => {
    const extension = await start({ [SECRET_ID]: SECRET_VALUE }, 'another-session');

    const error = await read(extension.port).catch((caught: unknown) => caught);

    expect(error).toSatisfy(secretUnavailable);
    expect(JSON.stringify({ message: (error as Error).message })).not.toContain(SECRET_VALUE);
  });
});
