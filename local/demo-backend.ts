import { createServer } from 'node:http';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { closeServer, LOOPBACK_HOST, listenOnLoopback } from './loopback-http.ts';
import { type HttpAnswer, json, send } from './node-http.ts';

/** Options for {@link startDemoBackend}. */
export interface DemoBackendOptions {
  /** Expected `iss`. */
  readonly issuer: string;
  /** The issuer's JWKS. */
  readonly jwksUri: string;
  /**
   * Accepted `aud` values: the API's audience for access-token JWTs, and the introspecting
   * client's id for RFC 9701 introspection answers (what phantom tokens turn into).
   */
  readonly audiences: readonly string[];
  /** @default ['RS256', 'PS256', 'ES256', 'EdDSA'] */
  readonly allowedAlgorithms?: readonly string[];
  /** Port on 127.0.0.1. @default 0 (a free port) */
  readonly port?: number;
}

/** A running demo backend. */
export interface DemoBackend {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  stop(): Promise<void>;
}

/** JOSE `typ` values the backend accepts: RFC 9068 access tokens and RFC 9701 introspection answers. */
const ACCEPTED_TYPES: ReadonlySet<string> = new Set(['at+jwt', 'application/at+jwt', 'token-introspection+jwt']);

/**
 * The demo API behind the local gateway. Zero trust: it takes nothing from the gateway on faith and
 * verifies the `Authorization: Bearer <jwt>` itself against the issuer's JWKS (issuer, audience,
 * expiry, algorithm, `typ`; an RFC 9701 answer must also say `active`). It answers every path with
 * the verified claims, and the token type the gateway reported (`x-token-type`, for display only).
 */
export async function startDemoBackend(options: DemoBackendOptions): Promise<DemoBackend> {
  const jwks = createRemoteJWKSet(new URL(options.jwksUri), { timeoutDuration: 3000, cooldownDuration: 30_000 });
  const algorithms = [...(options.allowedAlgorithms ?? ['RS256', 'PS256', 'ES256', 'EdDSA'])];

  const verify = async (
    authorization: string | undefined,
  ): Promise<HttpAnswer | { header: object; claims: JWTPayload }> => {
    const jwt = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization ?? '')?.[1];
    if (jwt === undefined) return invalidToken('no JWT in the Authorization header');
    try {
      const { payload, protectedHeader } = await jwtVerify(jwt, jwks, {
        issuer: options.issuer,
        audience: [...options.audiences],
        algorithms,
        clockTolerance: 30,
      });
      const typ = protectedHeader.typ ?? '';
      if (!ACCEPTED_TYPES.has(typ)) return invalidToken('unexpected token type');
      if (typ === 'token-introspection+jwt' && !isActiveIntrospection(payload)) return invalidToken('inactive token');
      return { header: { alg: protectedHeader.alg, typ, kid: protectedHeader.kid }, claims: payload };
    } catch (error) {
      if (error instanceof errors.JOSEError && !(error instanceof errors.JWKSTimeout)) {
        return invalidToken('the token could not be verified');
      }
      return json(500, { error: 'server_error' });
    }
  };

  const server = createServer((request, response) => {
    request.resume();
    const authorization = request.headers.authorization;
    const tokenType = request.headers['x-token-type'];
    verify(authorization)
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
      .then((answer) => send(response, answer));
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

function isActiveIntrospection(payload: JWTPayload): boolean {
  const claims = payload.token_introspection as { active?: unknown; exp?: unknown } | undefined;
  if (typeof claims !== 'object' || claims === null || claims.active !== true) return false;
  return typeof claims.exp === 'number' && claims.exp + 30 >= Date.now() / 1000;
}

function invalidToken(description: string): HttpAnswer {
  return json(
    401,
    { error: 'invalid_token', error_description: description },
    { 'www-authenticate': `Bearer error="invalid_token", error_description="${description}"` },
  );
}
