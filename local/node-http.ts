import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

/** A complete HTTP answer, ready to send. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The request body was larger than allowed. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Reads a request body, refusing more than `maxBytes` (`BodyTooLargeError`) as it streams. */
export async function readBodyBytes(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) throw new BodyTooLargeError(`body larger than ${maxBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads a request body as UTF-8 text, refusing more than `maxBytes`. */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  return (await readBodyBytes(request, maxBytes)).toString('utf8');
}

/** A server's key and certificate, and the CA its clients' certificates must chain to. */
export interface MutualTlsServerOptions {
  readonly key: string;
  readonly cert: string;
  readonly clientCa: string;
}

/**
 * A plain HTTP server, or with `mutualTls` an HTTPS one that requires a client certificate chaining
 * to its CA (the handshake fails otherwise, as on an API Gateway custom domain with mutual TLS).
 */
export function createLocalServer(onRequest: RequestListener, mutualTls: MutualTlsServerOptions | undefined): Server {
  if (mutualTls === undefined) return createServer(onRequest);
  const options = {
    key: mutualTls.key,
    cert: mutualTls.cert,
    ca: mutualTls.clientCa,
    requestCert: true,
    rejectUnauthorized: true,
  };
  return createHttpsServer(options, onRequest) as unknown as Server;
}

/** Headers (Node's `rawHeaders`) with lower-case names; a repeated header is joined with commas (as payload 2.0 does). */
export function lowerCaseHeaders(rawHeaders: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return headers;
}

/** Sends an answer and ends the response. */
export function send(response: ServerResponse, answer: HttpAnswer): void {
  response.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  response.end(answer.body);
}

/** A JSON answer. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
