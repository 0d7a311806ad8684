import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventFor, resourceArnFor } from '../support/api-gateway-events.ts';
import { type Outcome, outcomeOf } from '../support/authorizer-outcome.ts';
import { LogCapture } from '../support/log-capture.ts';
import { RealParts, TABLE } from '../support/real-parts.ts';
import { type ScriptedHttpServer, startScriptedHttpServer } from '../support/scripted-http-server.ts';
import {
  lambdaRuntimeEnvironment,
  reserveLoopbackPort,
  type SecretsExtensionEmulator,
  type SecretsExtensionEmulatorOptions,
  startSecretsExtensionEmulator,
} from '../support/secrets-extension-emulator.ts';

// Lambda's init phase runs the handler module to the end of its top-level await (AWS Compute Blog,
// "Using Node.js ES modules and top-level await in AWS Lambda"); it starts once extensions have
// registered, not once they are ready (Lambda Developer Guide, "Lambda Extensions API", Init phase).
// Driven as Lambda drives it: environment, module load, events. Dependencies are real (dynalite,
// oidc-provider behind counting proxies); the secrets extension is the emulator, started late or
// holding its answer back where a test says so.

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:introspection-AbCdEf';
const SESSION_TOKEN = 'init-test-session';
const ROUTE = { method: 'GET', path: '/orders' } as const;
const FORMAT = 'rest-request' as const;

type Handler = (event: unknown) => Promise<unknown>;

describe('the Lambda handler init, against dynalite and oidc-provider on 127.0.0.1', () => {
  const logs = new LogCapture();
  let parts: RealParts;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    logs.install({ quiet: true });
    parts = await RealParts.start(logs);
  });
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
    parts.asProxy.reset();
    parts.dynamoProxy.reset();
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await parts?.stop();
    logs.uninstall();
  });

  const jwksPath = '/jwks';
  const introspectionPath = '/token/introspection';

  async function extension(
    secrets: Record<string, string>,
    options: SecretsExtensionEmulatorOptions = {},
  ): Promise<SecretsExtensionEmulator> {
    const emulator = await startSecretsExtensionEmulator(secrets, SESSION_TOKEN, options);
    cleanups.push(() => emulator.stop());
    return emulator;
  }

  /** Loads lambda/authorizer/handler.ts afresh, as a new Lambda instance: resolves when its init is over. */
  async function loadHandler(extensionPort: number, overrides: Record<string, string> = {}): Promise<Handler> {
    const env: Record<string, string> = {
      ...lambdaRuntimeEnvironment({ port: extensionPort }, SESSION_TOKEN),
      ISSUER: parts.as.issuer,
      JWKS_URI: `${parts.asProxy.endpoint}${jwksPath}`,
      AUDIENCE: parts.as.audience,
      REQUIRED_TOKEN_TYPE: 'at+jwt',
      TOKEN_TABLE_NAME: TABLE,
      TOKEN_TABLE_REGION: 'us-east-1',
      DYNAMODB_ENDPOINT: parts.dynamoProxy.endpoint,
      INTROSPECTION_ENDPOINT: `${parts.asProxy.endpoint}${introspectionPath}`,
      INTROSPECTION_CLIENT_ID: parts.as.clients.introspector.clientId,
      INTROSPECTION_CLIENT_SECRET_ARN: SECRET_ARN,
      ROUTE_SCOPES: JSON.stringify([{ ...ROUTE, scopes: ['orders:read'] }]),
      LOG_LEVEL: 'error',
      ...overrides,
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    vi.resetModules();
    const module = (await import('../../lambda/authorizer/handler.ts')) as { handler: Handler };
    return module.handler;
  }

  const invoke = (handler: Handler, credential: string): Promise<Outcome> =>
    outcomeOf(handler, eventFor(FORMAT, `Bearer ${credential}`, ROUTE), FORMAT, resourceArnFor(FORMAT, ROUTE));
  const secrets = () => ({ [SECRET_ARN]: parts.as.clients.introspector.clientSecret });

  it('reads the secret and fetches the JWKS side by side: the JWKS request arrives while the secret is unanswered', async () => {
    let secretAnsweredAtMs = Number.POSITIVE_INFINITY;
    const emulator = await extension(secrets(), {
      // Holds the secret back until the JWKS request has reached the server, for 2 s at most: an
      // init that waits for the secret before fetching the JWKS shows as a JWKS request after the answer.
      beforeAnswer: async () => {
        const until = Date.now() + 2000;
        while (parts.asProxy.count(jwksPath) === 0 && Date.now() < until) await sleep(2);
        secretAnsweredAtMs = Date.now();
      },
    });

    await loadHandler(emulator.port);

    const jwksRequests = parts.asProxy.requests.filter((request) => request.path.startsWith(jwksPath));
    expect(emulator.requests).toBe(1);
    expect(jwksRequests).toHaveLength(1);
    expect(jwksRequests[0]?.atMs).toBeLessThanOrEqual(secretAnsweredAtMs);
  });

  it('answers the first phantom-token event with one introspection call and no JWKS fetch', async () => {
    const emulator = await extension(secrets());
    const handler = await loadHandler(emulator.port);
    const phantom = await parts.phantom();
    parts.asProxy.reset();

    const outcome = await invoke(handler, phantom);

    expect(outcome.kind).toBe('allow');
    expect(parts.asProxy.count(introspectionPath)).toBe(1);
    expect(parts.asProxy.count(jwksPath)).toBe(0);
    expect(parts.asProxy.count()).toBe(1);
  });

  it('answers the first split-token event with one GetItem and nothing at the authorization server', async () => {
    const emulator = await extension(secrets());
    const handler = await loadHandler(emulator.port);
    const opaque = await parts.split(await parts.jwt());
    parts.asProxy.reset();
    parts.dynamoProxy.reset();

    const outcome = await invoke(handler, opaque);

    expect(outcome.kind).toBe('allow');
    expect(parts.dynamoProxy.count('GetItem')).toBe(1);
    expect(parts.dynamoProxy.count()).toBe(1);
    expect(parts.asProxy.count()).toBe(0);
  });

  it('waits in init for a secrets extension that starts listening late, and answers the first event', async () => {
    const port = await reserveLoopbackPort();
    const phantom = await parts.phantom();
    let started: Promise<SecretsExtensionEmulator> | undefined;
    const late = setTimeout(() => {
      started = extension(secrets(), { port });
    }, 300);
    cleanups.push(async () => clearTimeout(late));

    const handler = await loadHandler(port);

    expect(started).toBeDefined();
    expect((await started)?.requests).toBe(1);
    expect((await invoke(handler, phantom)).kind).toBe('allow');
  });

  it('reads the secret through an extension that resets its first connections', async () => {
    const emulator = await extension(secrets(), { resetFirstConnections: 2 });
    const handler = await loadHandler(emulator.port);

    expect((await invoke(handler, await parts.phantom())).kind).toBe('allow');
    expect(emulator.requests).toBe(1);
  });

  it('does not cache a failed secret read: every invocation reads again until it succeeds', async () => {
    const known: Record<string, string> = {};
    const emulator = await extension(known);
    const handler = await loadHandler(emulator.port);
    const phantom = await parts.phantom();

    const whileMissing = await invoke(handler, phantom);
    known[SECRET_ARN] = parts.as.clients.introspector.clientSecret;
    const onceThere = await invoke(handler, phantom);

    expect(whileMissing.kind).toBe('error');
    expect(String((whileMissing as { error?: unknown }).error)).toContain('Could not read secret');
    expect(onceThere.kind).toBe('allow');
    // The init's read, the first invocation's, the second invocation's.
    expect(emulator.requests).toBe(3);
  });

  it('keeps the keys fetched in init no longer than JWKS_MAX_AGE_SECONDS: the next verification after it fetches them again', async () => {
    const emulator = await extension(secrets());
    const handler = await loadHandler(emulator.port, { JWKS_MAX_AGE_SECONDS: '1' });
    const first = await parts.split(await parts.jwt());
    const second = await parts.split(await parts.jwt());
    parts.asProxy.reset();

    const withinAge = await invoke(handler, first);
    const fetchesWithinAge = parts.asProxy.count(jwksPath);
    await sleep(1100);
    const pastAge = await invoke(handler, second);

    expect(withinAge.kind).toBe('allow');
    expect(fetchesWithinAge).toBe(0);
    expect(pastAge.kind).toBe('allow');
    // A key the issuer has withdrawn must stop verifying once the keys are this old.
    expect(parts.asProxy.count(jwksPath)).toBe(1);
  });

  it('does not fail the init on a JWKS outage: the first verification fetches the keys again', async () => {
    const emulator = await extension(secrets());
    const jwks = await (await fetch(parts.as.jwksUri)).text();
    let jwksServer: ScriptedHttpServer | undefined;
    jwksServer = await startScriptedHttpServer((_request, _body, response) => {
      if ((jwksServer?.requests ?? 0) <= 1) response.writeHead(503).end();
      else response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    });
    cleanups.push(() => jwksServer?.stop() ?? Promise.resolve());
    const handler = await loadHandler(emulator.port, { JWKS_URI: `${jwksServer.endpoint}/jwks` });
    const afterInit = jwksServer.requests;

    const outcome = await invoke(handler, await parts.split(await parts.jwt()));

    expect(afterInit).toBe(1);
    expect(outcome.kind).toBe('allow');
    expect(jwksServer.requests).toBe(2);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
