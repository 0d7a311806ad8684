import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeHttpClient } from '../../../lambda/adapters/node-http-client.ts';
import { readBoundedText } from '../../../lambda/core/bounded-body.ts';
import { isDependencyError } from '../../../lambda/core/dependency-error.ts';
import { fetchHttpClient, type HttpClient } from '../../../lambda/core/http-client.ts';
import { RemoteJwks } from '../../../lambda/core/remote-jwks.ts';
import { boundedBytesReadOver, boundedReadCases, boundedReadOver } from '../../support/bounded-read-cases.ts';
import { pieces, StreamingHttpServer } from '../../support/streaming-http-server.ts';

// Every body read from the network stops as soon as it passes its limit, whatever the framing and
// whatever Content-Length says (the cases: test/support/bounded-read-cases.ts), observed from the
// server's side of the connection. They run on each transport: web fetch read by readBoundedText,
// the core's web transport (fetchHttpClient) and the Lambda transport (NodeHttpClient), read as text
// and as bytes.

const TRANSPORTS: readonly (readonly [string, () => HttpClient])[] = [
  ['the web transport (fetchHttpClient)', () => fetchHttpClient()],
  ['the Lambda transport (NodeHttpClient)', () => new NodeHttpClient()],
];

const encoder = new TextEncoder();
const ok = (): string[] => ['HTTP/1.1 200 OK', 'Content-Type: text/plain'];

describe('readBoundedText over fetch against a real server on 127.0.0.1', () => {
  let server: StreamingHttpServer;
  beforeAll(async () => {
    server = await StreamingHttpServer.start(() => ({ head: ok(), framing: 'raw', pieces: [] }));
  });
  afterAll(() => server.stop());

  boundedReadCases(
    () => server,
    async (url, limit) => readBoundedText(await fetch(url), limit),
  );
});

describe.each(TRANSPORTS)('%s against a real server on 127.0.0.1', (_name, http) => {
  let server: StreamingHttpServer;
  beforeAll(async () => {
    server = await StreamingHttpServer.start(() => ({ head: ok(), framing: 'raw', pieces: [] }));
  });
  afterAll(() => server.stop());

  boundedReadCases(() => server, boundedReadOver(http()));
});

describe.each(TRANSPORTS)('%s read as bytes (requestBytes) against a real server on 127.0.0.1', (_name, http) => {
  let server: StreamingHttpServer;
  beforeAll(async () => {
    server = await StreamingHttpServer.start(() => ({ head: ok(), framing: 'raw', pieces: [] }));
  });
  afterAll(() => server.stop());

  boundedReadCases(() => server, boundedBytesReadOver(http()));
});

describe.each(TRANSPORTS)('RemoteJwks body limit over %s against a real server on 127.0.0.1', (_name, transport) => {
  const http = transport();
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

    await expect(new RemoteJwks({ url, timeoutMs: 10_000, http }).keys()).rejects.toSatisfy(isJwksUnavailable);
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
    await expect(new RemoteJwks({ url, timeoutMs: 10_000, http }).keys()).rejects.toSatisfy(isJwksUnavailable);
    expect((await server.report(url)).closedByClientBeforeEnd).toBe(true);

    // Declares 2 bytes, sends a whole key set after them: the key set is not the answer.
    server.answerWith(() => ({ head: jwksHead(['Content-Length: 2']), framing: 'raw', pieces: [paddedJwks(1024)] }));
    await expect(new RemoteJwks({ url: server.freshUrl(), http }).keys()).rejects.toSatisfy(isJwksUnavailable);
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

      const keys = await new RemoteJwks({ url: server.freshUrl(), http }).keys();

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

    await expect(new RemoteJwks({ url: server.freshUrl(), maxBodyBytes: 1024, http }).keys()).rejects.toSatisfy(
      isJwksUnavailable,
    );
    expect(await new RemoteJwks({ url: server.freshUrl(), maxBodyBytes: 1025, http }).keys()).toHaveLength(1);
  });
});
