import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The newest Node.js runtime aws-cdk-lib offers; cdk-nag's AwsSolutions-L1 checks for it. */
export const NODE_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** Our functions run on Graviton: cheaper per GB-second than x86. */
export const LAMBDA_ARCHITECTURE = lambda.Architecture.ARM_64;

/**
 * Bundling shared by our functions: local esbuild (never Docker), one minified ES module with
 * source maps (without the sources, to keep the bundle small). The AWS SDK is bundled too
 * (`externalModules: []`), so the deployed code runs the version we tested, and so that ES
 * module resolution does not depend on the runtime's copy. The banner gives bundled CommonJS
 * dependencies a working `require` for Node built-ins.
 */
export function esmBundling(): BundlingOptions {
  return {
    forceDockerBundling: false,
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    format: OutputFormat.ESM,
    target: 'node22',
    mainFields: ['module', 'main'],
    externalModules: [],
    banner:
      "import { createRequire as __esmCreateRequire } from 'node:module';const require = __esmCreateRequire(import.meta.url);",
  };
}

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
  readonly entry: string;
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

/** A `handler` export bundled by local esbuild, on the newest Node.js runtime, on arm64. */
export function nodeFunction(scope: Construct, id: string, options: NodeFunctionOptions): NodejsFunction {
  return new NodejsFunction(scope, id, {
    ...options,
    handler: 'handler',
    runtime: NODE_RUNTIME,
    architecture: LAMBDA_ARCHITECTURE,
    bundling: esmBundling(),
  });
}
