import { createServer, type Server, type Socket } from 'node:net';

/** How one answer is written, byte for byte, whatever HTTP allows or forbids. */
export interface StreamedAnswer {
  /** Status line and header lines, without line ends; `Connection: close` is always added. */
  readonly head: readonly string[];
  /**
   * `chunked`: each piece as one chunk of chunked transfer coding (RFC 9112 section 7.1), then the
   * last chunk. `raw`: the pieces as they are (a body framed by `Content-Length`, true or not, or by
   * the end of the connection).
   */
  readonly framing: 'chunked' | 'raw';
  readonly pieces: readonly Uint8Array[];
  /** Pause before each piece after the first, so a reader that stops early is seen to. @default 0 */
  readonly pauseMs?: number;
}

/** What the server saw of one connection, from its own side of the socket. */
export interface ConnectionReport {
  /** Body bytes handed to the socket before it closed or the body was done. */
  readonly bodyBytesWritten: number;
  /** Body bytes the answer had in all. */
  readonly bodyBytesPlanned: number;
  /** Whether the whole answer was written. */
  readonly finished: boolean;
  /** Whether the client closed the connection before the whole answer was written. */
  readonly closedByClientBeforeEnd: boolean;
}

/**
 * A TCP server on 127.0.0.1 that answers every HTTP request with a scripted byte stream, slowly if
 * asked, and reports from the server's side how far it got before the client hung up. Written on
 * node:net so the test does not depend on what an HTTP library lets a server send (a lying
 * `Content-Length`, a body ended by closing the connection), nor on the client's internals. Each
 * answer closes its connection; reports are kept by request path (clients may open spare
 * connections, so connections are not counted).
 */
export class StreamingHttpServer {
  private readonly sockets = new Set<Socket>();
  private readonly reports = new Map<
    string,
    { promise: Promise<ConnectionReport>; resolve: (r: ConnectionReport) => void }
  >();
  private nextPath = 0;
  private answer: () => StreamedAnswer;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    answer: () => StreamedAnswer,
    register: (serve: (socket: Socket) => void) => void,
  ) {
    this.answer = answer;
    register((socket) => this.serve(socket));
  }

  static async start(answer: () => StreamedAnswer): Promise<StreamingHttpServer> {
    let serve: (socket: Socket) => void = () => {};
    const server = createServer((socket) => serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('not bound to a TCP port');
    return new StreamingHttpServer(server, `http://127.0.0.1:${address.port}`, answer, (handler) => {
      serve = handler;
    });
  }

  /** What the next connections are answered with. */
  answerWith(answer: () => StreamedAnswer): void {
    this.answer = answer;
  }

  /** A URL no request has used yet, so its report is this request's alone. */
  freshUrl(): string {
    return `${this.url}/request-${this.nextPath++}`;
  }

  /** The report of the connection that asked for `url`, once that connection has closed. */
  report(url: string): Promise<ConnectionReport> {
    return this.slot(new URL(url).pathname).promise;
  }

  private slot(path: string) {
    let slot = this.reports.get(path);
    if (slot === undefined) {
      let resolve: (report: ConnectionReport) => void = () => {};
      const promise = new Promise<ConnectionReport>((done) => {
        resolve = done;
      });
      slot = { promise, resolve };
      this.reports.set(path, slot);
    }
    return slot;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    // Chosen when the request arrives, not when the connection opens: clients open spare
    // connections ahead of requests.
    let answer: StreamedAnswer | undefined;
    let planned = 0;
    let written = 0;
    let finished = false;
    let closed = false;
    let path: string | undefined;
    socket.once('close', () => {
      closed = true;
      this.sockets.delete(socket);
      if (path === undefined) return;
      this.slot(path).resolve({
        bodyBytesWritten: written,
        bodyBytesPlanned: planned,
        finished,
        closedByClientBeforeEnd: !finished,
      });
    });
    socket.on('error', () => undefined);

    let request = '';
    const onData = (data: Buffer): void => {
      request += data.toString('latin1');
      if (!request.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.resume();
      path = request.split(' ')[1] ?? '/';
      answer = this.answer();
      planned = answer.pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
      void write(answer);
    };
    socket.on('data', onData);

    const write = async (answer: StreamedAnswer): Promise<void> => {
      const head = [...answer.head, 'Connection: close'].join('\r\n');
      socket.write(`${head}\r\n\r\n`);
      for (const [index, piece] of answer.pieces.entries()) {
        if (index > 0 && answer.pauseMs) await new Promise((resolve) => setTimeout(resolve, answer.pauseMs));
        if (closed || socket.destroyed) return;
        if (answer.framing === 'chunked') {
          socket.write(`${piece.byteLength.toString(16)}\r\n`);
          socket.write(piece);
          socket.write('\r\n');
        } else {
          socket.write(piece);
        }
        written += piece.byteLength;
      }
      if (closed || socket.destroyed) return;
      if (answer.framing === 'chunked') socket.write('0\r\n\r\n');
      finished = true;
      socket.end();
    };
  }
}

/** `count` pieces of `size` bytes of `fill` (ASCII). */
export function pieces(count: number, size: number, fill = ' '): Uint8Array[] {
  return Array.from({ length: count }, () => new TextEncoder().encode(fill.repeat(size)));
}
