/**
 * Names of the metrics the authorizer emits through its logs (CloudWatch embedded metric format),
 * shared with the CDK monitoring construct that alarms on them. Lambda's own Errors metric cannot be
 * used for that: every 401 is a thrown "Unauthorized" and counts as an error there.
 */
export const AuthorizerMetrics = {
  namespace: 'OpaqueTokenGateway',
  /** One per invocation that failed closed with a 500 (dependency down, rate limit, bug). */
  dependencyFailures: 'DependencyFailures',
  /** One per unusable key in the issuer's key set, once per fetched set (tokens naming it get 401). */
  keySetProblems: 'KeySetProblems',
  /** Dimension holding the Lambda function name; a second dimension set adds the failure code. */
  functionDimension: 'FunctionName',
} as const;
