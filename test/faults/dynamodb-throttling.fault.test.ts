import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Authorizer, createAuthorizer } from '../../lambda/authorizer/authorizer.ts';
import { eventFor, resourceArnFor } from '../support/api-gateway-events.ts';
import { authorizerConfig } from '../support/authorizer-config.ts';
import { type OutcomeKind, outcomeOf } from '../support/authorizer-outcome.ts';
import { LogCapture } from '../support/log-capture.ts';
import { type ScriptedHttpServer, startScriptedHttpServer } from '../support/scripted-http-server.ts';
import { TestIssuer } from '../support/test-issuer.ts';

const THROTTLED = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'The level of configured provisioned throughput for the table was exceeded.',
});
const SLACK_MS = 250;

type Fault = (response: ServerResponse) => void;
const faults: Record<string, Fault> = {
  'throttled (ProvisionedThroughputExceededException)': (response) =>
    response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(THROTTLED),
  'request limit exceeded (ThrottlingException)': (response) =>
    response
      .writeHead(400, { 'content-type': 'application/x-amz-json-1.0' })
      .end('{"__type":"com.amazon.coral.availability#ThrottlingException","message":"Rate exceeded"}'),
  'an internal server error (500)': (response) =>
    response
      .writeHead(500, { 'content-type': 'application/x-amz-json-1.0' })
      .end('{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"oops"}'),
  'never answering': () => {},
};

describe('DynamoDB throttling and timeouts, through the default DynamoDB client of the composition root', () => {
  const logs = new LogCapture();
  let issuer: TestIssuer;
  let dynamoDb: ScriptedHttpServer;
  let introspection: ScriptedHttpServer;
  let fault: Fault = faults['throttled (ProvisionedThroughputExceededException)'] as Fault;
  const splitShaped = Buffer.from(crypto.getRandomValues(new Uint8Array(256))).toString('base64url');

  beforeAll(async () => {
    logs.install();
    issuer = await TestIssuer.create();
    dynamoDb = await startScriptedHttpServer((_request, _body, response) => fault(response));
    introspection = await startScriptedHttpServer((_request, _body, response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"active":false}'),
    );
    // What the Lambda runtime provides; the SDK's default credential chain reads them.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    vi.stubEnv('AWS_REGION', 'us-east-1');
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await Promise.all([dynamoDb?.stop(), introspection?.stop()]);
    logs.uninstall();
  });

  /** No tokenStoreFor: the store, its retry settings and its deadline are the Lambda's own. */
  function authorizer(dynamoDbTimeoutMs: number): Authorizer {
    return createAuthorizer(
      authorizerConfig(
        { issuer: issuer.issuer, jwksUri: `${issuer.issuer}/jwks`, audiences: [issuer.audience] },
        {
          dynamoDbEndpoint: dynamoDb.endpoint,
          dynamoDbTimeoutMs,
          introspection: {
            endpoint: `${introspection.endpoint}/introspect`,
            clientId: 'gateway',
            clientSecret: 'throttling-test-secret',
            clientAuthMethod: 'client_secret_basic',
            responseFormat: 'token-introspection+jwt',
            responseAudience: 'gateway',
            timeoutMs: 500,
            ratePerSecond: 100,
            burst: 100,
            sourceRatePerSecond: 100,
            sourceBurst: 100,
            maxSources: 10_000,
            tokenShape: undefined,
            requireAudience: true,
          },
        },
      ),
      { jwks: issuer.jwks, log: logs.jsonLog('debug') },
    );
  }

  async function timed(authorize: Authorizer): Promise<{ outcome: OutcomeKind; elapsedMs: number; attempts: number }> {
    const before = dynamoDb.requests;
    const route = { method: 'GET', path: '/orders' };
    const started = performance.now();
    const outcome = await outcomeOf(
      authorize,
      eventFor('rest-token', `Bearer ${splitShaped}`, route),
      'rest-token',
      resourceArnFor('rest-token', route),
    );
    return { outcome: outcome.kind, elapsedMs: performance.now() - started, attempts: dynamoDb.requests - before };
  }

  for (const [name, answer] of Object.entries(faults)) {
    it(`${name}: bounded retries inside the deadline, then 500, and no introspection fallback`, async () => {
      fault = answer;
      const introspectionsBefore = introspection.requests;
      const results = [];
      for (const deadline of [300, 600]) {
        const authorize = authorizer(deadline);
        for (let i = 0; i < 2; i++) results.push({ deadline, ...(await timed(authorize)) });
      }

      console.info(
        `[faults] DynamoDB ${name}: ${results.map((r) => `${r.attempts} attempts/${Math.round(r.elapsedMs)} ms (deadline ${r.deadline})`).join(', ')}`,
      );
      for (const result of results) {
        expect(result.outcome).toBe('error');
        expect(result.attempts).toBeGreaterThanOrEqual(1);
        expect(result.attempts).toBeLessThanOrEqual(3);
        expect(result.elapsedMs).toBeLessThan(result.deadline + SLACK_MS);
      }
      // An outage is not a miss: a throttled table never sends the token to the AS instead.
      expect(introspection.requests).toBe(introspectionsBefore);
    }, 20_000);
  }

  it('wrote no token or secret to any log line', () => {
    logs.remember('split-shaped token', splitShaped);
    logs.remember('introspection secret', 'throttling-test-secret');
    expect(logs.leaks).toEqual([]);
  });
});
