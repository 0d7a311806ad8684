import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { SplitTokenTable, type SplitTokenTableProps } from '../../lib/split-token-table.ts';

function stackWith(props?: SplitTokenTableProps, region = 'us-east-1'): { stack: Stack; table: SplitTokenTable } {
  const stack = new Stack(new App(), 'Test', { env: { account: '111111111111', region } });
  const table = new SplitTokenTable(stack, 'Tokens', props);
  return { stack, table };
}

function statementsOf(template: Template): Array<{ Action: string | string[]; Resource: unknown }> {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement,
  );
}

describe('SplitTokenTable', () => {
  it('creates an on-demand global table keyed by hashed_signature with TTL on expiration', () => {
    const { stack } = stackWith();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'hashed_signature', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'hashed_signature', AttributeType: 'S' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      Replicas: [
        {
          Region: 'us-east-1',
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        },
      ],
    });
  });

  it('keeps the table when it leaves the stack by default', () => {
    const { stack } = stackWith();
    Template.fromStack(stack).hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('adds a replica per region, each with deletion protection and PITR', () => {
    const { stack, table } = stackWith({ replicaRegions: ['eu-west-1', 'ap-southeast-2'], tableName: 'tokens' });
    expect(table.replicaRegions).toEqual(['eu-west-1', 'ap-southeast-2']);
    const replicas = ['eu-west-1', 'ap-southeast-2', 'us-east-1'].map((region) =>
      Match.objectLike({
        Region: region,
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    );
    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'tokens',
      Replicas: Match.arrayWith(replicas),
    });
  });

  it('refuses the home region as a replica region', () => {
    expect(() => stackWith({ replicaRegions: ['us-east-1'] })).toThrow(/must not contain the stack's own region/);
  });

  it('needs a stack with an explicit region for replicas', () => {
    const stack = new Stack(new App(), 'Agnostic');
    expect(() => new SplitTokenTable(stack, 'Tokens', { replicaRegions: ['eu-west-1'] })).toThrow();
  });

  it('uses the configured partition key name', () => {
    const { stack, table } = stackWith({ partitionKeyName: 'token_hash' });
    expect(table.partitionKeyName).toBe('token_hash');
    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'token_hash', KeyType: 'HASH' }],
    });
  });

  it('turns off deletion protection and PITR, and applies the removal policy, when asked', () => {
    const { stack } = stackWith({
      deletionProtection: false,
      pointInTimeRecovery: false,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [
        Match.objectLike({
          DeletionProtectionEnabled: false,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
        }),
      ],
    });
    template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
  });

  it('passes tableProps through to the table', () => {
    const { stack } = stackWith({
      tableProps: {
        tableClass: dynamodb.TableClass.STANDARD_INFREQUENT_ACCESS,
        encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [Match.objectLike({ TableClass: 'STANDARD_INFREQUENT_ACCESS' })],
    });
  });

  it('grants token writes as PutItem and DeleteItem only', () => {
    const { stack, table } = stackWith({ replicaRegions: ['eu-west-1'] });
    const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    table.grantTokenWrites(writer);
    const statements = statementsOf(Template.fromStack(stack));
    expect(statements).toHaveLength(1);
    expect(statements[0]?.Action).toEqual(['dynamodb:PutItem', 'dynamodb:DeleteItem']);
    // Writes go to the home region; replication carries them to the replicas.
    expect(statements[0]?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^TokensTable/), 'Arn'] });
  });

  it('creates no issuer role unless a principal is given', () => {
    const { stack, table } = stackWith();
    expect(table.issuerRole).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Role', 0);
  });

  it('creates an issuer role that the principal assumes with the external id and that may only write tokens', () => {
    const { stack, table } = stackWith({
      issuerRolePrincipal: new iam.ArnPrincipal('arn:aws:iam::222222222222:user/curity'),
      issuerRoleExternalId: 'curity-prod',
      issuerRoleMaxSessionDuration: Duration.hours(2),
    });
    expect(table.issuerRole).toBeDefined();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Role', {
      MaxSessionDuration: 7200,
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::222222222222:user/curity' },
            Condition: { StringEquals: { 'sts:ExternalId': 'curity-prod' } },
          },
        ],
      },
    });
    const statements = statementsOf(template);
    expect(statements.map((s) => s.Action)).toEqual([['dynamodb:PutItem', 'dynamodb:DeleteItem']]);
  });

  it('trusts the principal without a condition when no external id is given', () => {
    const { stack } = stackWith({ issuerRolePrincipal: new iam.AccountPrincipal('222222222222') });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Condition: Match.absent() })],
      },
    });
  });

  it('wraps an existing table without creating one', () => {
    const stack = new Stack(new App(), 'Test', { env: { account: '111111111111', region: 'us-east-1' } });
    const existing = dynamodb.TableV2.fromTableName(stack, 'Existing', 'tokens');
    const table = new SplitTokenTable(stack, 'Tokens', {
      existingTable: existing,
      partitionKeyName: 'token_hash',
      issuerRolePrincipal: new iam.AccountPrincipal('222222222222'),
    });
    expect(table.table).toBe(existing);
    expect(table.partitionKeyName).toBe('token_hash');
    expect(table.replicaRegions).toEqual([]);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
            Effect: 'Allow',
            Resource: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:us-east-1:111111111111:table/tokens']],
            },
          },
        ],
      },
    });
  });

  it.each([
    ['tableProps', { tableProps: {} }],
    ['replicaRegions', { replicaRegions: ['eu-west-1'] }],
    ['tableName', { tableName: 'tokens' }],
    ['deletionProtection', { deletionProtection: false }],
    ['pointInTimeRecovery', { pointInTimeRecovery: true }],
    ['removalPolicy', { removalPolicy: RemovalPolicy.DESTROY }],
  ] as const)('refuses existingTable together with %s', (name, extra) => {
    const stack = new Stack(new App(), 'Test', { env: { region: 'us-east-1' } });
    const existingTable = dynamodb.TableV2.fromTableName(stack, 'Existing', 'tokens');
    expect(() => new SplitTokenTable(stack, 'Tokens', { existingTable, ...extra })).toThrow(
      new RegExp(`existingTable cannot be combined with ${name}`),
    );
  });

  it('refuses an external id without a principal', () => {
    expect(() => stackWith({ issuerRoleExternalId: 'x1' })).toThrow(
      /issuerRoleExternalId requires issuerRolePrincipal/,
    );
  });
});
