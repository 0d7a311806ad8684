import type { ProxyRequest, ProxyResponse } from '../token-endpoint-proxy.ts';

/** The parts of an API Gateway HTTP API or Lambda function URL event (payload 2.0) that are read. */
export interface HttpPayloadV2Event {
  readonly version?: string;
  readonly rawPath?: string;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly requestContext?: { readonly http?: { readonly method?: string; readonly path?: string } };
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/** The structured result a payload 2.0 integration returns. */
export interface HttpPayloadV2Result {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly isBase64Encoded: false;
}

/** Reads a payload 2.0 event (header names are lower case there already). */
export function proxyRequestFromEvent(event: HttpPayloadV2Event): ProxyRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  const raw = event.body ?? '';
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    path: event.rawPath ?? event.requestContext?.http?.path ?? '/',
    headers,
    body: event.isBase64Encoded ? new TextDecoder().decode(base64ToBytes(raw)) : raw,
  };
}

/** The payload 2.0 result for a proxy response. */
export function resultFromProxyResponse(response: ProxyResponse): HttpPayloadV2Result {
  return { statusCode: response.status, headers: { ...response.headers }, body: response.body, isBase64Encoded: false };
}

function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
