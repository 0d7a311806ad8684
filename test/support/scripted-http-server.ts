import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from '../../local/loopback-http.ts';

/** Answers one request; `body` is the request body read in full. */
export type Responder = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** A running scripted server. */
export interface ScriptedHttpServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly endpoint: string;
  /** Requests answered so far. */
  readonly requests: number;
  /** What the next requests are answered with. */
  respondWith(responder: Responder): void;
  stop(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 that answers however the test says: an introspection endpoint that
 * misbehaves, an attacker's JWKS, DynamoDB throttling. It counts requests.
 */
export async function startScriptedHttpServer(initial: Responder): Promise<ScriptedHttpServer> {
  let responder = initial;
  let requests = 0;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      requests++;
      responder(request, body, response);
    });
  });
  const port = await listenOnLoopback(server, 0);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    respondWith: (next) => {
      responder = next;
    },
    stop: () => closeServer(server),
  };
}
