/**
 * Strongly consistent reads, which a multi-Region strongly consistent table needs to give the latest
 * write from any region: the GetItem body as DynamoDB's API reference names the parameter
 * (`ConsistentRead`, boolean, default false), from the store and from the authorizer's configuration.
 */
import { createServer, type Server } from 'node:http';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonLog } from '../../../lambda/adapters/json-log.ts';
import { SigV4DynamoDbTokenStore } from '../../../lambda/adapters/sigv4-dynamodb-token-store.ts';
import { createAuthorizer } from '../../../lambda/authorizer/authorizer.ts';
import { readAuthorizerConfig } from '../../../lambda/authorizer/config.ts';
import { createLocalDynamoDbClient, LOCAL_CREDENTIALS } from '../../../local/dynamodb-client.ts';
import { type DynamoDbServer, startDynamoDbServer } from '../../../local/dynamodb-server.ts';
import { closeServer, LOOPBACK_HOST, listenOnLoopback } from '../../../local/loopback-http.ts';
import { createTokenTable } from '../../../local/token-table.ts';
import { fixtureEvent } from '../../support/api-gateway-events.ts';
import { authorizerConfig } from '../../support/authorizer-config.ts';

/** A DynamoDB endpoint that answers every GetItem with "no item" and keeps the request bodies. */
async function startRecordingEndpoint(): Promise<{ endpoint: string; bodies: unknown[]; stop(): Promise<void> }> {
  const bodies: unknown[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      bodies.push(JSON.parse(body));
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
    });
  });
  const port = await listenOnLoopback(server, 0);
  return { endpoint: `http://${LOOPBACK_HOST}:${port}`, bodies, stop: () => closeServer(server) };
}

const storeAt = (endpoint: string, consistentRead?: boolean) =>
  new SigV4DynamoDbTokenStore({
    tableName: 'split-tokens',
    region: 'us-east-2',
    endpoint,
    credentials: LOCAL_CREDENTIALS,
    timeoutMs: 1000,
    ...(consistentRead === undefined ? {} : { consistentRead }),
  });

describe('consistent reads of the token table', () => {
  let recorder: Awaited<ReturnType<typeof startRecordingEndpoint>>;
  let dynamo: DynamoDbServer;

  beforeAll(async () => {
    recorder = await startRecordingEndpoint();
    dynamo = await startDynamoDbServer();
    await createTokenTable({ endpoint: dynamo.endpoint, tableName: 'split-tokens' });
    const client = createLocalDynamoDbClient({ endpoint: dynamo.endpoint });
    await client.send(
      new PutItemCommand({
        TableName: 'split-tokens',
        Item: { hashed_signature: { S: 'k=' }, head_and_body: { S: 'aA.bB' }, expiration: { N: '1900000000' } },
      }),
    );
    client.destroy();
  });

  afterAll(async () => {
    await recorder?.stop();
    await dynamo?.stop();
  });

  it('asks for ConsistentRead when configured, and leaves it out (eventually consistent) by default', async () => {
    recorder.bodies.length = 0;

    await storeAt(recorder.endpoint, true).getRecord('k=');
    await storeAt(recorder.endpoint).getRecord('k=');

    expect(recorder.bodies[0]).toMatchObject({ TableName: 'split-tokens', ConsistentRead: true });
    expect(recorder.bodies[1]).not.toHaveProperty('ConsistentRead');
  });

  it('reads the record with a strongly consistent read from a real DynamoDB API', async () => {
    expect(await storeAt(dynamo.endpoint, true).getRecord('k=')).toEqual({
      headAndBody: 'aA.bB',
      expiration: 1_900_000_000,
    });
  });

  it('reads TOKEN_TABLE_CONSISTENT_READ, false unless set, and refuses anything but true or false', async () => {
    const env = {
      ISSUER: 'https://login.example.test',
      JWKS_URI: 'https://login.example.test/jwks',
      AUDIENCE: 'api',
      TOKEN_TABLE_NAME: 'split-tokens',
    };
    const noSecret = async (): Promise<string> => {
      throw new Error('no secret here');
    };

    expect((await readAuthorizerConfig(env, noSecret)).tokenTableConsistentRead).toBe(false);
    expect(
      (await readAuthorizerConfig({ ...env, TOKEN_TABLE_CONSISTENT_READ: 'true' }, noSecret)).tokenTableConsistentRead,
    ).toBe(true);
    await expect(readAuthorizerConfig({ ...env, TOKEN_TABLE_CONSISTENT_READ: 'strong' }, noSecret)).rejects.toThrow(
      /TOKEN_TABLE_CONSISTENT_READ/,
    );
  });

  it('makes the authorizer read with ConsistentRead when its configuration says so', async () => {
    recorder.bodies.length = 0;
    const authorizer = createAuthorizer(
      authorizerConfig(
        { issuer: 'https://login.example.test', jwksUri: 'https://login.example.test/jwks', audiences: ['api'] },
        { tokenTableConsistentRead: true, dynamoDbEndpoint: recorder.endpoint, tokenTableRegion: 'us-east-2' },
      ),
      { awsCredentials: LOCAL_CREDENTIALS, jwks: { keys: [] }, log: new JsonLog({ level: 'error', write: () => {} }) },
    );
    const event = { ...fixtureEvent('rest-token-event'), authorizationToken: `Bearer ${'A'.repeat(342)}` };

    const outcome = await authorizer(event).then(
      () => 'answered',
      (error: Error) => error.message,
    );

    expect(outcome).toBe('Unauthorized');
    expect(recorder.bodies).toHaveLength(1);
    expect(recorder.bodies[0]).toMatchObject({ ConsistentRead: true });
  });
});
