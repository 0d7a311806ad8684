import assert from 'node:assert/strict';
import { eventFor, resourceArnFor } from '../../support/api-gateway-events.ts';
import { type Outcome, outcomeOf } from '../../support/authorizer-outcome.ts';
import { type LambdaHandler, type LambdaHandlerHarness, SECRET_ARN } from '../../support/lambda-handler-harness.ts';
import { type ScriptedHttpServer, startScriptedHttpServer } from '../../support/scripted-http-server.ts';
import { reserveLoopbackPort, type SecretsExtensionEmulator } from '../../support/secrets-extension-emulator.ts';
import type { HandlerScenario } from './handler-scenario.ts';

// Lambda's init phase runs the handler module to the end of its top-level await (AWS Compute Blog,
// "Using Node.js ES modules and top-level await in AWS Lambda"); it starts once extensions have
// registered, not once they are ready (Lambda Developer Guide, "Lambda Extensions API", Init phase).
// Driven as Lambda drives it: environment, module load, events. Dependencies are real (dynalite,
// oidc-provider behind counting proxies); the secrets extension is the emulator, started late or
// holding its answer back where a scenario says so.

const ROUTE = { method: 'GET', path: '/orders' } as const;
const FORMAT = 'rest-request' as const;
const JWKS_PATH = '/jwks';
const INTROSPECTION_PATH = '/token/introspection';

const invoke = (handler: LambdaHandler, credential: string): Promise<Outcome> =>
  outcomeOf(handler, eventFor(FORMAT, `Bearer ${credential}`, ROUTE), FORMAT, resourceArnFor(FORMAT, ROUTE));

const secrets = (harness: LambdaHandlerHarness): Record<string, string> => ({
  [SECRET_ARN]: harness.parts.as.clients.introspector.clientSecret,
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const authorizerInitScenarios: readonly HandlerScenario[] = [
  {
    name: 'reads the secret and fetches the JWKS side by side: the JWKS request arrives while the secret is unanswered',
    async run(harness) {
      const { asProxy } = harness.parts;
      let secretAnsweredAtMs = Number.POSITIVE_INFINITY;
      const emulator = await harness.startExtension(secrets(harness), {
        // Holds the secret back until the JWKS request has reached the server, for 2 s at most: an
        // init that waits for the secret before fetching the JWKS shows as a JWKS request after the answer.
        beforeAnswer: async () => {
          const until = Date.now() + 2000;
          while (asProxy.count(JWKS_PATH) === 0 && Date.now() < until) await sleep(2);
          secretAnsweredAtMs = Date.now();
        },
      });

      await harness.load({}, { extensionPort: emulator.port });

      const jwksRequests = asProxy.requests.filter((request) => request.path.startsWith(JWKS_PATH));
      assert.equal(emulator.requests, 1);
      assert.equal(jwksRequests.length, 1);
      assert.ok((jwksRequests[0]?.atMs ?? Number.POSITIVE_INFINITY) <= secretAnsweredAtMs);
    },
  },
  {
    name: 'answers the first phantom-token event with one introspection call and no JWKS fetch',
    async run(harness) {
      const { asProxy } = harness.parts;
      const emulator = await harness.startExtension(secrets(harness));
      const handler = await harness.load({}, { extensionPort: emulator.port });
      const phantom = await harness.parts.phantom();
      asProxy.reset();

      const outcome = await invoke(handler, phantom);

      assert.equal(outcome.kind, 'allow');
      assert.equal(asProxy.count(INTROSPECTION_PATH), 1);
      assert.equal(asProxy.count(JWKS_PATH), 0);
      assert.equal(asProxy.count(), 1);
    },
  },
  {
    name: 'answers the first split-token event with one GetItem and nothing at the authorization server',
    async run(harness) {
      const { asProxy, dynamoProxy } = harness.parts;
      const emulator = await harness.startExtension(secrets(harness));
      const handler = await harness.load({}, { extensionPort: emulator.port });
      const opaque = await harness.parts.split(await harness.parts.jwt());
      asProxy.reset();
      dynamoProxy.reset();

      const outcome = await invoke(handler, opaque);

      assert.equal(outcome.kind, 'allow');
      assert.equal(dynamoProxy.count('GetItem'), 1);
      assert.equal(dynamoProxy.count(), 1);
      assert.equal(asProxy.count(), 0);
    },
  },
  {
    name: 'waits in init for a secrets extension that starts listening late, and answers the first event',
    async run(harness) {
      const port = await reserveLoopbackPort();
      const phantom = await harness.parts.phantom();
      let started: Promise<SecretsExtensionEmulator> | undefined;
      const late = setTimeout(() => {
        started = harness.startExtension(secrets(harness), { port });
      }, 300);
      harness.defer(async () => clearTimeout(late));

      const handler = await harness.load({}, { extensionPort: port });

      assert.ok(started !== undefined, 'the init was over before the extension listened');
      assert.equal((await started)?.requests, 1);
      assert.equal((await invoke(handler, phantom)).kind, 'allow');
    },
  },
  {
    name: 'reads the secret through an extension that resets its first connections',
    async run(harness) {
      const emulator = await harness.startExtension(secrets(harness), { resetFirstConnections: 2 });
      const handler = await harness.load({}, { extensionPort: emulator.port });

      assert.equal((await invoke(handler, await harness.parts.phantom())).kind, 'allow');
      assert.equal(emulator.requests, 1);
    },
  },
  {
    name: 'does not cache a failed secret read: every invocation reads again until it succeeds',
    async run(harness) {
      const known: Record<string, string> = {};
      const emulator = await harness.startExtension(known);
      const handler = await harness.load({}, { extensionPort: emulator.port });
      const phantom = await harness.parts.phantom();

      const whileMissing = await invoke(handler, phantom);
      known[SECRET_ARN] = harness.parts.as.clients.introspector.clientSecret;
      const onceThere = await invoke(handler, phantom);

      assert.equal(whileMissing.kind, 'error');
      assert.match(String((whileMissing as { error?: unknown }).error), /Could not read secret/);
      assert.equal(onceThere.kind, 'allow');
      // The init's read, the first invocation's, the second invocation's.
      assert.equal(emulator.requests, 3);
    },
  },
  {
    name: 'keeps the keys fetched in init no longer than JWKS_MAX_AGE_SECONDS: the next verification after it fetches them again',
    async run(harness) {
      const { asProxy } = harness.parts;
      const emulator = await harness.startExtension(secrets(harness));
      const handler = await harness.load({ JWKS_MAX_AGE_SECONDS: '1' }, { extensionPort: emulator.port });
      const first = await harness.parts.split(await harness.parts.jwt());
      const second = await harness.parts.split(await harness.parts.jwt());
      asProxy.reset();

      const withinAge = await invoke(handler, first);
      const fetchesWithinAge = asProxy.count(JWKS_PATH);
      await sleep(1100);
      const pastAge = await invoke(handler, second);

      assert.equal(withinAge.kind, 'allow');
      assert.equal(fetchesWithinAge, 0);
      assert.equal(pastAge.kind, 'allow');
      // A key the issuer has withdrawn must stop verifying once the keys are this old.
      assert.equal(asProxy.count(JWKS_PATH), 1);
    },
  },
  {
    name: 'does not fail the init on a JWKS outage: the first verification fetches the keys again',
    async run(harness) {
      const emulator = await harness.startExtension(secrets(harness));
      const jwks = await (await fetch(harness.parts.as.jwksUri)).text();
      let jwksServer: ScriptedHttpServer | undefined;
      jwksServer = await startScriptedHttpServer((_request, _body, response) => {
        if ((jwksServer?.requests ?? 0) <= 1) response.writeHead(503).end();
        else response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      });
      const server = jwksServer;
      harness.defer(() => server.stop());
      const handler = await harness.load({ JWKS_URI: `${server.endpoint}/jwks` }, { extensionPort: emulator.port });
      const afterInit = server.requests;

      const outcome = await invoke(handler, await harness.parts.split(await harness.parts.jwt()));

      assert.equal(afterInit, 1);
      assert.equal(outcome.kind, 'allow');
      assert.equal(server.requests, 2);
    },
  },
];
