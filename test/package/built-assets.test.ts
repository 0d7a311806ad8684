/**
 * The shipped bytes work: each prebuilt asset (`assets/<deployable>/index.mjs`, what the constructs
 * deploy and the npm package ships) is loaded in a process of its own with the environment its
 * construct sets, and answers real events: the token endpoint proxy a token request to
 * oidc-provider, writing to dynalite; the authorizer captured API Gateway events carrying the token
 * the proxy issued (allow and deny) and an introspected one; the example backend the JWT the
 * authorizer passed on; the metadata handler its document; the CORS preflight function a
 * preflight. Expected values come from the RFCs and DESIGN.md, checked with node:crypto and jose,
 * never from the code under test.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../build/build-lambda-assets.ts';
import { LAMBDA_ASSET_FILE, LAMBDA_ASSETS_DIR, type LambdaAssetName } from '../../build/lambda-assets.ts';
import { AuthorizerEnv } from '../../lambda/authorizer/config.ts';
import { TokenEndpointProxyEnv } from '../../lambda/token-endpoint-proxy/config.ts';
import { type AuthorizationServer, startAuthorizationServer } from '../../local/authorization-server.ts';
import { requestClientCredentialsToken } from '../../local/client-credentials.ts';
import { createLocalDynamoDbClient } from '../../local/dynamodb-client.ts';
import { type DynamoDbServer, startDynamoDbServer } from '../../local/dynamodb-server.ts';
import { createTokenTable } from '../../local/token-table.ts';
import { type Invocation, type LambdaProcess, startLambdaProcess } from '../support/lambda-process.ts';
import { lambdaRuntimeEnvironment, startSecretsExtensionEmulator } from '../support/secrets-extension-emulator.ts';
import { describeWithSharedFixtures, readSharedJsonFiles } from '../support/shared-fixtures.ts';

type Json = Record<string, unknown>;

const TABLE = 'split-tokens';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:introspection-AbCdEf';
const SESSION_TOKEN = 'built-assets-session';
/** What ExampleBackend sets (lib/example-backend.ts); the authorizer and the proxy run without NODE_OPTIONS. */
const BACKEND_NODE_OPTIONS = '--enable-source-maps';

const assetFile = (name: LambdaAssetName) => join(REPOSITORY_ROOT, LAMBDA_ASSETS_DIR, name, LAMBDA_ASSET_FILE);

function result(invocation: Invocation): Json {
  if ('error' in invocation) throw new Error(`the handler threw: ${invocation.error}`);
  return invocation.result as Json;
}

/** A captured event with a bearer token of our own in place of its placeholder credential. */
function withBearer(event: Json, token: string): Json {
  const copy = structuredClone(event) as Json & {
    headers: Record<string, string>;
    multiValueHeaders?: Record<string, string[]>;
    identitySource?: string[];
  };
  const value = `Bearer ${token}`;
  for (const name of Object.keys(copy.headers)) if (name.toLowerCase() === 'authorization') delete copy.headers[name];
  if (copy.version === '2.0') {
    copy.headers.authorization = value;
    // The values of the construct's identity sources, in order (lib/authorizer-identity-sources.ts):
    // the header, $context.httpMethod and $context.path.
    const http = (copy.requestContext as { http: { method: string; path: string } }).http;
    copy.identitySource = [value, http.method, http.path];
  } else {
    copy.headers.Authorization = value;
    if (copy.multiValueHeaders) copy.multiValueHeaders.Authorization = [value];
  }
  return copy;
}

/** A payload 2.0 request as a Lambda function URL delivers it (the proxy's event without a front). */
function functionUrlRequest(path: string, headers: Record<string, string>, body: string): Json {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'abc123.lambda-url.us-east-1.on.aws', ...headers },
    requestContext: {
      domainName: 'abc123.lambda-url.us-east-1.on.aws',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'test' },
    },
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
  };
}

const basic = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describeWithSharedFixtures('the prebuilt Lambda assets, each in a process of its own', 'apigw-events', (directory) => {
  const captured = readSharedJsonFiles(directory);
  const restEvent = captured.get('rest-request.aws-docs.json') as Json; // GET /request, stage test
  const httpEvent = captured.get('http-v2.default-stage-greedy.json') as Json; // GET /api/v1/nodes, $default
  let dynamo: DynamoDbServer;
  let as: AuthorizationServer;
  let stopExtension: () => Promise<void>;
  let proxy: LambdaProcess;
  let authorizer: LambdaProcess;
  let backend: LambdaProcess;
  let metadata: LambdaProcess;
  let preflight: LambdaProcess;
  let runtime: Record<string, string>;

  beforeAll(async () => {
    [dynamo, as] = await Promise.all([startDynamoDbServer(), startAuthorizationServer()]);
    await createTokenTable({ endpoint: dynamo.endpoint, tableName: TABLE });
    const extension = await startSecretsExtensionEmulator(
      { [SECRET_ARN]: as.clients.introspector.clientSecret },
      SESSION_TOKEN,
    );
    stopExtension = extension.stop;
    runtime = lambdaRuntimeEnvironment(extension, SESSION_TOKEN);
    [proxy, authorizer, backend, metadata, preflight] = await Promise.all([
      startLambdaProcess(assetFile('token-endpoint-proxy'), {
        ...runtime,
        [TokenEndpointProxyEnv.upstreamTokenEndpoint]: as.tokenEndpoint,
        [TokenEndpointProxyEnv.tokenTableName]: TABLE,
        [TokenEndpointProxyEnv.tokenTableKeyAttribute]: 'hashed_signature',
        [TokenEndpointProxyEnv.dynamoDbEndpoint]: dynamo.endpoint,
      }),
      startLambdaProcess(assetFile('authorizer'), {
        ...runtime,
        [AuthorizerEnv.issuer]: as.issuer,
        [AuthorizerEnv.jwksUri]: as.jwksUri,
        [AuthorizerEnv.audiences]: as.audience,
        [AuthorizerEnv.jwtValidationEnabled]: 'false',
        [AuthorizerEnv.httpApiResponseFormat]: 'simple',
        [AuthorizerEnv.tokenTableName]: TABLE,
        [AuthorizerEnv.tokenTableKeyAttribute]: 'hashed_signature',
        [AuthorizerEnv.tokenTableRegion]: 'us-east-1',
        DYNAMODB_ENDPOINT: dynamo.endpoint,
        [AuthorizerEnv.introspectionEndpoint]: as.introspectionEndpoint,
        [AuthorizerEnv.introspectionClientId]: as.clients.introspector.clientId,
        [AuthorizerEnv.introspectionClientSecretArn]: SECRET_ARN,
        [AuthorizerEnv.routeScopes]: JSON.stringify([
          { method: 'GET', path: '/request', scopes: ['orders:read'] },
          { method: 'GET', path: '/api/{rest+}', scopes: ['orders:read'] },
        ]),
      }),
      startLambdaProcess(assetFile('example-backend'), {
        ...runtime,
        NODE_OPTIONS: BACKEND_NODE_OPTIONS,
        ISSUER: as.issuer,
        JWKS_URI: as.jwksUri,
        AUDIENCE: as.audience,
      }),
      startLambdaProcess(assetFile('protected-resource-metadata'), {
        ...runtime,
        PROTECTED_RESOURCE_METADATA: JSON.stringify({
          authorization_servers: [as.issuer],
          scopes_supported: ['orders:read'],
          bearer_methods_supported: ['header'],
        }),
      }),
      startLambdaProcess(assetFile('cors-preflight'), runtime),
    ]);
  });

  afterAll(async () => {
    await Promise.all([proxy, authorizer, backend, metadata, preflight].map((fn) => fn?.stop()));
    await Promise.all([as?.stop(), dynamo?.stop(), stopExtension?.()]);
  });

  /** A split token issued through the built proxy, and the JWT it stands for (read back from the table). */
  async function issueThroughProxy(scope: string): Promise<{ opaque: string; jwt: string }> {
    const client = as.clients.split;
    const answer = result(
      await proxy.invoke(
        functionUrlRequest(
          '/token',
          {
            authorization: basic(client.clientId, client.clientSecret),
            'content-type': 'application/x-www-form-urlencoded',
          },
          new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
        ),
      ),
    );
    expect(answer.statusCode).toBe(200);
    const opaque = JSON.parse(answer.body as string).access_token as string;
    // DESIGN.md: the key is standard Base64 (padded) of SHA-256 over the signature's ASCII bytes.
    const key = createHash('sha256').update(opaque, 'ascii').digest('base64');
    const item = await createLocalDynamoDbClient({ endpoint: dynamo.endpoint }).send(
      new GetItemCommand({ TableName: TABLE, Key: { hashed_signature: { S: key } } }),
    );
    const headAndBody = item.Item?.head_and_body?.S;
    expect(headAndBody).toBeDefined();
    return { opaque, jwt: `${headAndBody}.${opaque}` };
  }

  const jwks = async () => createLocalJWKSet(await (await fetch(as.jwksUri)).json());

  it('the proxy answers a token request with the signature of a JWT the server signed, its head and body stored', async () => {
    const { opaque, jwt } = await issueThroughProxy('orders:read');

    expect(opaque).toMatch(/^[A-Za-z0-9_-]+$/);
    const { payload, protectedHeader } = await jwtVerify(jwt, await jwks(), { issuer: as.issuer });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload.scope).toBe('orders:read');
    expect(payload.client_id).toBe(as.clients.split.clientId);
  });

  it('the proxy passes the server refusing a wrong client secret on, and stores nothing', async () => {
    const answer = result(
      await proxy.invoke(
        functionUrlRequest(
          '/token',
          {
            authorization: basic(as.clients.split.clientId, 'not-the-secret'),
            'content-type': 'application/x-www-form-urlencoded',
          },
          'grant_type=client_credentials&scope=orders%3Aread',
        ),
      ),
    );

    expect(answer.statusCode).toBe(401);
    expect(JSON.parse(answer.body as string)).toMatchObject({ error: 'invalid_client' });
  });

  it('the authorizer allows the captured REST event with the split token, passing the whole JWT on', async () => {
    const { opaque, jwt } = await issueThroughProxy('orders:read');

    const answer = result(await authorizer.invoke(withBearer(restEvent, opaque)));

    const statements = (answer.policyDocument as { Statement: { Effect: string; Resource: string[] }[] }).Statement;
    expect(statements.filter((s) => s.Effect === 'Deny').flatMap((s) => s.Resource)).not.toContain(restEvent.methodArn);
    expect(statements.some((s) => s.Effect === 'Allow' && s.Resource.includes(restEvent.methodArn as string))).toBe(
      true,
    );
    expect(answer.context).toMatchObject({ jwt, tokenType: 'split', scope: 'orders:read' });
  });

  it('the authorizer denies the captured REST event to a split token without the scope its route needs (403)', async () => {
    const { opaque } = await issueThroughProxy('orders:write');

    const answer = result(await authorizer.invoke(withBearer(restEvent, opaque)));

    const statements = (answer.policyDocument as { Statement: { Effect: string; Resource: string[] }[] }).Statement;
    expect(statements.some((s) => s.Effect === 'Deny' && s.Resource.includes(restEvent.methodArn as string))).toBe(
      true,
    );
    expect(answer.context).toMatchObject({ error: 'insufficient_scope', scope: 'orders:read' });
  });

  it('the authorizer refuses an unknown token with Unauthorized (401)', async () => {
    const unknown = createHash('sha256').update('not issued').digest('base64url');

    expect(await authorizer.invoke(withBearer(restEvent, unknown))).toEqual({ error: 'Unauthorized' });
  });

  it('the authorizer answers the captured HTTP API 2.0 event with a simple response', async () => {
    const { opaque } = await issueThroughProxy('orders:read');
    const { opaque: unscoped } = await issueThroughProxy('orders:write');

    expect(result(await authorizer.invoke(withBearer(httpEvent, opaque)))).toMatchObject({ isAuthorized: true });
    expect(result(await authorizer.invoke(withBearer(httpEvent, unscoped)))).toMatchObject({ isAuthorized: false });
  });

  it('the authorizer resolves a phantom token by introspection, its client secret read through the extension', async () => {
    const phantom = (
      await requestClientCredentialsToken({
        tokenEndpoint: as.tokenEndpoint,
        ...as.clients.phantom,
        scope: 'orders:read',
      })
    ).access_token;

    const answer = result(await authorizer.invoke(withBearer(restEvent, phantom)));

    expect(answer.context).toMatchObject({ tokenType: 'phantom' });
    const statements = (answer.policyDocument as { Statement: { Effect: string }[] }).Statement;
    expect(statements.some((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('the example backend verifies the JWT from the authorizer context itself and answers its claims', async () => {
    const { opaque } = await issueThroughProxy('orders:read');
    const context = result(await authorizer.invoke(withBearer(restEvent, opaque))).context as { jwt: string };
    const claims = JSON.parse(Buffer.from(context.jwt.split('.')[1] as string, 'base64url').toString('utf8'));

    const answer = result(await backend.invoke({ requestContext: { authorizer: { jwt: context.jwt } } }));
    const [head, body, signature] = context.jwt.split('.') as [string, string, string];
    const forged = `${head}.${body}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const refused = result(await backend.invoke({ requestContext: { authorizer: { jwt: forged } } }));

    expect(decodeProtectedHeader(context.jwt).typ).toBe('at+jwt');
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body as string)).toMatchObject({ api: 'rest', claims });
    expect(refused.statusCode).toBe(401);
  });

  it('the metadata handler answers RFC 9728 metadata for the URL the captured HTTP API event was sent to', async () => {
    const answer = result(await metadata.invoke(httpEvent));

    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body as string)).toEqual({
      // The captured request reached f51uq07z1g.execute-api.us-west-2.amazonaws.com on the $default stage.
      resource: 'https://f51uq07z1g.execute-api.us-west-2.amazonaws.com',
      authorization_servers: [as.issuer],
      scopes_supported: ['orders:read'],
      bearer_methods_supported: ['header'],
    });
  });

  it('the CORS preflight function answers a browser preflight with 204 and no body (the API adds the headers)', async () => {
    const event = structuredClone(httpEvent) as Json & {
      headers: Record<string, string>;
      requestContext: { http: { method: string } };
    };
    event.requestContext.http.method = 'OPTIONS';
    event.routeKey = 'OPTIONS /api/{proxy+}';
    delete event.headers.authorization;
    event.headers['access-control-request-method'] = 'GET';
    event.headers['access-control-request-headers'] = 'authorization';

    expect(result(await preflight.invoke(event))).toEqual({ statusCode: 204 });
  });

  it('no function logged a token, a JWT or a client secret', () => {
    const logs = [proxy, authorizer, backend, metadata, preflight].map((fn) => fn.logs()).join('\n');

    expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
    expect(logs).not.toContain(as.clients.split.clientSecret);
    expect(logs).not.toContain(as.clients.introspector.clientSecret);
  });
});
