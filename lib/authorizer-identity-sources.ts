/**
 * The identity sources the constructs give the token authorizer, shared with the local gateway so
 * that it caches exactly as the deployed one. API Gateway keys its authorizer result cache by the
 * values of all identity sources, in order ("When multiple identity sources are defined, they are
 * all used to derive the authorizer's cache key, with the order preserved" —
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html),
 * and reuses a cached answer for every request with the same key: on a REST API the cached policy
 * is evaluated against each later request's method ARN; an HTTP API simple response "fully allows
 * or denies all API requests that match the cached identity source values"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html).
 *
 * With the method and the path in the key, a cached answer is only ever reused for the same token
 * on the same method and path: answers can be exact, and rules may be finer than routes. AWS names
 * `$context.path` and `$context.httpMethod` as REQUEST authorizer identity sources (the Lambda
 * authorizer page above); for HTTP APIs it allows "the value of a supported context variable", and
 * both are in its context variable table.
 */

/** REST API REQUEST authorizer: the token, the method, the path as requested (with the stage). */
export const REST_AUTHORIZER_IDENTITY_SOURCES: readonly string[] = Object.freeze([
  'method.request.header.Authorization',
  'context.httpMethod',
  'context.path',
]);

/** HTTP API Lambda authorizer: the same three values in HTTP API selection-expression syntax. */
export const HTTP_AUTHORIZER_IDENTITY_SOURCES: readonly string[] = Object.freeze([
  '$request.header.Authorization',
  '$context.httpMethod',
  '$context.path',
]);
