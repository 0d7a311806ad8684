import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { AwsV4Signer } from 'aws4fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SigV4DynamoDbTokenStore,
  type SigV4DynamoDbTokenStoreOptions,
} from '../../../lambda/adapters/sigv4-dynamodb-token-store.ts';
import { isDependencyError } from '../../../lambda/core/dependency-error.ts';
import { createLocalDynamoDbClient } from '../../../local/dynamodb-client.ts';
import { type DynamoDbServer, startDynamoDbServer } from '../../../local/dynamodb-server.ts';
import { closeServer, LOOPBACK_HOST, listenOnLoopback } from '../../../local/loopback-http.ts';
import { createTokenTable } from '../../../local/token-table.ts';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'local-secret', sessionToken: 'local-session' };

/** A stand-in DynamoDB endpoint that records requests and answers from a script. */
async function startScriptedEndpoint(
  answers: readonly { status: number; body: unknown }[] | 'never',
): Promise<{ endpoint: string; requests: { headers: IncomingHttpHeaders; body: string }[]; stop(): Promise<void> }> {
  const requests: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      requests.push({ headers: request.headers, body });
      if (answers === 'never') return;
      const answer = answers[Math.min(requests.length, answers.length) - 1] ?? { status: 500, body: {} };
      response
        .writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify(answer.body));
    });
  });
  const port = await listenOnLoopback(server, 0);
  return { endpoint: `http://${LOOPBACK_HOST}:${port}`, requests, stop: () => closeServer(server) };
}

describe('SigV4DynamoDbTokenStore against dynalite', () => {
  let dynamo: DynamoDbServer;

  beforeAll(async () => {
    dynamo = await startDynamoDbServer();
    await createTokenTable({ endpoint: dynamo.endpoint, tableName: 'tokens' });
    await createTokenTable({ endpoint: dynamo.endpoint, tableName: 'custom-key', keyAttribute: 'token_hash' });
    const db = createLocalDynamoDbClient({ endpoint: dynamo.endpoint });
    const put = (TableName: string, Item: Record<string, { S: string } | { N: string }>) =>
      db.send(new PutItemCommand({ TableName, Item }));
    await put('tokens', {
      hashed_signature: { S: 'key-1=' },
      head_and_body: { S: 'aGVhZA.Ym9keQ' },
      expiration: { N: '1900000000' },
      other: { S: 'not projected' },
    });
    await put('tokens', { hashed_signature: { S: 'broken=' }, expiration: { S: 'soon' } });
    await put('custom-key', { token_hash: { S: 'k' }, head_and_body: { S: 'a.b' }, expiration: { N: '5' } });
    db.destroy();
  });
  afterAll(() => dynamo?.stop());

  const storeFor = (options: Partial<SigV4DynamoDbTokenStoreOptions> = {}) =>
    new SigV4DynamoDbTokenStore({
      tableName: 'tokens',
      region: 'us-east-1',
      endpoint: dynamo.endpoint,
      credentials: CREDENTIALS,
      timeoutMs: 1000,
      retryBaseDelayMs: 1,
      ...options,
    });

  it('reads head_and_body and expiration of a record', async () => {
    expect(await storeFor().getRecord('key-1=')).toEqual({ headAndBody: 'aGVhZA.Ym9keQ', expiration: 1900000000 });
  });

  it('returns undefined for a missing record', async () => {
    expect(await storeFor().getRecord('missing=')).toBeUndefined();
  });

  it('uses the configured key attribute', async () => {
    expect(await storeFor({ tableName: 'custom-key', keyAttribute: 'token_hash' }).getRecord('k')).toEqual({
      headAndBody: 'a.b',
      expiration: 5,
    });
  });

  it('turns a record without usable attributes into one that is already expired', async () => {
    expect(await storeFor().getRecord('broken=')).toEqual({ headAndBody: '', expiration: 0 });
  });

  it('throws a dependency error naming the DynamoDB error for a missing table, without retrying it', async () => {
    await expect(storeFor({ tableName: 'no-such-table' }).getRecord('x')).rejects.toSatisfy(
      (error: unknown) =>
        isDependencyError(error) &&
        error.code === 'token_store_unavailable' &&
        error.message === 'DynamoDB GetItem failed (ResourceNotFoundException)',
    );
  });

  it('throws a dependency error for an unreachable endpoint', async () => {
    await expect(storeFor({ endpoint: 'http://127.0.0.1:9', maxAttempts: 2 }).getRecord('x')).rejects.toSatisfy(
      (error: unknown) => isDependencyError(error) && error.code === 'token_store_unavailable',
    );
  });

  it('sends a GetItem that AWS would accept: target, projection and a SigV4 signature over host and session token', async () => {
    const scripted = await startScriptedEndpoint([{ status: 200, body: {} }]);
    try {
      await storeFor({ endpoint: scripted.endpoint }).getRecord('key-1=');
      const [request] = scripted.requests;
      expect(request?.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
      expect(request?.headers['content-type']).toBe('application/x-amz-json-1.0');
      expect(request?.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
      expect(JSON.parse(request?.body ?? '')).toEqual({
        TableName: 'tokens',
        Key: { hashed_signature: { S: 'key-1=' } },
        ProjectionExpression: '#hb, #exp',
        ExpressionAttributeNames: { '#hb': 'head_and_body', '#exp': 'expiration' },
      });

      // An independent SigV4 implementation (aws4fetch) over the same signed headers must agree.
      const authorization = String(request?.headers.authorization);
      const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
      expect(signedHeaders).toEqual(
        expect.arrayContaining(['host', 'x-amz-date', 'x-amz-security-token', 'x-amz-target']),
      );
      const headers = Object.fromEntries(
        signedHeaders
          .filter((name) => name !== 'x-amz-security-token')
          .map((name) => [name, String(request?.headers[name])]),
      );
      const expected = await new AwsV4Signer({
        method: 'POST',
        url: `${scripted.endpoint}/`,
        headers,
        body: request?.body ?? '',
        ...CREDENTIALS,
        service: 'dynamodb',
        region: 'us-east-1',
        datetime: String(request?.headers['x-amz-date']),
        allHeaders: true,
      }).authHeader();
      expect(authorization).toBe(expected);
    } finally {
      await scripted.stop();
    }
  });

  it('retries throttling and 5xx answers, then reads the record', async () => {
    const scripted = await startScriptedEndpoint([
      { status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException' } },
      { status: 503, body: {} },
      { status: 200, body: { Item: { head_and_body: { S: 'h.b' }, expiration: { N: '7' } } } },
    ]);
    try {
      expect(await storeFor({ endpoint: scripted.endpoint }).getRecord('k')).toEqual({
        headAndBody: 'h.b',
        expiration: 7,
      });
      expect(scripted.requests).toHaveLength(3);
    } finally {
      await scripted.stop();
    }
  });

  it('gives up after maxAttempts and names the last failure', async () => {
    const scripted = await startScriptedEndpoint([{ status: 500, body: {} }]);
    try {
      await expect(storeFor({ endpoint: scripted.endpoint, maxAttempts: 2 }).getRecord('k')).rejects.toSatisfy(
        (error: unknown) => isDependencyError(error) && error.message === 'DynamoDB GetItem failed (status 500)',
      );
      expect(scripted.requests).toHaveLength(2);
    } finally {
      await scripted.stop();
    }
  });

  it('fails with a timeout, not a hang, when DynamoDB does not answer', async () => {
    const scripted = await startScriptedEndpoint('never');
    try {
      const started = Date.now();
      await expect(storeFor({ endpoint: scripted.endpoint, timeoutMs: 200 }).getRecord('k')).rejects.toSatisfy(
        (error: unknown) => isDependencyError(error) && error.message === 'DynamoDB GetItem failed (timeout)',
      );
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await scripted.stop();
    }
  });

  it('never puts the key or credentials in its errors', async () => {
    const error = await storeFor({ tableName: 'no-such-table' })
      .getRecord('secret-hash=')
      .catch((caught: unknown) => caught);
    expect(String((error as Error).message)).not.toMatch(/secret-hash|local-secret|local-session|AKIDEXAMPLE/);
  });
});
