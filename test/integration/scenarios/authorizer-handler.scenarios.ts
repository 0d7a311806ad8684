import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import {
  EVENT_FORMATS,
  type EventFormat,
  type EventRoute,
  eventFor,
  resourceArnFor,
} from '../../support/api-gateway-events.ts';
import { describeOutcome, type Outcome, outcomeOf } from '../../support/authorizer-outcome.ts';
import type { LambdaHandlerHarness } from '../../support/lambda-handler-harness.ts';
import type { HandlerScenario } from './handler-scenario.ts';

// The authorizer's Lambda handler driven as Lambda drives it (environment, module load, API Gateway
// events) against dynalite and oidc-provider on 127.0.0.1, on Node and on Deno. Expected answers come
// from this table, whose rows follow DESIGN section 3 and the README's Outcomes and settings; the
// answers' shapes from AWS's documentation of Lambda authorizer output (REST: principalId, an IAM
// policy of execute-api:Invoke statements, a context of string values; HTTP API payload 2.0 simple
// responses: isAuthorized and a context), never from the code under test.

const GET_ORDERS: EventRoute = { method: 'GET', path: '/orders' };
const POST_ORDERS: EventRoute = { method: 'POST', path: '/orders' };
/** No rule names it and DEFAULT_SCOPES is empty: a valid token needs no scope (README, Route rules). */
const UNRULED_ROUTE: EventRoute = { method: 'GET', path: '/health' };

/** README, settings: MAX_HEADER_LENGTH defaults to 4096, checked before anything else. */
const DEFAULT_MAX_HEADER_LENGTH = 4096;
const INTROSPECTION_PATH = '/token/introspection';

/** What a client presents, and what the backend must then receive. */
interface Presented {
  /** The Authorization header value(s); undefined for none. */
  readonly authorization: string | undefined;
  /** The JWT the context must carry, where the test knows it in advance (split and plain JWTs). */
  readonly jwt?: string;
  /** The `client_id` the token was issued to. */
  readonly clientId?: string;
  /** The scopes the token was issued with. */
  readonly scope?: string;
}

type TokenType = 'split' | 'phantom' | 'jwt';

/** DESIGN section 3, as API Gateway ends the call. */
type Expected =
  | { readonly status: 200; readonly tokenType: TokenType }
  | { readonly status: 401; readonly noIo?: true }
  | { readonly status: 403; readonly neededScopes: string };

interface OutcomeRow {
  readonly credential: string;
  readonly present: (harness: LambdaHandlerHarness) => Promise<Presented>;
  readonly route: EventRoute;
  /** Settings beside the harness's, for the whole handler instance. */
  readonly settings?: (harness: LambdaHandlerHarness) => Record<string, string>;
  readonly expected: Expected;
}

const split =
  (scope = 'orders:read') =>
  async (harness: LambdaHandlerHarness): Promise<Presented> => {
    const jwt = await harness.parts.jwt(scope);
    const opaque = await harness.parts.split(jwt);
    return { authorization: `Bearer ${opaque}`, jwt, clientId: harness.parts.as.clients.split.clientId, scope };
  };

const phantom =
  (scope = 'orders:read') =>
  async (harness: LambdaHandlerHarness): Promise<Presented> => ({
    authorization: `Bearer ${await harness.parts.phantom(scope)}`,
    clientId: harness.parts.as.clients.phantom.clientId,
    scope,
  });

const wholeJwt =
  (client: 'split' | 'jwt', scope = 'orders:read') =>
  async (harness: LambdaHandlerHarness): Promise<Presented> => {
    const jwt = await harness.parts.jwt(scope, client);
    return { authorization: `Bearer ${jwt}`, jwt, clientId: harness.parts.as.clients[client].clientId, scope };
  };

const header = (authorization: string | undefined) => async (): Promise<Presented> => ({ authorization });

/** JWT validation on, with jwt-client the one client meant to hold JWTs (README, JWT_CLIENT_IDS). */
const jwtValidation = (harness: LambdaHandlerHarness): Record<string, string> => ({
  JWT_VALIDATION_ENABLED: 'true',
  JWT_CLIENT_IDS: harness.parts.as.clients.jwt.clientId,
});

const OUTCOME_ROWS: readonly OutcomeRow[] = [
  // Split tokens, allowed and denied by the route's scopes.
  { credential: 'a split token with orders:read', present: split(), route: GET_ORDERS, expected: ok('split') },
  {
    credential: 'a split token with orders:read',
    present: split(),
    route: POST_ORDERS,
    expected: { status: 403, neededScopes: 'orders:write' },
  },
  {
    credential: 'a split token with orders:read and orders:write',
    present: split('orders:read orders:write'),
    route: POST_ORDERS,
    expected: ok('split'),
  },
  { credential: 'a split token with orders:read', present: split(), route: UNRULED_ROUTE, expected: ok('split') },
  // Phantom tokens, through RFC 9701 introspection.
  { credential: 'a phantom token with orders:read', present: phantom(), route: GET_ORDERS, expected: ok('phantom') },
  {
    credential: 'a phantom token with orders:read',
    present: phantom(),
    route: POST_ORDERS,
    expected: { status: 403, neededScopes: 'orders:write' },
  },
  // Refused tokens (401).
  {
    credential: 'an unknown opaque token (a table miss, then inactive at introspection)',
    present: async (harness) => {
      const unknown = Buffer.from(crypto.getRandomValues(new Uint8Array(256))).toString('base64url');
      harness.logs.remember('unknown opaque token', unknown);
      return { authorization: `Bearer ${unknown}` };
    },
    route: GET_ORDERS,
    expected: { status: 401 },
  },
  {
    credential: 'a split token whose record has expired (dynalite never deletes it)',
    present: async (harness) => {
      const jwt = await harness.parts.jwt();
      return { authorization: `Bearer ${await harness.parts.split(jwt, { expiration: nowSeconds() - 3600 })}` };
    },
    route: GET_ORDERS,
    expected: { status: 401 },
  },
  {
    credential: 'a split token whose head_and_body was tampered with',
    present: async (harness) => {
      const jwt = await harness.parts.jwt();
      const [head] = jwt.split('.');
      const forgedBody = Buffer.from(
        JSON.stringify({
          iss: harness.parts.as.issuer,
          aud: harness.parts.as.audience,
          scope: 'orders:write',
          exp: 4102444800,
        }),
      ).toString('base64url');
      return { authorization: `Bearer ${await harness.parts.split(jwt, { headAndBody: `${head}.${forgedBody}` })}` };
    },
    route: GET_ORDERS,
    expected: { status: 401 },
  },
  {
    credential: 'a token issued for another audience',
    present: split(),
    route: GET_ORDERS,
    settings: () => ({ AUDIENCE: 'https://another-api.example.test' }),
    expected: { status: 401 },
  },
  // Plain JWTs: refused unless JWT validation is on and their client is listed.
  {
    credential: 'the whole JWT of a split token, JWT validation off (the server will not introspect it)',
    present: wholeJwt('split'),
    route: GET_ORDERS,
    expected: { status: 401 },
  },
  {
    credential: 'the whole JWT of a client meant to hold JWTs, JWT validation off',
    present: wholeJwt('jwt'),
    route: GET_ORDERS,
    expected: { status: 401 },
  },
  {
    credential: 'the whole JWT of a client listed in JWT_CLIENT_IDS, JWT validation on',
    present: wholeJwt('jwt'),
    route: GET_ORDERS,
    settings: jwtValidation,
    expected: ok('jwt'),
  },
  {
    credential: 'the whole JWT of a client listed in JWT_CLIENT_IDS, JWT validation on',
    present: wholeJwt('jwt'),
    route: POST_ORDERS,
    settings: jwtValidation,
    expected: { status: 403, neededScopes: 'orders:write' },
  },
  {
    credential: 'the whole JWT of a split token (its client is not listed), JWT validation on',
    present: wholeJwt('split'),
    route: GET_ORDERS,
    settings: jwtValidation,
    expected: { status: 401 },
  },
  // Credentials that cannot be well formed: refused before any I/O (DESIGN section 3, invariant 5).
  { credential: 'no Authorization header', present: header(undefined), route: GET_ORDERS, expected: noIo() },
  {
    credential: 'Basic credentials',
    present: header(`Basic ${btoa('split-client:not-a-secret')}`),
    route: GET_ORDERS,
    expected: noIo(),
  },
  { credential: 'Bearer without a token', present: header('Bearer '), route: GET_ORDERS, expected: noIo() },
  {
    credential: 'a bearer token with a character outside RFC 6750 b64token',
    present: header('Bearer abc$def'),
    route: GET_ORDERS,
    expected: noIo(),
  },
  {
    credential: 'a bearer value with a space inside (two tokens)',
    present: header('Bearer abcdef ghijkl'),
    route: GET_ORDERS,
    expected: noIo(),
  },
  {
    credential: `an Authorization header one character over ${DEFAULT_MAX_HEADER_LENGTH}`,
    present: header(`Bearer ${'a'.repeat(DEFAULT_MAX_HEADER_LENGTH + 1 - 'Bearer '.length)}`),
    route: GET_ORDERS,
    expected: noIo(),
  },
];

function ok(tokenType: TokenType): Expected {
  return { status: 200, tokenType };
}

function noIo(): Expected {
  return { status: 401, noIo: true };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The status API Gateway answers with (DESIGN section 3); a malformed answer has none. */
function statusOf(outcome: Outcome): number | string {
  switch (outcome.kind) {
    case 'allow':
      return 200;
    case 'forbidden':
      return 403;
    case 'unauthorized':
      return 401;
    case 'error':
      return 500;
    default:
      return describeOutcome(outcome);
  }
}

/** HTTP API IAM answers are configured (README, HTTP_API_RESPONSE_FORMAT); the event is the same. */
function formatSettings(format: EventFormat): Record<string, string> {
  return format === 'http-iam' ? { HTTP_API_RESPONSE_FORMAT: 'iam' } : {};
}

function outcomeScenario(row: OutcomeRow, format: EventFormat): HandlerScenario {
  const { method, path } = row.route;
  return {
    name: `${format}: ${row.credential}, ${method} ${path}: ${row.expected.status}`,
    async run(harness) {
      const handler = await harness.shared({ ...row.settings?.(harness), ...formatSettings(format) });
      const presented = await row.present(harness);
      const arn = resourceArnFor(format, row.route);
      harness.parts.asProxy.reset();
      harness.parts.dynamoProxy.reset();
      const leaksBefore = harness.logs.leaks.length;

      const outcome = await outcomeOf(handler, eventFor(format, presented.authorization, row.route), format, arn);

      assert.equal(statusOf(outcome), row.expected.status);
      if (row.expected.status === 200) assertAllowShape(outcome, format, arn, row.expected.tokenType, presented);
      if (row.expected.status === 403) assertDenyShape(outcome, format, arn, row.expected.neededScopes);
      if (row.expected.status === 401 && row.expected.noIo) {
        assert.deepEqual(
          { dynamoDb: harness.parts.dynamoProxy.count(), authorizationServer: harness.parts.asProxy.count() },
          { dynamoDb: 0, authorizationServer: 0 },
          'no I/O for a credential that cannot be well formed',
        );
      }
      assert.deepEqual(harness.logs.leaks.slice(leaksBefore), [], 'no token material in any log line');
    },
  };
}

/** An allow opens exactly the request's ARN and hands the backend the verified JWT. */
function assertAllowShape(
  outcome: Outcome,
  format: EventFormat,
  arn: string,
  tokenType: TokenType,
  presented: Presented,
): void {
  assert.ok(outcome.kind === 'allow');
  const { answer, context } = outcome;
  if (format === 'http-simple') {
    assert.deepEqual(Object.keys(answer).sort(), ['context', 'isAuthorized']);
    assert.equal(answer.isAuthorized, true);
  } else {
    assert.equal(typeof answer.principalId, 'string');
    assert.notEqual(answer.principalId, '');
    assert.deepEqual(answer.policyDocument, {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [arn] }],
    });
  }
  assert.ok(Object.values(context).every((value) => typeof value === 'string'));
  assert.equal(context.tokenType, tokenType);
  assert.equal(context.authorization, `Bearer ${context.jwt}`);
  if (presented.jwt !== undefined) assert.equal(context.jwt, presented.jwt);
  if (tokenType === 'phantom') {
    // RFC 9701: the introspection answer itself is the JWT, typed token-introspection+jwt.
    assert.equal(decodeProtectedHeader(context.jwt as string).typ, 'token-introspection+jwt');
    const introspection = decodeJwt(context.jwt as string).token_introspection as Record<string, unknown>;
    assert.equal(introspection.active, true);
    assert.equal(introspection.client_id, presented.clientId);
  }
  assert.equal(context.client_id, presented.clientId);
  assert.equal(context.scope, presented.scope);
}

/** A 403: simple answers say no, policies deny the request's ARN with the scopes it needs. */
function assertDenyShape(outcome: Outcome, format: EventFormat, arn: string, neededScopes: string): void {
  assert.ok(outcome.kind === 'forbidden');
  if (format === 'http-simple') {
    assert.deepEqual(outcome.answer, { isAuthorized: false });
    return;
  }
  assert.deepEqual(outcome.answer.policyDocument, {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [arn] }],
  });
  // README, Outcomes: the 403 body carries error="insufficient_scope" and the needed scopes from the Deny's context.
  assert.deepEqual(
    {
      error: (outcome.answer.context as Record<string, unknown>).error,
      scope: (outcome.answer.context as Record<string, unknown>).scope,
    },
    { error: 'insufficient_scope', scope: neededScopes },
  );
}

type Handler = (event: unknown) => Promise<unknown>;

const REST_FORMAT = 'rest-request' as const;

const invoke = (handler: Handler, credential: string, route: EventRoute = GET_ORDERS): Promise<Outcome> =>
  outcomeOf(
    handler,
    eventFor(REST_FORMAT, `Bearer ${credential}`, route),
    REST_FORMAT,
    resourceArnFor(REST_FORMAT, route),
  );

/** Sequences a table row cannot say: revocation, outages, settings that fail the init. */
const SEQUENCE_SCENARIOS: readonly HandlerScenario[] = [
  {
    name: 'keeps its connections alive across events: three GetItems on one connection, three introspections on at most one new one',
    async run(harness) {
      const { asProxy, dynamoProxy } = harness.parts;
      const handler = await harness.load();
      const splitTokens = [];
      const phantomTokens = [];
      for (let i = 0; i < 3; i++) {
        splitTokens.push(await harness.parts.split(await harness.parts.jwt()));
        phantomTokens.push(await harness.parts.phantom());
      }
      asProxy.reset();
      dynamoProxy.reset();

      const outcomes = [];
      for (const token of [...splitTokens, ...phantomTokens]) outcomes.push(statusOf(await invoke(handler, token)));

      assert.deepEqual(outcomes, [200, 200, 200, 200, 200, 200]);
      assert.deepEqual(
        { getItems: dynamoProxy.count('GetItem'), connections: dynamoProxy.connections },
        { getItems: 3, connections: 1 },
      );
      // The connection the init fetched the JWKS on may carry the introspections too.
      assert.equal(asProxy.count(INTROSPECTION_PATH), 3);
      assert.ok(asProxy.connections <= 1, `${asProxy.connections} connections to the authorization server`);
    },
  },
  {
    name: 'refuses a revoked split token (record deleted) at once with CACHE_TTL_SECONDS=0, and its JWT as a plain JWT before and after',
    async run(harness) {
      const handler = await harness.load({ ...jwtValidation(harness), CACHE_TTL_SECONDS: '0' });
      // What every backend receives for a split token: the whole JWT of split-client.
      const jwt = await harness.parts.jwt();
      const opaque = await harness.parts.split(jwt);
      const before = { opaque: await invoke(handler, opaque), jwt: await invoke(handler, jwt) };

      // Revocation through the proxy deletes the record.
      await harness.parts.deleteRecord(opaque);
      const after = { opaque: await invoke(handler, opaque), jwt: await invoke(handler, jwt) };

      assert.deepEqual(
        {
          before: [statusOf(before.opaque), statusOf(before.jwt)],
          after: [statusOf(after.opaque), statusOf(after.jwt)],
        },
        { before: [200, 401], after: [401, 401] },
      );
    },
  },
  {
    name: 'answers 500, never an allow or a 401, while the authorization server is down, and recovers after',
    async run(harness) {
      const handler = await harness.load({}, { endpoints: 'direct' });
      const phantomToken = await harness.parts.phantom();
      await harness.parts.as.outage.interrupt();
      let during: Outcome;
      try {
        during = await invoke(handler, phantomToken);
      } finally {
        await harness.parts.as.outage.resume();
      }
      const after = await invoke(handler, phantomToken);

      assert.equal(statusOf(during), 500);
      assert.equal(statusOf(after), 200);
    },
  },
  {
    name: 'answers 500, never an allow or a 401, while DynamoDB is down, and recovers after',
    async run(harness) {
      const handler = await harness.load({}, { endpoints: 'direct' });
      const opaque = await harness.parts.split(await harness.parts.jwt());
      await harness.parts.dynamo.stop();
      let during: Outcome;
      try {
        during = await invoke(handler, opaque);
      } finally {
        await harness.parts.dynamo.start();
      }
      const after = await invoke(handler, opaque);

      assert.equal(statusOf(during), 500);
      assert.equal(statusOf(after), 200);
    },
  },
  {
    name: 'fails the init, naming JWT_CLIENT_IDS, when JWT validation is on without the list of JWT clients',
    async run(harness) {
      const withoutList = await harness.load({ JWT_VALIDATION_ENABLED: 'true' });

      await assert.rejects(withoutList(eventFor(REST_FORMAT, `Bearer ${await harness.parts.jwt()}`)), /JWT_CLIENT_IDS/);
    },
  },
  {
    name: 'fails every invocation with a message naming a missing setting',
    async run(harness) {
      const broken = await harness.load({ ISSUER: '' });

      await assert.rejects(broken(eventFor(REST_FORMAT, 'Bearer abc')), /ISSUER is required/);
      await assert.rejects(broken(eventFor(REST_FORMAT, 'Bearer abc')), /ISSUER is required/);
    },
  },
];

/**
 * Every outcome row in every event format (REST TOKEN and REQUEST, HTTP API payload 2.0 with simple
 * and IAM answers), then the sequences.
 */
export const authorizerHandlerScenarios: readonly HandlerScenario[] = [
  ...OUTCOME_ROWS.flatMap((row) => EVENT_FORMATS.map((format) => outcomeScenario(row, format))),
  ...SEQUENCE_SCENARIOS,
];
