import { createServer, type IncomingMessage } from 'node:http';
import type { AuthorizerAnswer, PolicyAnswer } from '../lambda/adapters/api-gateway/authorizer-answer.ts';
import { UNAUTHORIZED_MESSAGE } from '../lambda/adapters/api-gateway/authorizer-answer.ts';
import type { Authorizer } from '../lambda/authorizer.ts';
import type { DecisionLog } from '../lambda/core/ports.ts';
import type { RouteScopeRule } from '../lambda/core/route-scopes.ts';
import type { TokenEndpointProxy } from '../lambda/token-endpoint-proxy.ts';
import { AuthorizerAnswerCache } from './authorizer-answer-cache.ts';
import {
  type GatewayEventFormat,
  type GatewayRequest,
  httpApiAuthorizerEvent,
  invokeArn,
  restRequestAuthorizerEvent,
  routeKeyOf,
} from './gateway-events.ts';
import { evaluateInvokePolicy } from './iam-policy.ts';
import { closeServer, LOOPBACK_HOST, listenOnLoopback } from './loopback-http.ts';
import { BodyTooLargeError, type HttpAnswer, json, lowerCaseHeaders, readBody, send } from './node-http.ts';

/** Requests under this prefix go to the token endpoint proxy, without the authorizer. */
export const OAUTH_PATH_PREFIX = '/oauth/';

/** Options for {@link startLocalGateway}. */
export interface LocalGatewayOptions {
  /** Port on 127.0.0.1. @default 0 (a free port) */
  readonly port?: number;
  /** The API's routes; each is served through the authorizer to the backend. */
  readonly routes: readonly RouteScopeRule[];
  /** The authorizer, invoked as API Gateway invokes the Lambda. */
  readonly authorizer: Authorizer;
  /** Event format handed to the authorizer. @default 'rest' */
  readonly eventFormat?: GatewayEventFormat;
  /** How long answers are cached by identity source; 0 turns caching off. @default 60 */
  readonly cacheTtlSeconds?: number;
  /** Base URL of the HTTP backend (the integration). */
  readonly backendUrl: string;
  /** Serves `/oauth/...` when given (the proxy's paths must start with {@link OAUTH_PATH_PREFIX}). @default none */
  readonly tokenEndpointProxy?: TokenEndpointProxy;
  /** Largest request body accepted. @default 1048576 */
  readonly maxBodyBytes?: number;
  /** Access log, one line per request, token-free. @default none */
  readonly log?: DecisionLog;
}

/** A running local gateway. */
export interface LocalGateway {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Closes the listener and every connection. Safe to call twice. */
  stop(): Promise<void>;
}

type AuthorizationOutcome =
  | { readonly kind: 'allow'; readonly context: Readonly<Record<string, unknown>> }
  | { readonly kind: 'deny'; readonly answer: HttpAnswer };

const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'content-encoding',
  'content-length',
  'host',
  'keep-alive',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * An imitation of API Gateway on 127.0.0.1 for the local stack: it matches the request to a route,
 * invokes the same authorizer the Lambda runs with a REST REQUEST or HTTP API 2.0 event, caches
 * the answer by identity source (REST: the Authorization header, evaluating the cached policy
 * against each new method ARN; HTTP API: the header and the route key), maps the outcome as API
 * Gateway does (401 `invalid_token`, 403 `insufficient_scope`, 500 on authorizer failure), and
 * forwards allowed requests to the backend with `Authorization: Bearer <jwt>` from the authorizer
 * context, replacing what the client sent.
 */
export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const format = options.eventFormat ?? 'rest';
  const cache = new AuthorizerAnswerCache<AuthorizerAnswer>({ ttlSeconds: options.cacheTtlSeconds ?? 60 });
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const backendUrl = options.backendUrl.replace(/\/+$/, '');

  const authorize = async (request: GatewayRequest): Promise<AuthorizationOutcome> => {
    const authorization = lowerCaseHeaders(request.rawHeaders).authorization;
    // API Gateway answers 401 itself, without calling the authorizer, when an identity source is missing.
    if (!authorization) return { kind: 'deny', answer: unauthorized() };
    const cacheKey = format === 'rest' ? authorization : `${authorization}\n${routeKeyOf(request)}`;
    let answer = cache.get(cacheKey);
    if (answer === undefined) {
      const event = format === 'rest' ? restRequestAuthorizerEvent(request) : httpApiAuthorizerEvent(request);
      try {
        answer = await options.authorizer(event);
      } catch (error) {
        if (error instanceof Error && error.message === UNAUTHORIZED_MESSAGE)
          return { kind: 'deny', answer: unauthorized() };
        return { kind: 'deny', answer: json(500, { message: 'Internal Server Error' }) };
      }
      cache.set(cacheKey, answer);
    }
    return outcomeOf(answer, invokeArn(format, request.method, request.path), format);
  };

  const server = createServer((incoming, outgoing) => {
    const started = Date.now();
    handle(incoming)
      .catch((error: unknown) => {
        if (error instanceof BodyTooLargeError) return json(413, { message: 'Request Entity Too Large' });
        options.log?.error('gateway failure', { detail: error instanceof Error ? error.name : 'unknown' });
        return json(500, { message: 'Internal Server Error' });
      })
      .then((answer) => {
        send(outgoing, answer);
        options.log?.info('request', {
          method: incoming.method,
          path: (incoming.url ?? '/').split('?')[0],
          status: answer.status,
          latencyMs: Date.now() - started,
        });
      });
  });

  async function handle(incoming: IncomingMessage): Promise<HttpAnswer> {
    const url = new URL(incoming.url ?? '/', 'http://gateway.local');
    const method = (incoming.method ?? 'GET').toUpperCase();
    const body = await readBody(incoming, maxBodyBytes);
    if (url.pathname.startsWith(OAUTH_PATH_PREFIX) && options.tokenEndpointProxy) {
      return options.tokenEndpointProxy.handle({
        method,
        path: url.pathname,
        headers: lowerCaseHeaders(incoming.rawHeaders),
        body,
      });
    }
    const matched = matchRoute(options.routes, method, url.pathname);
    if (matched === undefined) {
      return format === 'rest'
        ? json(403, { message: 'Missing Authentication Token' })
        : json(404, { message: 'Not Found' });
    }
    const request: GatewayRequest = {
      method,
      path: url.pathname,
      resource: matched.rule.path,
      pathParameters: matched.pathParameters,
      rawQueryString: url.search.replace(/^\?/, ''),
      rawHeaders: incoming.rawHeaders,
      sourceIp: incoming.socket.remoteAddress ?? LOOPBACK_HOST,
    };
    const outcome = await authorize(request);
    if (outcome.kind === 'deny') return outcome.answer;
    return forward(request, body, outcome.context);
  }

  async function forward(request: GatewayRequest, body: string, context: Readonly<Record<string, unknown>>) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(lowerCaseHeaders(request.rawHeaders))) {
      if (!HOP_BY_HOP.has(name) && name !== 'authorization') headers[name] = value;
    }
    // The HTTP integration's header mappings: integration.request.header.Authorization =
    // context.authorizer.authorization, and the token type for the demo.
    headers.authorization = String(context.authorization ?? '');
    headers['x-token-type'] = String(context.tokenType ?? '');
    let response: Response;
    try {
      response = await fetch(
        `${backendUrl}${request.path}${request.rawQueryString ? `?${request.rawQueryString}` : ''}`,
        {
          method: request.method,
          headers,
          ...(request.method === 'GET' || request.method === 'HEAD' ? {} : { body }),
          redirect: 'manual',
          signal: AbortSignal.timeout(29_000),
        },
      );
    } catch {
      return json(502, { message: 'Bad Gateway' });
    }
    const answerHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name)) answerHeaders[name] = value;
    });
    return { status: response.status, headers: answerHeaders, body: await response.text() };
  }

  const port = await listenOnLoopback(server, options.port ?? 0);
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${LOOPBACK_HOST}:${port}`,
    port,
    stop: () => {
      stopping ??= closeServer(server);
      return stopping;
    },
  };
}

function outcomeOf(answer: AuthorizerAnswer, resourceArn: string, format: GatewayEventFormat): AuthorizationOutcome {
  if ('isAuthorized' in answer) {
    if (typeof answer.isAuthorized !== 'boolean')
      return { kind: 'deny', answer: json(500, { message: 'Internal Server Error' }) };
    return answer.isAuthorized
      ? { kind: 'allow', context: answer.context ?? {} }
      : { kind: 'deny', answer: forbidden({ message: 'Forbidden' }) };
  }
  const policyAnswer = answer as Partial<PolicyAnswer>;
  if (typeof policyAnswer.principalId !== 'string' || !Array.isArray(policyAnswer.policyDocument?.Statement)) {
    return { kind: 'deny', answer: json(500, { message: 'Internal Server Error' }) };
  }
  const verdict = evaluateInvokePolicy(policyAnswer.policyDocument, resourceArn);
  if (verdict === 'allow') return { kind: 'allow', context: policyAnswer.context ?? {} };
  if (format === 'http') return { kind: 'deny', answer: forbidden({ message: 'Forbidden' }) };
  return {
    kind: 'deny',
    answer: forbidden({
      Message:
        verdict === 'explicit-deny'
          ? 'User is not authorized to access this resource with an explicit deny'
          : 'User is not authorized to access this resource',
    }),
  };
}

function unauthorized(): HttpAnswer {
  return json(401, { message: 'Unauthorized' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
}

function forbidden(body: unknown): HttpAnswer {
  return json(403, body, { 'www-authenticate': 'Bearer error="insufficient_scope"' });
}

/** The route for a request: a static path, or a template with `{parameter}` and `{proxy+}` segments. */
export function matchRoute(
  routes: readonly RouteScopeRule[],
  method: string,
  path: string,
): { rule: RouteScopeRule; pathParameters: Record<string, string> } | undefined {
  const segments = path.split('/').filter(Boolean);
  let best: { rule: RouteScopeRule; pathParameters: Record<string, string>; score: number } | undefined;
  for (const rule of routes) {
    const ruleMethod = rule.method.toUpperCase();
    if (ruleMethod !== 'ANY' && ruleMethod !== method) continue;
    const pathParameters = matchTemplate(rule.path.split('/').filter(Boolean), segments);
    if (pathParameters === undefined) continue;
    const score = (ruleMethod === 'ANY' ? 0 : 1000) - Object.keys(pathParameters).length * 10;
    if (best === undefined || score > best.score) best = { rule, pathParameters, score };
  }
  return best && { rule: best.rule, pathParameters: best.pathParameters };
}

function matchTemplate(template: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const part = template[i] as string;
    const isParameter = part.startsWith('{') && part.endsWith('}');
    if (isParameter && part.endsWith('+}')) {
      if (segments.length <= i) return undefined;
      parameters[part.slice(1, -2)] = segments.slice(i).map(safeDecode).join('/');
      return parameters;
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    if (isParameter) parameters[part.slice(1, -1)] = safeDecode(segment);
    else if (segment !== part) return undefined;
  }
  return template.length === segments.length ? parameters : undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
