import { createServer, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from '../../local/loopback-http.ts';

/** One request as it arrived: names in lower case, repeated headers kept apart. */
export interface RecordedRequest {
  readonly method: string;
  /** The request target: path and query as sent. */
  readonly url: string;
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: Buffer;
}

/** Answers a recorded request; it may also never answer (to let a deadline pass). */
export type RecordingResponder = (request: RecordedRequest, response: ServerResponse) => void;

/** A running recording server. */
export interface RecordingHttpServer {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** Every request so far, oldest first. */
  readonly requests: readonly RecordedRequest[];
  respondWith(responder: RecordingResponder): void;
  stop(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 that records exactly what reached it (every header line, the body as
 * bytes) and answers however the test says: what a front passes on is read here, not from the
 * front's own account of it.
 */
export async function startRecordingHttpServer(initial: RecordingResponder): Promise<RecordingHttpServer> {
  let responder = initial;
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const headers: Record<string, string[]> = {};
      for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
        const name = (incoming.rawHeaders[i] as string).toLowerCase();
        headers[name] = [...(headers[name] ?? []), incoming.rawHeaders[i + 1] as string];
      }
      const request = { method: incoming.method ?? '', url: incoming.url ?? '', headers, body: Buffer.concat(chunks) };
      requests.push(request);
      responder(request, response);
    });
  });
  const port = await listenOnLoopback(server, 0);
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    respondWith: (next) => {
      responder = next;
    },
    stop: () => closeServer(server),
  };
}
