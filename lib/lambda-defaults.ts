import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { LambdaAssetName } from '../build/lambda-assets.ts';
import { lambdaAssetCode } from './lambda-asset.ts';

/** The newest Node.js runtime aws-cdk-lib offers; cdk-nag's AwsSolutions-L1 checks for it. */
export const NODE_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** Our functions run on Graviton: cheaper per GB-second than x86. */
export const LAMBDA_ARCHITECTURE = lambda.Architecture.ARM_64;

/** Where a function logs, with how long. */
export interface FunctionLogGroupOptions {
  /** Use this log group. Cannot be combined with {@link logGroupProps}. */
  readonly existingLogGroup?: logs.ILogGroup;
  /** Settings of the created log group. Cannot be combined with {@link existingLogGroup}. */
  readonly logGroupProps?: logs.LogGroupProps;
}

/**
 * The function's log group: the given one, or a new one with a retention (one month unless
 * `logGroupProps` says otherwise) instead of Lambda's never-expiring default group.
 */
export function functionLogGroup(
  scope: Construct,
  id: string,
  owner: string,
  options: FunctionLogGroupOptions,
): logs.ILogGroup {
  if (options.existingLogGroup && options.logGroupProps) {
    throw new Error(`${owner}: existingLogGroup and logGroupProps cannot both be set; choose one.`);
  }
  return (
    options.existingLogGroup ??
    new logs.LogGroup(scope, id, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
      ...options.logGroupProps,
    })
  );
}

/**
 * An execution role that may write to `logGroup` and nothing else (instead of the AWS managed
 * AWSLambdaBasicExecutionRole, which may write to every log group). Callers add what else the
 * function needs.
 */
export function functionRole(scope: Construct, id: string, logGroup: logs.ILogGroup, description: string): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      // LogGroup.logGroupArn ends in ':*' (all streams of this group only).
      resources: [logGroup.logGroupArn],
    }),
  );
  return role;
}

/** What differs between our functions; everything else is {@link nodeFunction}'s house style. */
export interface NodeFunctionOptions {
  /** The prebuilt code it runs: `assets/<asset>` (build/lambda-assets.ts). */
  readonly asset: LambdaAssetName;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly role: iam.IRole;
  readonly logGroup: logs.ILogGroup;
  readonly environment: Record<string, string>;
  readonly reservedConcurrentExecutions?: number;
  readonly paramsAndSecrets?: lambda.ParamsAndSecretsLayerVersion;
  /** The network the function runs in (its role must then manage network interfaces). */
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * The `handler` export of a prebuilt asset's index.mjs (bundled when the package is built, so a
 * synth needs neither esbuild nor Docker), on the newest Node.js runtime, on arm64.
 */
export function nodeFunction(scope: Construct, id: string, options: NodeFunctionOptions): lambda.Function {
  const { asset, ...functionOptions } = options;
  return new lambda.Function(scope, id, {
    ...functionOptions,
    code: lambdaAssetCode(asset),
    handler: 'index.handler',
    runtime: NODE_RUNTIME,
    architecture: LAMBDA_ARCHITECTURE,
  });
}
