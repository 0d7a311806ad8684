import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../../../lambda/adapters/api-gateway/authorizer-answer.ts';
import { JsonLog } from '../../../lambda/adapters/json-log.ts';
import { type Authorizer, createAuthorizer } from '../../../lambda/authorizer/authorizer.ts';
import type { AuthorizerConfig } from '../../../lambda/authorizer/config.ts';
import { TestIssuer } from '../../support/test-issuer.ts';

type Json = Record<string, unknown>;
const fixture = (name: string): Json =>
  JSON.parse(readFileSync(new URL(`../../fixtures/api-gateway/${name}.json`, import.meta.url), 'utf8'));

const call = async (authorize: Authorizer, event: unknown): Promise<Json> =>
  (await authorize(event)) as unknown as Json;

const STAGE_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod';

function restTokenEvent(authorization: string, methodAndPath = 'GET/orders'): Json {
  return {
    ...fixture('rest-token-event'),
    authorizationToken: authorization,
    methodArn: `${STAGE_ARN}/${methodAndPath}`,
  };
}

function restRequestEvent(authorization: string | string[], method = 'GET', resource = '/orders'): Json {
  const values = Array.isArray(authorization) ? authorization : [authorization];
  const event = fixture('rest-request-event');
  return {
    ...event,
    httpMethod: method,
    resource,
    path: resource,
    methodArn: `${STAGE_ARN}/${method}${resource}`,
    headers: { ...(event.headers as Json), Authorization: values.at(-1) },
    multiValueHeaders: { ...(event.multiValueHeaders as Json), Authorization: values },
  };
}

function httpEvent(authorization: string, routeKey = 'GET /orders'): Json {
  const event = fixture('http-api-v2-event');
  const [method, path] = routeKey.split(' ');
  const requestContext = event.requestContext as Json;
  return {
    ...event,
    routeKey,
    rawPath: path,
    routeArn: `arn:aws:execute-api:us-east-1:123456789012:abcdef1234/$default/${method}${path}`,
    identitySource: [authorization, method, path],
    headers: { ...(event.headers as Json), authorization },
    requestContext: { ...requestContext, http: { ...(requestContext.http as Json), method, path } },
  };
}

describe('authorizer on API Gateway events', () => {
  let issuer: TestIssuer;
  let logLines: string[];
  let authorizer: Authorizer;
  let iamAuthorizer: Authorizer;
  let readToken: string;

  beforeAll(async () => {
    issuer = await TestIssuer.create();
    logLines = [];
    const config: AuthorizerConfig = {
      issuer: issuer.issuer,
      jwksUri: 'https://issuer.test/jwks',
      audiences: [issuer.audience],
      allowedAlgorithms: ['RS256', 'ES256', 'EdDSA'],
      requiredTokenType: 'at+jwt',
      clockSkewSeconds: 30,
      tokenTableName: undefined,
      tokenTableKeyAttribute: 'hashed_signature',
      tokenHashAlgorithm: 'SHA-256',
      tokenTableRegion: undefined,
      tokenTableHomeRegion: undefined,
      dynamoDbEndpoint: undefined,
      dynamoDbTimeoutMs: 1000,
      introspection: undefined,
      jwtValidationEnabled: true,
      jwtClientIds: ['web'],
      routeScopes: [
        { method: 'GET', path: '/orders', scopes: ['orders:read'] },
        { method: 'POST', path: '/orders', scopes: ['orders:write'] },
        { method: 'GET', path: '/orders/{id}', scopes: ['orders:read'] },
      ],
      defaultScopes: [],
      cacheTtlSeconds: 60,
      cacheMaxEntries: 100,
      maxHeaderLength: 4096,
      jwksTimeoutMs: 1000,
      jwksCooldownMs: 1000,
      jwksMaxAgeSeconds: 600,
      httpApiResponseFormat: 'simple',
      httpApiRequireExactCacheKey: true,
      logLevel: 'debug',
    };
    const log = new JsonLog({ level: 'debug', write: (line) => logLines.push(line) });
    authorizer = createAuthorizer(config, { jwks: issuer.jwks, log });
    iamAuthorizer = createAuthorizer({ ...config, httpApiResponseFormat: 'iam' }, { jwks: issuer.jwks, log });
    readToken = await issuer.mint({ scope: 'orders:read', sub: 'alice', client_id: 'web' });
  });

  describe('REST TOKEN events', () => {
    it('allows a valid token with a policy for exactly the method ARN, and the context backends read', async () => {
      const answer = await call(authorizer, restTokenEvent(`Bearer ${readToken}`));

      expect(answer.principalId).toBe('alice');
      expect(answer.context).toEqual({
        jwt: readToken,
        authorization: `Bearer ${readToken}`,
        sub: 'alice',
        scope: 'orders:read',
        client_id: 'web',
        tokenType: 'jwt',
      });
      expect(answer.policyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${STAGE_ARN}/GET/orders`] }],
      });
    });

    it('answers an invalid token with the Unauthorized error API Gateway maps to 401', async () => {
      await expect(authorizer(restTokenEvent('Bearer not-a-valid-token'))).rejects.toThrow(UnauthorizedError);
      await expect(authorizer(restTokenEvent('Bearer not-a-valid-token'))).rejects.toThrow(/^Unauthorized$/);
    });

    it('denies a route the token lacks the scope for with a Deny on that ARN (403), the needed scope in the context and no JWT', async () => {
      const answer = await call(authorizer, restTokenEvent(`Bearer ${readToken}`, 'POST/orders'));

      expect(answer.policyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${STAGE_ARN}/POST/orders`] }],
      });
      expect(answer.context).toEqual({ error: 'insufficient_scope', scope: 'orders:write' });
    });

    it('matches the concrete path of the method ARN against templated rules', async () => {
      const writeOnly = await issuer.mint({ scope: 'orders:write', client_id: 'web' });

      const denied = await call(authorizer, restTokenEvent(`Bearer ${writeOnly}`, 'GET/orders/42'));
      const allowed = await call(authorizer, restTokenEvent(`Bearer ${readToken}`, 'GET/orders/42'));

      expect(JSON.stringify(denied.policyDocument)).toContain(
        `"Effect":"Deny","Resource":["${STAGE_ARN}/GET/orders/42"]`,
      );
      expect(JSON.stringify(allowed.policyDocument)).toContain(
        `"Effect":"Allow","Resource":["${STAGE_ARN}/GET/orders/42"]`,
      );
    });

    it('never allows an ARN that IAM would read as a wildcard, nor one past 512 characters', async () => {
      const starred = await call(authorizer, restTokenEvent(`Bearer ${readToken}`, 'GET/orders/*'));
      const long = await call(authorizer, restTokenEvent(`Bearer ${readToken}`, `GET/orders/${'a'.repeat(600)}`));

      expect(JSON.stringify(starred.policyDocument)).not.toContain('Allow');
      expect(starred.context).toEqual({ error: 'invalid_request', scope: '' });
      expect(JSON.stringify(long.policyDocument)).not.toContain('Allow');
      for (const resource of (long.policyDocument as { Statement: { Resource: string[] }[] }).Statement.flatMap(
        (statement) => statement.Resource,
      )) {
        expect(resource.length).toBeLessThanOrEqual(512);
      }
    });
  });

  describe('REST REQUEST events', () => {
    it('reads the Authorization header whatever its case and allows a valid token', async () => {
      const event = restRequestEvent(`Bearer ${readToken}`);
      const headers = event.headers as Json;
      delete headers.Authorization;
      headers.authorization = `Bearer ${readToken}`;
      delete (event.multiValueHeaders as Json).Authorization;

      const answer = await call(authorizer, event);

      expect((answer.context as Json).sub).toBe('alice');
    });

    it('refuses two Authorization headers as 401', async () => {
      const event = restRequestEvent([`Bearer ${readToken}`, `Bearer ${readToken}`]);

      await expect(authorizer(event)).rejects.toThrow(UnauthorizedError);
    });

    it('gives every context value as a string, as REST APIs require', async () => {
      // client_id stays: a plain JWT is accepted only from a client meant to hold JWTs.
      const token = await issuer.mint({ scope: undefined, sub: undefined, client_id: 'web' });

      const answer = await call(authorizer, restRequestEvent(`Bearer ${token}`, 'GET', '/unlisted'));

      for (const value of Object.values(answer.context as Json)) expect(typeof value).toBe('string');
    });
  });

  describe('HTTP API payload 2.0 events', () => {
    it('answers a simple response with the context on allow', async () => {
      const answer = await call(authorizer, httpEvent(`Bearer ${readToken}`));

      expect(answer.isAuthorized).toBe(true);
      expect((answer.context as Json).jwt).toBe(readToken);
    });

    it('answers isAuthorized false (403) without context for a missing scope', async () => {
      const answer = await authorizer(httpEvent(`Bearer ${readToken}`, 'POST /orders'));

      expect(answer).toEqual({ isAuthorized: false });
    });

    it('throws Unauthorized (401) for a bad token', async () => {
      await expect(authorizer(httpEvent('Bearer x'))).rejects.toThrow(UnauthorizedError);
    });

    it('answers with an IAM policy on exactly the route ARN when configured so', async () => {
      const answer = await call(iamAuthorizer, httpEvent(`Bearer ${readToken}`));

      expect(answer.policyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: ['arn:aws:execute-api:us-east-1:123456789012:abcdef1234/$default/GET/orders'],
          },
        ],
      });
    });

    it('decides on the request path, not the route key: a rule finer than the route applies', async () => {
      const event = httpEvent(`Bearer ${readToken}`, 'POST /orders');
      event.routeKey = 'ANY /{proxy+}';
      (event.requestContext as Json).routeKey = 'ANY /{proxy+}';

      const answer = await authorizer(event);

      expect(answer).toEqual({ isAuthorized: false });
    });
  });

  it('refuses with a 500 an HTTP API event whose identity sources lack the method and the path (a cached answer would open other requests)', async () => {
    const tokenOnly = { ...httpEvent(`Bearer ${readToken}`), identitySource: [`Bearer ${readToken}`] };
    const withRouteKey = {
      ...httpEvent(`Bearer ${readToken}`),
      identitySource: [`Bearer ${readToken}`, 'GET /orders'],
    };
    const reordered = {
      ...httpEvent(`Bearer ${readToken}`),
      identitySource: ['/orders', 'GET', `Bearer ${readToken}`],
    };

    await expect(authorizer(tokenOnly)).rejects.toThrow(/cache_key_not_exact/);
    await expect(authorizer(withRouteKey)).rejects.toThrow(/cache_key_not_exact/);
    expect(await authorizer(reordered)).toMatchObject({ isAuthorized: true });
    expect(logLines.some((line) => line.includes('cache_key_not_exact'))).toBe(true);
  });

  it('answers events of unknown shape with 401, never a crash or an allow', async () => {
    for (const event of [null, undefined, 42, 'TOKEN', [], {}, { type: 'TOKEN' }, { version: '2.0' }]) {
      await expect(authorizer(event)).rejects.toThrow(UnauthorizedError);
    }
  });

  it('logs decisions with a token id and never the token', async () => {
    const tampered = `${readToken.slice(0, -4)}AAAA`;
    await authorizer(restTokenEvent(`Bearer ${readToken}`)).catch(() => {});
    await authorizer(restTokenEvent(`Bearer ${tampered}`)).catch(() => {});

    const denial = logLines.map((line) => JSON.parse(line)).find((line) => line.message === 'denied');
    expect(denial?.tokenId).toMatch(/^[A-Za-z0-9+/]{12}$/);
    const [header, payload, signature] = readToken.split('.');
    for (const line of logLines) {
      for (const part of [header, payload, signature, 'AAAA']) expect(line).not.toContain(part);
    }
  });
});
