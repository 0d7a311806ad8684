import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authorizer } from '../../lambda/authorizer/authorizer.ts';
import type { AuthorizerConfig } from '../../lambda/authorizer/config.ts';
import { eventFor, resourceArnFor } from '../support/api-gateway-events.ts';
import { type OutcomeKind, outcomeOf } from '../support/authorizer-outcome.ts';
import { type DelayingTcpProxy, startDelayingTcpProxy } from '../support/delaying-tcp-proxy.ts';
import { LogCapture } from '../support/log-capture.ts';
import { RealParts } from '../support/real-parts.ts';
import { type ScriptedHttpServer, startScriptedHttpServer } from '../support/scripted-http-server.ts';
import { overlaps, type RequestKind, runTraffic, sleep, type TrafficSample, tallyOf } from '../support/traffic.ts';

const DYNAMODB_TIMEOUT_MS = 400;
const INTROSPECTION_TIMEOUT_MS = 400;
const JWKS_TIMEOUT_MS = 400;
/** The authorizer's own deadline: each dependency at its timeout, one after the other. */
const DEADLINE_MS = DYNAMODB_TIMEOUT_MS + INTROSPECTION_TIMEOUT_MS + JWKS_TIMEOUT_MS;
/** Scheduling slack on a busy 2-core machine. */
const SLACK_MS = 300;

describe('dynalite and oidc-provider slowed down or hung by a delaying TCP proxy', () => {
  const logs = new LogCapture();
  let parts: RealParts;
  let dynamoDbProxy: DelayingTcpProxy;
  let asProxy: DelayingTcpProxy;
  let config: AuthorizerConfig;
  let worstMs = 0;

  beforeAll(async () => {
    logs.install();
    parts = await RealParts.start(logs);
    dynamoDbProxy = await startDelayingTcpProxy(parts.dynamo.port);
    asProxy = await startDelayingTcpProxy(parts.as.port);
    const base = parts.config({ dynamoDb: dynamoDbProxy.endpoint, authorizationServer: asProxy.endpoint });
    config = {
      ...base,
      cacheTtlSeconds: 0,
      dynamoDbTimeoutMs: DYNAMODB_TIMEOUT_MS,
      jwksTimeoutMs: JWKS_TIMEOUT_MS,
      introspection: {
        ...(base.introspection as NonNullable<AuthorizerConfig['introspection']>),
        timeoutMs: INTROSPECTION_TIMEOUT_MS,
      },
    };
  });

  afterAll(async () => {
    await Promise.all([dynamoDbProxy?.stop(), asProxy?.stop()]);
    await parts?.stop();
    logs.uninstall();
    console.info(`[faults] slow dependencies: worst answer ${Math.round(worstMs)} ms (deadline ${DEADLINE_MS} ms)`);
  });

  function sender(authorizer: Authorizer) {
    return async (token: string): Promise<OutcomeKind> => {
      const route = { method: 'GET', path: '/orders' };
      const event = eventFor('rest-request', `Bearer ${token}`, route);
      return (await outcomeOf(authorizer, event, 'rest-request', resourceArnFor('rest-request', route))).kind;
    };
  }

  async function mix(authorizer: Authorizer): Promise<RequestKind[]> {
    const send = sender(authorizer);
    const split = await parts.split(await parts.jwt());
    const phantom = await parts.phantom();
    const unknown = Buffer.from(crypto.getRandomValues(new Uint8Array(256))).toString('base64url');
    return [
      { label: 'split', valid: true, send: () => send(split) },
      { label: 'phantom', valid: true, send: () => send(phantom) },
      { label: 'unknown', valid: false, send: () => send(unknown) },
    ];
  }

  function record(samples: readonly TrafficSample[]): number {
    const worst = Math.max(...samples.map((sample) => sample.durationMs));
    worstMs = Math.max(worstMs, worst);
    return worst;
  }

  it('slowed below the deadlines: every answer is still right, only slower', async () => {
    const authorizer = parts.authorizer(config);
    const kinds = await mix(authorizer);
    dynamoDbProxy.setDelay(60);
    asProxy.setDelay(60);

    const samples = await runTraffic(kinds, { concurrency: 3, until: sleep(1500) });
    dynamoDbProxy.setDelay(0);
    asProxy.setDelay(0);

    expect(samples.filter((s) => s.outcome !== (s.valid ? 'allow' : 'unauthorized'))).toEqual([]);
    expect(Math.min(...samples.filter((s) => s.label === 'split').map((s) => s.durationMs))).toBeGreaterThan(100);
    expect(record(samples)).toBeLessThan(DEADLINE_MS + SLACK_MS);
  });

  for (const mode of ['slowed past the deadlines', 'hung (connections accepted, never answered)'] as const) {
    it(`${mode}: 500 within the deadline, never an allow or a 401 for a valid token, then recovery`, async () => {
      const authorizer = parts.authorizer(config);
      const kinds = await mix(authorizer);
      const fault = { fromMs: 0, toMs: 0 };
      const scenario = (async () => {
        await sleep(600);
        fault.fromMs = Date.now();
        for (const proxy of [dynamoDbProxy, asProxy]) {
          if (mode === 'slowed past the deadlines') proxy.setDelay(1500);
          else {
            proxy.setMode('blackhole');
            proxy.dropConnections();
          }
        }
        await sleep(1500);
        for (const proxy of [dynamoDbProxy, asProxy]) {
          proxy.setDelay(0);
          proxy.setMode('forward');
        }
        // Bytes already held back are still delivered late, on sockets the clients gave up on.
        fault.toMs = Date.now() + 1500 + 500;
        await sleep(2500);
      })();

      const samples = await runTraffic(kinds, { concurrency: 3, until: scenario });

      console.info(`[faults] ${mode}: ${samples.length} requests ${JSON.stringify(tallyOf(samples))}`);
      const inside = samples.filter((s) => overlaps(s, fault));
      const after = samples.filter((s) => s.startedAtMs > fault.toMs);
      expect(samples.filter((s) => s.outcome === 'allow' && !s.valid)).toEqual([]);
      expect(samples.filter((s) => s.outcome === 'unauthorized' && s.valid)).toEqual([]);
      expect(inside.filter((s) => s.outcome === 'error').length).toBeGreaterThan(0);
      expect(after.length).toBeGreaterThan(0);
      expect(after.filter((s) => s.outcome !== (s.valid ? 'allow' : 'unauthorized'))).toEqual([]);
      expect(record(samples)).toBeLessThan(DEADLINE_MS + SLACK_MS);
    }, 30_000);
  }

  describe('the slowest path: table miss, then introspection, then a cold JWKS', () => {
    let introspection: ScriptedHttpServer;
    let introspectionProxy: DelayingTcpProxy;
    let token: string;

    beforeAll(async () => {
      const answer = await parts.signWithIssuerKey(
        {
          aud: parts.as.clients.introspector.clientId,
          token_introspection: {
            active: true,
            iss: parts.as.issuer,
            aud: parts.as.audience,
            token_type: 'Bearer',
            scope: 'orders:read',
            exp: Math.floor(Date.now() / 1000) + 300,
          },
        },
        { typ: 'token-introspection+jwt' },
      );
      introspection = await startScriptedHttpServer((_request, _body, response) =>
        response.writeHead(200, { 'content-type': 'application/token-introspection+jwt' }).end(answer),
      );
      introspectionProxy = await startDelayingTcpProxy(Number(new URL(introspection.endpoint).port));
      // Long enough to be a signature, so the table is read first; unknown there, active at the AS.
      token = Buffer.from(crypto.getRandomValues(new Uint8Array(256))).toString('base64url');
    });
    afterAll(async () => {
      await introspectionProxy?.stop();
      await introspection?.stop();
    });

    const coldAuthorizer = () =>
      parts.authorizer({
        ...config,
        introspection: {
          ...(config.introspection as NonNullable<AuthorizerConfig['introspection']>),
          endpoint: `${introspectionProxy.endpoint}/introspect`,
        },
      });

    it('each dependency just inside its deadline: allowed, in less than the summed deadlines', async () => {
      for (const proxy of [dynamoDbProxy, introspectionProxy, asProxy]) proxy.setDelay(130);
      const started = performance.now();

      const outcome = await sender(coldAuthorizer())(token);
      const elapsedMs = performance.now() - started;

      for (const proxy of [dynamoDbProxy, introspectionProxy, asProxy]) proxy.setDelay(0);
      worstMs = Math.max(worstMs, elapsedMs);
      console.info(`[faults] slowest successful path: ${Math.round(elapsedMs)} ms`);
      expect(outcome).toBe('allow');
      expect(elapsedMs).toBeGreaterThan(3 * 2 * 130);
      expect(elapsedMs).toBeLessThan(DEADLINE_MS + SLACK_MS);
    });

    it('the last one past its deadline: 500, in less than the summed deadlines', async () => {
      dynamoDbProxy.setDelay(130);
      introspectionProxy.setDelay(130);
      asProxy.setDelay(2000);
      const started = performance.now();

      const outcome = await sender(coldAuthorizer())(token);
      const elapsedMs = performance.now() - started;

      for (const proxy of [dynamoDbProxy, introspectionProxy, asProxy]) proxy.setDelay(0);
      asProxy.dropConnections();
      worstMs = Math.max(worstMs, elapsedMs);
      console.info(`[faults] slowest failing path: ${Math.round(elapsedMs)} ms`);
      expect(outcome).toBe('error');
      expect(elapsedMs).toBeGreaterThan(2 * 2 * 130 + JWKS_TIMEOUT_MS);
      expect(elapsedMs).toBeLessThan(DEADLINE_MS + SLACK_MS);
    });
  });

  it('wrote no token, JWT, record or secret to any log line', () => {
    expect(logs.leaks).toEqual([]);
  });
});
