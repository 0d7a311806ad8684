import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { DecisionLog } from '../lambda/core/ports.ts';
import { handler as corsPreflightFunction } from '../lambda/cors-preflight/handler.ts';
import { CORS_PREFLIGHT_INTEGRATION } from '../lib/api-routes.ts';
import type { CorsSettings } from '../lib/cors.ts';
import type { ContextHeaderMapping } from '../lib/example-api.ts';
import type { RestGatewayResponse, RestGatewayResponseType } from '../lib/rest-gateway-responses.ts';
import type {
  ClientCertificateFields,
  GatewayEventFormat,
  GatewayRequest,
  MethodArnPath,
} from './api-gateway/authorizer-events.ts';
import {
  type AuthorizationOutcome,
  type AuthorizerFunction,
  GatewayAuthorization,
} from './api-gateway/gateway-authorization.ts';
import { routeRequest } from './api-gateway/gateway-request.ts';
import { httpApiPreflightAnswer, isHttpApiPreflight, withHttpApiCorsHeaders } from './api-gateway/http-api-cors.ts';
import { restCorsPreflightAnswer } from './api-gateway/rest-cors-preflight.ts';
import type { RouteDefinition } from './api-gateway/route-selection.ts';
import { closeServer, LOOPBACK_HOST, listenOnLoopback } from './loopback-http.ts';
import {
  BodyTooLargeError,
  createLocalServer,
  type HttpAnswer,
  json,
  lowerCaseHeaders,
  type MutualTlsServerOptions,
  readBody,
  send,
} from './node-http.ts';

/**
 * `POST` here (loopback only, not part of any API) runs the local emergency flush: the stand-in for
 * `npm run flush-caches` against AWS.
 */
export const LOCAL_FLUSH_PATH = '/_local/flush-authorizer-caches';

/**
 * "Total combined size of all header values: 10240 bytes" (REST), "Total combined size of request
 * line and header values: 10240 bytes" (HTTP API) — API Gateway quotas. AWS does not document the
 * status past it; 431 is assumed.
 */
export const MAX_HEADER_BYTES = 10_240;

/** A route of the local API and the integration that serves it. */
export interface LocalGatewayRoute extends RouteDefinition {
  /** Key of {@link LocalGatewayOptions.integrations}. */
  readonly integration: string;
  /** `none`: no authorizer (a public route). @default 'token' */
  readonly authorization?: 'token' | 'none';
}

/** Options for {@link startLocalGateway}. */
export interface LocalGatewayOptions {
  /** Port on 127.0.0.1. @default 0 (a free port) */
  readonly port?: number;
  /** The API type imitated. */
  readonly format: GatewayEventFormat;
  /** The stage: REST stages are always named and prefix the path; HTTP `$default` is at the root. */
  readonly stage: string;
  readonly routes: readonly LocalGatewayRoute[];
  /** Base URL per integration name (HTTP proxy integrations; the request path after the stage is appended). */
  readonly integrations: Readonly<Record<string, string>>;
  /**
   * Fixed answers per integration name, given the gateway's invoke URL: REST mock integrations, or
   * an HTTP API route whose integration always answers the same (the protected-resource metadata).
   * @default none
   */
  readonly staticIntegrations?: (gatewayUrl: string) => Readonly<Record<string, HttpAnswer>>;
  /**
   * Serve HTTPS as a custom domain with mutual TLS does: a client certificate is required and must
   * chain to `clientCa` (API Gateway "fail[s] the TLS handshake" otherwise), and the authorizer
   * event carries its `clientCert` fields. @default plain HTTP, no client certificates
   */
  readonly mutualTls?: MutualTlsServerOptions;
  /** The authorizer, invoked as API Gateway invokes the Lambda. */
  readonly authorizer: AuthorizerFunction;
  /** The authorizer's identity sources (the constructs' constants). */
  readonly identitySources: readonly string[];
  /** The authorizer's result cache TTL; 0 turns it off. */
  readonly resultsTtlSeconds: number;
  /** Headers the integrations get from the authorizer context (the constructs' mappings). */
  readonly contextHeaders: readonly ContextHeaderMapping[];
  /**
   * REST: the gateway responses the stack deploys, given the gateway's invoke URL (they may name
   * it, as API Gateway resolves its own id into them at deploy).
   */
  readonly restGatewayResponses?: (gatewayUrl: string) => readonly RestGatewayResponse[];
  /** REST: what method ARNs hold for non-canonical paths (undocumented). @default 'as-sent' */
  readonly methodArnPath?: MethodArnPath;
  /**
   * Browser clients, as the constructs deploy them: REST, the routes served by
   * `CORS_PREFLIGHT_INTEGRATION` answer as the OPTIONS MOCK method does (the gateway responses
   * carry what {@link restGatewayResponses} says); HTTP API, the API's CORS configuration (a
   * preflight matching no route answered by the gateway, the headers set on integration answers),
   * the preflight routes served as the preflight function serves them. @default no CORS
   */
  readonly cors?: CorsSettings;
  /** Largest request body accepted. @default 1048576 */
  readonly maxBodyBytes?: number;
  /** Access log, one line per request, token-free. @default none */
  readonly log?: DecisionLog;
  /** What `POST` {@link LOCAL_FLUSH_PATH} runs. @default the gateway's own result cache flush */
  readonly flush?: () => void;
  /** @default Date.now */
  readonly clock?: () => number;
}

/** A running local gateway. */
export interface LocalGateway {
  /** The invoke URL: `http://127.0.0.1:PORT/<stage>` (REST, named HTTP stages) or `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  readonly port: number;
  /** The authorization step, for its invocation count and its cache flush. */
  readonly authorization: GatewayAuthorization;
  /** Closes the listener and every connection. Safe to call twice. */
  stop(): Promise<void>;
}

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
 * An imitation of API Gateway on 127.0.0.1, each behaviour written from AWS's documentation (cited
 * where it is implemented, under `local/api-gateway/`): stages, route selection per API type,
 * authorizer events as captured, identity-source caching, the 10 s authorizer timeout, answer
 * validation, IAM policy evaluation, REST gateway responses, the header size quota, and the
 * integrations' header mappings from the authorizer context. Allowed requests go to an HTTP
 * integration with the mapped headers replacing what the client sent under those names.
 */
export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const { format, stage } = options;
  const authorization = new GatewayAuthorization({
    format,
    authorizer: options.authorizer,
    identitySources: options.identitySources,
    resultsTtlSeconds: options.resultsTtlSeconds,
    ...(options.methodArnPath ? { methodArnPath: options.methodArnPath } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  // The invoke URL, known once the gateway listens (before any request).
  let invokeUrl = '';
  // Read per answer: the stack names the gateway's own URL in them.
  const responseOf = (type: RestGatewayResponseType) =>
    (options.restGatewayResponses?.(invokeUrl) ?? []).find((response) => response.type === type);

  const mutualTls = options.mutualTls;
  const onRequest = (incoming: IncomingMessage, outgoing: import('node:http').ServerResponse) => {
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
          path: (incoming.url ?? '/').split('?')[0]?.slice(0, 256),
          status: answer.status,
          latencyMs: Date.now() - started,
        });
      });
  };
  const server = createLocalServer(onRequest, mutualTls);

  async function handle(incoming: IncomingMessage): Promise<HttpAnswer> {
    const target = incoming.url ?? '/';
    const method = (incoming.method ?? 'GET').toUpperCase();
    if (headerBytes(incoming, format === 'http' ? `${method} ${target} HTTP/1.1` : '') > MAX_HEADER_BYTES) {
      return json(431, { message: 'Request Header Fields Too Large' });
    }
    const body = await readBody(incoming, maxBodyBytes);
    const path = target.split('?')[0] ?? '/';
    if (path === LOCAL_FLUSH_PATH && method === 'POST') {
      (options.flush ?? (() => authorization.flush()))();
      return { status: 204, headers: {}, body: '' };
    }
    const clientCertificate = mutualTls === undefined ? undefined : clientCertificateOf(incoming.socket as TLSSocket);
    const routed = routeRequest(format, stage, options.routes, {
      method,
      target,
      rawHeaders: incoming.rawHeaders,
      sourceIp: incoming.socket.remoteAddress ?? LOOPBACK_HOST,
      scheme: mutualTls === undefined ? 'http' : 'https',
      port: incoming.socket.localPort ?? 0,
      ...(clientCertificate === undefined ? {} : { clientCertificate }),
    });
    if ('unrouted' in routed) {
      // REST: a stage the API lacks is 403; no resource or method is the MISSING_AUTHENTICATION_TOKEN
      // response, "including the cases when the client attempts to invoke an unsupported API method
      // or resource". HTTP: "If no routes match a request, API Gateway returns {"message":"Not Found"}",
      // unless CORS is configured and it is a preflight: "API Gateway automatically sends a response
      // to preflight OPTIONS requests, even if there isn't an OPTIONS route configured for your API".
      if (format === 'http') {
        if (options.cors !== undefined && isHttpApiPreflight(method, incoming.rawHeaders)) {
          return httpApiPreflightAnswer(options.cors, incoming.rawHeaders);
        }
        return json(404, { message: 'Not Found' });
      }
      return routed.unrouted === 'no-stage'
        ? json(403, { message: 'Forbidden' })
        : gatewayResponse('MISSING_AUTHENTICATION_TOKEN', {}, json(403, { message: 'Missing Authentication Token' }));
    }
    const { route, request } = routed;
    if (route.authorization === 'none') return withCors(await forward(route, request, body, {}), request);
    const outcome = await authorization.authorize(request);
    if (outcome.kind !== 'allow') return denial(outcome);
    return withCors(await forward(route, request, body, outcome.context), request);
  }

  /** HTTP API with CORS: the configured headers on an integration's answer, its own dropped. */
  function withCors(answer: HttpAnswer, request: GatewayRequest): HttpAnswer {
    if (format !== 'http' || options.cors === undefined) return answer;
    return withHttpApiCorsHeaders(answer, options.cors, request.method, request.rawHeaders);
  }

  function denial(outcome: Exclude<AuthorizationOutcome, { kind: 'allow' }>): HttpAnswer {
    if (format === 'http') {
      // HTTP APIs have no gateway responses: plain messages, no WWW-Authenticate.
      if (outcome.kind === 'unauthorized') return json(401, { message: 'Unauthorized' });
      if (outcome.kind === 'forbidden') return json(403, { message: 'Forbidden' });
      return json(500, { message: 'Internal Server Error' });
    }
    if (outcome.kind === 'unauthorized')
      return gatewayResponse('UNAUTHORIZED', {}, json(401, { message: 'Unauthorized' }));
    if (outcome.kind === 'forbidden') {
      return gatewayResponse(
        'ACCESS_DENIED',
        outcome.context,
        json(403, { Message: 'User is not authorized to access this resource' }),
      );
    }
    return gatewayResponse('AUTHORIZER_CONFIGURATION_ERROR', {}, json(500, { message: null }));
  }

  /**
   * A gateway response of `type`: the customized one, else `DEFAULT_4XX`/`DEFAULT_5XX` by the status
   * class ("If the response type is unspecified, this response defaults to the `DEFAULT_4XX` type"),
   * keeping the type's own status, else API Gateway's built-in answer (`fallback`).
   */
  function gatewayResponse(
    type: RestGatewayResponseType | 'MISSING_AUTHENTICATION_TOKEN',
    context: Readonly<Record<string, unknown>>,
    fallback: HttpAnswer,
  ): HttpAnswer {
    const response =
      (type === 'MISSING_AUTHENTICATION_TOKEN' ? undefined : responseOf(type)) ??
      responseOf(fallback.status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX');
    if (response === undefined) return fallback;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) headers[name.toLowerCase()] = value;
    // Simple substitution of $context.authorizer.<key> and $context.error.messageString ("The quoted
    // value of $context.error.message"), as gateway response templates do.
    const message = (JSON.parse(fallback.body) as { message?: unknown; Message?: unknown }) ?? {};
    const body = response.bodyTemplate
      .replace(/\$context\.authorizer\.([A-Za-z0-9_]+)/g, (_, key: string) => String(context[key] ?? ''))
      .replaceAll('$context.error.messageString', JSON.stringify(message.message ?? message.Message ?? null));
    return { status: response.statusCode ?? fallback.status, headers, body };
  }

  async function forward(
    route: LocalGatewayRoute,
    request: GatewayRequest,
    body: string,
    context: Readonly<Record<string, unknown>>,
  ): Promise<HttpAnswer> {
    if (route.integration === CORS_PREFLIGHT_INTEGRATION && route.authorization === 'none') {
      if (options.cors === undefined) return json(500, { message: 'Internal Server Error' });
      // REST: the OPTIONS method's MOCK integration; HTTP API: the preflight function (204, no body).
      if (format === 'rest') return restCorsPreflightAnswer(options.cors, request.rawHeaders);
      const answer = await corsPreflightFunction();
      return { status: answer.statusCode, headers: {}, body: '' };
    }
    const fixed = options.staticIntegrations?.(invokeUrl)[route.integration];
    if (fixed !== undefined) return fixed;
    const base = options.integrations[route.integration];
    if (base === undefined) return json(500, { message: 'Internal Server Error' });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(lowerCaseHeaders(request.rawHeaders))) {
      if (!HOP_BY_HOP.has(name)) headers[name] = value;
    }
    for (const mapping of options.contextHeaders) {
      const value = context[mapping.contextKey];
      headers[mapping.header.toLowerCase()] = value === undefined || value === null ? '' : String(value);
    }
    const query = request.rawQueryString ? `?${request.rawQueryString}` : '';
    let response: Response;
    try {
      response = await fetch(`${base.replace(/\/+$/, '')}${request.pathAfterStage}${query}`, {
        method: request.method,
        headers,
        ...(request.method === 'GET' || request.method === 'HEAD' ? {} : { body }),
        redirect: 'manual',
        signal: AbortSignal.timeout(29_000),
      });
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
  const origin = `${mutualTls === undefined ? 'http' : 'https'}://${LOOPBACK_HOST}:${port}`;
  invokeUrl = stage === '$default' ? origin : `${origin}/${stage}`;
  let stopping: Promise<void> | undefined;
  return {
    url: invokeUrl,
    origin,
    port,
    authorization,
    stop: () => {
      stopping ??= closeServer(server);
      return stopping;
    },
  };
}

/** The `clientCert` fields of the peer's certificate, as API Gateway documents them. */
function clientCertificateOf(socket: TLSSocket): ClientCertificateFields | undefined {
  const raw = socket.getPeerCertificate?.()?.raw;
  if (raw === undefined || raw.length === 0) return undefined;
  const certificate = new X509Certificate(raw);
  const base64 = raw.toString('base64');
  const pem = `-----BEGIN CERTIFICATE-----\n${base64.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  return {
    clientCertPem: pem,
    subjectDN: certificate.subject.split('\n').join(','),
    issuerDN: certificate.issuer.split('\n').join(','),
    serialNumber: (certificate.serialNumber.toLowerCase().match(/../g) ?? []).join(':'),
    validity: { notBefore: certificate.validFrom, notAfter: certificate.validTo },
  };
}

/** The header values' bytes, plus the request line where the quota counts it (HTTP APIs). */
function headerBytes(incoming: IncomingMessage, requestLine: string): number {
  let total = Buffer.byteLength(requestLine);
  for (let i = 1; i < incoming.rawHeaders.length; i += 2) total += Buffer.byteLength(incoming.rawHeaders[i] as string);
  return total;
}
