import { metricFields } from '../adapters/json-log.ts';

/**
 * Names of the metrics the token endpoint proxy emits through its logs (CloudWatch embedded metric
 * format), in the authorizer's namespace so one dashboard shows both.
 */
export const TokenEndpointProxyMetrics = {
  namespace: 'OpaqueTokenGateway',
  /**
   * One per revocation the authorization server accepted but the proxy did not carry out, because the
   * authenticated client is not the token's `client_id` (RFC 7009 section 2.1): the record is kept.
   */
  revocationsRefused: 'RevocationsRefused',
  /** Dimension holding the Lambda function name. */
  functionDimension: 'FunctionName',
} as const;

/** The log fields that count one refused revocation for `functionName` (CloudWatch embedded metric format). */
export function revocationRefusedMetricFields(functionName: string): Record<string, unknown> {
  return metricFields(TokenEndpointProxyMetrics.namespace, TokenEndpointProxyMetrics.revocationsRefused, {
    [TokenEndpointProxyMetrics.functionDimension]: functionName,
  });
}
