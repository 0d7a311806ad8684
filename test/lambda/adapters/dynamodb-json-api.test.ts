import { describe, expect, it } from 'vitest';
import {
  credentialsFromEnvironment,
  DynamoDbJsonApi,
  regionalEndpoint,
} from '../../../lambda/adapters/dynamodb-json-api.ts';
import { startScriptedHttpServer } from '../../support/scripted-http-server.ts';

const CONTENT_TYPE = 'application/x-amz-json-1.0';

describe('credentialsFromEnvironment', () => {
  it('reads the credentials Lambda puts in the environment', () => {
    expect(
      credentialsFromEnvironment({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_SESSION_TOKEN: 'c' }),
    ).toEqual({ accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 'c' });
    expect(credentialsFromEnvironment({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' })).toEqual({
      accessKeyId: 'a',
      secretAccessKey: 'b',
    });
  });

  it('names the missing variables, never a value', () => {
    expect(() => credentialsFromEnvironment({ AWS_SECRET_ACCESS_KEY: 'do-not-print' })).toThrow(
      /^AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required/,
    );
    expect(() => credentialsFromEnvironment({ AWS_SECRET_ACCESS_KEY: 'do-not-print' })).not.toThrow(/do-not-print/);
  });
});

describe('regionalEndpoint', () => {
  it("is DynamoDB's regional endpoint, in China regions too", () => {
    expect(regionalEndpoint('eu-west-1')).toBe('https://dynamodb.eu-west-1.amazonaws.com');
    expect(regionalEndpoint('us-gov-west-1')).toBe('https://dynamodb.us-gov-west-1.amazonaws.com');
    expect(regionalEndpoint('cn-north-1')).toBe('https://dynamodb.cn-north-1.amazonaws.com.cn');
  });
});

describe('DynamoDbJsonApi retries', () => {
  const api = (endpoint: string) =>
    new DynamoDbJsonApi({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example-secret', sessionToken: undefined },
      maxAttempts: 3,
      retryBaseDelayMs: 1,
    });
  const limits = { timeoutMs: 2000, maxBodyBytes: 4096 };

  it('sends a call that is not idempotent once after a 5xx: its first copy may have landed', async () => {
    const server = await startScriptedHttpServer((_request, _body, response) =>
      response.writeHead(500, { 'content-type': CONTENT_TYPE }).end('{"__type":"#InternalServerError"}'),
    );
    try {
      const outcome = await api(server.endpoint).call('PutItem', '{}', { ...limits, idempotent: false });

      expect(outcome).toMatchObject({ ok: false, errorType: 'InternalServerError' });
      expect(server.requests).toBe(1);
    } finally {
      await server.stop();
    }
  });

  it('tries an idempotent call again after a 5xx, and any call after throttling, which carried nothing out', async () => {
    const server = await startScriptedHttpServer((_request, _body, response) =>
      response.writeHead(500, { 'content-type': CONTENT_TYPE }).end('{"__type":"#InternalServerError"}'),
    );
    try {
      await api(server.endpoint).call('GetItem', '{}', { ...limits, idempotent: true });
      const afterIdempotent = server.requests;
      server.respondWith((_request, _body, response) =>
        response.writeHead(400, { 'content-type': CONTENT_TYPE }).end('{"__type":"#ThrottlingException"}'),
      );
      await api(server.endpoint).call('PutItem', '{}', { ...limits, idempotent: false });

      expect(afterIdempotent).toBe(3);
      expect(server.requests - afterIdempotent).toBe(3);
    } finally {
      await server.stop();
    }
  });
});
