/**
 * Stack outputs a GatewayStack writes so that the emergency flush (`npm run flush-caches`,
 * ops/flush-authorizer-caches.ts) can find what to flush from the stack's name alone.
 */
export const FLUSH_OUTPUTS = {
  restApiId: 'RestApiId',
  restApiStage: 'RestApiStageName',
  httpApiId: 'HttpApiId',
  httpApiStage: 'HttpApiStageName',
  authorizerFunction: 'AuthorizerFunctionName',
} as const;
