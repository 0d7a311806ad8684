import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_FORMATS, type EventFormat, eventFor, resourceArnFor } from '../support/api-gateway-events.ts';
import { HOSTILE_ROUTES } from '../support/authorizer-config.ts';
import { classifyAnyAnswer, describeOutcome, type Outcome, policyAllows } from '../support/authorizer-outcome.ts';
import { anyString } from '../support/hostile-arbitraries.ts';
import { InProcessAuthorizer, PROPERTY_ROUTES, type ValidCredential } from '../support/in-process-authorizer.ts';

/** Cases per event format. */
const EVENT_MUTATION_RUNS = Number(process.env.HOSTILE_EVENT_MUTATION_RUNS ?? 5000);

type Json = Record<string, unknown>;
type Path = readonly (string | number)[];
type EventMutation = (event: Json) => void;

/** Every path to a value inside `value`, the root excluded. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [];
  const paths: Path[] = [];
  for (const [key, child] of Object.entries(value)) {
    const path = [...prefix, Array.isArray(value) ? Number(key) : key];
    paths.push(path, ...pathsOf(child, path));
  }
  return paths;
}

function parentOf(event: Json, path: Path): Record<string | number, unknown> | undefined {
  let node: unknown = event;
  for (const key of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return typeof node === 'object' && node !== null ? (node as Record<string | number, unknown>) : undefined;
}

/** Any change to a real event: a value replaced or removed, a header renamed, added or doubled. */
const eventMutation: fc.Arbitrary<EventMutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.anything({ maxDepth: 2 })).map(
    ([n, value]): EventMutation =>
      (event) => {
        const paths = pathsOf(event);
        const path = paths[n % paths.length];
        const parent = path && parentOf(event, path);
        if (parent) parent[path.at(-1) as string] = value;
      },
  ),
  fc.nat().map(
    (n): EventMutation =>
      (event) => {
        const paths = pathsOf(event);
        const path = paths[n % paths.length];
        const parent = path && parentOf(event, path);
        if (parent) delete parent[path.at(-1) as string];
      },
  ),
  fc.tuple(fc.constantFrom('headers', 'multiValueHeaders'), fc.string({ maxLength: 30 }), anyString(60)).map(
    ([container, name, value]): EventMutation =>
      (event) => {
        const headers = event[container];
        if (typeof headers === 'object' && headers !== null) {
          (headers as Json)[name] = container === 'multiValueHeaders' ? [value] : value;
        }
      },
  ),
  fc
    .tuple(
      fc.constantFrom('headers', 'multiValueHeaders'),
      fc.constantFrom(
        'authorization',
        'Authorization',
        'AUTHORIZATION',
        'aUthorization',
        ' authorization',
        'authorization ',
      ),
      fc.oneof(anyString(60), fc.constant('Bearer forged-token-value-0123456789')),
    )
    .map(
      ([container, name, value]): EventMutation =>
        (event) => {
          const headers = event[container];
          if (typeof headers === 'object' && headers !== null) {
            (headers as Json)[name] = container === 'multiValueHeaders' ? [value] : value;
          }
        },
    ),
  fc.constantFrom<EventMutation>(
    (event) => {
      event.type = event.type === 'TOKEN' ? 'REQUEST' : 'TOKEN';
    },
    (event) => {
      event.version = event.version === '2.0' ? '1.0' : '2.0';
    },
    (event) => {
      delete event.version;
      delete event.type;
    },
    (event) => {
      event.headers = null;
    },
    (event) => {
      event.headers = ['authorization', 'Bearer x'];
    },
    (event) => {
      event.multiValueHeaders = { Authorization: 'Bearer not-an-array' };
    },
    (event) => {
      const headers = event.headers as Json | undefined;
      if (headers && typeof headers === 'object') {
        Object.defineProperty(headers, '__proto__', { value: { authorization: 'Bearer x' }, enumerable: true });
      }
    },
    (event) => {
      event.requestContext = { authorizer: { jwt: 'client-jwt', principalId: 'admin' } };
    },
    (event) => {
      event.methodArn = `${String(event.methodArn)}/../../*`;
    },
    (event) => {
      event.routeArn = '*';
      event.methodArn = '*';
    },
  ),
);

/** The Authorization values a reader might take from the event, every case and container. */
function authorizationValues(event: unknown): string[] {
  const values: string[] = [];
  if (typeof event !== 'object' || event === null) return values;
  const record = event as Json;
  if (typeof record.authorizationToken === 'string') values.push(record.authorizationToken);
  for (const container of ['headers', 'multiValueHeaders']) {
    const headers = record[container];
    if (typeof headers !== 'object' || headers === null) continue;
    for (const [name, value] of Object.entries(headers)) {
      if (name.toLowerCase() !== 'authorization') continue;
      for (const item of Array.isArray(value) ? value : [value]) if (typeof item === 'string') values.push(item);
    }
  }
  return values;
}

describe('any mutation of a real API Gateway event', () => {
  let harness: InProcessAuthorizer;
  let credentials: ValidCredential[];
  let cases = 0;
  const tally: Record<string, number> = {};

  beforeAll(async () => {
    harness = await InProcessAuthorizer.create({ jwtValidationEnabled: true });
    harness.logs.install();
    credentials = [
      await harness.addSplitToken('orders:read orders:write'),
      await harness.addSplitToken('orders:read'),
      await harness.addJwtToken('orders:write', 'ES256'),
      await harness.addPhantomToken('orders:read'),
    ];
  });

  afterAll(() => {
    harness.logs.uninstall();
    console.info(`[hostile] event mutation: ${cases} cases ${JSON.stringify(tally)}`);
  });

  const credential = () =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...credentials).map((valid) => `Bearer ${valid.credential}`) },
      { weight: 1, arbitrary: anyString(80) },
    );

  async function check(
    format: EventFormat,
    header: string,
    route: (typeof PROPERTY_ROUTES)[number],
    mutations: EventMutation[],
  ) {
    cases++;
    const event = eventFor(format, header, route);
    for (const mutate of mutations) {
      try {
        mutate(event);
      } catch {
        // A mutation that cannot apply (a non-configurable property fc.anything made) is skipped.
      }
    }
    harness.logs.watch('event header', header);

    // API Gateway evaluates a policy against the ARN it names in the event (mutated or not).
    // (REST events name a methodArn, payload 2.0 events a routeArn; API Gateway reads only its own.)
    const arnField = format === 'http-simple' || format === 'http-iam' ? event.routeArn : event.methodArn;
    const named = typeof arnField === 'string' ? arnField : '';
    let outcome: Outcome;
    try {
      outcome = classifyAnyAnswer(await harness.authorizerFor(format)(event), named);
    } catch (error) {
      outcome = (error as Error).message === 'Unauthorized' ? { kind: 'unauthorized' } : { kind: 'error', error };
    }
    tally[outcome.kind] = (tally[outcome.kind] ?? 0) + 1;

    // The one 500 on purpose: an HTTP API event whose identity-source values (API Gateway's cache key)
    // lack the method or the path, so that an answer would be reused on other requests.
    if (outcome.kind === 'error' && !cacheKeyLacksRequest(event)) throw new Error(describeOutcome(outcome));
    if (outcome.kind === 'malformed') throw new Error(describeOutcome(outcome));
    const context = outcome.kind === 'allow' || outcome.kind === 'forbidden' ? outcome.answer.context : undefined;
    if (outcome.kind === 'forbidden' && context !== undefined) {
      // A denial names the scopes the request needed and nothing about the token.
      const keys = Object.keys(context as object).sort();
      if (keys.join(',') !== 'error,scope') throw new Error(`a denial carries ${keys.join(', ')}`);
    }
    if (outcome.kind === 'allow') {
      const jwt = (context as Record<string, string> | undefined)?.jwt;
      const presented = authorizationValues(event)
        .map((value) => /^bearer +(\S+)$/i.exec(value)?.[1])
        .map((token) => (token === undefined ? undefined : harness.valid.get(token)))
        .filter((valid): valid is ValidCredential => valid !== undefined);
      if (!presented.some((valid) => valid.jwt === jwt)) {
        throw new Error('allowed without a valid credential in the event, or with another JWT');
      }
    }
    if (outcome.kind === 'unauthorized' || outcome.kind === 'error') return;
    const policy = outcome.answer.policyDocument;
    const token = harness.valid.get(/^bearer +(\S+)$/i.exec(header)?.[1] ?? '');
    if (policy !== undefined && token !== undefined) {
      // Evaluated for any other route (as a cache would), a policy never opens one the token lacks scopes for.
      for (const rule of HOSTILE_ROUTES) {
        if (rule.scopes.every((scope) => token.scopes.has(scope))) continue;
        const arn = resourceArnFor(format, { method: rule.method, path: rule.path.replace('{id}', '7') });
        if (policyAllows(policy, arn))
          throw new Error(`the policy opens ${rule.method} ${rule.path} without its scope`);
      }
    }
  }

  for (const format of EVENT_FORMATS) {
    it(`${format}: every mutated event ends in allow with a presented valid token, 403 or 401, never a crash`, async () => {
      await fc.assert(
        fc.asyncProperty(
          credential(),
          fc.constantFrom(...PROPERTY_ROUTES),
          fc.array(eventMutation, { minLength: 1, maxLength: 4 }),
          (header, route, mutations) => check(format, header, route, mutations),
        ),
        { numRuns: EVENT_MUTATION_RUNS },
      );
    }, 120_000);
  }

  it('wrote no token, JWT, record or secret to any log line', () => {
    expect(harness.logs.leaks).toEqual([]);
  });
});

/** Whether a payload 2.0 event lists identity-source values without its method or its path (written from the event). */
function cacheKeyLacksRequest(event: Record<string, unknown>): boolean {
  if (event.version !== '2.0' || !Array.isArray(event.identitySource)) return false;
  const context = (event.requestContext ?? {}) as Record<string, unknown>;
  const http = (context.http ?? {}) as Record<string, unknown>;
  const values = event.identitySource.filter((value): value is string => typeof value === 'string');
  const method = typeof http.method === 'string' ? http.method : undefined;
  const rawPath = typeof event.rawPath === 'string' ? event.rawPath : undefined;
  return method === undefined || rawPath === undefined || !values.includes(method) || !values.includes(rawPath);
}
