import { readFileSync } from 'node:fs';

type Json = Record<string, unknown>;

/**
 * The four ways API Gateway asks an authorizer: REST TOKEN, REST REQUEST, and HTTP API payload 2.0
 * answered with a simple response or an IAM policy (the same event; the answer format is config).
 */
export type EventFormat = 'rest-token' | 'rest-request' | 'http-simple' | 'http-iam';

export const EVENT_FORMATS: readonly EventFormat[] = ['rest-token', 'rest-request', 'http-simple', 'http-iam'];

export const REST_STAGE_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod';
export const HTTP_STAGE_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/$default';

/** A route as API Gateway names it. */
export interface EventRoute {
  readonly method: string;
  readonly path: string;
}

const fixtures = new Map<string, Json>();

/** A fresh deep copy of a checked-in fixture (test/fixtures/api-gateway). */
export function fixtureEvent(name: 'rest-token-event' | 'rest-request-event' | 'http-api-v2-event'): Json {
  let fixture = fixtures.get(name);
  if (fixture === undefined) {
    fixture = JSON.parse(
      readFileSync(new URL(`../fixtures/api-gateway/${name}.json`, import.meta.url), 'utf8'),
    ) as Json;
    fixtures.set(name, fixture);
  }
  return structuredClone(fixture);
}

/** The ARN a policy must allow for the route to open. */
export function resourceArnFor(format: EventFormat, route: EventRoute): string {
  const stage = format === 'rest-token' || format === 'rest-request' ? REST_STAGE_ARN : HTTP_STAGE_ARN;
  return `${stage}/${route.method}${route.path}`;
}

/**
 * A real event of `format` for `route` carrying `authorization`: one header value, several (sent
 * as repeated headers the way each format delivers them), or none.
 */
export function eventFor(
  format: EventFormat,
  authorization: string | readonly string[] | undefined,
  route: EventRoute = { method: 'GET', path: '/orders' },
): Json {
  const values = authorization === undefined ? [] : typeof authorization === 'string' ? [authorization] : authorization;
  const arn = resourceArnFor(format, route);
  if (format === 'rest-token') {
    const event = fixtureEvent('rest-token-event');
    event.methodArn = arn;
    // A TOKEN authorizer gets the one identity-source header; API Gateway refuses the call without it.
    if (values.length === 0) delete event.authorizationToken;
    else event.authorizationToken = values.join(', ');
    return event;
  }
  if (format === 'rest-request') {
    const event = fixtureEvent('rest-request-event');
    event.methodArn = arn;
    event.httpMethod = route.method;
    event.resource = route.path;
    event.path = route.path;
    const headers = event.headers as Json;
    const multiValueHeaders = event.multiValueHeaders as Json;
    delete headers.Authorization;
    delete multiValueHeaders.Authorization;
    if (values.length > 0) {
      // REST keeps the last value in `headers` and every value in `multiValueHeaders`.
      headers.Authorization = values.at(-1);
      multiValueHeaders.Authorization = [...values];
    }
    return event;
  }
  const event = fixtureEvent('http-api-v2-event');
  const routeKey = `${route.method} ${route.path}`;
  event.routeKey = routeKey;
  event.routeArn = arn;
  event.rawPath = route.path;
  const requestContext = event.requestContext as Json;
  requestContext.routeKey = routeKey;
  (requestContext.http as Json).method = route.method;
  (requestContext.http as Json).path = route.path;
  const headers = event.headers as Json;
  delete headers.authorization;
  // Payload 2.0 joins repeated headers with commas.
  if (values.length > 0) headers.authorization = values.join(',');
  // The identity sources the constructs configure: the token, the method and the path.
  event.identitySource = values.length > 0 ? [values.join(','), route.method, route.path] : [route.method, route.path];
  return event;
}
