import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashToken } from '../../lambda/core/token-hash.ts';
import { type AuthorizationServer, startAuthorizationServer } from '../../local/authorization-server.ts';
import { requestClientCredentialsToken } from '../../local/client-credentials.ts';
import { createLocalDynamoDbClient } from '../../local/dynamodb-client.ts';
import { type DynamoDbServer, startDynamoDbServer } from '../../local/dynamodb-server.ts';
import { createTokenTable } from '../../local/token-table.ts';
import { lambdaRuntimeEnvironment, startSecretsExtensionEmulator } from '../support/secrets-extension-emulator.ts';

type Json = Record<string, unknown>;
type Handler = (event: unknown) => Promise<unknown>;

const TABLE = 'split-tokens';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:introspection-AbCdEf';
const STAGE_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod';
const SESSION_TOKEN = 'test-session';

function restRequestEvent(token: string, method = 'GET', resource = '/orders'): Json {
  return {
    type: 'REQUEST',
    methodArn: `${STAGE_ARN}/${method}${resource}`,
    resource,
    path: resource,
    httpMethod: method,
    headers: { Authorization: `Bearer ${token}` },
    multiValueHeaders: { Authorization: [`Bearer ${token}`] },
    requestContext: { stage: 'prod', httpMethod: method, resourcePath: resource },
  };
}

/** Outcome as API Gateway would turn the handler's answer into a status for this route. */
async function statusOf(handler: Handler, event: Json): Promise<{ status: number; answer?: Json }> {
  try {
    const answer = (await handler(event)) as Json;
    const statements = (answer.policyDocument as { Statement: { Effect: string; Resource: string[] }[] }).Statement;
    const denied = statements.some((s) => s.Effect === 'Deny' && s.Resource.includes(event.methodArn as string));
    return { status: denied ? 403 : 200, answer };
  } catch (error) {
    return { status: (error as Error).message === 'Unauthorized' ? 401 : 500 };
  }
}

describe('the Lambda handler against dynalite and oidc-provider on 127.0.0.1', () => {
  let dynamo: DynamoDbServer;
  let as: AuthorizationServer;
  let stopExtension: () => Promise<void>;
  let handler: Handler;
  const db = () => createLocalDynamoDbClient({ endpoint: dynamo.endpoint });

  async function loadHandler(overrides: Record<string, string> = {}): Promise<Handler> {
    const env: Record<string, string> = {
      ISSUER: as.issuer,
      JWKS_URI: as.jwksUri,
      AUDIENCE: as.audience,
      REQUIRED_TOKEN_TYPE: 'at+jwt',
      TOKEN_TABLE_NAME: TABLE,
      TOKEN_TABLE_REGION: 'us-east-1',
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      DYNAMODB_TIMEOUT_MS: '1500',
      INTROSPECTION_ENDPOINT: as.introspectionEndpoint,
      INTROSPECTION_CLIENT_ID: as.clients.introspector.clientId,
      INTROSPECTION_CLIENT_SECRET_ARN: SECRET_ARN,
      INTROSPECTION_TIMEOUT_MS: '1500',
      ROUTE_SCOPES: JSON.stringify([
        { method: 'GET', path: '/orders', scopes: ['orders:read'] },
        { method: 'POST', path: '/orders', scopes: ['orders:write'] },
      ]),
      JWKS_TIMEOUT_MS: '1500',
      LOG_LEVEL: 'error',
      // Set every time: stubbed variables outlive the load that set them.
      JWT_VALIDATION_ENABLED: 'false',
      JWT_CLIENT_IDS: '',
      CACHE_TTL_SECONDS: '60',
      ...overrides,
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    vi.resetModules();
    const module = await import('../../lambda/authorizer/handler.ts');
    return module.handler;
  }

  async function splitAndStore(jwt: string, expiration?: number): Promise<string> {
    const cut = jwt.lastIndexOf('.');
    const signature = jwt.slice(cut + 1);
    const exp = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()).exp;
    await db().send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          hashed_signature: { S: await hashToken(signature, 'SHA-256') },
          head_and_body: { S: jwt.slice(0, cut) },
          expiration: { N: String(expiration ?? exp) },
        },
      }),
    );
    return signature;
  }

  const jwtFor = async (scope = 'orders:read') =>
    (await requestClientCredentialsToken({ tokenEndpoint: as.tokenEndpoint, ...as.clients.split, scope })).access_token;
  const phantomFor = async (scope = 'orders:read') =>
    (await requestClientCredentialsToken({ tokenEndpoint: as.tokenEndpoint, ...as.clients.phantom, scope }))
      .access_token;

  beforeAll(async () => {
    dynamo = await startDynamoDbServer();
    await createTokenTable({ endpoint: dynamo.endpoint, tableName: TABLE });
    as = await startAuthorizationServer();
    const extension = await startSecretsExtensionEmulator(
      { [SECRET_ARN]: as.clients.introspector.clientSecret },
      SESSION_TOKEN,
    );
    stopExtension = extension.stop;
    for (const [name, value] of Object.entries(lambdaRuntimeEnvironment(extension, SESSION_TOKEN))) {
      vi.stubEnv(name, value);
    }
    handler = await loadHandler();
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await Promise.all([as?.stop(), dynamo?.stop(), stopExtension?.()]);
  });

  it('resolves an oidc-provider JWT split into the DESIGN record to the same JWT', async () => {
    const jwt = await jwtFor();
    const opaque = await splitAndStore(jwt);

    const { status, answer } = await statusOf(handler, restRequestEvent(opaque));

    expect(status).toBe(200);
    expect(answer?.context).toMatchObject({
      jwt,
      authorization: `Bearer ${jwt}`,
      tokenType: 'split',
      scope: 'orders:read',
    });
    expect((answer?.context as Json | undefined)?.client_id).toBe(as.clients.split.clientId);
  });

  it('resolves an oidc-provider opaque token by RFC 9701 introspection', async () => {
    const opaque = await phantomFor();

    const { status, answer } = await statusOf(handler, restRequestEvent(opaque));

    expect(status).toBe(200);
    expect(answer?.context).toMatchObject({ tokenType: 'phantom', client_id: as.clients.phantom.clientId });
    expect(
      JSON.parse(
        Buffer.from(String((answer?.context as Json | undefined)?.jwt).split('.')[0] ?? '', 'base64url').toString(),
      ),
    ).toMatchObject({
      typ: 'token-introspection+jwt',
    });
  });

  it('refuses a record whose expiration has passed (dynalite never deletes it)', async () => {
    const opaque = await splitAndStore(await jwtFor(), Math.floor(Date.now() / 1000) - 3600);

    expect((await statusOf(handler, restRequestEvent(opaque))).status).toBe(401);
  });

  it('refuses a tampered head_and_body', async () => {
    const jwt = await jwtFor();
    const [header, , signature] = jwt.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ iss: as.issuer, aud: as.audience, scope: 'orders:write', exp: 4102444800 }),
    ).toString('base64url');
    const opaque = await splitAndStore(`${header}.${forgedPayload}.${signature}`);

    expect((await statusOf(handler, restRequestEvent(opaque))).status).toBe(401);
  });

  it('refuses an unknown token after the table misses and introspection says inactive', async () => {
    const unknown = Buffer.from(crypto.getRandomValues(new Uint8Array(256))).toString('base64url');

    expect((await statusOf(handler, restRequestEvent(unknown))).status).toBe(401);
  });

  it('refuses a whole JWT when JWT validation is off, though the server will not introspect it', async () => {
    const jwt = await jwtFor();

    expect((await statusOf(handler, restRequestEvent(jwt))).status).toBe(401);
  });

  it('accepts the whole JWT of a client meant to hold JWTs once JWT validation is on', async () => {
    const withJwt = await loadHandler({ JWT_VALIDATION_ENABLED: 'true', JWT_CLIENT_IDS: as.clients.jwt.clientId });
    const { access_token: jwt } = await requestClientCredentialsToken({
      tokenEndpoint: as.tokenEndpoint,
      ...as.clients.jwt,
      scope: 'orders:read',
    });

    const { status, answer } = await statusOf(withJwt, restRequestEvent(jwt));

    expect(status).toBe(200);
    expect((answer?.context as Json | undefined)?.tokenType).toBe('jwt');
    handler = await loadHandler();
  });

  it('refuses the JWT of a split token as a plain JWT with JWT validation on, before and after the record is revoked', async () => {
    const withJwt = await loadHandler({
      JWT_VALIDATION_ENABLED: 'true',
      JWT_CLIENT_IDS: as.clients.jwt.clientId,
      CACHE_TTL_SECONDS: '0',
    });
    // What every backend receives for a split token: the whole JWT of split-client.
    const jwt = await jwtFor();
    const opaque = await splitAndStore(jwt);
    const before = {
      opaque: await statusOf(withJwt, restRequestEvent(opaque)),
      jwt: await statusOf(withJwt, restRequestEvent(jwt)),
    };

    // Revocation through the proxy deletes the record.
    await db().send(
      new DeleteItemCommand({ TableName: TABLE, Key: { hashed_signature: { S: await hashToken(opaque, 'SHA-256') } } }),
    );
    const after = {
      opaque: await statusOf(withJwt, restRequestEvent(opaque)),
      jwt: await statusOf(withJwt, restRequestEvent(jwt)),
    };

    expect(before.opaque.status).toBe(200);
    expect(before.jwt.status).toBe(401);
    expect(after.opaque.status).toBe(401);
    expect(after.jwt.status).toBe(401);
    handler = await loadHandler();
  });

  it('fails the init, naming JWT_CLIENT_IDS, when JWT validation is on without the list of JWT clients', async () => {
    const withoutList = await loadHandler({ JWT_VALIDATION_ENABLED: 'true' });

    await expect(withoutList(restRequestEvent(await jwtFor()))).rejects.toThrow(/JWT_CLIENT_IDS/);
    handler = await loadHandler();
  });

  it('refuses a token issued for another audience', async () => {
    const otherAudience = await loadHandler({ AUDIENCE: 'https://another-api.example.test' });
    const opaque = await splitAndStore(await jwtFor());

    expect((await statusOf(otherAudience, restRequestEvent(opaque))).status).toBe(401);
    handler = await loadHandler();
  });

  it('denies a valid token on a route that needs a scope it lacks (403)', async () => {
    const opaque = await splitAndStore(await jwtFor('orders:read'));

    expect((await statusOf(handler, restRequestEvent(opaque, 'POST'))).status).toBe(403);
  });

  it('answers 500, never an allow, while the authorization server is stopped, and recovers after', async () => {
    const phantom = await phantomFor();
    const restartOptions = as.restartOptions;
    await as.stop();

    const during = await statusOf(handler, restRequestEvent(phantom));
    as = await startAuthorizationServer(restartOptions);
    const after = await statusOf(handler, restRequestEvent(phantom));

    expect(during.status).toBe(500);
    expect(after.status).toBe(200);
  });

  it('answers 500, never an allow, while DynamoDB is stopped', async () => {
    const opaque = await splitAndStore(await jwtFor());
    const port = dynamo.port;
    await dynamo.stop();

    const during = await statusOf(handler, restRequestEvent(opaque));
    dynamo = await startDynamoDbServer({ port });

    expect(during.status).toBe(500);
  });

  it('fails every invocation with a message naming a missing setting', async () => {
    const broken = await loadHandler({ ISSUER: '' });

    await expect(broken(restRequestEvent('abc'))).rejects.toThrow(/ISSUER is required/);
    handler = await loadHandler();
  });
});
