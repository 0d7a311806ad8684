/**
 * `npm run flush-caches -- --stack <name> [--stack <name> ...] [--region <region>]`: the emergency
 * flush of every authorizer cache of deployed gateway stacks (see ops/flush-authorizer-caches.ts),
 * with the AWS credentials of the environment. `--local <origin>` flushes a running local stack.
 * Run it once per region: every region's stack has its own caches.
 */
import { parseArgs } from 'node:util';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { LOCAL_FLUSH_PATH } from '../local/local-gateway.ts';
import { flushAuthorizerCaches, targetsFromOutputs } from '../ops/flush-authorizer-caches.ts';

const { values } = parseArgs({
  options: {
    stack: { type: 'string', multiple: true },
    region: { type: 'string' },
    local: { type: 'string' },
  },
});
const say = (line: string) => process.stderr.write(`${line}\n`);

if (values.local) {
  const response = await fetch(new URL(LOCAL_FLUSH_PATH, values.local), { method: 'POST' });
  if (response.status !== 204) throw new Error(`the local stack answered ${response.status}`);
  say('local stack: gateway cache flushed, authorizer replaced');
} else {
  if (!values.stack?.length) throw new Error('give --stack <name> (repeatable) or --local <origin>');
  const region = values.region ?? process.env.AWS_REGION;
  const config = region ? { region } : {};
  const cloudFormation = new CloudFormationClient(config);
  const clients = {
    apiGateway: new APIGatewayClient(config),
    apiGatewayV2: new ApiGatewayV2Client(config),
    lambda: new LambdaClient(config),
  };
  for (const stackName of values.stack) {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue]));
    await flushAuthorizerCaches(targetsFromOutputs(outputs), clients, (line) => say(`${stackName}: ${line}`));
  }
}
