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
    ['multiRegionConsistency', { multiRegionConsistency: dynamodb.MultiRegionConsistency.STRONG }],
    ['witnessRegion', { witnessRegion: 'us-east-2' }],
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

// AWS, "How DynamoDB global tables work": MRSC tables span exactly three regions (three replicas,
// or two and a witness) of one region set, US (us-east-1, us-east-2, us-west-2), EU (eu-west-1,
// eu-west-2, eu-west-3, eu-central-1) or AP (ap-northeast-1, ap-northeast-2, ap-northeast-3), and
// "Time to Live (TTL) is not supported for MRSC global tables". The cases below are written from that text.
describe('SplitTokenTable with multi-Region strong consistency', () => {
  const STRONG = dynamodb.MultiRegionConsistency.STRONG;

  it.each([
    ['us-east-1', ['us-east-2', 'us-west-2']],
    ['eu-central-1', ['eu-west-1', 'eu-west-3']],
    ['ap-northeast-3', ['ap-northeast-1', 'ap-northeast-2']],
  ])(
    'creates a strongly consistent table in %s with three replicas of one region set, without TTL',
    (home, replicas) => {
      const { stack, table } = stackWith({ multiRegionConsistency: STRONG, replicaRegions: replicas }, home);

      const [resource] = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::GlobalTable'));
      expect(resource?.Properties.MultiRegionConsistency).toBe('STRONG');
      expect(resource?.Properties.Replicas.map((replica: { Region: string }) => replica.Region).sort()).toEqual(
        [home, ...replicas].sort(),
      );
      expect(resource?.Properties.TimeToLiveSpecification).toBeUndefined();
      expect(table.multiRegionConsistency).toBe(STRONG);
    },
  );

  it('creates a strongly consistent table with two replicas and a witness', () => {
    const { stack } = stackWith(
      { multiRegionConsistency: STRONG, replicaRegions: ['eu-west-2'], witnessRegion: 'eu-west-1' },
      'eu-west-3',
    );

    const [resource] = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::GlobalTable'));
    expect(resource?.Properties).toMatchObject({
      MultiRegionConsistency: 'STRONG',
      GlobalTableWitnesses: [{ Region: 'eu-west-1' }],
    });
    expect(resource?.Properties.Replicas.map((replica: { Region: string }) => replica.Region).sort()).toEqual([
      'eu-west-2',
      'eu-west-3',
    ]);
    expect(resource?.Properties.TimeToLiveSpecification).toBeUndefined();
  });

  it('keeps TTL on expiration for an eventually consistent table, the default', () => {
    const { stack, table } = stackWith({ replicaRegions: ['eu-west-1'] });

    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      MultiRegionConsistency: Match.absent(),
    });
    expect(table.multiRegionConsistency).toBe(dynamodb.MultiRegionConsistency.EVENTUAL);
  });

  it.each([
    ['regions of two sets', 'us-east-1', { replicaRegions: ['us-east-2', 'eu-west-1'] }, /one region set.*eu-west-1/],
    [
      'a witness of another set',
      'us-east-1',
      { replicaRegions: ['us-west-2'], witnessRegion: 'eu-west-1' },
      /eu-west-1/,
    ],
    [
      'a home region in no set',
      'ap-southeast-2',
      { replicaRegions: ['ap-northeast-1', 'ap-northeast-2'] },
      /ap-southeast-2/,
    ],
    ['a region outside every set', 'us-east-1', { replicaRegions: ['us-east-2', 'us-west-1'] }, /us-west-1/],
    ['two regions only', 'us-east-1', { replicaRegions: ['us-east-2'] }, /exactly three regions/],
    [
      'four regions',
      'eu-west-1',
      { replicaRegions: ['eu-west-2', 'eu-west-3', 'eu-central-1'] },
      /exactly three regions/,
    ],
    [
      'three replicas and a witness',
      'us-east-1',
      { replicaRegions: ['us-east-2', 'us-west-2'], witnessRegion: 'us-west-2' },
      /witnessRegion/,
    ],
    [
      'a witness that is a replica',
      'us-east-1',
      { replicaRegions: ['us-east-2'], witnessRegion: 'us-east-2' },
      /witnessRegion apart/,
    ],
    [
      'a witness in the home region',
      'us-east-1',
      { replicaRegions: ['us-east-2'], witnessRegion: 'us-east-1' },
      /witnessRegion apart/,
    ],
  ] as const)('refuses %s at synth', (_name, home, props, reason) => {
    expect(() => stackWith({ multiRegionConsistency: STRONG, ...props }, home)).toThrow(reason);
  });

  it('refuses local secondary indexes, which MRSC tables do not support', () => {
    expect(() =>
      stackWith({
        multiRegionConsistency: STRONG,
        replicaRegions: ['us-east-2', 'us-west-2'],
        tableProps: {
          localSecondaryIndexes: [{ indexName: 'by-exp', sortKey: { name: 'e', type: dynamodb.AttributeType.NUMBER } }],
        },
      }),
    ).toThrow(/local secondary indexes/);
  });

  it('refuses a witness for an eventually consistent table', () => {
    expect(() => stackWith({ replicaRegions: ['us-east-2'], witnessRegion: 'us-west-2' })).toThrow(
      /witnessRegion is only for multiRegionConsistency STRONG/,
    );
  });

  it('needs a stack with an explicit region', () => {
    const stack = new Stack(new App(), 'Agnostic');
    expect(
      () =>
        new SplitTokenTable(stack, 'Tokens', {
          multiRegionConsistency: STRONG,
          replicaRegions: ['us-east-2', 'us-west-2'],
        }),
    ).toThrow(/explicit env.region/);
  });
});
