import type { CorsSettings } from '../../lib/cors.ts';
import type { HttpAnswer } from '../node-http.ts';

/**
 * What a REST API's CORS preflight method answers: the `OPTIONS` method with a MOCK integration
 * that `RestApiRoutes` deploys through aws-cdk-lib's `addCorsPreflight`. REST APIs have no CORS
 * configuration; "a REST API resource needs to implement an `OPTIONS` method that can respond to
 * the `OPTIONS` preflight request with at least the following response headers mandated by the
 * Fetch standard: `Access-Control-Allow-Methods`, `Access-Control-Allow-Headers`,
 * `Access-Control-Allow-Origin`", and "For a mock integration, you enable CORS by creating an
 * `OPTIONS` method to return the required response headers (with appropriate static values)"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html).
 *
 * The mock answers every request the method receives, preflight or not ("This feature enables API
 * developers to generate API responses from API Gateway directly, without the need for an
 * integration backend" — how-to-mock-integration.html): its request template `{ statusCode: 200 }`
 * selects the one integration response (no selection pattern: the default), whose status is 204
 * and whose `method.response.header.*` parameters are literals (aws-cdk-lib `resource.ts`,
 * `addCorsPreflight`): `Access-Control-Allow-Headers`, the first allowed origin in
 * `Access-Control-Allow-Origin` with `Vary: Origin` unless it is `*`, `Access-Control-Allow-Methods`,
 * `Access-Control-Allow-Credentials: true` when allowed, `Access-Control-Max-Age`,
 * `Access-Control-Expose-Headers`. With more origins, its response template sets
 * `$context.responseOverride.header.Access-Control-Allow-Origin` to the request's origin when it
 * equals one of them ("contains the header to be returned instead of the Response header that is
 * defined as the Default mapping in the Integration Response" — api-gateway-mapping-template-reference.html);
 * the template reads `$input.params().header.get("Origin")`, then `"origin"`, so only those two
 * spellings of the name count. The body is empty (the template outputs only whitespace); the
 * documentation's `curl` of such a method shows `Content-Type: application/json`, `Content-Length: 0`
 * (apigateway-test-cors.html).
 */
export function restCorsPreflightAnswer(cors: CorsSettings, rawHeaders: readonly string[]): HttpAnswer {
  const [first, ...others] = cors.allowOrigins;
  const origin = headerExactly(rawHeaders, 'Origin') || headerExactly(rawHeaders, 'origin');
  const allowOrigin = origin !== undefined && others.includes(origin) ? origin : (first as string);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'access-control-allow-headers': cors.allowHeaders.join(','),
    'access-control-allow-origin': allowOrigin,
    ...(first === '*' ? {} : { vary: 'Origin' }),
    'access-control-allow-methods': cors.allowMethods.join(','),
    ...(cors.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
    'access-control-max-age': String(cors.maxAgeSeconds),
    ...(cors.exposeHeaders.length > 0 ? { 'access-control-expose-headers': cors.exposeHeaders.join(',') } : {}),
  };
  return { status: 204, headers, body: '' };
}

/** The first value of the header spelled exactly `name` (VTL's `header.get` is an exact map lookup). */
function headerExactly(rawHeaders: readonly string[], name: string): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i] === name) return rawHeaders[i + 1];
  }
  return undefined;
}
