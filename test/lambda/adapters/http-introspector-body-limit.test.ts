import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpIntrospector } from '../../../lambda/adapters/http-introspector.ts';
import { NodeHttpClient } from '../../../lambda/adapters/node-http-client.ts';
import { isDependencyError } from '../../../lambda/core/dependency-error.ts';
import { fetchHttpClient, type HttpClient } from '../../../lambda/core/http-client.ts';
import { pieces, StreamingHttpServer } from '../../support/streaming-http-server.ts';

// The introspection answer is read at most 64 KiB far (the documented default), chunked or not,
// whatever Content-Length says; the server's side of the connection shows where reading stopped.
// On the Lambda transport (as the authorizer wires it) and on the web transport (the default).

const TRANSPORTS: readonly (readonly [string, () => HttpClient])[] = [
  ['the Lambda transport (NodeHttpClient)', () => new NodeHttpClient()],
  ['the web transport (fetchHttpClient)', () => fetchHttpClient()],
];

const DEFAULT_LIMIT = 64 * 1024;
const MEDIA_TYPE = 'application/token-introspection+jwt';
const encoder = new TextEncoder();
/** Shaped like a compact JWS; the introspector only transports it (the core verifies). */
const SIGNED_ANSWER = 'eyJhbGciOiJSUzI1NiJ9.eyJ0b2tlbl9pbnRyb3NwZWN0aW9uIjp7fX0.c2lnbmF0dXJl';

describe.each(TRANSPORTS)(
  'HttpIntrospector body limit over %s against a real server on 127.0.0.1',
  (_name, transport) => {
    const http = transport();
    let server: StreamingHttpServer;
    beforeAll(async () => {
      server = await StreamingHttpServer.start(() => ({
        head: ['HTTP/1.1 204 No Content'],
        framing: 'raw',
        pieces: [],
      }));
    });
    afterAll(() => server.stop());

    const introspector = (endpoint: string) =>
      new HttpIntrospector({
        endpoint,
        clientId: 'gateway',
        clientSecret: 'test-only-secret',
        responseFormat: 'token-introspection+jwt',
        timeoutMs: 10_000,
        http,
      });
    const isUnavailable = (error: unknown) => isDependencyError(error) && error.code === 'introspection_unavailable';
    const head = (framing: string) => ['HTTP/1.1 200 OK', `Content-Type: ${MEDIA_TYPE}`, framing];

    it('refuses an answer streamed chunked past 64 KiB and closes the connection before the server is done', async () => {
      server.answerWith(() => ({
        head: head('Transfer-Encoding: chunked'),
        framing: 'chunked',
        pieces: [encoder.encode(SIGNED_ANSWER), ...pieces(256, 8 * 1024)],
        pauseMs: 5,
      }));
      const url = server.freshUrl();

      await expect(introspector(url).introspect('opaque-token-value')).rejects.toSatisfy(isUnavailable);
      const report = await server.report(url);
      expect(report.closedByClientBeforeEnd).toBe(true);
      expect(report.bodyBytesWritten).toBeLessThan(report.bodyBytesPlanned);
    });

    it('refuses an answer with no length that runs past 64 KiB until the connection closes', async () => {
      server.answerWith(() => ({
        head: ['HTTP/1.1 200 OK', `Content-Type: ${MEDIA_TYPE}`],
        framing: 'raw',
        pieces: [encoder.encode(SIGNED_ANSWER), ...pieces(256, 8 * 1024)],
        pauseMs: 5,
      }));
      const url = server.freshUrl();

      await expect(introspector(url).introspect('opaque-token-value')).rejects.toSatisfy(isUnavailable);
      expect((await server.report(url)).closedByClientBeforeEnd).toBe(true);
    });

    it('refuses an answer declared larger than 64 KiB without reading it', async () => {
      server.answerWith(() => ({
        head: head(`Content-Length: ${2 * 1024 * 1024}`),
        framing: 'raw',
        pieces: pieces(256, 8 * 1024),
        pauseMs: 5,
      }));
      const url = server.freshUrl();

      await expect(introspector(url).introspect('opaque-token-value')).rejects.toSatisfy(isUnavailable);
      expect((await server.report(url)).closedByClientBeforeEnd).toBe(true);
    });

    it('takes only the declared length when Content-Length says less than is sent', async () => {
      // RFC 9112 section 6.3: the answer is the first 16 bytes; what follows belongs to no message.
      server.answerWith(() => ({
        head: head('Content-Length: 16'),
        framing: 'raw',
        pieces: [encoder.encode(SIGNED_ANSWER), ...pieces(16, 8 * 1024)],
      }));

      const outcome = await introspector(server.freshUrl())
        .introspect('opaque-token-value')
        .then(
          (answer) => answer,
          (error: unknown) => (isUnavailable(error) ? 'refused' : error),
        );

      // The first 16 bytes are no compact JWS: refused, never the oversized whole.
      expect(outcome).toBe('refused');
    });

    it('accepts an answer of exactly 64 KiB, chunked or with Content-Length', async () => {
      const body = encoder.encode(SIGNED_ANSWER.padEnd(DEFAULT_LIMIT, '\n'));
      for (const framing of ['Transfer-Encoding: chunked', `Content-Length: ${DEFAULT_LIMIT}`]) {
        server.answerWith(() => ({
          head: head(framing),
          framing: framing.startsWith('Transfer') ? 'chunked' : 'raw',
          pieces: [body.subarray(0, 30_000), body.subarray(30_000)],
        }));

        const answer = await introspector(server.freshUrl()).introspect('opaque-token-value');

        expect(answer, framing).toEqual({ kind: 'signed', jwt: SIGNED_ANSWER, format: 'token-introspection+jwt' });
      }
    });
  },
);
