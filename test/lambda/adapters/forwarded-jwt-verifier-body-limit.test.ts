import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForwardedJwtVerifier, isTokenError } from '../../../lambda/adapters/forwarded-jwt-verifier.ts';
import { pieces, StreamingHttpServer } from '../../support/streaming-http-server.ts';
import { TestIssuer } from '../../support/test-issuer.ts';

// The example backend verifies forwarded JWTs with jose, whose remote JWKS reads the whole body:
// it is given a body read at most 256 KiB far. Observed from the server's side of the connection.

const encoder = new TextEncoder();

describe('ForwardedJwtVerifier JWKS body limit against a real server on 127.0.0.1', () => {
  let issuer: TestIssuer;
  let server: StreamingHttpServer;
  beforeAll(async () => {
    issuer = await TestIssuer.create();
    server = await StreamingHttpServer.start(() => ({ head: ['HTTP/1.1 404 Not Found'], framing: 'raw', pieces: [] }));
  });
  afterAll(() => server.stop());

  const verifierFor = (jwksUri: string) =>
    new ForwardedJwtVerifier({ issuer: issuer.issuer, jwksUri, audiences: [issuer.audience] });
  const jsonHead = ['HTTP/1.1 200 OK', 'Content-Type: application/json', 'Transfer-Encoding: chunked'];

  it('refuses a JWKS streamed chunked past 256 KiB as an outage, and hangs up before the server is done', async () => {
    server.answerWith(() => ({
      head: jsonHead,
      framing: 'chunked',
      pieces: [encoder.encode('{"keys":['), ...pieces(256, 16 * 1024)],
      pauseMs: 5,
    }));
    const url = server.freshUrl();

    const error = await verifierFor(url)
      .verify(await issuer.mint())
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );

    expect(error).toBeDefined();
    expect(isTokenError(error)).toBe(false);
    const report = await server.report(url);
    expect(report.closedByClientBeforeEnd).toBe(true);
    expect(report.bodyBytesWritten).toBeLessThan(report.bodyBytesPlanned);
  });

  it('verifies against a JWKS within the limit, chunked', async () => {
    const body = encoder.encode(JSON.stringify(issuer.jwks));
    server.answerWith(() => ({
      head: jsonHead,
      framing: 'chunked',
      pieces: [body.subarray(0, 100), body.subarray(100)],
    }));

    const verified = await verifierFor(server.freshUrl()).verify(await issuer.mint({ sub: 'alice' }));

    expect(verified.claims.sub).toBe('alice');
  });
});
