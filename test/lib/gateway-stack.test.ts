import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildExampleApp } from '../../lib/example-app.ts';
import { readExampleAppConfig } from '../../lib/example-config.ts';
import { GatewayStack } from '../../lib/gateway-stack.ts';

// One output directory for every app in this file: aws-cdk-lib stages each asset once.
const OUTDIR = mkdtempSync(join(tmpdir(), 'gateway-stack-test-'));

function exampleApp(context: Record<string, unknown> = {}) {
  const app = new App({ outdir: OUTDIR, context });
  return buildExampleApp(app, { nag: false });
}

/** The table's ARN in `region`, as a replica region's stack writes it (table name known). */
const tableArn = (region: string, account?: string) => ({
  'Fn::Join': [
    '',
    account
      ? ['arn:', { Ref: 'AWS::Partition' }, `:dynamodb:${region}:${account}:table/opaque-token-gateway-split-tokens`]
      : [
          'arn:',
          { Ref: 'AWS::Partition' },
          `:dynamodb:${region}:`,
          { Ref: 'AWS::AccountId' },
          ':table/opaque-token-gateway-split-tokens',
        ],
  ],
});

/** The table's ARN in the home region's own stack (name from the table resource). */
const homeTableArn = (region: string, account: unknown = { Ref: 'AWS::AccountId' }) => ({
  'Fn::Join': [
    '',
    typeof account === 'string'
      ? [
          'arn:',
          { Ref: 'AWS::Partition' },
          `:dynamodb:${region}:${account}:table/`,
          { Ref: expect.stringMatching(/^SplitTokenTable/) },
        ]
      : [
          'arn:',
          { Ref: 'AWS::Partition' },
          `:dynamodb:${region}:`,
          account,
          ':table/',
          { Ref: expect.stringMatching(/^SplitTokenTable/) },
        ],
  ],
});

/** The resources of the authorizer role's only DynamoDB statement, which must be GetItem. */
function getItemResources(template: Template): unknown {
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes('TokenAuthorizerRole'))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
  const dynamo = statements.filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
  expect(dynamo).toHaveLength(1);
  expect(dynamo[0].Action).toBe('dynamodb:GetItem');
  return dynamo[0].Resource;
}

describe('example app with demo defaults', () => {
  const { home, stacks } = exampleApp();
  const [homeTemplate, euTemplate] = stacks.map((stack) => Template.fromStack(stack));
  if (!homeTemplate || !euTemplate) throw new Error('expected two stacks');

  it('has one stack per region, with explicit regions, the others after the home region', () => {
    expect(stacks.map((s) => [s.stackName, s.region])).toEqual([
      ['OpaqueTokenGateway-us-east-1', 'us-east-1'],
      ['OpaqueTokenGateway-eu-west-1', 'eu-west-1'],
    ]);
    expect(stacks[1]?.dependencies).toContain(home);
  });

  it('puts the global table with its replica in the home region only', () => {
    homeTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'opaque-token-gateway-split-tokens',
      Replicas: Match.arrayWith([Match.objectLike({ Region: 'eu-west-1' }), Match.objectLike({ Region: 'us-east-1' })]),
    });
    euTemplate.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
  });

  it("lets each region's authorizer GetItem on its local replica only", () => {
    expect(getItemResources(homeTemplate)).toEqual(homeTableArn('us-east-1'));
    expect(getItemResources(euTemplate)).toEqual(tableArn('eu-west-1'));
  });

  it('tells each authorizer to read its own region', () => {
    for (const [template, region, tableName] of [
      [homeTemplate, 'us-east-1', { Ref: Match.stringLikeRegexp('^SplitTokenTable') }],
      [euTemplate, 'eu-west-1', 'opaque-token-gateway-split-tokens'],
    ] as const) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            TOKEN_TABLE_NAME: tableName,
            TOKEN_TABLE_REGION: region,
            TOKEN_TABLE_HOME_REGION: Match.absent(),
          }),
        },
      });
    }
  });

  it('creates an introspection secret per region and passes only its ARN', () => {
    for (const template of [homeTemplate, euTemplate]) {
      template.resourceCountIs('AWS::SecretsManager::Secret', 1);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            INTROSPECTION_CLIENT_SECRET_ARN: { Ref: Match.stringLikeRegexp('IntrospectionClientSecret') },
          }),
        },
      });
    }
  });

  it('runs the zero-trust backend with the issuer settings', () => {
    homeTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Example backend'),
      Runtime: 'nodejs24.x',
      Environment: {
        Variables: Match.objectLike({
          ISSUER: 'https://login.example.test',
          JWKS_URI: 'https://login.example.test/.well-known/jwks.json',
          AUDIENCE: 'https://api.example.test',
        }),
      },
    });
  });

  it('protects every REST method with the authorizer but the public RFC 9728 metadata, a mock integration', () => {
    const methods = Object.values(homeTemplate.findResources('AWS::ApiGateway::Method'));
    const [publicMethods, protectedMethods] = [
      methods.filter((method) => method.Properties.AuthorizationType === 'NONE'),
      methods.filter((method) => method.Properties.AuthorizationType !== 'NONE'),
    ];
    expect(protectedMethods.length).toBeGreaterThan(0);
    for (const method of protectedMethods) {
      expect(method.Properties.AuthorizationType).toBe('CUSTOM');
      expect(method.Properties.AuthorizerId).toEqual({ Ref: expect.stringMatching(/RestAuthorizer/) });
    }
    expect(publicMethods).toHaveLength(1);
    expect(publicMethods[0]?.Properties).toMatchObject({ HttpMethod: 'GET', Integration: { Type: 'MOCK' } });
    const document = JSON.parse(
      JSON.stringify(
        publicMethods[0]?.Properties.Integration.IntegrationResponses[0].ResponseTemplates['application/json'],
      ),
    );
    expect(JSON.stringify(document)).toContain('\\"authorization_servers\\":[\\"https://login.example.test\\"]');
    expect(JSON.stringify(document)).toContain('\\"bearer_methods_supported\\":[\\"header\\"]');
  });

  it('serves the example routes on the REST API: a catch-all, an ANY route and a path parameter', () => {
    const resources = Object.values(homeTemplate.findResources('AWS::ApiGateway::Resource')).map(
      (resource) => resource.Properties.PathPart,
    );
    const methods = Object.values(homeTemplate.findResources('AWS::ApiGateway::Method')).map(
      (method) => method.Properties.HttpMethod,
    );

    expect(resources.sort()).toEqual([
      '.well-known',
      'claims',
      'oauth-protected-resource',
      'orders',
      '{id}',
      '{proxy+}',
    ]);
    expect(methods.sort()).toEqual(['ANY', 'ANY', 'GET', 'GET', 'GET']);
  });

  it('replaces Authorization with the JWT from the context on the REST HTTP integration', () => {
    homeTemplate.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'ANY',
      Integration: {
        Type: 'HTTP_PROXY',
        Uri: 'https://httpbin.org/anything',
        RequestParameters: {
          'integration.request.header.Authorization': 'context.authorizer.authorization',
          'integration.request.header.X-Token-Type': 'context.authorizer.tokenType',
        },
      },
    });
    homeTemplate.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      Integration: { Type: 'AWS_PROXY' },
    });
  });

  it('answers 401 and 403 with static RFC 6750 challenges, and the needed scope in the 403 body from the Deny', () => {
    for (const [type, status, error] of [
      ['UNAUTHORIZED', '401', 'invalid_token'],
      ['ACCESS_DENIED', '403', 'insufficient_scope'],
    ]) {
      homeTemplate.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        StatusCode: status,
        ResponseParameters: Match.objectLike({
          'gatewayresponse.header.WWW-Authenticate': {
            'Fn::Join': [
              '',
              [
                `'Bearer realm="OpaqueTokenGateway-rest", error="${error}", resource_metadata="https://`,
                { Ref: Match.stringLikeRegexp('^RestApi') },
                '.execute-api.us-east-1.',
                { Ref: 'AWS::URLSuffix' },
                `/v1/.well-known/oauth-protected-resource"'`,
              ],
            ],
          },
          'gatewayresponse.header.Content-Type': "'application/json'",
        }),
      });
    }
    homeTemplate.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"scope":"\\$context.authorizer.scope"') },
    });
    homeTemplate.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"error":"invalid_token"') },
    });
  });

  it('logs access on both APIs without data tracing', () => {
    homeTemplate.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('authorizerError') },
      MethodSettings: [Match.objectLike({ DataTraceEnabled: false, LoggingLevel: 'ERROR' })],
    });
    homeTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('routeKey') },
    });
    const formats = JSON.stringify([
      homeTemplate.findResources('AWS::ApiGateway::Stage'),
      homeTemplate.findResources('AWS::ApiGatewayV2::Stage'),
    ]);
    expect(formats).not.toMatch(/authorizer\.(jwt|authorization)/);
  });

  it('puts every HTTP API route behind the authorizer but the public RFC 9728 metadata, with its own integration', () => {
    const routes = Object.values(homeTemplate.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual([
      'ANY /orders',
      'ANY /{proxy+}',
      'GET /.well-known/oauth-protected-resource',
      'GET /claims',
      'GET /orders/{id}',
    ]);
    for (const route of routes) {
      const isPublic = route.Properties.RouteKey === 'GET /.well-known/oauth-protected-resource';
      expect(route.Properties.AuthorizationType).toBe(isPublic ? 'NONE' : 'CUSTOM');
    }
  });

  it('with senderConstrainedTokens, turns both result caches off, names DPoP in the 401 and may add a replay table it can only PutItem on', () => {
    const { home } = exampleApp({ senderConstrainedTokens: 'true', dpopReplayTable: 'true' });
    const template = Template.fromStack(home);

    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DPOP_ENABLED: 'true', DPOP_REPLAY_TABLE_NAME: Match.anyValue() }) },
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'proof_id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes('TokenAuthorizerRole'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Sid?: string; Action: unknown }[]);
    expect(statements.find((statement) => statement.Sid === 'RecordDpopProofs')?.Action).toBe('dynamodb:PutItem');
    const unauthorized = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).find(
      (response) => response.Properties.ResponseType === 'UNAUTHORIZED',
    );
    expect(JSON.stringify(unauthorized)).toContain(
      'DPoP realm=\\"OpaqueTokenGateway-rest\\", error=\\"invalid_token\\", algs=\\"ES256 EdDSA Ed25519 RS256 PS256\\"',
    );
  });

  it('with a mutual TLS domain: regional, TLS 1.2, the truststore, the API mapped, its execute-api endpoint off', () => {
    const { home } = exampleApp({
      restMtlsDomainName: 'api.example.test',
      restMtlsCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
      restMtlsTruststoreUri: 's3://truststore-bucket/clients/ca.pem',
      restMtlsTruststoreVersion: 'v3',
    });
    const template = Template.fromStack(home);

    template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'api.example.test',
      SecurityPolicy: 'TLS_1_2',
      EndpointConfiguration: { Types: ['REGIONAL'] },
      MutualTlsAuthentication: { TruststoreUri: 's3://truststore-bucket/clients/ca.pem', TruststoreVersion: 'v3' },
    });
    template.hasResourceProperties('AWS::ApiGateway::BasePathMapping', { DomainName: Match.anyValue() });
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: true });
  });

  it('maps the JWT into a dedicated header on the HTTP API HTTP integration', () => {
    homeTemplate.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'HTTP_PROXY',
      IntegrationUri: 'https://httpbin.org/anything',
      RequestParameters: {
        'overwrite:header.x-verified-jwt': '$context.authorizer.jwt',
        'overwrite:header.x-token-type': '$context.authorizer.tokenType',
      },
    });
    homeTemplate.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
  });

  it('alarms on replication latency in the home region only', () => {
    const replication = (template: Template) =>
      Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
        JSON.stringify(a).includes('ReplicationLatency'),
      );
    expect(replication(homeTemplate)).toHaveLength(1);
    expect(replication(euTemplate)).toHaveLength(0);
    for (const template of [homeTemplate, euTemplate]) {
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DependencyFailures' });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles' });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', ExtendedStatistic: 'p99' });
    }
  });

  it('outputs the API URLs', () => {
    homeTemplate.hasOutput('RestApiUrl', {});
    homeTemplate.hasOutput('HttpApiUrl', {});
  });

  it('runs the token endpoint proxy next to the table in the home region only, in front of the issuer', () => {
    homeTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          UPSTREAM_TOKEN_ENDPOINT: 'https://login.example.test/token',
          UPSTREAM_REVOCATION_ENDPOINT: 'https://login.example.test/revoke',
        }),
      },
    });
    homeTemplate.hasOutput('TokenEndpointUrl', {});
    homeTemplate.resourceCountIs('AWS::Lambda::Url', 1);
    euTemplate.resourceCountIs('AWS::Lambda::Url', 0);
  });
});

describe('example app with CORS for a page on http://localhost:5173 (cdk.json)', () => {
  const page = 'http://localhost:5173';
  const { home } = exampleApp({ corsAllowedOrigins: page });
  const template = Template.fromStack(home);
  const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties);

  it('answers REST preflights with public OPTIONS MOCK methods, one per route resource, and nothing else public but the metadata', () => {
    const options = methods.filter((m) => m.HttpMethod === 'OPTIONS');
    expect(options).toHaveLength(5);
    for (const method of options) {
      expect(method.AuthorizationType).toBe('NONE');
      expect(method.Integration.Type).toBe('MOCK');
      expect(method.Integration.IntegrationResponses[0].ResponseParameters).toMatchObject({
        'method.response.header.Access-Control-Allow-Origin': `'${page}'`,
        'method.response.header.Access-Control-Allow-Headers': "'Authorization,DPoP,Content-Type'",
      });
    }
    const otherPublic = methods.filter((m) => m.HttpMethod !== 'OPTIONS' && m.AuthorizationType === 'NONE');
    expect(otherPublic.map((m) => m.Integration.Type)).toEqual(['MOCK']);
    for (const method of methods.filter((m) => ['AWS_PROXY', 'HTTP_PROXY'].includes(m.Integration.Type))) {
      expect(method.AuthorizationType).toBe('CUSTOM');
    }
  });

  it('lets the page read REST 401s and 403s: the origin on the gateway responses', () => {
    for (const type of ['UNAUTHORIZED', 'ACCESS_DENIED', 'DEFAULT_4XX', 'DEFAULT_5XX']) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Access-Control-Allow-Origin': `'${page}'` }),
      });
    }
  });

  it('gives the HTTP API its CORS configuration and a public OPTIONS route per path on the preflight function', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({
        AllowOrigins: [page],
        AllowHeaders: ['Authorization', 'DPoP', 'Content-Type'],
      }),
    });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    const options = routes.filter((r) => r.RouteKey.startsWith('OPTIONS '));
    expect(options.map((r) => r.RouteKey).sort()).toEqual([
      'OPTIONS /.well-known/oauth-protected-resource',
      'OPTIONS /claims',
      'OPTIONS /orders',
      'OPTIONS /orders/{id}',
      'OPTIONS /{proxy+}',
    ]);
    expect(new Set(options.map((r) => r.AuthorizationType))).toEqual(new Set(['NONE']));
    expect(new Set(options.map((r) => JSON.stringify(r.Target))).size).toBe(1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('CORS preflight'),
      MemorySize: 128,
    });
  });

  it('tells the example backend which page may read its answers (REST proxy answers carry no gateway CORS)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Example backend'),
      Environment: {
        Variables: Match.objectLike({ CORS_ALLOWED_ORIGINS: page, CORS_EXPOSE_HEADERS: 'WWW-Authenticate' }),
      },
    });
  });

  it('keeps the same outputs', () => {
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(
      Object.keys(Template.fromStack(exampleApp().home).findOutputs('*')).sort(),
    );
  });
});

describe('example app with clients meant to hold JWTs', () => {
  it('feeds one list to the proxy (not split) and to the authorizer (the only plain JWTs accepted)', () => {
    const { stacks } = exampleApp({ jwtValidation: 'true', jwtClientIds: 'mobile-app,partner' });
    const [home, eu] = stacks.map((stack) => Template.fromStack(stack));
    const variables = (template: Template | undefined) =>
      Object.values(template?.findResources('AWS::Lambda::Function') ?? {}).map(
        (fn) => (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>,
      );

    const proxies = variables(home).filter((env) => 'UPSTREAM_TOKEN_ENDPOINT' in env);
    const authorizers = [...variables(home), ...variables(eu)].filter((env) => 'JWT_VALIDATION_ENABLED' in env);

    expect(proxies.map((env) => env.PASS_THROUGH_CLIENT_IDS)).toEqual(['mobile-app,partner']);
    expect(authorizers.map((env) => [env.JWT_VALIDATION_ENABLED, env.JWT_CLIENT_IDS])).toEqual([
      ['true', 'mobile-app,partner'],
      ['true', 'mobile-app,partner'],
    ]);
  });
});

describe('example app with the authorization server front', () => {
  const { stacks } = exampleApp({
    frontDomainName: 'login.example.com',
    frontUpstreamOrigin: 'https://keycloak.internal.example.com',
    frontHostedZoneId: 'Z0123456789ABCDEFGHIJ',
    frontHostedZoneName: 'example.com',
    tokenPath: '/realms/demo/protocol/openid-connect/token',
    revocationPath: '/realms/demo/protocol/openid-connect/revoke',
    issuer: 'https://login.example.com/realms/demo',
  });
  const [home, eu] = stacks.map((stack) => Template.fromStack(stack));

  it('serves the issuer’s origin from the home region on the custom domain, in front of the server', () => {
    home?.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'login.example.com' });
    home?.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          UPSTREAM_ORIGIN: 'https://keycloak.internal.example.com',
          TOKEN_PATH: '/realms/demo/protocol/openid-connect/token',
          REVOCATION_PATH: '/realms/demo/protocol/openid-connect/revoke',
        }),
      },
    });
    home?.hasOutput('IssuerUrl', { Value: 'https://login.example.com' });
    home?.hasOutput('TokenEndpointUrl', {
      Value: 'https://login.example.com/realms/demo/protocol/openid-connect/token',
    });
    home?.hasOutput('FrontTargetDomainName', {});
    home?.resourceCountIs('AWS::Lambda::Url', 0);
    eu?.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
  });

  it('has every region’s authorizer expect the issuer the server has behind the front', () => {
    for (const template of [home, eu]) {
      template?.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ ISSUER: 'https://login.example.com/realms/demo' }) },
      });
    }
  });
});

describe('example app without the token endpoint proxy', () => {
  it("deploys no proxy when upstreamTokenEndpoint is 'off'", () => {
    const { stacks } = exampleApp({ upstreamTokenEndpoint: 'off' });

    for (const stack of stacks) Template.fromStack(stack).resourceCountIs('AWS::Lambda::Url', 0);
  });
});

describe('example app with real-use context', () => {
  const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gateway-client-AbCdEf';
  const topicArn = 'arn:aws:sns:eu-west-1:123456789012:gateway-alarms';
  const { stacks } = exampleApp({
    account: '123456789012',
    homeRegion: 'eu-west-1',
    regions: 'eu-west-1,us-east-1,ap-southeast-2',
    issuerPrincipalArn: 'arn:aws:iam::999999999999:user/curity-token-publisher',
    issuerExternalId: 'curity-publisher',
    homeRegionFallback: 'true',
    introspectionSecretArn: secretArn,
    alarmTopicArn: topicArn,
    apiGatewayCloudWatchRole: 'false',
  });
  const templates = stacks.map((stack) => Template.fromStack(stack));
  const [home, us, ap] = templates;
  if (!home || !us || !ap) throw new Error('expected three stacks');

  it('adds the issuer role for an authorization server outside AWS', () => {
    home.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { AWS: 'arn:aws:iam::999999999999:user/curity-token-publisher' },
            Condition: { StringEquals: { 'sts:ExternalId': 'curity-publisher' } },
          }),
        ],
      },
    });
    home.hasOutput('IssuerRoleArn', {});
  });

  it('lets replica regions also read the home region when the fallback is on', () => {
    expect(getItemResources(home)).toEqual(homeTableArn('eu-west-1', '123456789012'));
    expect(getItemResources(us)).toEqual([
      tableArn('us-east-1', '123456789012'),
      tableArn('eu-west-1', '123456789012'),
    ]);
    us.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TOKEN_TABLE_HOME_REGION: 'eu-west-1' }) },
    });
  });

  it("uses the replicated secret's ARN in each region without creating secrets", () => {
    for (const [template, region] of [
      [home, 'eu-west-1'],
      [us, 'us-east-1'],
      [ap, 'ap-southeast-2'],
    ] as const) {
      template.resourceCountIs('AWS::SecretsManager::Secret', 0);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ INTROSPECTION_CLIENT_SECRET_ARN: secretArn.replace('eu-west-1', region) }),
        },
      });
    }
  });

  it('sends alarms to the topic in each region', () => {
    for (const alarm of Object.values(ap.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([topicArn.replace('eu-west-1', 'ap-southeast-2')]);
    }
    expect(
      Object.keys(home.findResources('AWS::CloudWatch::Alarm')).filter((id) => id.includes('Replication')),
    ).toHaveLength(2);
  });

  it('leaves the account-level API Gateway logging role alone when told', () => {
    home.resourceCountIs('AWS::ApiGateway::Account', 0);
  });
});

describe('GatewayStack', () => {
  it('needs an explicit region', () => {
    const app = new App({ outdir: OUTDIR });
    const config = readExampleAppConfig(app.node);
    expect(() => new GatewayStack(app, 'NoRegion', { config })).toThrow(/explicit env.region/);
  });

  it('refuses a region that is not configured', () => {
    const app = new App({ outdir: OUTDIR });
    const config = readExampleAppConfig(app.node);
    expect(() => new GatewayStack(app, 'Other', { config, env: { region: 'sa-east-1' } })).toThrow(
      /not one of the configured regions/,
    );
  });

  it('is a Stack', () => {
    expect(Stack.isStack(exampleApp({ regions: 'us-east-1' }).home)).toBe(true);
  });
});
