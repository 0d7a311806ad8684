/**
 * Example backend behind the token authorizer (zero trust): it does not take the gateway's word
 * for the caller. It reads the JWT the authorizer put into the request context and verifies it
 * again against the issuer's JWKS before answering with the token's claims.
 *
 * - REST API (payload 1.0): `event.requestContext.authorizer.jwt`
 * - HTTP API (payload 2.0): `event.requestContext.authorizer.lambda.jwt`
 *
 * Phantom tokens resolved through RFC 9701 arrive as the signed introspection answer (`typ`
 * `token-introspection+jwt`, `aud` the introspecting client): it is verified as such and the token's
 * claims are its `token_introspection` member, which must say `active`.
 *
 * Environment: ISSUER, JWKS_URI, AUDIENCE (comma-separated), optional ALLOWED_ALGORITHMS
 * (comma-separated, default RS256,PS256,ES256,EdDSA), REQUIRED_TOKEN_TYPE and
 * INTROSPECTION_RESPONSE_AUDIENCE (the introspecting client id; unset refuses RFC 9701 answers);
 * for browser pages behind a REST API, CORS_ALLOWED_ORIGINS, CORS_EXPOSE_HEADERS and
 * CORS_ALLOW_CREDENTIALS (a REST proxy integration passes the backend's CORS headers on, and API
 * Gateway adds none).
 */
import type { errors, JWTPayload } from 'jose';
import { backendCorsFromEnvironment, backendCorsHeaders, originOf } from '../adapters/backend-cors-headers.ts';
import { ForwardedJwtVerifier, isTokenError } from '../adapters/forwarded-jwt-verifier.ts';

interface ApiResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The parts of a REST (1.0) or HTTP API (2.0) proxy event this handler reads. */
export interface BackendEvent {
  readonly version?: string;
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly requestContext?: {
    readonly authorizer?: {
      readonly jwt?: unknown;
      readonly lambda?: { readonly jwt?: unknown } | null;
    } | null;
  };
}

/** Upper bound on the JWT we are willing to parse; the authorizer never forwards more. */
const MAX_JWT_LENGTH = 16_384;

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const algorithms = list(process.env.ALLOWED_ALGORITHMS);
const cors = backendCorsFromEnvironment(process.env);
const verifier = new ForwardedJwtVerifier({
  issuer: required('ISSUER'),
  jwksUri: required('JWKS_URI'),
  audiences: list(required('AUDIENCE')),
  ...(algorithms.length > 0 ? { allowedAlgorithms: algorithms } : {}),
  requiredTokenType: process.env.REQUIRED_TOKEN_TYPE?.trim() || undefined,
  introspectionAudience: process.env.INTROSPECTION_RESPONSE_AUDIENCE?.trim() || undefined,
});

/** The JWT from the authorizer context, for either payload format. */
export function jwtFromContext(event: BackendEvent): string | undefined {
  const authorizer = event.requestContext?.authorizer;
  const jwt = authorizer?.lambda?.jwt ?? authorizer?.jwt;
  return typeof jwt === 'string' && jwt.length > 0 && jwt.length <= MAX_JWT_LENGTH ? jwt : undefined;
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

function unauthorized(description: string): ApiResponse {
  return json(
    401,
    { error: 'invalid_token', error_description: description },
    { 'www-authenticate': `Bearer error="invalid_token", error_description="${description}"` },
  );
}

export async function handler(event: BackendEvent): Promise<ApiResponse> {
  const answer = await answerTo(event);
  return { ...answer, headers: { ...answer.headers, ...backendCorsHeaders(cors, originOf(event.headers)) } };
}

async function answerTo(event: BackendEvent): Promise<ApiResponse> {
  const jwt = jwtFromContext(event);
  if (!jwt) return unauthorized('no verified token in the request context');
  let payload: JWTPayload;
  try {
    payload = (await verifier.verify(jwt)).claims;
  } catch (error) {
    if (isTokenError(error)) {
      // Only the error code is logged: never the token.
      console.warn(JSON.stringify({ msg: 'token rejected', code: (error as errors.JOSEError).code }));
      return unauthorized('the token could not be verified');
    }
    console.error(JSON.stringify({ msg: 'token verification unavailable', error: String((error as Error)?.name) }));
    return json(500, { error: 'server_error' });
  }
  return json(200, {
    message: 'Verified by the backend itself',
    api: event.version === '2.0' ? 'http' : 'rest',
    claims: payload,
  });
}
