import { createServer } from 'node:http';
import type { JWK } from 'jose';
import { closeServer, LOOPBACK_HOST, listenOnLoopback } from '../../local/loopback-http.ts';

/** A JWKS served on 127.0.0.1, as an issuer would publish it. */
export interface JwksServer {
  readonly jwksUri: string;
  /** How many times the JWKS was fetched (a warmed verifier should not fetch again). */
  readonly fetches: () => number;
  stop(): Promise<void>;
}

export async function startJwksServer(jwks: { readonly keys: readonly JWK[] }): Promise<JwksServer> {
  const body = JSON.stringify(jwks);
  let fetches = 0;
  const server = createServer((request, response) => {
    if (request.url !== '/jwks') {
      response.writeHead(404).end();
      return;
    }
    fetches++;
    response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(body);
  });
  const port = await listenOnLoopback(server, 0);
  return {
    jwksUri: `http://${LOOPBACK_HOST}:${port}/jwks`,
    fetches: () => fetches,
    stop: () => closeServer(server),
  };
}
