import { DependencyError } from '../core/dependency-error.ts';
import { fetchHttpClient, type HttpAnswer, type HttpClient, isHttpClientError } from '../core/http-client.ts';
import type { IntrospectionAnswer, IntrospectionResponseFormat, Introspector } from '../core/ports.ts';

/** Settings of {@link HttpIntrospector}. */
export interface HttpIntrospectorOptions {
  readonly endpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** @default 'client_secret_basic' */
  readonly clientAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  readonly responseFormat: IntrospectionResponseFormat;
  /** Deadline of one call, connection included. */
  readonly timeoutMs: number;
  /**
   * Largest answer read, in bytes, counted as it streams; a larger one is a protocol fault and its
   * connection is closed. @default 65536 (64 KiB: an RFC 9701 answer is one JWT)
   */
  readonly maxBodyBytes?: number;
  /** How the endpoint is called; on Lambda, `NodeHttpClient`. @default web fetch ({@link fetchHttpClient}) */
  readonly http?: HttpClient;
}

const MEDIA_TYPE: Record<IntrospectionResponseFormat, string> = {
  'token-introspection+jwt': 'application/token-introspection+jwt',
  jwt: 'application/jwt',
};
/** Larger answers are not introspection responses; refuse them rather than buffer them. */
const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/**
 * RFC 7662 introspection over an {@link HttpClient}, asking for a signed answer: RFC 9701
 * `application/token-introspection+jwt`, or `application/jwt` where the answer is the access-token
 * JWT itself (204 or an empty body meaning inactive). It only transports: the core verifies.
 */
export class HttpIntrospector implements Introspector {
  private readonly options: HttpIntrospectorOptions;
  private readonly http: HttpClient;
  private readonly basicAuthorization: string;
  private readonly maxBodyBytes: number;

  constructor(options: HttpIntrospectorOptions) {
    this.options = options;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (!Number.isSafeInteger(this.maxBodyBytes) || this.maxBodyBytes < 1) {
      throw new RangeError('HttpIntrospector maxBodyBytes must be a positive integer');
    }
    this.http = options.http ?? fetchHttpClient();
    // RFC 6749 section 2.3.1: form-encode id and secret before Base64.
    this.basicAuthorization = `Basic ${btoa(`${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`)}`;
  }

  async introspect(token: string): Promise<IntrospectionAnswer> {
    const { format, body } = await this.call(token);
    if (format === 'json') return readJsonAnswer(body);
    const jwt = body.trim();
    if (jwt.length === 0) return { kind: 'inactive' };
    if (!COMPACT_JWS.test(jwt)) throw protocolError('the signed answer is not a compact JWS');
    return { kind: 'signed', jwt, format: this.options.responseFormat };
  }

  private async call(token: string): Promise<{ format: 'json' | 'jwt'; body: string }> {
    const { endpoint, clientId, clientSecret, clientAuthMethod, responseFormat, timeoutMs } = this.options;
    // Form-encoded by hand: URLSearchParams loads Node's querystring on first use, part of a cold start.
    let form = `token=${formEncode(token)}&token_type_hint=access_token`;
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: MEDIA_TYPE[responseFormat],
    };
    if (clientAuthMethod === 'client_secret_post') {
      form += `&client_id=${formEncode(clientId)}&client_secret=${formEncode(clientSecret)}`;
    } else {
      headers.authorization = this.basicAuthorization;
    }
    let response: HttpAnswer;
    try {
      response = await this.http.request({
        url: endpoint,
        method: 'POST',
        headers,
        body: form,
        timeoutMs,
        maxBodyBytes: this.maxBodyBytes,
        redirect: 'error',
        // Introspection only reads the server's state: asking twice does no harm.
        idempotent: true,
      });
    } catch (error) {
      if (isHttpClientError(error) && error.code === 'body_too_large') throw protocolError('answer too large');
      throw new DependencyError('introspection_unavailable', `Introspection request failed (${nameOf(error)})`, {
        cause: error,
      });
    }
    const body = response.body;
    if (response.status === 204) return { format: 'jwt', body: '' };
    // Some servers refuse to introspect token kinds they do not introspect (oidc-provider answers a JWT
    // access token this way): the token is not active for us, and this is no outage.
    if (response.status === 400 && errorCodeOf(body) === 'unsupported_token_type') return { format: 'jwt', body: '' };
    if (response.status !== 200) throw protocolError(`status ${response.status}`);
    const contentType = (response.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (contentType === 'application/json') return { format: 'json', body };
    if (contentType === MEDIA_TYPE[responseFormat]) return { format: 'jwt', body };
    throw protocolError(`unexpected content type ${contentType.slice(0, 64) || '(none)'}`);
  }
}

/**
 * A plain JSON answer is only ever trusted to say "inactive": an unsigned "active" could come from
 * anyone on the path, so it is a fault, never an allow.
 */
function readJsonAnswer(body: string): IntrospectionAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw protocolError('the JSON answer does not parse');
  }
  if (typeof parsed === 'object' && parsed !== null && (parsed as { active?: unknown }).active === false) {
    return { kind: 'inactive' };
  }
  throw protocolError('an unsigned answer that does not say inactive');
}

function errorCodeOf(body: string): unknown {
  try {
    return (JSON.parse(body) as { error?: unknown }).error;
  } catch {
    return undefined;
  }
}

function protocolError(detail: string): DependencyError {
  return new DependencyError('introspection_unavailable', `Unusable introspection answer: ${detail}`);
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

function nameOf(error: unknown): string {
  if (isHttpClientError(error)) return error.message;
  return error instanceof Error ? error.name : 'unknown error';
}
