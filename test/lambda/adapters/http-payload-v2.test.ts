import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  frontRequestFromEvent,
  type HttpPayloadV2Event,
  resultFromFrontResponse,
} from '../../../lambda/adapters/http-payload-v2.ts';
import { type DynamoDbServer, startDynamoDbServer } from '../../../local/dynamodb-server.ts';
import { createTokenTable } from '../../../local/token-table.ts';
import { type RecordingHttpServer, startRecordingHttpServer } from '../../support/recording-http-server.ts';

/** A payload 2.0 event as AWS documents it (shared fixtures, aws-powertools' capture). */
const documented = JSON.parse(
  readFileSync(
    new URL('../../../../shared/fixtures/apigw-events/http-v2.powertools-python.json', import.meta.url),
    'utf8',
  ),
) as HttpPayloadV2Event & { requestContext: Record<string, unknown> };

describe('payload 2.0 events for the authorization server front', () => {
  it('takes what the front saw from the request context, and the cookies API Gateway took out of the headers', () => {
    const request = frontRequestFromEvent({
      ...documented,
      headers: { ...documented.headers, 'x-forwarded-for': '203.0.113.9', 'x-forwarded-host': 'login.attacker.test' },
      requestContext: { ...documented.requestContext, domainName: 'login.example.test' },
    });

    expect(request).toMatchObject({
      method: 'POST',
      path: '/merchants',
      query: 'parameter1=value1&parameter1=value2&parameter2=value',
      seen: { clientAddress: '10.10.10.10', protocol: 'https', host: 'login.example.test' },
    });
    expect(request.headers.cookie).toBe('cookie1; cookie2');
    expect(request.headers.header1).toBe('value1');
  });

  it('decodes a base64 body to its bytes', () => {
    const bytes = randomBytes(300);

    const request = frontRequestFromEvent({ ...documented, body: bytes.toString('base64'), isBase64Encoded: true });

    expect(Buffer.from(request.body).equals(bytes)).toBe(true);
  });

  it('sends no forwarding value it could not read from the context', () => {
    const request = frontRequestFromEvent({
      ...documented,
      requestContext: {
        ...documented.requestContext,
        domainName: 'not a host',
        http: { method: 'GET', sourceIp: 'IP' },
      },
    });

    expect(request.seen).toEqual({ clientAddress: undefined, protocol: 'https', host: undefined });
  });

  it('answers bytes base64-encoded and each cookie apart, as payload 2.0 results take them', () => {
    const bytes = randomBytes(100);

    const result = resultFromFrontResponse({
      status: 302,
      headers: { location: '/interaction/x' },
      cookies: ['a=1; path=/', 'b=2; path=/auth'],
      body: bytes,
    });

    expect(result).toEqual({
      statusCode: 302,
      headers: { location: '/interaction/x' },
      cookies: ['a=1; path=/', 'b=2; path=/auth'],
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    });
  });
});

describe('the Lambda handler as the front (UPSTREAM_ORIGIN set)', () => {
  let upstream: RecordingHttpServer;
  let db: DynamoDbServer;

  beforeAll(async () => {
    [upstream, db] = await Promise.all([
      startRecordingHttpServer((_request, response) => {
        response.setHeader('set-cookie', ['one=1', 'two=2']);
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end('<p>login</p>');
      }),
      startDynamoDbServer(),
    ]);
    await createTokenTable({ endpoint: db.endpoint, tableName: 'split-tokens' });
  });

  afterAll(async () => {
    await Promise.all([upstream?.stop(), db?.stop()]);
  });

  it('passes the request on with the forwarding headers from the event context, not the client’s', async () => {
    vi.stubEnv('UPSTREAM_ORIGIN', upstream.origin);
    vi.stubEnv('TOKEN_TABLE_NAME', 'split-tokens');
    vi.stubEnv('DYNAMODB_ENDPOINT', db.endpoint);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    vi.stubEnv('LOG_LEVEL', 'error');
    try {
      const { handler } = await import('../../../lambda/token-endpoint-proxy/handler.ts');

      const result = await handler({
        ...documented,
        rawPath: '/realms/demo/login',
        headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'http', accept: 'text/html' },
        requestContext: {
          ...documented.requestContext,
          domainName: 'login.example.test',
          http: { method: 'GET', path: '/realms/demo/login', sourceIp: '198.51.100.7' },
        },
        body: undefined,
        isBase64Encoded: false,
      });
      const received = upstream.requests.at(-1);

      expect(result.statusCode).toBe(200);
      expect(result.cookies).toEqual(['one=1', 'two=2']);
      expect(Buffer.from(result.body, 'base64').toString()).toBe('<p>login</p>');
      expect(received?.url).toBe('/realms/demo/login?parameter1=value1&parameter1=value2&parameter2=value');
      expect(received?.headers['x-forwarded-for']).toEqual(['198.51.100.7']);
      expect(received?.headers['x-forwarded-proto']).toEqual(['https']);
      expect(received?.headers['x-forwarded-host']).toEqual(['login.example.test']);
      expect(received?.headers.cookie).toEqual(['cookie1; cookie2']);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('payload 2.0 events on an HTTP API custom domain with mutual TLS', () => {
  it('hands the front the client certificate API Gateway passed, and nothing for empty strings', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const event = (clientCertPem: string) => ({
      version: '2.0',
      rawPath: '/token',
      requestContext: {
        domainName: 'login.example.test',
        http: { method: 'POST', sourceIp: '198.51.100.7' },
        authentication: { clientCert: { clientCertPem } },
      },
    });

    expect(frontRequestFromEvent(event(pem)).seen.clientCertificatePem).toBe(pem);
    expect(frontRequestFromEvent(event('')).seen.clientCertificatePem).toBeUndefined();
  });
});
