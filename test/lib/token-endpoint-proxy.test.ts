import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { TokenEndpointProxyEnv } from '../../lambda/token-endpoint-proxy/config.ts';
import { SplitTokenTable } from '../../lib/split-token-table.ts';
import { TokenEndpointProxy, type TokenEndpointProxyProps } from '../../lib/token-endpoint-proxy.ts';

// One output directory for every app in this file: aws-cdk-lib stages the asset once.
const OUTDIR = mkdtempSync(join(tmpdir(), 'token-endpoint-proxy-test-'));
const UPSTREAM = 'https://login.example.test/oauth/token';

function build(props: (stack: Stack) => Partial<TokenEndpointProxyProps> = () => ({})) {
  const app = new App({ outdir: OUTDIR });
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const proxy = new TokenEndpointProxy(stack, 'Proxy', {
    upstreamTokenEndpoint: UPSTREAM,
    tokenTable: dynamodb.TableV2.fromTableName(stack, 'Table', 'tokens'),
    ...props(stack),
  });
  return { app, stack, proxy, template: Template.fromStack(stack) };
}

function environmentOf(template: Template): Record<string, unknown> {
  const functions = Object.values(template.findResources('AWS::Lambda::Function'));
  expect(functions).toHaveLength(1);
  return functions[0]?.Properties.Environment.Variables;
}

function actionsOf(template: Template): string[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
    .flatMap((statement: { Action: string | string[] }) =>
      Array.isArray(statement.Action) ? statement.Action : [statement.Action],
    );
}

describe('TokenEndpointProxy construct', () => {
  const { template, proxy, app } = build();

  it('runs the bundled handler on arm64 with the newest Node.js runtime', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: lambda.Runtime.NODEJS_24_X.name,
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 15,
    });
  });

  it('configures the handler with the upstream endpoint, the table and its key', () => {
    expect(environmentOf(template)).toEqual({
      [TokenEndpointProxyEnv.upstreamTokenEndpoint]: UPSTREAM,
      [TokenEndpointProxyEnv.tokenTableName]: 'tokens',
      [TokenEndpointProxyEnv.tokenTableKeyAttribute]: 'hashed_signature',
    });
  });

  it('may only PutItem and DeleteItem on the table besides writing its own logs', () => {
    expect(actionsOf(template).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:PutItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('logs to its own log group with a retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: Match.anyValue() },
    });
  });

  it('serves a public function URL and exposes the token endpoint under it', () => {
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    expect(proxy.tokenEndpoint).toMatch(/token$/);
    expect(proxy.revocationEndpoint).toBeUndefined();
  });

  it('has no cdk-nag AwsSolutions errors', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`),
    );

    expect(findings).toEqual([]);
  });
});

describe('TokenEndpointProxy settings', () => {
  it('passes every optional setting to the handler', () => {
    const { template, proxy } = build(() => ({
      upstreamRevocationEndpoint: 'https://login.example.test/oauth/revoke',
      tokenHashAlgorithm: 'SHA-384',
      passThroughClientIds: ['legacy-a', 'legacy-b'],
      tokenPath: '/oauth/token',
      revocationPath: '/oauth/revoke',
      upstreamTimeout: Duration.seconds(3),
      dynamoDbTimeout: Duration.millis(1500),
      logLevel: 'debug',
    }));

    expect(environmentOf(template)).toMatchObject({
      UPSTREAM_REVOCATION_ENDPOINT: 'https://login.example.test/oauth/revoke',
      TOKEN_HASH_ALGORITHM: 'SHA-384',
      PASS_THROUGH_CLIENT_IDS: 'legacy-a,legacy-b',
      TOKEN_PATH: '/oauth/token',
      REVOCATION_PATH: '/oauth/revoke',
      UPSTREAM_TIMEOUT_MS: '3000',
      DYNAMODB_TIMEOUT_MS: '1500',
      LOG_LEVEL: 'debug',
    });
    expect(proxy.revocationEndpoint).toMatch(/oauth\/revoke$/);
  });

  it('may also GetItem on the table once revocation is on (it reads whose token it is), on either kind of table', () => {
    for (const tokenTable of [
      (stack: Stack) => dynamodb.TableV2.fromTableName(stack, 'Imported', 'tokens'),
      (stack: Stack) => new SplitTokenTable(stack, 'Tokens'),
    ]) {
      const { template } = build((stack) => ({
        tokenTable: tokenTable(stack),
        upstreamRevocationEndpoint: 'https://login.example.test/oauth/revoke',
      }));

      expect(actionsOf(template).sort()).toEqual([
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ]);
    }
  });

  it('takes the key attribute from a SplitTokenTable and grants writes through it', () => {
    const { template } = build((stack) => ({
      tokenTable: new SplitTokenTable(stack, 'Tokens', { partitionKeyName: 'pk' }),
    }));

    expect(environmentOf(template)).toMatchObject({ TOKEN_TABLE_KEY_ATTRIBUTE: 'pk' });
    expect(actionsOf(template)).not.toContain('dynamodb:GetItem');
    expect(actionsOf(template)).toContain('dynamodb:PutItem');
  });

  it('can require IAM authentication on the function URL', () => {
    const { template } = build(() => ({ functionUrlAuthType: lambda.FunctionUrlAuthType.AWS_IAM }));

    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
  });

  it.each<[string, Partial<TokenEndpointProxyProps>, RegExp]>([
    ['a plain http upstream', { upstreamTokenEndpoint: 'http://login.example.test/token' }, /upstreamTokenEndpoint/],
    [
      'a plain http revocation endpoint',
      { upstreamRevocationEndpoint: 'http://x.test/revoke' },
      /upstreamRevocationEndpoint/,
    ],
    ['the same token and revocation path', { tokenPath: '/oauth', revocationPath: '/oauth' }, /must differ/],
    ['a path without a leading slash', { tokenPath: 'token' }, /tokenPath/],
    ['a pass-through client id with a comma', { passThroughClientIds: ['a,b'] }, /passThroughClientIds/],
    ['a timeout shorter than the deadlines', { timeout: Duration.seconds(5) }, /timeout/],
  ])('refuses %s', (_name, props, message) => {
    expect(() => build(() => props)).toThrow(message);
  });
});

describe('TokenEndpointProxy as the authorization server front', () => {
  const ZONE_ID = 'Z0123456789ABCDEFGHIJ';
  function buildFront(props: (stack: Stack) => Partial<TokenEndpointProxyProps> = () => ({})) {
    const app = new App({ outdir: OUTDIR });
    const stack = new Stack(app, 'Front', { env: { account: '111111111111', region: 'eu-west-1' } });
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: ZONE_ID,
      zoneName: 'example.test',
    });
    const proxy = new TokenEndpointProxy(stack, 'Proxy', {
      tokenTable: dynamodb.TableV2.fromTableName(stack, 'Table', 'tokens'),
      tokenPath: '/oauth/v2/token',
      revocationPath: '/oauth/v2/revoke',
      front: { domainName: 'login.example.test', upstreamOrigin: 'https://as.internal.example.test', hostedZone },
      ...props(stack),
    });
    return { app, stack, proxy, template: Template.fromStack(stack) };
  }
  const { app, proxy, template } = buildFront();

  it('names the issuer and its endpoints on the custom domain', () => {
    expect(proxy.issuer).toBe('https://login.example.test');
    expect(proxy.tokenEndpoint).toBe('https://login.example.test/oauth/v2/token');
    expect(proxy.revocationEndpoint).toBe('https://login.example.test/oauth/v2/revoke');
  });

  it('configures the handler to front the upstream origin, its paths intercepted', () => {
    expect(environmentOf(template)).toEqual({
      [TokenEndpointProxyEnv.upstreamOrigin]: 'https://as.internal.example.test',
      [TokenEndpointProxyEnv.tokenPath]: '/oauth/v2/token',
      [TokenEndpointProxyEnv.revocationPath]: '/oauth/v2/revoke',
      [TokenEndpointProxyEnv.tokenTableName]: 'tokens',
      [TokenEndpointProxyEnv.tokenTableKeyAttribute]: 'hashed_signature',
    });
  });

  it('serves every method and path through one $default route to the function, on the custom domain only', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      DisableExecuteApiEndpoint: true,
    });
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default', AuthorizationType: 'NONE' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'login.example.test',
      DomainNameConfigurations: [Match.objectLike({ EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' })],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { Stage: Match.anyValue() });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('sourceIp') },
    });
    template.resourceCountIs('AWS::Lambda::Url', 0);
  });

  it('creates a certificate validated in the zone and an alias record for the domain', () => {
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'login.example.test',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'login.example.test', HostedZoneId: ZONE_ID }],
    });
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'login.example.test.',
      Type: 'A',
      HostedZoneId: ZONE_ID,
      AliasTarget: { DNSName: Match.anyValue(), HostedZoneId: Match.anyValue() },
    });
  });

  it('may GetItem for revocation, which is always on behind the front', () => {
    expect(actionsOf(template).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
  });

  it('passes the allowed path prefixes to the handler', () => {
    const { template: limited } = buildFront((stack) => ({
      front: {
        domainName: 'login.example.test',
        upstreamOrigin: 'https://as.internal.example.test',
        hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Z3', {
          hostedZoneId: 'Z3',
          zoneName: 'example.test',
        }),
        passThroughPathPrefixes: ['/realms/', '/resources/', '/.well-known/'],
      },
    }));

    expect(environmentOf(limited)).toMatchObject({
      [TokenEndpointProxyEnv.passThroughPathPrefixes]: '/realms/,/resources/,/.well-known/',
    });
  });

  it('takes an existing certificate and makes no DNS record without a zone', () => {
    const { template: withCertificate } = buildFront((stack) => ({
      front: {
        domainName: 'login.example.test',
        upstreamOrigin: 'https://as.internal.example.test',
        certificate: acm.Certificate.fromCertificateArn(
          stack,
          'Cert',
          'arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000',
        ),
      },
    }));

    withCertificate.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    withCertificate.resourceCountIs('AWS::Route53::RecordSet', 0);
    withCertificate.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainNameConfigurations: [
        Match.objectLike({
          CertificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000',
        }),
      ],
    });
  });

  it('runs in a VPC when given one, its role managing only its network interfaces besides', () => {
    const { template: inVpc, app: vpcApp } = buildFront((stack) => ({
      vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 }),
    }));

    inVpc.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
    });
    expect(actionsOf(inVpc)).toEqual(
      expect.arrayContaining(['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface']),
    );
    inVpc.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    const findings = new AwsSolutionsChecks(vpcApp)
      .validateScope(vpcApp)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`))
      .filter((finding) => finding.includes('/Proxy/'));
    expect(findings).toEqual([]);
  });

  it('has no cdk-nag AwsSolutions errors', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`),
    );

    expect(findings).toEqual([]);
  });

  it.each<[string, (stack: Stack) => Partial<TokenEndpointProxyProps>, RegExp]>([
    ['an upstream token endpoint as well', () => ({ upstreamTokenEndpoint: UPSTREAM }), /upstreamTokenEndpoint/],
    [
      'an upstream origin with a path',
      () => ({
        front: { domainName: 'login.example.test', upstreamOrigin: 'https://as.test/auth', certificate: undefined },
      }),
      /upstreamOrigin/,
    ],
    [
      'a plain http upstream origin',
      (stack) => ({
        front: {
          domainName: 'login.example.test',
          upstreamOrigin: 'http://as.test',
          hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Z2', {
            hostedZoneId: 'Z2',
            zoneName: 'x.test',
          }),
        },
      }),
      /upstreamOrigin/,
    ],
    [
      'neither a certificate nor a zone',
      () => ({ front: { domainName: 'login.example.test', upstreamOrigin: 'https://as.test' } }),
      /certificate/,
    ],
    [
      'a function URL auth type',
      () => ({ functionUrlAuthType: lambda.FunctionUrlAuthType.AWS_IAM }),
      /functionUrlAuthType/,
    ],
    [
      'security groups without a VPC',
      (stack) => ({ securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-1')] }),
      /vpc/,
    ],
  ])('refuses %s', (_name, props, message) => {
    expect(() => buildFront(props)).toThrow(message);
  });
});
