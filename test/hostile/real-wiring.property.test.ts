import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENT_FORMATS, type EventFormat, eventFor, resourceArnFor } from '../support/api-gateway-events.ts';
import { HOSTILE_ROUTES } from '../support/authorizer-config.ts';
import { describeOutcome, outcomeOf } from '../support/authorizer-outcome.ts';
import { anyString, bearerScheme, separator, tokenMutation } from '../support/hostile-arbitraries.ts';
import { expectedOutcome, PROPERTY_ROUTES, type ValidCredential } from '../support/in-process-authorizer.ts';
import { LogCapture } from '../support/log-capture.ts';
import { RealParts, TABLE } from '../support/real-parts.ts';
import { lambdaRuntimeEnvironment, startSecretsExtensionEmulator } from '../support/secrets-extension-emulator.ts';

/** Cases through the Lambda entry point with real dynalite and oidc-provider. */
const REAL_WIRING_RUNS = Number(process.env.HOSTILE_REAL_WIRING_RUNS ?? 3000);
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:introspection-AbCdEf';
const SESSION_TOKEN = 'hostile-session-token';
const MAX_HEADER_LENGTH = 4096;

type Handler = (event: unknown) => Promise<unknown>;

describe('the Lambda handler, as deployed, against dynalite and oidc-provider', () => {
  const logs = new LogCapture();
  let parts: RealParts;
  let stopExtension: () => Promise<void>;
  const handlers = new Map<'simple' | 'iam', Handler>();
  const valid = new Map<string, ValidCredential>();
  let cases = 0;
  const tally: Record<string, number> = {};

  /** Imports lambda/authorizer/handler.ts afresh with the environment a deployment would give it. */
  async function loadHandler(format: 'simple' | 'iam'): Promise<Handler> {
    const env: Record<string, string> = {
      ISSUER: parts.as.issuer,
      JWKS_URI: parts.as.jwksUri,
      AUDIENCE: parts.as.audience,
      REQUIRED_TOKEN_TYPE: 'at+jwt',
      TOKEN_TABLE_NAME: TABLE,
      TOKEN_TABLE_REGION: 'us-east-1',
      DYNAMODB_ENDPOINT: parts.dynamo.endpoint,
      INTROSPECTION_ENDPOINT: parts.as.introspectionEndpoint,
      INTROSPECTION_CLIENT_ID: parts.as.clients.introspector.clientId,
      INTROSPECTION_CLIENT_SECRET_ARN: SECRET_ARN,
      INTROSPECTION_RATE_PER_SECOND: '100000',
      INTROSPECTION_BURST: '100000',
      // Every fixture event comes from one address: the per-source budget must not be what answers.
      INTROSPECTION_SOURCE_RATE_PER_SECOND: '100000',
      INTROSPECTION_SOURCE_BURST: '100000',
      JWT_VALIDATION_ENABLED: 'true',
      JWT_CLIENT_IDS: parts.as.clients.jwt.clientId,
      ROUTE_SCOPES: JSON.stringify(HOSTILE_ROUTES),
      MAX_HEADER_LENGTH: String(MAX_HEADER_LENGTH),
      HTTP_API_RESPONSE_FORMAT: format,
      LOG_LEVEL: 'debug',
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    vi.resetModules();
    const { handler } = await import('../../lambda/authorizer/handler.ts');
    // The first invocation waits for init, which reads the environment and the secret.
    await handler({}).catch(() => {});
    return handler;
  }

  beforeAll(async () => {
    // The handler logs every decision to stdout, as in Lambda: scanned here, not echoed.
    logs.install({ quiet: true });
    parts = await RealParts.start(logs);
    const extension = await startSecretsExtensionEmulator(
      { [SECRET_ARN]: parts.as.clients.introspector.clientSecret },
      SESSION_TOKEN,
    );
    stopExtension = extension.stop;
    for (const [name, value] of Object.entries(lambdaRuntimeEnvironment(extension, SESSION_TOKEN))) {
      vi.stubEnv(name, value);
    }
    handlers.set('simple', await loadHandler('simple'));
    handlers.set('iam', await loadHandler('iam'));

    const scopes = (scope: string) => new Set(scope.split(' '));
    for (const scope of ['orders:read orders:write', 'orders:read']) {
      const jwt = await parts.jwt(scope, 'jwt');
      valid.set(jwt, { kind: 'jwt', credential: jwt, jwt, scopes: scopes(scope) });
      const splitJwt = await parts.jwt(scope);
      const opaque = await parts.split(splitJwt);
      valid.set(opaque, { kind: 'split', credential: opaque, jwt: splitJwt, scopes: scopes(scope) });
      // The split token's whole JWT, which every backend receives, is not a credential (issue 10,
      // finding 4): it stays out of `valid`, so the property expects 401 for it and its mutations.
      const phantom = await parts.phantom(scope);
      // The RFC 9701 answer is signed per call: only its kind can be known in advance.
      valid.set(phantom, { kind: 'phantom', credential: phantom, jwt: '', scopes: scopes(scope) });
    }
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await Promise.all([parts?.stop(), stopExtension?.()]);
    logs.uninstall();
    console.info(`[hostile] real wiring: ${cases} cases ${JSON.stringify(tally)}`);
  });

  it('mutated real tokens and any header values get exactly the expected answer in every format', async () => {
    const credentials = [...valid.values()];
    const header = fc.oneof(
      fc
        .tuple(
          fc.constantFrom(...credentials),
          fc.array(
            tokenMutation(() => credentials),
            { maxLength: 2 },
          ),
        )
        .map(
          ([credential, mutations]) => `Bearer ${mutations.reduce((t, mutate) => mutate(t), credential.credential)}`,
        ),
      fc
        .tuple(bearerScheme, separator, fc.constantFrom(...credentials))
        .map(([scheme, gap, credential]) => `${scheme}${gap}${credential.credential}`),
      anyString(200),
    );
    await fc.assert(
      fc.asyncProperty(
        header,
        fc.constantFrom(...EVENT_FORMATS),
        fc.constantFrom(...PROPERTY_ROUTES),
        async (value, format: EventFormat, route) => {
          cases++;
          logs.watch('fuzzed header', value);
          const expected = expectedOutcome(valid, MAX_HEADER_LENGTH, value, route);
          const handler = handlers.get(format === 'http-iam' ? 'iam' : 'simple') as Handler;

          const outcome = await outcomeOf(
            handler,
            eventFor(format, value, route),
            format,
            resourceArnFor(format, route),
          );
          tally[outcome.kind] = (tally[outcome.kind] ?? 0) + 1;

          if (outcome.kind !== expected.kind)
            throw new Error(`expected ${expected.kind}, got ${describeOutcome(outcome)}`);
          if (outcome.kind === 'allow') {
            const credential = valid.get(/^\S+ +(\S+)$/.exec(value)?.[1] ?? '') as ValidCredential;
            if (outcome.context.tokenType !== credential.kind) throw new Error('resolved by the wrong path');
            if (credential.kind !== 'phantom' && outcome.context.jwt !== credential.jwt) throw new Error('wrong JWT');
          }
        },
      ),
      { numRuns: REAL_WIRING_RUNS },
    );
    expect(tally.allow ?? 0).toBeGreaterThan(0);
  }, 150_000);

  it('wrote no token, JWT, record or secret to standard output, standard error or the console', () => {
    expect(logs.lineCount).toBeGreaterThan(cases / 2);
    expect(logs.leaks).toEqual([]);
  });
});
