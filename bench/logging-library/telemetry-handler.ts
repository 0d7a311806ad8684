import { JsonLog, metricFields } from '../../lambda/adapters/json-log.ts';
import { AuthorizerMetrics } from '../../lambda/authorizer/metrics.ts';

/**
 * The log and metrics writers alone, for a cold start: init makes the log (and, in the Powertools
 * bundle, its Logger and Metrics); the first event writes the authorizer's fail-closed line, one log
 * line and one metric counted in two dimension sets, then allows. Bundled once as is and once with
 * bench/logging-library/library-json-log.ts in place of the adapter (bench/sections/logging-library.ts).
 */
const log = new JsonLog({ level: 'info' });
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local';

export async function handler(event: { methodArn?: string }): Promise<unknown> {
  log.error('authorizer dependency failed', {
    route: 'GET /orders',
    code: 'introspection_unavailable',
    detail: 'introspection endpoint answered 503',
    ...metricFields(
      AuthorizerMetrics.namespace,
      AuthorizerMetrics.dependencyFailures,
      { [AuthorizerMetrics.functionDimension]: functionName, code: 'introspection_unavailable' },
      [[AuthorizerMetrics.functionDimension], [AuthorizerMetrics.functionDimension, 'code']],
    ),
  });
  return {
    principalId: 'telemetry',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [event.methodArn ?? '*'] }],
    },
  };
}
