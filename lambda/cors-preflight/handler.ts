/**
 * The HTTP API's CORS preflight routes (`OPTIONS <path>`, public): HTTP APIs have no mock
 * integration, and a preflight must not reach the authorizer of an `ANY` or greedy route on the
 * same path, so each path gets a public `OPTIONS` route served by this function. It answers 204 and
 * reaches nothing: the API's CORS configuration adds the `Access-Control-*` headers ("For a CORS
 * request, API Gateway adds the configured CORS headers to the response from an integration", and
 * "ignores CORS headers returned from your backend integration" —
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html). No token, no I/O.
 */
export async function handler(): Promise<{ statusCode: number }> {
  return { statusCode: 204 };
}
