import { decodeJwt } from 'jose';
import type { JoseCrypto } from '../crypto-port.ts';
import { failureDetail, fetchHttpClient, type HttpAnswer, type HttpClient } from '../http-client.ts';
import type { DecisionLog } from '../ports.ts';
import { hashToken, type TokenHashAlgorithm, tokenLogId } from '../token-hash.ts';
import { webJoseCrypto } from '../web-crypto.ts';
import { requestingClientIdOf, tokenClientIdOf } from './revocation-clients.ts';
import { SplitTokenError, splitToken } from './split-token.ts';
import { TokenWriteError, type TokenWriter } from './token-writer.ts';

/** An HTTP request as the proxy sees it, whatever carried it (Lambda event, Node server). */
export interface ProxyRequest {
  readonly method: string;
  /** Path without query, e.g. `/token`. */
  readonly path: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body as text (token and revocation requests are form-encoded). */
  readonly body: string;
  /**
   * Headers to set on the upstream request, replacing any of the same name: the forwarding headers
   * the authorization server front sets from what it saw of the connection.
   * @default none
   */
  readonly upstreamHeaders?: Readonly<Record<string, string>>;
}

/** The answer to give the client. */
export interface ProxyResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Settings of {@link TokenEndpointProxy}. */
export interface TokenEndpointProxyOptions {
  /** The authorization server's token endpoint; every token request is forwarded there. */
  readonly upstreamTokenEndpoint: string;
  /**
   * The authorization server's RFC 7009 revocation endpoint.
   * @default none: the revocation path answers 404
   */
  readonly upstreamRevocationEndpoint?: string;
  /** Where records are written, read back before a revocation, and deleted. */
  readonly writer: TokenWriter;
  /** Hash that keys records; must match the authorizer's. @default 'SHA-256' */
  readonly hashAlgorithm?: TokenHashAlgorithm;
  /**
   * Clients (the JWT's `client_id` claim) whose JWT access tokens are returned unchanged, for
   * clients that are meant to hold JWTs. @default [] (every JWT access token is split)
   */
  readonly passThroughClientIds?: readonly string[];
  /** Deadline of one upstream call. @default 5000 */
  readonly upstreamTimeoutMs?: number;
  /** Path that serves token requests. @default '/token' */
  readonly tokenPath?: string;
  /** Path that serves revocation requests. @default '/revoke' */
  readonly revocationPath?: string;
  /** Largest request body accepted. @default 65536 */
  readonly maxRequestBytes?: number;
  /** How the authorization server is called; on Lambda, `NodeHttpClient`. @default web fetch ({@link fetchHttpClient}) */
  readonly http?: HttpClient;
  /** Token-free diagnostics. @default no logging */
  readonly log?: DecisionLog;
  /** Digests for record keys and log ids; wire node:crypto on Node. @default WebCrypto ({@link webJoseCrypto}) */
  readonly crypto?: JoseCrypto;
  /**
   * Fields added to the log line of a refused revocation so that it also counts as a metric (on
   * Lambda, CloudWatch embedded metric format: the handler supplies them). @default none
   */
  readonly revocationRefusedFields?: () => Record<string, unknown>;
}

/**
 * Request headers passed on to the authorization server; all others stay here. `origin` lets the
 * server answer a browser client's CORS request; `user-agent` is for its logs.
 */
export const FORWARDED_REQUEST_HEADERS: readonly string[] = [
  'accept',
  'authorization',
  'content-type',
  'dpop',
  'origin',
  'user-agent',
];

/** Response headers not passed back: hop-by-hop, or no longer true once the body is re-read. */
export const DROPPED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'content-encoding',
  'content-length',
  'keep-alive',
  'proxy-authenticate',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
const MAX_UPSTREAM_BODY_BYTES = 1024 * 1024;
/** Three non-empty base64url parts: a JWS (a JWE has five parts and passes through). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** What a split token can look like (a JWS signature in base64url); others are not in the table. */
const POSSIBLE_SPLIT_TOKEN = /^[A-Za-z0-9_-]{16,1366}$/;
const noLog: DecisionLog = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * A token endpoint proxy that turns any authorization server into a split-token issuer (DESIGN
 * sections 1 and 2). Token requests go upstream unchanged; when the answer is a 200 JSON token
 * response whose `access_token` is a JWS, the record is written first and the client gets the
 * signature as its opaque `access_token`, the rest of the answer unchanged. If the record cannot be
 * written the client gets an OAuth `server_error`, never a token the gateway cannot resolve. Any
 * other answer (errors, opaque tokens, JWE, pass-through clients) reaches the client untouched.
 *
 * Revocation requests go upstream unchanged. The authorization server sees the opaque token, the
 * JWT's signature, which it never issued as a token: by RFC 7009 it answers 200 and changes nothing,
 * so the revocation is the deleted record, and the check RFC 7009 section 2.1 asks of the server
 * (was the token issued to the client making the request?) is the proxy's. Once the server accepts
 * the request (200, which proves the client authenticated), the proxy reads the record and deletes
 * it only when the client the server authenticated is the token's `client_id`; otherwise it keeps
 * the record, answers what the server answered (RFC 7009: 200 either way) and counts a
 * {@link TokenEndpointProxyMetrics.revocationsRefused}.
 *
 * Runtime-agnostic: an HTTP client port, a crypto port (WebCrypto by default) and jose. Logs carry a short hash id, never token material.
 */
export class TokenEndpointProxy {
  private readonly options: TokenEndpointProxyOptions;
  private readonly http: HttpClient;
  private readonly log: DecisionLog;
  private readonly hashAlgorithm: TokenHashAlgorithm;
  private readonly passThroughClientIds: ReadonlySet<string>;
  private readonly upstreamTimeoutMs: number;
  private readonly maxRequestBytes: number;
  private readonly crypto: JoseCrypto;
  private readonly revocationRefusedFields: () => Record<string, unknown>;

  constructor(options: TokenEndpointProxyOptions) {
    this.crypto = options.crypto ?? webJoseCrypto;
    this.options = options;
    this.http = options.http ?? fetchHttpClient();
    this.log = options.log ?? noLog;
    this.hashAlgorithm = options.hashAlgorithm ?? 'SHA-256';
    this.passThroughClientIds = new Set(options.passThroughClientIds ?? []);
    this.upstreamTimeoutMs = options.upstreamTimeoutMs ?? 5000;
    this.maxRequestBytes = options.maxRequestBytes ?? 65_536;
    this.revocationRefusedFields = options.revocationRefusedFields ?? (() => ({}));
  }

  /** Routes by path: the token path, the revocation path, else 404. */
  async handle(request: ProxyRequest): Promise<ProxyResponse> {
    if (request.path === (this.options.tokenPath ?? '/token')) return this.token(request);
    if (request.path === (this.options.revocationPath ?? '/revoke') && this.options.upstreamRevocationEndpoint) {
      return this.revoke(request);
    }
    return oauthError(404, 'invalid_request', 'no such endpoint');
  }

  /** Forwards a token request and splits a JWT access token in the answer. */
  async token(request: ProxyRequest): Promise<ProxyResponse> {
    if (byteLength(request.body) > this.maxRequestBytes) return oauthError(413, 'invalid_request', 'request too large');
    const upstream = await this.forward(this.options.upstreamTokenEndpoint, request);
    if (!('body' in upstream)) return upstream.failure;
    const jwt = accessTokenJwtOf(upstream);
    if (jwt === undefined) return upstream.response;
    const clientId = clientIdOf(jwt.accessToken);
    if (clientId !== undefined && this.passThroughClientIds.has(clientId)) return upstream.response;

    let split: Awaited<ReturnType<typeof splitToken>>;
    try {
      split = await splitToken(jwt.accessToken, this.hashAlgorithm, this.crypto);
    } catch (error) {
      const code = error instanceof SplitTokenError ? error.code : 'internal_error';
      this.log.error('access token cannot be split', { code, clientId });
      return oauthError(502, 'server_error', 'the authorization server issued an access token that cannot be split');
    }
    const tokenId = await tokenLogId(split.opaqueToken, this.crypto);
    try {
      await this.options.writer.write(split.record);
    } catch (error) {
      const code = error instanceof TokenWriteError ? error.code : 'internal_error';
      this.log.error('split token record not written', {
        code,
        tokenId,
        clientId,
        detail: error instanceof Error ? error.message : 'unknown',
      });
      return code === 'store_unavailable'
        ? oauthError(503, 'server_error', 'the token could not be issued, try again')
        : oauthError(500, 'server_error', 'the token could not be issued');
    }
    this.log.info('split token issued', { tokenId, clientId, expiration: split.record.expiration });
    return {
      status: upstream.response.status,
      headers: { ...upstream.response.headers, 'cache-control': 'no-store' },
      body: JSON.stringify({ ...jwt.answer, access_token: split.opaqueToken }),
    };
  }

  /**
   * Forwards a revocation request; once the authorization server accepts it, deletes the record if
   * the authenticated client is the token's owner.
   */
  async revoke(request: ProxyRequest): Promise<ProxyResponse> {
    const endpoint = this.options.upstreamRevocationEndpoint;
    if (!endpoint) return oauthError(404, 'invalid_request', 'no such endpoint');
    if (byteLength(request.body) > this.maxRequestBytes) return oauthError(413, 'invalid_request', 'request too large');
    const upstream = await this.forward(endpoint, request);
    if (!('body' in upstream)) return upstream.failure;
    const form = revocationFormOf(request);
    const tokens = form?.getAll('token') ?? [];
    const token = tokens.length === 1 ? tokens[0] : undefined;
    if (upstream.response.status !== 200 || form === undefined || token === undefined) return upstream.response;
    if (!POSSIBLE_SPLIT_TOKEN.test(token)) return upstream.response;
    const hashedSignature = await hashToken(token, this.hashAlgorithm, this.crypto);
    const tokenId = await tokenLogId(token, this.crypto);
    const storeFailed = (step: string, error: unknown): ProxyResponse => {
      this.log.error(`split token record not ${step}`, {
        code: error instanceof TokenWriteError ? error.code : 'internal_error',
        tokenId,
        detail: error instanceof Error ? error.message : 'unknown',
      });
      // RFC 7009 section 2.2.1: a 503 tells the client the token still exists and to retry.
      return oauthError(503, 'server_error', 'the token could not be revoked, try again');
    };

    let record: Awaited<ReturnType<TokenWriter['read']>>;
    try {
      record = await this.options.writer.read(hashedSignature);
    } catch (error) {
      return storeFailed('read', error);
    }
    // Not a split token (an opaque token the server has just revoked itself, a refresh token, junk).
    if (record === undefined) return upstream.response;
    const owner = tokenClientIdOf(record.headAndBody);
    const requester = requestingClientIdOf(request.headers.authorization, form);
    if (owner === undefined || requester === undefined || owner !== requester) {
      this.log.warn('split token revocation refused: not the client the token was issued to', {
        tokenId,
        clientId: owner?.slice(0, 256) ?? null,
        requestingClientId: requester?.slice(0, 256) ?? null,
        ...this.revocationRefusedFields(),
      });
      return upstream.response;
    }
    try {
      await this.options.writer.delete(hashedSignature);
    } catch (error) {
      return storeFailed('deleted', error);
    }
    this.log.info('split token revoked', { tokenId, clientId: owner.slice(0, 256) });
    return upstream.response;
  }

  private async forward(
    endpoint: string,
    request: ProxyRequest,
  ): Promise<{ response: ProxyResponse; body: string; contentType: string } | { failure: ProxyResponse }> {
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = request.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    for (const [name, value] of Object.entries(request.upstreamHeaders ?? {})) headers[name.toLowerCase()] = value;
    const method = request.method.toUpperCase();
    let response: HttpAnswer;
    try {
      response = await this.http.request({
        url: endpoint,
        method,
        headers,
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: request.body }),
        redirect: 'manual',
        timeoutMs: this.upstreamTimeoutMs,
        maxBodyBytes: MAX_UPSTREAM_BODY_BYTES,
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      this.log.error('authorization server unreachable', {
        code: timedOut ? 'upstream_timeout' : 'upstream_unavailable',
        detail: failureDetail(error),
      });
      return {
        failure: oauthError(timedOut ? 504 : 502, 'server_error', 'the authorization server did not answer'),
      };
    }
    const responseHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (!DROPPED_RESPONSE_HEADERS.has(name)) responseHeaders[name] = value;
    }
    return {
      response: { status: response.status, headers: responseHeaders, body: response.body },
      body: response.body,
      contentType: mediaTypeOf(response.headers['content-type'] ?? null),
    };
  }
}

/** The answer and its access token, when it is a 200 JSON token response holding a JWS. */
function accessTokenJwtOf(upstream: {
  response: ProxyResponse;
  body: string;
  contentType: string;
}): { answer: Record<string, unknown>; accessToken: string } | undefined {
  if (upstream.response.status !== 200 || upstream.contentType !== 'application/json') return undefined;
  let answer: unknown;
  try {
    answer = JSON.parse(upstream.body);
  } catch {
    return undefined;
  }
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return undefined;
  const accessToken = (answer as Record<string, unknown>).access_token;
  if (typeof accessToken !== 'string' || !COMPACT_JWS.test(accessToken)) return undefined;
  return { answer: answer as Record<string, unknown>, accessToken };
}

function clientIdOf(jwt: string): string | undefined {
  try {
    const clientId = decodeJwt(jwt).client_id;
    return typeof clientId === 'string' ? clientId.slice(0, 256) : undefined;
  } catch {
    return undefined;
  }
}

/** The form of a revocation request (RFC 7009 section 2.1: a form-encoded POST), else undefined. */
function revocationFormOf(request: ProxyRequest): URLSearchParams | undefined {
  if (request.method.toUpperCase() !== 'POST') return undefined;
  if (mediaTypeOf(request.headers['content-type'] ?? null) !== 'application/x-www-form-urlencoded') return undefined;
  return new URLSearchParams(request.body);
}

function oauthError(status: number, error: string, description: string): ProxyResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify({ error, error_description: description }),
  };
}

function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

const encoder = new TextEncoder();

function byteLength(text: string): number {
  return encoder.encode(text).length;
}
