import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBoundedText } from '../../../lambda/core/bounded-body.ts';
import { isDependencyError } from '../../../lambda/core/dependency-error.ts';
import { RemoteJwks } from '../../../lambda/core/remote-jwks.ts';
import { pieces, type StreamedAnswer, StreamingHttpServer } from '../../support/streaming-http-server.ts';

// Every body read from the network stops as soon as it passes its limit, whatever the framing and
// whatever Content-Length says. What is observed is the server's side of the connection (how much
// it wrote before the client hung up), so the tests hold for any HTTP client behind the reader.

const LIMIT = 64 * 1024;
const encoder = new TextEncoder();
const byteLength = (text: string) => encoder.encode(text).byteLength;

/** 2 MiB in 8 KiB pieces, 5 ms apart: about 1.3 s for a reader that reads it all. */
const slowOversizedPieces = () => pieces(256, 8 * 1024);

const ok = (headers: string[] = []): string[] => ['HTTP/1.1 200 OK', 'Content-Type: text/plain', ...headers];

describe('readBoundedText against a real server on 127.0.0.1', () => {
  let server: StreamingHttpServer;
  beforeAll(async () => {
    server = await StreamingHttpServer.start(() => ({ head: ok(), framing: 'raw', pieces: [] }));
  });
  afterAll(() => server.stop());

  async function read(answer: StreamedAnswer, limit = LIMIT) {
    server.answerWith(() => answer);
    const url = server.freshUrl();
    const text = await readBoundedText(await fetch(url), limit);
    return { text, connection: () => server.report(url) };
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
});

describe('RemoteJwks body limit against a real server on 127.0.0.1', () => {
  /** The documented default of RemoteJwksOptions.maxBodyBytes. */
  const DEFAULT_LIMIT = 256 * 1024;
  let server: StreamingHttpServer;
  beforeAll(async () => {
    server = await StreamingHttpServer.start(() => ({ head: ok(), framing: 'raw', pieces: [] }));
  });
  afterAll(() => server.stop());

  const jwksHead = (headers: string[]) => ['HTTP/1.1 200 OK', 'Content-Type: application/json', ...headers];
  const isJwksUnavailable = (error: unknown) => isDependencyError(error) && error.code === 'jwks_unavailable';
  /** A JWKS padded with spaces (insignificant JSON whitespace) to exactly `size` bytes. */
  const paddedJwks = (size: number) => {
    const json = JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'a', kid: 'k1' }] });
    return encoder.encode(json.padEnd(size, ' '));
  };

  it('refuses a JWKS streamed chunked past 256 KiB as a dependency error and closes the connection early', async () => {
    const opening = encoder.encode('{"keys":[');
    server.answerWith(() => ({
      head: jwksHead(['Transfer-Encoding: chunked']),
      framing: 'chunked',
      pieces: [opening, ...pieces(256, 16 * 1024)],
      pauseMs: 5,
    }));
    const url = server.freshUrl();

    await expect(new RemoteJwks({ url, timeoutMs: 10_000 }).keys()).rejects.toSatisfy(isJwksUnavailable);
    const report = await server.report(url);
    expect(report.closedByClientBeforeEnd).toBe(true);
    expect(report.bodyBytesWritten).toBeLessThan(report.bodyBytesPlanned);
  });

  it('refuses a JWKS declared larger than the limit, and one whose lying Content-Length hides nothing more', async () => {
    server.answerWith(() => ({
      head: jwksHead([`Content-Length: ${4 * 1024 * 1024}`]),
      framing: 'raw',
      pieces: pieces(256, 16 * 1024),
      pauseMs: 5,
    }));
    const url = server.freshUrl();
    await expect(new RemoteJwks({ url, timeoutMs: 10_000 }).keys()).rejects.toSatisfy(isJwksUnavailable);
    expect((await server.report(url)).closedByClientBeforeEnd).toBe(true);

    // Declares 2 bytes, sends a whole key set after them: the key set is not the answer.
    server.answerWith(() => ({ head: jwksHead(['Content-Length: 2']), framing: 'raw', pieces: [paddedJwks(1024)] }));
    await expect(new RemoteJwks({ url: `${server.freshUrl()}` }).keys()).rejects.toSatisfy(isJwksUnavailable);
  });

  it('accepts a JWKS of exactly 256 KiB, chunked or not', async () => {
    for (const framing of ['chunked', 'raw'] as const) {
      const body = paddedJwks(DEFAULT_LIMIT);
      const split = [body.subarray(0, 100_000), body.subarray(100_000)];
      server.answerWith(() => ({
        head: jwksHead([framing === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${DEFAULT_LIMIT}`]),
        framing,
        pieces: split,
      }));

      const keys = await new RemoteJwks({ url: `${server.freshUrl()}` }).keys();

      expect(
        keys.map((key) => key.kid),
        framing,
      ).toEqual(['k1']);
    }
  });

  it('takes its limit from maxBodyBytes', async () => {
    server.answerWith(() => ({
      head: jwksHead(['Transfer-Encoding: chunked']),
      framing: 'chunked',
      pieces: [paddedJwks(1025)],
    }));

    await expect(new RemoteJwks({ url: `${server.freshUrl()}`, maxBodyBytes: 1024 }).keys()).rejects.toSatisfy(
      isJwksUnavailable,
    );
    expect(await new RemoteJwks({ url: `${server.freshUrl()}`, maxBodyBytes: 1025 }).keys()).toHaveLength(1);
  });
});
