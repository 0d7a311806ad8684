import { createServer } from 'node:http';
import type { JWTPayload } from 'jose';
import { type BackendCors, backendCorsHeaders } from '../lambda/adapters/backend-cors-headers.ts';
import { ForwardedJwtVerifier, isTokenError } from '../lambda/adapters/forwarded-jwt-verifier.ts';
import { closeServer, LOOPBACK_HOST, listenOnLoopback } from './loopback-http.ts';
import { type HttpAnswer, json, send } from './node-http.ts';

/** Options for {@link startDemoBackend}. */
export interface DemoBackendOptions {
  /** Expected `iss`. */
  readonly issuer: string;
  /** The issuer's JWKS. */
  readonly jwksUri: string;
  /** Accepted `aud` values of access-token JWTs. */
  readonly audiences: readonly string[];
  /** `aud` of RFC 9701 introspection answers (what phantom tokens turn into): the introspecting client's id. */
  readonly introspectionAudience: string;
  /** @default ['RS256', 'PS256', 'ES256', 'EdDSA'] */
  readonly allowedAlgorithms?: readonly string[];
  /** Port on 127.0.0.1. @default 0 (a free port) */
  readonly port?: number;
  /**
   * Where the gateway puts the JWT: `authorization` (`Bearer <jwt>`, REST APIs map it there) or
   * `x-verified-jwt` (the bare JWT: HTTP APIs cannot map `Authorization`, which still holds the
   * client's opaque token). @default 'authorization'
   */
  readonly jwtHeader?: 'authorization' | 'x-verified-jwt';
  /**
   * The CORS headers it adds to its answers, as the example backend function does behind a REST
   * proxy integration (API Gateway adds none there). @default none
   */
  readonly cors?: BackendCors;
}

/** A running demo backend. */
export interface DemoBackend {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The demo API behind the local gateway. Zero trust: it takes nothing from the gateway on faith and
 * verifies the `Authorization: Bearer <jwt>` itself, as the example backend Lambda does
 * ({@link ForwardedJwtVerifier}). It answers every path with
 * the verified claims, and the token type the gateway reported (`x-token-type`, for display only).
 */
export async function startDemoBackend(options: DemoBackendOptions): Promise<DemoBackend> {
  const verifier = new ForwardedJwtVerifier({
    issuer: options.issuer,
    jwksUri: options.jwksUri,
    audiences: options.audiences,
    introspectionAudience: options.introspectionAudience,
    requiredTokenType: 'at+jwt',
    ...(options.allowedAlgorithms ? { allowedAlgorithms: options.allowedAlgorithms } : {}),
  });

  const jwtHeader = options.jwtHeader ?? 'authorization';
  const verify = async (value: string | undefined): Promise<HttpAnswer | { header: object; claims: JWTPayload }> => {
    const pattern = jwtHeader === 'authorization' ? BEARER_JWT : BARE_JWT;
    const jwt = pattern.exec(value ?? '')?.[1];
    if (jwt === undefined) return invalidToken(`no JWT in the ${jwtHeader} header`);
    try {
      const { header, payload } = await verifier.verify(jwt);
      return { header: { alg: header.alg, typ: header.typ, kid: header.kid }, claims: payload };
    } catch (error) {
      return isTokenError(error)
        ? invalidToken('the token could not be verified')
        : json(500, { error: 'server_error' });
    }
  };

  const server = createServer((request, response) => {
    request.resume();
    const carried = request.headers[jwtHeader];
    const tokenType = request.headers['x-token-type'];
    verify(typeof carried === 'string' ? carried : undefined)
      .then((verified) =>
        'status' in verified
          ? verified
          : json(
              200,
              {
                message: 'Hello from the demo backend: it verified this JWT itself',
                route: `${request.method} ${(request.url ?? '/').split('?')[0]}`,
                tokenType: typeof tokenType === 'string' ? tokenType : undefined,
                jwtHeader: verified.header,
                claims: verified.claims,
              },
              { 'cache-control': 'no-store' },
            ),
      )
      .catch(() => json(500, { error: 'server_error' }))
      .then((answer) => {
        const origin = request.headers.origin;
        const cors = backendCorsHeaders(options.cors, typeof origin === 'string' ? origin : undefined);
        send(response, { ...answer, headers: { ...answer.headers, ...cors } });
      });
  });
  const port = await listenOnLoopback(server, options.port ?? 0);
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${LOOPBACK_HOST}:${port}`,
    stop: () => {
      stopping ??= closeServer(server);
      return stopping;
    },
  };
}

const BEARER_JWT = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;
const BARE_JWT = /^([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

function invalidToken(description: string): HttpAnswer {
  return json(
    401,
    { error: 'invalid_token', error_description: description },
    { 'www-authenticate': `Bearer error="invalid_token", error_description="${description}"` },
  );
}
