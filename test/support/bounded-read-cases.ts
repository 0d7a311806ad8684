import { expect, it } from 'vitest';
import { type HttpClient, isHttpClientError } from '../../lambda/core/http-client.ts';
import { pieces, type StreamedAnswer, type StreamingHttpServer } from './streaming-http-server.ts';

/**
 * Reads the body at `url` no further than `limit` bytes: the text, or undefined when the body is
 * larger. Each transport under test gives its own (web `fetch` with `readBoundedText`, an
 * `HttpClient`).
 */
export type BoundedRead = (url: string, limit: number) => Promise<string | undefined>;

const LIMIT = 64 * 1024;
const encoder = new TextEncoder();
const byteLength = (text: string) => encoder.encode(text).byteLength;

/** 2 MiB in 8 KiB pieces, 5 ms apart: about 1.3 s for a reader that reads it all. */
const slowOversizedPieces = () => pieces(256, 8 * 1024);

const ok = (headers: string[] = []): string[] => ['HTTP/1.1 200 OK', 'Content-Type: text/plain', ...headers];

/**
 * Every body read from the network stops as soon as it passes its limit, whatever the framing and
 * whatever Content-Length says. What is observed is the server's side of the connection (how much
 * it wrote before the client hung up), so the cases hold for any HTTP client behind the reader.
 * Registers the cases (`it`) in the calling `describe`.
 */
export function boundedReadCases(server: () => StreamingHttpServer, readBody: BoundedRead): void {
  async function read(answer: StreamedAnswer, limit = LIMIT) {
    server().answerWith(() => answer);
    const url = server().freshUrl();
    const text = await readBody(url, limit);
    return { text, connection: () => server().report(url) };
  }

  it('stops reading a chunked body that passes the limit, closing the connection before the server is done', async () => {
    const { text, connection } = await read({
      head: ok(['Transfer-Encoding: chunked']),
      framing: 'chunked',
      pieces: slowOversizedPieces(),
      pauseMs: 5,
    });

    expect(text).toBeUndefined();
    const report = await connection();
    expect(report.closedByClientBeforeEnd).toBe(true);
    expect(report.bodyBytesWritten).toBeLessThan(report.bodyBytesPlanned);
  });

  it('stops reading a body without Content-Length that runs until the connection closes', async () => {
    const { text, connection } = await read({ head: ok(), framing: 'raw', pieces: slowOversizedPieces(), pauseMs: 5 });

    expect(text).toBeUndefined();
    const report = await connection();
    expect(report.closedByClientBeforeEnd).toBe(true);
    expect(report.bodyBytesWritten).toBeLessThan(report.bodyBytesPlanned);
  });

  it('refuses a declared Content-Length above the limit without reading the body', async () => {
    const { text, connection } = await read({
      head: ok([`Content-Length: ${2 * 1024 * 1024}`]),
      framing: 'raw',
      pieces: slowOversizedPieces(),
      pauseMs: 5,
    });

    expect(text).toBeUndefined();
    const report = await connection();
    expect(report.closedByClientBeforeEnd).toBe(true);
    expect(report.bodyBytesWritten).toBeLessThan(report.bodyBytesPlanned);
  });

  it('never hands over more than the limit when Content-Length declares less than is sent', async () => {
    // RFC 9112 section 6.3: the declared length frames the message; what follows is not its body.
    const { text } = await read({
      head: ok(['Content-Length: 16']),
      framing: 'raw',
      pieces: pieces(16, 8 * 1024, 'x'),
    });

    expect(text === undefined || byteLength(text) <= 16).toBe(true);
  });

  it('accepts a body of exactly the limit, chunked or with Content-Length, and refuses one byte more', async () => {
    const exact = [...pieces(7, 8 * 1024, 'a'), encoder.encode('b'.repeat(8 * 1024))];
    const oneMore = [...exact, encoder.encode('c')];
    const expected = `${'a'.repeat(7 * 8 * 1024)}${'b'.repeat(8 * 1024)}`;

    const chunked = await read({ head: ok(['Transfer-Encoding: chunked']), framing: 'chunked', pieces: exact });
    const declared = await read({ head: ok([`Content-Length: ${LIMIT}`]), framing: 'raw', pieces: exact });
    const chunkedOver = await read({ head: ok(['Transfer-Encoding: chunked']), framing: 'chunked', pieces: oneMore });
    const declaredOver = await read({ head: ok([`Content-Length: ${LIMIT + 1}`]), framing: 'raw', pieces: oneMore });

    expect(chunked.text).toBe(expected);
    expect(declared.text).toBe(expected);
    expect(chunkedOver.text).toBeUndefined();
    expect(declaredOver.text).toBeUndefined();
  });

  it('counts bytes, not characters: half the limit in three-byte characters is over the limit', async () => {
    const euros = encoder.encode('€'.repeat(LIMIT / 2));
    const { text } = await read({ head: ok(['Transfer-Encoding: chunked']), framing: 'chunked', pieces: [euros] });

    expect(euros.byteLength).toBeGreaterThan(LIMIT);
    expect(text).toBeUndefined();
  });
}

/** {@link BoundedRead} through an {@link HttpClient}: its `body_too_large` failure is the "larger". */
export function boundedReadOver(http: HttpClient): BoundedRead {
  return async (url, limit) => {
    try {
      return (await http.request({ url, timeoutMs: 10_000, maxBodyBytes: limit })).body;
    } catch (error) {
      if (isHttpClientError(error) && error.code === 'body_too_large') return undefined;
      throw error;
    }
  };
}

/** {@link BoundedRead} through {@link HttpClient.requestBytes}, the bytes decoded as UTF-8 to compare. */
export function boundedBytesReadOver(http: HttpClient): BoundedRead {
  return async (url, limit) => {
    try {
      return new TextDecoder().decode((await http.requestBytes({ url, timeoutMs: 10_000, maxBodyBytes: limit })).body);
    } catch (error) {
      if (isHttpClientError(error) && error.code === 'body_too_large') return undefined;
      throw error;
    }
  };
}
