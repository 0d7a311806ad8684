import type { ConnectionSeen, FrontRequest, FrontResponse } from '../core/issuing/authorization-server-front.ts';
import type { ProxyRequest, ProxyResponse } from '../core/issuing/token-endpoint-proxy.ts';
import { sourceAddressOf } from './api-gateway/source-address.ts';

/**
 * The parts of an API Gateway HTTP API or Lambda function URL event (payload 2.0) that are read.
 * AWS documents that format 2.0 takes the request's cookies out of `headers` into `cookies`, and
 * joins repeated headers with commas.
 */
export interface HttpPayloadV2Event {
  readonly version?: string;
  readonly rawPath?: string;
  readonly rawQueryString?: string;
  readonly cookies?: readonly string[];
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly requestContext?: {
    readonly domainName?: string;
    /** Mutual TLS on the custom domain: the client certificate (empty strings without mutual TLS). */
    readonly authentication?: { readonly clientCert?: { readonly clientCertPem?: string } };
    readonly http?: { readonly method?: string; readonly path?: string; readonly sourceIp?: string };
  };
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/** The structured result a payload 2.0 integration returns; each of `cookies` becomes a `Set-Cookie`. */
export interface HttpPayloadV2Result {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly cookies?: readonly string[];
  readonly body: string;
  readonly isBase64Encoded: boolean;
}

/** Reads a payload 2.0 event (header names are lower case there already). */
export function proxyRequestFromEvent(event: HttpPayloadV2Event): ProxyRequest {
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    path: event.rawPath ?? event.requestContext?.http?.path ?? '/',
    headers: headersOf(event),
    body: new TextDecoder().decode(bodyOf(event)),
  };
}

/** The payload 2.0 result for a proxy response. */
export function resultFromProxyResponse(response: ProxyResponse): HttpPayloadV2Result {
  return { statusCode: response.status, headers: { ...response.headers }, body: response.body, isBase64Encoded: false };
}

/**
 * Reads a payload 2.0 event from an HTTP API for the authorization server front. What the front
 * saw of the connection comes from the request context, never from headers: the client's address
 * is `requestContext.http.sourceIp` (the TCP peer API Gateway saw), the host is
 * `requestContext.domainName` (the custom domain the client reached), and the scheme is https
 * (HTTP APIs serve HTTPS only).
 */
function certificateOf(pem: unknown): { clientCertificatePem?: string } {
  // A PEM certificate only (AWS's documentation samples carry a placeholder there).
  return typeof pem === 'string' && pem.startsWith('-----BEGIN CERTIFICATE-----') ? { clientCertificatePem: pem } : {};
}

export function frontRequestFromEvent(event: HttpPayloadV2Event): FrontRequest {
  const seen: ConnectionSeen = {
    clientAddress: sourceAddressOf({ ...event, version: '2.0' }),
    protocol: 'https',
    host: validHost(event.requestContext?.domainName),
    // An HTTP API custom domain with mutual TLS hands the certificate to the integration; a function
    // URL cannot do mutual TLS at all.
    ...certificateOf(event.requestContext?.authentication?.clientCert?.clientCertPem),
  };
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    path: event.rawPath ?? event.requestContext?.http?.path ?? '/',
    query: event.rawQueryString ?? '',
    headers: headersOf(event),
    body: bodyOf(event),
    seen,
  };
}

/** The payload 2.0 result for a front response: bytes go base64-encoded, cookies as `cookies`. */
export function resultFromFrontResponse(response: FrontResponse): HttpPayloadV2Result {
  const binary = typeof response.body !== 'string';
  return {
    statusCode: response.status,
    headers: { ...response.headers },
    ...(response.cookies.length > 0 ? { cookies: [...response.cookies] } : {}),
    body: typeof response.body === 'string' ? response.body : bytesToBase64(response.body),
    isBase64Encoded: binary,
  };
}

/** Headers with lower-case names; the cookies API Gateway took out of them go back in one `cookie` header. */
function headersOf(event: HttpPayloadV2Event): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  const cookies = (event.cookies ?? []).filter((cookie) => typeof cookie === 'string');
  if (cookies.length > 0) headers.cookie = cookies.join('; ');
  return headers;
}

function bodyOf(event: HttpPayloadV2Event): Uint8Array<ArrayBuffer> {
  const raw = event.body ?? '';
  return event.isBase64Encoded ? base64ToBytes(raw) : new TextEncoder().encode(raw);
}

/** A DNS name (with an optional port); anything else gives undefined. */
function validHost(value: string | undefined): string | undefined {
  return value !== undefined && /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/.test(value) ? value : undefined;
}

function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
