import { type APIGatewayClient, FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';
import { type ApiGatewayV2Client, ResetAuthorizersCacheCommand } from '@aws-sdk/client-apigatewayv2';
import {
  GetFunctionConfigurationCommand,
  type LambdaClient,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { FLUSH_OUTPUTS } from '../lib/flush-outputs.ts';

/** Environment variable whose change makes Lambda start fresh authorizer instances. */
export const CACHE_EPOCH_VARIABLE = 'AUTHORIZER_CACHE_EPOCH';

/** What to flush: the APIs' stages and the authorizer functions behind them. */
export interface FlushTargets {
  readonly restApis: readonly { readonly apiId: string; readonly stage: string }[];
  readonly httpApis: readonly { readonly apiId: string; readonly stage: string }[];
  readonly authorizerFunctions: readonly string[];
}

/** The AWS clients the flush uses, in one region. */
export interface FlushClients {
  readonly apiGateway: APIGatewayClient;
  readonly apiGatewayV2: ApiGatewayV2Client;
  readonly lambda: LambdaClient;
}

/** The targets a GatewayStack names in its outputs. */
export function targetsFromOutputs(outputs: Readonly<Record<string, string | undefined>>): FlushTargets {
  const pair = (id: string, stage: string) => {
    const apiId = outputs[id];
    const stageName = outputs[stage];
    return apiId && stageName ? [{ apiId, stage: stageName }] : [];
  };
  const fn = outputs[FLUSH_OUTPUTS.authorizerFunction];
  return {
    restApis: pair(FLUSH_OUTPUTS.restApiId, FLUSH_OUTPUTS.restApiStage),
    httpApis: pair(FLUSH_OUTPUTS.httpApiId, FLUSH_OUTPUTS.httpApiStage),
    authorizerFunctions: fn ? [fn] : [],
  };
}

/**
 * The emergency flush for a key compromise or a mass revocation, in this order:
 * 1. every authorizer function gets a new configuration version (a changed
 *    {@link CACHE_EPOCH_VARIABLE}): "Lambda deploys the change by launching new instances of the
 *    function", so no warm instance keeps its in-memory cache; waits until the update is done
 *    (while it is in progress, invocations still go to the old configuration);
 * 2. then the API stages' authorizer caches are flushed (`FlushStageAuthorizersCache`,
 *    `ResetAuthorizersCache`), so that old instances cannot refill them.
 * API Gateway propagates a flush over some time (a third-party capture saw old answers for about
 * 50 s): the stated revocation bound still holds; the flush only shortens it in practice.
 */
export async function flushAuthorizerCaches(
  targets: FlushTargets,
  clients: FlushClients,
  report: (line: string) => void = () => {},
  maxWaitSeconds = 120,
): Promise<void> {
  for (const name of targets.authorizerFunctions) {
    const current = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    const variables = { ...(current.Environment?.Variables ?? {}), [CACHE_EPOCH_VARIABLE]: new Date().toISOString() };
    await clients.lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: name, Environment: { Variables: variables } }),
    );
    await waitUntilFunctionUpdatedV2({ client: clients.lambda, maxWaitTime: maxWaitSeconds }, { FunctionName: name });
    report(`function ${name}: new configuration version, warm instances retired`);
  }
  for (const { apiId, stage } of targets.restApis) {
    await clients.apiGateway.send(new FlushStageAuthorizersCacheCommand({ restApiId: apiId, stageName: stage }));
    report(`REST API ${apiId} stage ${stage}: authorizer cache flushed`);
  }
  for (const { apiId, stage } of targets.httpApis) {
    await clients.apiGatewayV2.send(new ResetAuthorizersCacheCommand({ ApiId: apiId, StageName: stage }));
    report(`HTTP API ${apiId} stage ${stage}: authorizer cache reset`);
  }
}
