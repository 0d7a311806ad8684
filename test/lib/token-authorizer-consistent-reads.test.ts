import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, it } from 'vitest';
import { SplitTokenTable } from '../../lib/split-token-table.ts';
import { TokenAuthorizer, type TokenAuthorizerProps } from '../../lib/token-authorizer.ts';

const OUTDIR = mkdtempSync(join(tmpdir(), 'token-authorizer-consistent-reads-test-'));
const BASE = {
  issuer: 'https://login.example.test',
  jwksUri: 'https://login.example.test/jwks',
  audiences: ['https://api.example.test'],
} satisfies Partial<TokenAuthorizerProps>;

/** The authorizer function's environment and the DynamoDB actions its role may take. */
function built(props: (stack: Stack) => Partial<TokenAuthorizerProps>, region = 'us-east-1') {
  const stack = new Stack(new App({ outdir: OUTDIR }), 'Test', { env: { account: '111111111111', region } });
  new TokenAuthorizer(stack, 'Authorizer', { ...BASE, ...props(stack) } as TokenAuthorizerProps);
  const template = Template.fromStack(stack);
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
  const actions = Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
    .flatMap((statement: { Action: string | string[] }) => statement.Action)
    .filter((action: string) => action.startsWith('dynamodb:'));
  return { env: fn?.Properties.Environment.Variables as Record<string, string>, actions };
}

describe('TokenAuthorizer reads with ConsistentRead', () => {
  it('by default on a strongly consistent SplitTokenTable, with GetItem still its only table action', () => {
    const { env, actions } = built((stack) => ({
      tokenTable: new SplitTokenTable(stack, 'Tokens', {
        multiRegionConsistency: dynamodb.MultiRegionConsistency.STRONG,
        replicaRegions: ['us-east-2', 'us-west-2'],
      }),
    }));

    expect(env.TOKEN_TABLE_CONSISTENT_READ).toBe('true');
    expect([...new Set(actions)]).toEqual(['dynamodb:GetItem']);
  });

  it('not by default on an eventually consistent table or one referenced by name', () => {
    const replicated = built((stack) => ({
      tokenTable: new SplitTokenTable(stack, 'Tokens', { replicaRegions: ['eu-west-1'] }),
    }));
    const byName = built(
      (stack) => ({ tokenTable: dynamodb.TableV2.fromTableName(stack, 'T', 'tokens') }),
      'us-east-2',
    );

    expect(replicated.env).not.toHaveProperty('TOKEN_TABLE_CONSISTENT_READ');
    expect(byName.env).not.toHaveProperty('TOKEN_TABLE_CONSISTENT_READ');
  });

  it('when asked, as in another region of a strongly consistent table, which that stack knows only by name', () => {
    const { env } = built(
      (stack) => ({
        tokenTable: dynamodb.TableV2.fromTableName(stack, 'T', 'tokens'),
        tokenTableConsistentReads: true,
      }),
      'us-west-2',
    );

    expect(env.TOKEN_TABLE_CONSISTENT_READ).toBe('true');
  });

  it('not when turned off', () => {
    const { env } = built((stack) => ({
      tokenTable: new SplitTokenTable(stack, 'Tokens', {
        multiRegionConsistency: dynamodb.MultiRegionConsistency.STRONG,
        replicaRegions: ['us-east-2'],
        witnessRegion: 'us-west-2',
      }),
      tokenTableConsistentReads: false,
    }));

    expect(env).not.toHaveProperty('TOKEN_TABLE_CONSISTENT_READ');
  });

  it('refuses tokenTableConsistentReads without a table', () => {
    expect(() =>
      built(() => ({ tokenTableConsistentReads: true, jwtValidationEnabled: true, jwtClientIds: ['app'] })),
    ).toThrow(/tokenTableConsistentReads requires tokenTable/);
  });
});
