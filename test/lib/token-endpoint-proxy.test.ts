import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { TokenEndpointProxyEnv } from '../../lambda/token-endpoint-proxy-config.ts';
import { SplitTokenTable } from '../../lib/split-token-table.ts';
import { TokenEndpointProxy, type TokenEndpointProxyProps } from '../../lib/token-endpoint-proxy.ts';

// One output directory for every app in this file: esbuild bundles the handler once.
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
