import { decodeHttpApiPath, type GatewayEventFormat, type GatewayRequest } from './authorizer-events.ts';

/**
 * The values of an authorizer's identity sources for a request, in order: API Gateway's result
 * cache key. REST expressions: `method.request.header.X`, `method.request.querystring.X`,
 * `stageVariables.X`, `context.X`; HTTP API: `$request.header.X`, `$request.querystring.X`,
 * `$stageVariables.X`, `$context.X`
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-authorizer.html,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html).
 * Header names are case-insensitive and every value of a repeated header is part of the key, in
 * order; query names are case-sensitive. `context.path` is the path with the stage (REST keeps
 * percent-encoding; HTTP APIs decode).
 *
 * @returns one value per source; undefined where the request has none
 * @throws TypeError for an expression this imitation does not know (a construct bug, not input)
 */
export function identitySourceValues(
  format: GatewayEventFormat,
  sources: readonly string[],
  request: GatewayRequest,
): (string | undefined)[] {
  return sources.map((source) => {
    const expression = format === 'http' ? source.replace(/^\$/, '') : source;
    const [prefix, ...rest] = expression.split('.');
    const name = rest.join('.');
    if (format === 'rest' && prefix === 'method' && rest[0] === 'request') {
      return requestParameter(request, rest[1], rest.slice(2).join('.'), ',');
    }
    if (format === 'http' && prefix === 'request')
      return requestParameter(request, rest[0], rest.slice(1).join('.'), ',');
    if (prefix === 'context') return contextVariable(format, request, name);
    throw new TypeError(`identity source ${source} is not imitated`);
  });
}

/**
 * Whether API Gateway refuses the request with 401 before invoking the authorizer: REST checks
 * that every identity source is "present, not null and non-empty"; HTTP APIs check presence only
 * (a captured HTTP API event shows an empty header reaching the authorizer as `[""]`).
 */
export function missesIdentitySource(format: GatewayEventFormat, values: readonly (string | undefined)[]): boolean {
  return values.some((value) => value === undefined || (format === 'rest' && value.length === 0));
}

function requestParameter(
  request: GatewayRequest,
  kind: string | undefined,
  name: string,
  separator: string,
): string | undefined {
  if (kind === 'header') {
    const values: string[] = [];
    for (let i = 0; i < request.rawHeaders.length; i += 2) {
      if ((request.rawHeaders[i] as string).toLowerCase() === name.toLowerCase())
        values.push(request.rawHeaders[i + 1] as string);
    }
    return values.length === 0 ? undefined : values.join(separator);
  }
  if (kind === 'querystring') {
    const values = new URLSearchParams(request.rawQueryString).getAll(name);
    return values.length === 0 ? undefined : values.join(separator);
  }
  throw new TypeError(`request parameter kind ${kind} is not imitated`);
}

function contextVariable(format: GatewayEventFormat, request: GatewayRequest, name: string): string {
  switch (name) {
    case 'httpMethod':
      return request.method;
    case 'path':
      return format === 'http' ? decodeHttpApiPath(request.rawPath) : request.rawPath;
    case 'routeKey':
      return request.routeKey;
    case 'resourcePath':
      return request.resource;
    case 'stage':
      return request.stage;
    default:
      throw new TypeError(`context variable ${name} is not imitated`);
  }
}
