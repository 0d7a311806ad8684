import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../build/build-lambda-assets.ts';
import { AuthorizerEnv, readAuthorizerConfig } from '../../lambda/authorizer/config.ts';
import { SplitTokenTable } from '../../lib/split-token-table.ts';
import { TokenAuthorizer, type TokenAuthorizerProps } from '../../lib/token-authorizer.ts';

// aws-cdk-lib stages each asset once per output directory: every app in this file shares one.
const OUTDIR = mkdtempSync(join(tmpdir(), 'token-authorizer-test-'));

const REGION = 'eu-west-1';
const ACCOUNT = '111111111111';
const BASE = {
  issuer: 'https://login.example.test',
  jwksUri: 'https://login.example.test/jwks',
  audiences: ['https://api.example.test'],
} satisfies Partial<TokenAuthorizerProps>;

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly authorizer: TokenAuthorizer;
  readonly template: () => Template;
}

function build(
  props: (stack: Stack) => Partial<TokenAuthorizerProps> = () => ({}),
  region: string | null = REGION,
): Built {
  const app = new App({ outdir: OUTDIR });
  const stack = new Stack(app, 'Test', region ? { env: { account: ACCOUNT, region } } : {});
  const authorizer = new TokenAuthorizer(stack, 'Authorizer', { ...BASE, ...props(stack) } as TokenAuthorizerProps);
  return { app, stack, authorizer, template: () => Template.fromStack(stack) };
}

const withTable = (stack: Stack): Partial<TokenAuthorizerProps> => ({
  tokenTable: dynamodb.TableV2.fromTableName(stack, 'Table', 'tokens'),
});

function environmentOf(template: Template): Record<string, unknown> {
  const functions = Object.values(template.findResources('AWS::Lambda::Function'));
  expect(functions).toHaveLength(1);
  return functions[0]?.Properties.Environment.Variables;
}

function statementsOf(template: Template): Array<{ Sid?: string; Action: string | string[]; Resource: unknown }> {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement,
  );
}

const tableArn = (region: string, name = 'tokens') => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:dynamodb:${region}:${ACCOUNT}:table/${name}`]],
});

describe('TokenAuthorizer function', () => {
  const built = build(withTable);
  const template = built.template();

  it('runs the handler on the newest Node.js runtime, arm64, as a bundled ES module', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 10,
      Code: { S3Bucket: Match.anyValue(), S3Key: Match.stringLikeRegexp('\\.zip$') },
    });
  });

  it('deploys the prebuilt authorizer asset, byte for byte: an ES module exporting handler, and its source map', () => {
    const assembly = built.app.synth();
    const manifest = JSON.parse(readFileSync(join(assembly.directory, 'Test.assets.json'), 'utf8'));
    const files = Object.values(manifest.files) as Array<{ source: { path: string; packaging?: string } }>;
    const zips = files.filter((file) => file.source.packaging === 'zip');
    expect(zips).toHaveLength(1);
    const staged = join(assembly.directory, zips[0]?.source.path as string);
    const prebuilt = join(REPOSITORY_ROOT, 'assets/authorizer');
    expect(readdirSync(staged).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    for (const file of ['index.mjs', 'index.mjs.map']) {
      expect(readFileSync(join(staged, file)).equals(readFileSync(join(prebuilt, file)))).toBe(true);
    }
    const source = readFileSync(join(staged, 'index.mjs'), 'utf8');
    expect(source.startsWith("import { createRequire as __esmCreateRequire } from 'node:module';")).toBe(true);
    expect(source).toMatch(/export\s*\{[^}]*as handler/);
  });

  it('writes to its own log group with a one-month retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^AuthorizerLogGroup') } },
    });
  });

  it('passes the configuration under the handler contract names', () => {
    expect(environmentOf(template)).toEqual({
      [AuthorizerEnv.issuer]: BASE.issuer,
      [AuthorizerEnv.jwksUri]: BASE.jwksUri,
      [AuthorizerEnv.audiences]: 'https://api.example.test',
      [AuthorizerEnv.jwtValidationEnabled]: 'false',
      [AuthorizerEnv.httpApiResponseFormat]: 'simple',
      [AuthorizerEnv.tokenTableName]: 'tokens',
      [AuthorizerEnv.tokenTableKeyAttribute]: 'hashed_signature',
      [AuthorizerEnv.tokenTableRegion]: REGION,
    });
  });

  it('may only GetItem on the table in its own region (and write its own logs)', () => {
    const statements = statementsOf(template);
    expect(statements).toEqual([
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^AuthorizerLogGroup/), 'Arn'] },
      },
      { Sid: 'ReadSplitTokens', Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tableArn(REGION) },
    ]);
    expect(built.authorizer.tokenTableReadArns).toHaveLength(1);
  });

  it('has no managed policies on its role', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('has no introspection secret, extension layer or introspection settings without introspection', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { Layers: Match.absent() });
    expect(Object.keys(environmentOf(template)).filter((k) => k.startsWith('INTROSPECTION_'))).toEqual([]);
  });
});

describe('TokenAuthorizer split-token table', () => {
  it('reads the replica in a region-agnostic stack through the AWS::Region pseudo parameter', () => {
    const { template } = build(withTable, null);
    const getItem = statementsOf(template()).find((s) => s.Action === 'dynamodb:GetItem');
    expect(JSON.stringify(getItem?.Resource)).toContain('"Ref":"AWS::Region"');
  });

  it('adds GetItem on the home region table and TOKEN_TABLE_HOME_REGION for the replication-lag fallback', () => {
    const { template, authorizer } = build((stack) => ({ ...withTable(stack), tokenTableHomeRegion: 'us-east-1' }));
    const t = template();
    expect(environmentOf(t)).toMatchObject({ TOKEN_TABLE_HOME_REGION: 'us-east-1', TOKEN_TABLE_REGION: REGION });
    const getItem = statementsOf(t).find((s) => s.Action === 'dynamodb:GetItem');
    expect(getItem?.Resource).toEqual([tableArn(REGION), tableArn('us-east-1')]);
    expect(authorizer.tokenTableReadArns).toHaveLength(2);
  });

  it('ignores a home region equal to its own region', () => {
    const { template } = build((stack) => ({ ...withTable(stack), tokenTableHomeRegion: REGION }));
    const t = template();
    expect(environmentOf(t)).not.toHaveProperty('TOKEN_TABLE_HOME_REGION');
    expect(statementsOf(t).find((s) => s.Action === 'dynamodb:GetItem')?.Resource).toEqual(tableArn(REGION));
  });

  it('takes the key attribute from a SplitTokenTable and reads only GetItem on it', () => {
    const { template } = build((stack) => ({
      tokenTable: new SplitTokenTable(stack, 'Tokens', { tableName: 'split', partitionKeyName: 'token_hash' }),
      tokenHashAlgorithm: 'SHA-512',
    }));
    const t = template();
    expect(environmentOf(t)).toMatchObject({
      TOKEN_TABLE_NAME: { Ref: expect.stringMatching(/^TokensTable/) },
      TOKEN_TABLE_KEY_ATTRIBUTE: 'token_hash',
      TOKEN_HASH_ALGORITHM: 'SHA-512',
    });
    const actions = statementsOf(t).flatMap((s) => s.Action);
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:GetItem']);
  });

  it('uses the given key attribute for a plain table', () => {
    const { template } = build((stack) => ({ ...withTable(stack), tokenTableKeyAttribute: 'token_hash' }));
    expect(environmentOf(template())).toMatchObject({ TOKEN_TABLE_KEY_ATTRIBUTE: 'token_hash' });
  });

  it('has no DynamoDB permission at all without a table', () => {
    const { template } = build(() => ({ jwtValidationEnabled: true, jwtClientIds: ['mobile-app', 'partner'] }));
    const t = template();
    expect(
      statementsOf(t)
        .flatMap((s) => s.Action)
        .filter((a) => a.startsWith('dynamodb:')),
    ).toEqual([]);
    expect(environmentOf(t)).toMatchObject({ JWT_VALIDATION_ENABLED: 'true', JWT_CLIENT_IDS: 'mobile-app,partner' });
    expect(environmentOf(t)).not.toHaveProperty('TOKEN_TABLE_NAME');
  });
});

describe('TokenAuthorizer introspection', () => {
  const introspection = { endpoint: 'https://login.example.test/introspect', clientId: 'gateway' };

  it('creates a secret, grants read on it, passes only its ARN and adds the extension layer', () => {
    const { template, authorizer } = build(() => ({ introspection }));
    const t = template();
    t.resourceCountIs('AWS::SecretsManager::Secret', 1);
    expect(authorizer.introspectionClientSecret).toBeDefined();
    const env = environmentOf(t);
    expect(env).toMatchObject({
      INTROSPECTION_ENDPOINT: introspection.endpoint,
      INTROSPECTION_CLIENT_ID: 'gateway',
      INTROSPECTION_CLIENT_SECRET_ARN: { Ref: expect.stringMatching(/^AuthorizerIntrospectionClientSecret/) },
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '2773',
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Layers: [
        Match.stringLikeRegexp(
          `^arn:aws:lambda:${REGION}:\\d+:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:\\d+$`,
        ),
      ],
    });
    const read = statementsOf(t).find((s) => JSON.stringify(s.Action).includes('secretsmanager:GetSecretValue'));
    expect(read?.Resource).toEqual({ Ref: expect.stringMatching(/^AuthorizerIntrospectionClientSecret/) });
  });

  it('never puts the secret value in the environment', () => {
    const { template } = build(() => ({ introspection }));
    const t = template();
    const env = environmentOf(t);
    const generated = JSON.stringify(t.findResources('AWS::SecretsManager::Secret'));
    expect(generated).toContain('GenerateSecretString');
    expect(generated).not.toMatch(/"SecretString"/);
    const secretish = Object.keys(env).filter(
      (k) => /SECRET/.test(k) && !/_ARN$|^PARAMETERS_SECRETS_|^SECRETS_MANAGER_/.test(k),
    );
    expect(secretish).toEqual([]);
  });

  it('uses an existing secret without creating one', () => {
    const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:gateway-client-AbCdEf`;
    const { template } = build((stack) => ({
      introspection: {
        ...introspection,
        existingClientSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Existing', arn),
      },
    }));
    const t = template();
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(environmentOf(t)).toMatchObject({ INTROSPECTION_CLIENT_SECRET_ARN: arn });
    const read = statementsOf(t).find((s) => JSON.stringify(s.Action).includes('secretsmanager:GetSecretValue'));
    expect(read?.Resource).toBe(arn);
  });

  it('passes clientSecretProps to the created secret', () => {
    const { template } = build(() => ({
      introspection: { ...introspection, clientSecretProps: { secretName: 'gateway/introspection-client' } },
    }));
    template().hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'gateway/introspection-client' });
  });

  it('passes the optional introspection settings', () => {
    const { template } = build(() => ({
      introspection: {
        ...introspection,
        clientAuthMethod: 'client_secret_post',
        responseFormat: 'jwt',
        responseAudience: 'gateway-aud',
        timeout: Duration.millis(1500),
        ratePerSecond: 20,
        burst: 40,
      },
    }));
    expect(environmentOf(template())).toMatchObject({
      INTROSPECTION_CLIENT_AUTH_METHOD: 'client_secret_post',
      INTROSPECTION_RESPONSE_FORMAT: 'jwt',
      INTROSPECTION_RESPONSE_AUDIENCE: 'gateway-aud',
      INTROSPECTION_TIMEOUT_MS: '1500',
      INTROSPECTION_RATE_PER_SECOND: '20',
      INTROSPECTION_BURST: '40',
    });
  });

  it('passes the flood and token-kind settings so that the handler reads back the same settings', async () => {
    const tokenShape = { prefix: '_0XBPWQQ_', minLength: 45, maxLength: 45, charset: 'uuid' } as const;
    const { template } = build(() => ({
      introspection: {
        ...introspection,
        sourceRatePerSecond: 3,
        sourceBurst: 6,
        maxSources: 500,
        tokenShape,
        requireAudience: false,
      },
    }));
    const env = environmentOf(template()) as Record<string, string>;
    const stringEnv = Object.fromEntries(Object.entries(env).filter(([, value]) => typeof value === 'string'));

    const config = await readAuthorizerConfig(
      { ...stringEnv, [AuthorizerEnv.introspectionClientSecretArn]: 'arn:aws:secretsmanager:x' },
      async () => 'secret',
    );

    expect(env).toMatchObject({
      INTROSPECTION_SOURCE_RATE_PER_SECOND: '3',
      INTROSPECTION_SOURCE_BURST: '6',
      INTROSPECTION_MAX_SOURCES: '500',
      INTROSPECTION_TOKEN_PREFIX: '_0XBPWQQ_',
      INTROSPECTION_TOKEN_MIN_LENGTH: '45',
      INTROSPECTION_TOKEN_MAX_LENGTH: '45',
      INTROSPECTION_TOKEN_CHARSET: 'uuid',
      INTROSPECTION_REQUIRE_AUDIENCE: 'false',
    });
    expect(config.introspection).toMatchObject({
      sourceRatePerSecond: 3,
      sourceBurst: 6,
      maxSources: 500,
      tokenShape,
      requireAudience: false,
    });
  });

  it('leaves the audience requirement and the token shape to the handler defaults when not given', () => {
    const { template } = build(() => ({ introspection }));
    const env = environmentOf(template());

    for (const name of [
      'INTROSPECTION_REQUIRE_AUDIENCE',
      'INTROSPECTION_TOKEN_PREFIX',
      'INTROSPECTION_TOKEN_MIN_LENGTH',
      'INTROSPECTION_TOKEN_MAX_LENGTH',
      'INTROSPECTION_TOKEN_CHARSET',
    ]) {
      expect(env).not.toHaveProperty(name);
    }
  });

  it('refuses a token shape that can describe no token', () => {
    expect(() =>
      build(() => ({
        introspection: { ...introspection, tokenShape: { minLength: 50, maxLength: 40, charset: 'hex' } },
      })),
    ).toThrow(/introspection.tokenShape describes no token/);
  });

  it('refuses existingClientSecret together with clientSecretProps', () => {
    expect(() =>
      build((stack) => ({
        introspection: {
          ...introspection,
          existingClientSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'S', 'x'),
          clientSecretProps: {},
        },
      })),
    ).toThrow(/existingClientSecret and introspection.clientSecretProps cannot both be set/);
  });
});

describe('TokenAuthorizer settings', () => {
  it('maps every optional setting to its environment variable, durations in the documented units', () => {
    const { template } = build((stack) => ({
      ...withTable(stack),
      audiences: ['a', 'b'],
      allowedAlgorithms: ['ES256', 'EdDSA'],
      requiredTokenType: 'at+jwt',
      clockSkew: Duration.seconds(10),
      dynamoDbTimeout: Duration.millis(800),
      routeScopes: [{ method: 'GET', path: '/orders/{id}', scopes: ['orders:read'] }],
      defaultScopes: ['api'],
      cacheTtl: Duration.minutes(2),
      cacheMaxEntries: 500,
      maxHeaderLength: 2048,
      jwksTimeout: Duration.seconds(2),
      jwksCooldown: Duration.minutes(1),
      logLevel: 'warn',
    }));
    expect(environmentOf(template())).toMatchObject({
      AUDIENCE: 'a,b',
      ALLOWED_ALGORITHMS: 'ES256,EdDSA',
      REQUIRED_TOKEN_TYPE: 'at+jwt',
      CLOCK_SKEW_SECONDS: '10',
      DYNAMODB_TIMEOUT_MS: '800',
      ROUTE_SCOPES: '[{"method":"GET","path":"/orders/{id}","scopes":["orders:read"]}]',
      DEFAULT_SCOPES: 'api',
      CACHE_TTL_SECONDS: '120',
      CACHE_MAX_ENTRIES: '500',
      MAX_HEADER_LENGTH: '2048',
      JWKS_TIMEOUT_MS: '2000',
      JWKS_COOLDOWN_MS: '60000',
      LOG_LEVEL: 'warn',
    });
  });

  it('applies memory, timeout and reserved concurrency', () => {
    const { template } = build((stack) => ({
      ...withTable(stack),
      memorySize: 1024,
      timeout: Duration.seconds(5),
      reservedConcurrentExecutions: 50,
    }));
    template().hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1024,
      Timeout: 5,
      ReservedConcurrentExecutions: 50,
    });
  });

  it('uses an existing log group', () => {
    const { template } = build((stack) => ({
      ...withTable(stack),
      existingLogGroup: logs.LogGroup.fromLogGroupName(stack, 'Logs', '/custom/authorizer'),
    }));
    const t = template();
    t.resourceCountIs('AWS::Logs::LogGroup', 0);
    t.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: '/custom/authorizer' } });
  });

  it('applies logGroupProps', () => {
    const { template } = build((stack) => ({
      ...withTable(stack),
      logGroupProps: { retention: logs.RetentionDays.ONE_WEEK },
    }));
    template().hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  it.each<[string, (stack: Stack) => Partial<TokenAuthorizerProps>, RegExp]>([
    [
      'existingLogGroup with logGroupProps',
      (stack) => ({
        ...withTable(stack),
        existingLogGroup: logs.LogGroup.fromLogGroupName(stack, 'L', 'x'),
        logGroupProps: {},
      }),
      /existingLogGroup and logGroupProps cannot both be set/,
    ],
    [
      'an http issuer',
      (stack) => ({ ...withTable(stack), issuer: 'http://login.example.test' }),
      /issuer must be an https URL/,
    ],
    [
      'a JWKS URI that is no URL',
      (stack) => ({ ...withTable(stack), jwksUri: 'jwks' }),
      /jwksUri must be an https URL/,
    ],
    ['no audience', (stack) => ({ ...withTable(stack), audiences: [] }), /audiences must be a non-empty list/],
    [
      'HMAC algorithms',
      (stack) => ({ ...withTable(stack), allowedAlgorithms: ['HS256'] }),
      /must not contain none or HMAC/,
    ],
    ['alg none', (stack) => ({ ...withTable(stack), allowedAlgorithms: ['none'] }), /must not contain none or HMAC/],
    ['no way to resolve tokens', () => ({}), /nothing can resolve a token/],
    [
      'a home region without a table',
      () => ({ jwtValidationEnabled: true, jwtClientIds: ['mobile-app'], tokenTableHomeRegion: 'us-east-1' }),
      /tokenTableHomeRegion requires tokenTable/,
    ],
    [
      'JWT validation without the clients meant to hold JWTs',
      () => ({ jwtValidationEnabled: true }),
      /requires jwtClientIds/,
    ],
    [
      'JWT clients without JWT validation',
      (stack) => ({ ...withTable(stack), jwtClientIds: ['mobile-app'] }),
      /jwtClientIds requires jwtValidationEnabled/,
    ],
    [
      'a JWT client id with a comma',
      () => ({ jwtValidationEnabled: true, jwtClientIds: ['a,b'] }),
      /jwtClientIds must not contain empty values or commas/,
    ],
    [
      'a key attribute contradicting the SplitTokenTable',
      (stack) => ({ tokenTable: new SplitTokenTable(stack, 'T'), tokenTableKeyAttribute: 'other' }),
      /contradicts the SplitTokenTable's partition key/,
    ],
    [
      'a route rule with an unknown method',
      (stack) => ({ ...withTable(stack), routeScopes: [{ method: 'FETCH', path: '/x', scopes: ['a'] }] }),
      /unknown method 'FETCH'/,
    ],
    [
      'a route path without a leading slash',
      (stack) => ({ ...withTable(stack), routeScopes: [{ method: 'GET', path: 'x', scopes: ['a'] }] }),
      /must start with '\/'/,
    ],
    [
      'a route rule the authorizer would refuse at init (a literal with an escape, empty acrValues)',
      (stack) => ({
        ...withTable(stack),
        routeScopes: [
          { method: 'GET', path: '/orders/%2F', scopes: ['a'] },
          { method: 'GET', path: '/x', scopes: ['a'], acrValues: [] },
        ],
      }),
      /routeScopes: GET \/orders\/%2F: segment %2F must be a plain literal/,
    ],
    [
      'a REST cache time over an hour',
      (stack) => ({ ...withTable(stack), restResultsCacheTtl: Duration.hours(2) }),
      /restResultsCacheTtl must be at most one hour/,
    ],
    [
      'an introspection endpoint without https',
      () => ({ introspection: { endpoint: 'http://as/introspect', clientId: 'c' } }),
      /introspection.endpoint must be an https URL/,
    ],
    [
      'an environment over 4 KB',
      (stack) => ({
        ...withTable(stack),
        routeScopes: Array.from({ length: 80 }, (_, i) => ({
          method: 'GET',
          path: `/route/${i}`,
          scopes: ['scope:read'],
        })),
      }),
      /over Lambda's 4 KB limit/,
    ],
  ])('refuses %s', (_name, props, error) => {
    expect(() => build(props)).toThrow(error);
  });
});

describe('TokenAuthorizer API Gateway authorizers', () => {
  it('gives REST APIs a REQUEST authorizer keyed by the token, the method and the path, cached for 30 seconds', () => {
    const { stack, authorizer, template } = build(withTable);
    const api = new apigateway.RestApi(stack, 'Api');
    api.root.addMethod('GET', new apigateway.MockIntegration(), { authorizer: authorizer.restAuthorizer });
    const t = template();
    t.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization,context.httpMethod,context.path',
      AuthorizerResultTtlInSeconds: 30,
    });
    t.hasResourceProperties('AWS::ApiGateway::Method', { AuthorizationType: 'CUSTOM' });
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
    });
    expect(authorizer.restAuthorizer).toBe(authorizer.restAuthorizer);
  });

  it('gives HTTP APIs a simple-response authorizer keyed by the token, the method and the path', () => {
    const { stack, authorizer, template } = build(withTable);
    const api = new apigatewayv2.HttpApi(stack, 'Api', { defaultAuthorizer: authorizer.httpAuthorizer });
    api.addRoutes({ path: '/x', integration: new HttpUrlIntegration('X', 'https://example.test') });
    template().hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization', '$context.httpMethod', '$context.path'],
      AuthorizerResultTtlInSeconds: 30,
    });
  });

  it('uses the configured cache times', () => {
    const { stack, authorizer, template } = build((s) => ({
      ...withTable(s),
      restResultsCacheTtl: Duration.seconds(0),
      httpResultsCacheTtl: Duration.seconds(30),
    }));
    const rest = new apigateway.RestApi(stack, 'Rest');
    rest.root.addMethod('GET', new apigateway.MockIntegration(), { authorizer: authorizer.restAuthorizer });
    const http = new apigatewayv2.HttpApi(stack, 'Http', { defaultAuthorizer: authorizer.httpAuthorizer });
    http.addRoutes({ path: '/x', integration: new HttpUrlIntegration('X', 'https://example.test') });
    const t = template();
    t.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerResultTtlInSeconds: 30 });
  });

  it('states its staleness bounds from the same cache times it deploys', () => {
    const { authorizer } = build((s) => ({
      ...withTable(s),
      cacheTtl: Duration.seconds(20),
      clockSkew: Duration.seconds(5),
      restResultsCacheTtl: Duration.seconds(40),
    }));

    // Revocation: in-memory 20 s + gateway 40 s (REST) or the 30 s default (HTTP); expiry: skew + gateway.
    expect(authorizer.revocationBound('rest').toSeconds()).toBe(60);
    expect(authorizer.revocationBound('http').toSeconds()).toBe(50);
    expect(authorizer.expiryBound('rest').toSeconds()).toBe(45);
    expect(authorizer.expiryBound('http').toSeconds()).toBe(35);
  });

  it('turns every cache off with strictCaching, so answers are exact to exp and revocation', () => {
    const { stack, authorizer, template } = build((s) => ({ ...withTable(s), strictCaching: true }));
    const rest = new apigateway.RestApi(stack, 'Rest');
    rest.root.addMethod('GET', new apigateway.MockIntegration(), { authorizer: authorizer.restAuthorizer });
    const t = template();

    t.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CACHE_TTL_SECONDS: '0' }) },
    });
    expect(authorizer.revocationBound('rest').toSeconds()).toBe(0);
    expect(authorizer.expiryBound('http').toSeconds()).toBe(30);
    expect(() => build((s) => ({ ...withTable(s), strictCaching: true, cacheTtl: Duration.seconds(5) }))).toThrow(
      /strictCaching/,
    );
  });

  it('with senderConstrainedTokens, turns API Gateway’s result cache off, keeps the in-memory cache and configures DPoP', () => {
    const { stack, authorizer, template } = build((s) => ({
      ...withTable(s),
      senderConstrainedTokens: { dpopAlgorithms: ['ES256'], proofMaxAge: Duration.seconds(30) },
    }));
    const rest = new apigateway.RestApi(stack, 'Rest');
    rest.root.addMethod('GET', new apigateway.MockIntegration(), { authorizer: authorizer.restAuthorizer });
    const t = template();

    t.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
    expect(environmentOf(t)).toMatchObject({
      DPOP_ENABLED: 'true',
      DPOP_ALGORITHMS: 'ES256',
      DPOP_PROOF_MAX_AGE_SECONDS: '30',
    });
    expect(environmentOf(t).CACHE_TTL_SECONDS).toBeUndefined();
    expect(environmentOf(t).DPOP_REPLAY_TABLE_NAME).toBeUndefined();
    expect(statementsOf(t).map((statement) => statement.Sid)).not.toContain('RecordDpopProofs');
    expect(authorizer.dpopAlgorithms).toEqual(['ES256']);
  });

  it('refuses senderConstrainedTokens with a result cache time, or a proof window over five minutes', () => {
    expect(() =>
      build((s) => ({ ...withTable(s), senderConstrainedTokens: true, restResultsCacheTtl: Duration.seconds(5) })),
    ).toThrow(/result cache off/);
    expect(() =>
      build((s) => ({ ...withTable(s), senderConstrainedTokens: { proofMaxAge: Duration.minutes(6) } })),
    ).toThrow(/proofMaxAge/);
  });

  it('creates further authorizers for more APIs', () => {
    const { stack, authorizer, template } = build(withTable);
    for (const id of ['A', 'B']) {
      const api = new apigateway.RestApi(stack, `Api${id}`);
      api.root.addMethod('GET', new apigateway.MockIntegration(), {
        authorizer: id === 'A' ? authorizer.restAuthorizer : authorizer.createRestAuthorizer('Second'),
      });
    }
    template().resourceCountIs('AWS::ApiGateway::Authorizer', 2);
  });

  it('creates no API Gateway authorizer until one is used', () => {
    const { template } = build(withTable);
    template().resourceCountIs('AWS::ApiGateway::Authorizer', 0);
    template().resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });
});
