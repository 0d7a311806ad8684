/**
 * The local gateway's authorizer events against events AWS really sent (../shared/fixtures/apigw-events):
 * the same fields with the same types, and the values that carry the request (stage in rawPath,
 * route ARN layout, greedy parameters) as the captures show them.
 */
import { expect, it } from 'vitest';
import {
  httpApiAuthorizerEvent,
  LOCAL_API,
  restRequestAuthorizerEvent,
} from '../../../local/api-gateway/authorizer-events.ts';
import { routeRequest } from '../../../local/api-gateway/gateway-request.ts';
import { describeWithSharedFixtures, readSharedJsonFiles } from '../../support/shared-fixtures.ts';

type Json = Record<string, unknown>;

/** Every field path with the JSON type of its value (`headers` and parameter maps by type only). */
function shapeOf(value: unknown, path = '$', into: Map<string, string> = new Map()): Map<string, string> {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  into.set(path, type);
  const opaqueMaps =
    /\.(headers|multiValueHeaders|queryStringParameters|multiValueQueryStringParameters|pathParameters|stageVariables)$/;
  if (type === 'object' && !opaqueMaps.test(path)) {
    for (const [key, member] of Object.entries(value as Json)) shapeOf(member, `${path}.${key}`, into);
  }
  return into;
}

const routed = (
  format: 'rest' | 'http',
  stage: string,
  routes: { method: string; path: string }[],
  method: string,
  target: string,
  headers: string[],
  connection: Partial<Parameters<typeof routeRequest>[3]> = {},
) => {
  const result = routeRequest(format, stage, routes, {
    method,
    target,
    rawHeaders: headers,
    sourceIp: '198.51.100.7',
    ...connection,
  });
  if ('unrouted' in result) throw new Error(`${method} ${target} is not routed`);
  return result.request;
};

describeWithSharedFixtures('local authorizer events against captured ones', 'apigw-events', (directory) => {
  const captured = readSharedJsonFiles(directory);
  const capture = (name: string) => captured.get(name) as Json;

  it('a REST REQUEST event has the captured fields, with their types', () => {
    const request = routed(
      'rest',
      'prod',
      [{ method: 'POST', path: '/lambda-request' }],
      'POST',
      '/prod/lambda-request',
      ['Host', 'localapi01.execute-api.us-east-1.amazonaws.com', 'Authorization', 'Bearer x', 'User-Agent', 'curl/8'],
    );

    const event = restRequestAuthorizerEvent(request);

    expect(shapeOf(event)).toEqual(shapeOf(capture('rest-request.powertools-ts.json')));
    expect(event).toMatchObject({
      methodArn: `arn:aws:execute-api:${LOCAL_API.region}:${LOCAL_API.accountId}:${LOCAL_API.apiId}/prod/POST/lambda-request`,
      resource: '/lambda-request',
      path: '/lambda-request',
      requestContext: { path: '/prod/lambda-request', stage: 'prod', resourcePath: '/lambda-request' },
    });
  });

  it('an HTTP API event on $default has the captured fields, with their types', () => {
    const request = routed('http', '$default', [{ method: 'POST', path: '/lambda' }], 'POST', '/lambda', [
      'host',
      'localapi01.execute-api.us-east-1.amazonaws.com',
      'authorization',
      'Bearer x',
    ]);

    const event = httpApiAuthorizerEvent(request, ['Bearer x']);

    expect(shapeOf(event)).toEqual(shapeOf(capture('http-v2.powertools-ts.json')));
    expect(event).toMatchObject({
      routeKey: 'POST /lambda',
      rawPath: '/lambda',
      requestContext: { stage: '$default' },
    });
  });

  it('an HTTP API greedy route on $default: the path after the route in pathParameters, the route ARN with the path', () => {
    const request = routed(
      'http',
      '$default',
      [{ method: 'GET', path: '/api/{proxy+}' }],
      'GET',
      '/api/v1/nodes?limit=50',
      ['authorization', 'Bearer x'],
    );
    const real = capture('http-v2.default-stage-greedy.json');

    const event = httpApiAuthorizerEvent(request, ['Bearer x']);

    expect(shapeOf(event)).toEqual(shapeOf(real));
    for (const field of ['routeKey', 'rawPath', 'rawQueryString', 'pathParameters', 'queryStringParameters'] as const) {
      expect(event[field]).toEqual(real[field]);
    }
    expect(String(event.routeArn).split('/').slice(1)).toEqual(String(real.routeArn).split('/').slice(1));
  });

  it('an HTTP API named stage: the stage in rawPath and http.path, its own segment in the route ARN, an empty greedy value at the root', () => {
    const request = routed('http', 'dev', [{ method: 'ANY', path: '/{proxy+}' }], 'GET', '/dev/', [
      'authorization',
      'x',
    ]);
    const real = capture('http-v2.named-stage-greedy.json');
    const realContext = real.requestContext as Json;

    const event = httpApiAuthorizerEvent(request, ['x']);
    const context = event.requestContext as Json;

    for (const field of ['routeKey', 'rawPath', 'pathParameters'] as const) expect(event[field]).toEqual(real[field]);
    expect(String(event.routeArn).split('/').slice(1)).toEqual(String(real.routeArn).split('/').slice(1));
    expect(context.stage).toBe(realContext.stage);
    expect((context.http as Json).path).toBe((realContext.http as Json).path);
  });

  it('sets X-Forwarded-For, -Port and -Proto as the captures show them, the client’s own proto and port replaced', () => {
    const headers = ['Host', 'localapi01.execute-api.us-east-1.amazonaws.com', 'X-Forwarded-Proto', 'http'];
    const rest = restRequestAuthorizerEvent(
      routed('rest', 'prod', [{ method: 'POST', path: '/lambda-request' }], 'POST', '/prod/lambda-request', headers, {
        scheme: 'https',
        port: 443,
      }),
    ) as Json & { headers: Json };
    const http = httpApiAuthorizerEvent(
      routed('http', '$default', [{ method: 'POST', path: '/lambda' }], 'POST', '/lambda', headers, {
        scheme: 'https',
        port: 443,
      }),
      [],
    ) as Json & { headers: Json };
    const restCapture = capture('rest-request.powertools-ts.json').headers as Json;
    const httpCapture = capture('http-v2.powertools-ts.json').headers as Json;

    for (const name of ['X-Forwarded-Port', 'X-Forwarded-Proto']) expect(rest.headers[name]).toBe(restCapture[name]);
    for (const name of ['x-forwarded-port', 'x-forwarded-proto']) expect(http.headers[name]).toBe(httpCapture[name]);
    expect(rest.headers['X-Forwarded-For']).toBe('198.51.100.7');
    expect(http.headers['x-forwarded-for']).toBe('198.51.100.7');
  });

  it('puts a mutual TLS client certificate where AWS’s samples have it, with the same fields and types', () => {
    const clientCertificate = {
      clientCertPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      subjectDN: 'CN=alice',
      issuerDN: 'CN=local CA',
      serialNumber: '01',
      validity: { notBefore: 'May 28 12:30:02 2019 GMT', notAfter: 'Aug  5 09:36:04 2021 GMT' },
    };
    const rest = restRequestAuthorizerEvent(
      routed('rest', 'prod', [{ method: 'GET', path: '/a' }], 'GET', '/prod/a', [], { clientCertificate }),
    ) as { requestContext: { identity: Json } };
    const http = httpApiAuthorizerEvent(
      routed('http', '$default', [{ method: 'GET', path: '/a' }], 'GET', '/a', [], { clientCertificate }),
      [],
    ) as { requestContext: Json };
    const v1Sample = (capture('http-v1.aws-docs.json').requestContext as { identity: Json }).identity.clientCert;
    const v2Sample = (capture('http-v2.powertools-python.json').requestContext as { authentication: Json })
      .authentication;

    expect(shapeOf(rest.requestContext.identity.clientCert)).toEqual(shapeOf(v1Sample));
    expect(shapeOf(http.requestContext.authentication)).toEqual(shapeOf(v2Sample));
  });
});
