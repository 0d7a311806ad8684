/**
 * The event reader and the handler over API Gateway authorizer events as AWS sends them (the
 * captures and AWS's samples in ../shared/fixtures/apigw-events, read in place). Expectations are
 * written by hand from each event: the request it describes, and what the rules below make of it.
 */
import { beforeAll, expect, it } from 'vitest';
import { readAuthorizerEvent } from '../../../../lambda/adapters/api-gateway/authorizer-event.ts';
import { type Authorizer, createAuthorizer } from '../../../../lambda/authorizer/authorizer.ts';
import type { EventFormat } from '../../../support/api-gateway-events.ts';
import { authorizerConfig } from '../../../support/authorizer-config.ts';
import { outcomeOf } from '../../../support/authorizer-outcome.ts';
import { LogCapture } from '../../../support/log-capture.ts';
import { describeWithSharedFixtures, readSharedJsonFiles } from '../../../support/shared-fixtures.ts';
import { TestIssuer } from '../../../support/test-issuer.ts';

type Json = Record<string, unknown>;

interface Expectation {
  readonly format: EventFormat;
  /** The request as each field of the event tells it. */
  /** HTTP APIs (both payloads) decode the path: a `/` may have been `%2F` (`slashesMayBeEscaped`). */
  readonly targets: readonly { method: string; path: string; slashesMayBeEscaped?: true }[];
  /** The credential the capture carries (placeholders and redactions included). */
  readonly authorization: string | undefined;
  /** With a token holding `request:read`, and with a token holding no scope. */
  readonly withReadScope: 'allow' | 'forbidden';
  readonly withoutScopes: 'allow' | 'forbidden';
}

const EXPECTED: Readonly<Record<string, Expectation>> = {
  // Payload 1.0 of an HTTP API is read like a REST REQUEST event and answered with a policy.
  'http-v1.aws-docs.json': {
    format: 'rest-request',
    targets: [{ method: 'GET', path: '/request', slashesMayBeEscaped: true }],
    authorization: undefined,
    withReadScope: 'allow',
    withoutScopes: 'forbidden',
  },
  // AWS's sample disagrees with itself: the route ARN says GET /request, the request POST /my/path.
  'http-v2.aws-docs.json': {
    format: 'http-simple',
    targets: [
      { method: 'GET', path: '/request', slashesMayBeEscaped: true },
      { method: 'POST', path: '/my/path', slashesMayBeEscaped: true },
    ],
    authorization: undefined,
    withReadScope: 'allow',
    withoutScopes: 'forbidden',
  },
  'http-v2.default-stage-greedy.json': {
    format: 'http-simple',
    targets: [{ method: 'GET', path: '/api/v1/nodes', slashesMayBeEscaped: true }],
    authorization: 'Bearer REDACTED-BY-HOLDOUT',
    withReadScope: 'allow',
    withoutScopes: 'allow',
  },
  // A named stage: rawPath /dev/ holds the stage; the request is GET / (route ANY /{proxy+}).
  'http-v2.named-stage-greedy.json': {
    format: 'http-simple',
    targets: [{ method: 'GET', path: '/', slashesMayBeEscaped: true }],
    authorization: '6OkamVASECRETSugrcTwFhFqF',
    withReadScope: 'allow',
    withoutScopes: 'allow',
  },
  // Route ARN GET /request, request POST /merchants: it needs what both need.
  'http-v2.powertools-python.json': {
    format: 'http-simple',
    targets: [
      { method: 'GET', path: '/request', slashesMayBeEscaped: true },
      { method: 'POST', path: '/merchants', slashesMayBeEscaped: true },
    ],
    authorization: 'value',
    withReadScope: 'forbidden',
    withoutScopes: 'forbidden',
  },
  'http-v2.powertools-ts.json': {
    format: 'http-simple',
    targets: [{ method: 'POST', path: '/lambda', slashesMayBeEscaped: true }],
    authorization: 'Bearer foo',
    withReadScope: 'allow',
    withoutScopes: 'allow',
  },
  'rest-request.aws-docs.json': {
    format: 'rest-request',
    targets: [{ method: 'GET', path: '/request' }],
    authorization: undefined,
    withReadScope: 'allow',
    withoutScopes: 'forbidden',
  },
  'rest-request.powertools-ts.json': {
    format: 'rest-request',
    targets: [{ method: 'POST', path: '/lambda-request' }],
    authorization: 'Bearer foo',
    withReadScope: 'allow',
    withoutScopes: 'allow',
  },
  // The console's test event names the stage `*`: no policy can allow that ARN exactly.
  'rest-token.aws-docs-console.json': {
    format: 'rest-token',
    targets: [{ method: 'GET', path: '/' }],
    authorization: 'allow',
    withReadScope: 'forbidden',
    withoutScopes: 'forbidden',
  },
  'rest-token.powertools-ts.json': {
    format: 'rest-token',
    targets: [{ method: 'POST', path: '/lambda-token' }],
    authorization: 'Bearer foo',
    withReadScope: 'allow',
    withoutScopes: 'allow',
  },
};

/** Puts `authorization` where the event's format carries the credential, replacing any spelling of it. */
function withCredential(event: Json, format: EventFormat, authorization: string): Json {
  const copy = structuredClone(event);
  if (format === 'rest-token') return { ...copy, authorizationToken: authorization };
  const isAuthorization = (name: string) => name.toLowerCase() === 'authorization';
  const headers = Object.fromEntries(
    Object.entries((copy.headers ?? {}) as Json).filter(([name]) => !isAuthorization(name)),
  );
  if (format === 'rest-request') {
    const multi = Object.fromEntries(
      Object.entries((copy.multiValueHeaders ?? {}) as Json).filter(([name]) => !isAuthorization(name)),
    );
    return {
      ...copy,
      headers: { ...headers, Authorization: authorization },
      ...(copy.multiValueHeaders ? { multiValueHeaders: { ...multi, Authorization: [authorization] } } : {}),
    };
  }
  return { ...copy, headers: { ...headers, authorization } };
}

describeWithSharedFixtures('captured API Gateway authorizer events', 'apigw-events', (directory) => {
  const events = readSharedJsonFiles(directory);
  const logs = new LogCapture();
  let authorizer: Authorizer;
  let checked: Authorizer;
  let readToken: string;
  let bareToken: string;

  beforeAll(async () => {
    const issuer = await TestIssuer.create();
    authorizer = createAuthorizer(
      authorizerConfig(
        { issuer: issuer.issuer, jwksUri: 'https://issuer.test/jwks', audiences: [issuer.audience] },
        {
          tokenTableName: undefined,
          jwtValidationEnabled: true,
          jwtClientIds: ['client-1'],
          routeScopes: [
            { method: 'ANY', path: '/request', scopes: ['request:read'] },
            { method: 'POST', path: '/merchants', scopes: ['merchants:write'] },
          ],
          defaultScopes: [],
          // These APIs were deployed with other identity sources (the token alone): the check below
          // refuses them; here it is off, to see what the rules make of each request.
          httpApiRequireExactCacheKey: false,
        },
      ),
      { jwks: issuer.jwks, log: logs.jsonLog('debug') },
    );
    checked = createAuthorizer(
      authorizerConfig(
        { issuer: issuer.issuer, jwksUri: 'https://issuer.test/jwks', audiences: [issuer.audience] },
        { tokenTableName: undefined, jwtValidationEnabled: true, jwtClientIds: ['client-1'] },
      ),
      { jwks: issuer.jwks, log: logs.jsonLog('debug') },
    );
    readToken = await issuer.mint({ scope: 'request:read', client_id: 'client-1' });
    bareToken = await issuer.mint({ scope: '', client_id: 'client-1' });
  });

  it('refuses (500) the HTTP API 2.0 captures: their APIs cached answers by token alone, which would open other paths', async () => {
    const outcomes = await Promise.all(
      Object.entries(EXPECTED).map(async ([name, expected]) => {
        const event = events.get(name) as Json;
        const arn = String(event.methodArn ?? event.routeArn);
        const credentialed = withCredential(event, expected.format, `Bearer ${readToken}`);
        if (Array.isArray(credentialed.identitySource)) credentialed.identitySource = [`Bearer ${readToken}`];
        return [name, (await outcomeOf(checked, credentialed, expected.format, arn)).kind] as const;
      }),
    );

    for (const [name, kind] of outcomes) {
      const tokenOnlyKey = name.startsWith('http-v2.');
      expect(kind === 'error', name).toBe(tokenOnlyKey);
    }
  });

  it('has an expectation for every captured event, and every expectation its event', () => {
    expect([...events.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: reads the request and the credential as sent`, () => {
      const event = events.get(name);
      if (event === undefined) return;

      const request = readAuthorizerEvent(event);

      expect(request.targets).toEqual(expected.targets);
      expect(request.authorization).toBe(expected.authorization);
    });

    it(`${name}: with a real token, the handler answers as the rules say`, async () => {
      const event = events.get(name) as Json | undefined;
      if (event === undefined) return;
      const arn = String(event.methodArn ?? event.routeArn);

      const read = await outcomeOf(
        authorizer,
        withCredential(event, expected.format, `Bearer ${readToken}`),
        expected.format,
        arn,
      );
      const bare = await outcomeOf(
        authorizer,
        withCredential(event, expected.format, `Bearer ${bareToken}`),
        expected.format,
        arn,
      );
      const placeholder = await outcomeOf(authorizer, event, expected.format, arn);

      expect(read.kind).toBe(expected.withReadScope);
      expect(bare.kind).toBe(expected.withoutScopes);
      // The captures' own credentials are placeholders or redacted: never a valid token.
      expect(placeholder.kind).toBe('unauthorized');
    });
  }
});

/**
 * The URL a DPoP proof's `htu` must name, rebuilt from captured events: the scheme from
 * X-Forwarded-Proto, the domain the client used, the path after it as each format carries it
 * (REST `requestContext.path` with the stage, HTTP API `rawPath` with a named stage). Expected
 * values are the requests' URLs as the captures show them, written by hand.
 */
describeWithSharedFixtures('the addressed URL in captured events', 'apigw-events', (directory) => {
  const captured = readSharedJsonFiles(directory);
  const URLS: Readonly<Record<string, string | undefined>> = {
    'rest-request.powertools-ts.json': 'https://puhdx84jy9.execute-api.eu-west-1.amazonaws.com/prod/lambda-request',
    'http-v2.powertools-ts.json': 'https://lsw1ro4ipb.execute-api.eu-west-1.amazonaws.com/lambda',
    'http-v2.default-stage-greedy.json': 'https://f51uq07z1g.execute-api.us-west-2.amazonaws.com/api/v1/nodes',
    'http-v2.named-stage-greedy.json': 'https://8lk68m9h25.execute-api.eu-west-2.amazonaws.com/dev/',
    // AWS's samples: no X-Forwarded-Proto (HTTP v2 sample), or no domainName (REST and HTTP v1 samples).
    'http-v2.aws-docs.json': undefined,
    'rest-request.aws-docs.json': undefined,
    'http-v1.aws-docs.json': undefined,
    // TOKEN events carry no URL, no DPoP header and no certificate: bound tokens are refused there.
    'rest-token.powertools-ts.json': undefined,
    'rest-token.aws-docs-console.json': undefined,
  };

  for (const [name, url] of Object.entries(URLS)) {
    it(`${name}: ${url ?? 'no URL to check a proof against'}`, () => {
      expect(readAuthorizerEvent(captured.get(name)).requestUri).toBe(url);
    });
  }

  it('names no URL for a proof where an HTTP API decoded a ? or # into the path: the URL called cannot be rebuilt', () => {
    const event = captured.get('http-v2.powertools-ts.json') as Record<string, unknown>;

    const uriFor = (rawPath: string) => readAuthorizerEvent({ ...event, rawPath }).requestUri;

    // `/orders%3Fx` and `/orders%23x` arrive as these; a proof for https://…/orders must not pass for them.
    expect(uriFor('/orders?x')).toBeUndefined();
    expect(uriFor('/orders#x')).toBeUndefined();
    expect(uriFor('/orders')).toBe('https://lsw1ro4ipb.execute-api.eu-west-1.amazonaws.com/orders');
    // `/a%2Fb/../admin` arrives as this: the URL called and the one served cannot be told apart.
    expect(uriFor('/a/b/../admin')).toBeUndefined();
    expect(uriFor('/a/b/%2e%2e/admin')).toBeUndefined();
    // Other spellings of `..` (a URL parser drops the tab and resolves the rest): no URL either.
    expect(uriFor('/a/b/.\t./admin')).toBeUndefined();
    expect(uriFor('/a/b/..;/admin')).toBeUndefined();
    // `/hello/x/..%20` arrives as this; `new URL` strips the trailing space and serves `/hello/`.
    expect(uriFor('/hello/x/.. ')).toBeUndefined();
  });

  it('names no URL for a proof where an HTTP API payload 1.0 path, decoded too, holds a dot segment', () => {
    const event = captured.get('http-v1.aws-docs.json') as Record<string, unknown>;
    const context = event.requestContext as Record<string, unknown>;
    const headers = { ...(event.headers as Record<string, string>), 'X-Forwarded-Proto': 'https' };
    const uriFor = (path: string) =>
      readAuthorizerEvent({ ...event, headers, requestContext: { ...context, domainName: 'api.example.test', path } })
        .requestUri;

    expect(uriFor('/orders')).toBe('https://api.example.test/orders');
    expect(uriFor('/a/b/../admin')).toBeUndefined();
    expect(uriFor('/a/b/%2e%2e/admin')).toBeUndefined();
  });

  it('reads AWS’s sample client certificates (a placeholder PEM) from both places, and none from captures without mTLS', () => {
    expect(readAuthorizerEvent(captured.get('http-v1.aws-docs.json')).clientCertificatePem).toBe('CERT_CONTENT');
    expect(readAuthorizerEvent(captured.get('http-v2.powertools-python.json')).clientCertificatePem).toBe(
      'CERT_CONTENT',
    );
    expect(readAuthorizerEvent(captured.get('http-v2.default-stage-greedy.json')).clientCertificatePem).toBeUndefined();
    expect(readAuthorizerEvent(captured.get('rest-request.powertools-ts.json')).clientCertificatePem).toBeUndefined();
  });
});
