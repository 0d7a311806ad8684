import {
  createRemoteJWKSet,
  customFetch,
  decodeProtectedHeader,
  errors,
  type FetchImplementation,
  type JWTHeaderParameters,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import { readBoundedText } from '../core/bounded-body.ts';

/** Settings of {@link ForwardedJwtVerifier}. */
export interface ForwardedJwtVerifierOptions {
  /** Expected `iss`. */
  readonly issuer: string;
  /** The issuer's JWKS. */
  readonly jwksUri: string;
  /** Accepted `aud` values of access-token JWTs. */
  readonly audiences: readonly string[];
  /**
   * `aud` of RFC 9701 introspection answers (the authorizer's introspection client id): phantom
   * tokens reach backends as that signed answer. @default undefined: such answers are refused
   */
  readonly introspectionAudience?: string;
  /** @default ['RS256', 'PS256', 'ES256', 'EdDSA'] */
  readonly allowedAlgorithms?: readonly string[];
  /** Expected `typ` of access-token JWTs, e.g. `at+jwt`. @default undefined: not checked */
  readonly requiredTokenType?: string;
}

/** A verified forwarded JWT. */
export interface ForwardedJwt {
  readonly header: JWTHeaderParameters;
  /** The JWT's payload (for an RFC 9701 answer, the envelope). */
  readonly payload: JWTPayload;
  /** The token's claims (for an RFC 9701 answer, its `token_introspection` member). */
  readonly claims: JWTPayload;
}

const DEFAULT_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const INTROSPECTION_TYPE = 'token-introspection+jwt';
const CLOCK_TOLERANCE_SECONDS = 30;
/** A larger JWKS is refused (an outage, not a verdict) and read no further. */
const MAX_JWKS_BODY_BYTES = 256 * 1024;

/**
 * What a zero-trust backend does with the JWT the gateway forwards: verify it again, with jose,
 * against the issuer's JWKS. Access-token JWTs are checked against the API's audiences; RFC 9701
 * introspection answers (phantom tokens) against the introspecting client's id, and must say
 * `active` within their `exp`. Used by the example backend Lambda and the local demo backend.
 */
export class ForwardedJwtVerifier {
  private readonly options: ForwardedJwtVerifierOptions;
  private readonly algorithms: string[];
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(options: ForwardedJwtVerifierOptions) {
    this.options = options;
    this.algorithms = [...(options.allowedAlgorithms ?? DEFAULT_ALGORITHMS)];
    this.jwks = createRemoteJWKSet(new URL(options.jwksUri), {
      timeoutDuration: 3000,
      cooldownDuration: 30_000,
      [customFetch]: boundedJwksFetch,
    });
  }

  /** The verified JWT; throws jose's errors ({@link isTokenError} tells a bad token from an outage). */
  async verify(jwt: string): Promise<ForwardedJwt> {
    const { issuer, audiences, introspectionAudience, requiredTokenType } = this.options;
    const isIntrospectionAnswer = decodeProtectedHeader(jwt).typ === INTROSPECTION_TYPE;
    if (!isIntrospectionAnswer || introspectionAudience === undefined) {
      const { payload, protectedHeader } = await jwtVerify(jwt, this.jwks, {
        issuer,
        audience: [...audiences],
        algorithms: this.algorithms,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        ...(requiredTokenType === undefined ? {} : { typ: requiredTokenType }),
      });
      return { header: protectedHeader, payload, claims: payload };
    }
    const { payload, protectedHeader } = await jwtVerify(jwt, this.jwks, {
      issuer,
      audience: introspectionAudience,
      algorithms: this.algorithms,
      typ: INTROSPECTION_TYPE,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    const introspected = payload.token_introspection as (JWTPayload & { active?: unknown }) | undefined;
    const live =
      typeof introspected?.exp === 'number' && (introspected.exp + CLOCK_TOLERANCE_SECONDS) * 1000 >= Date.now();
    if (introspected?.active !== true || !live) {
      throw new errors.JWTClaimValidationFailed('the introspection answer does not say active', payload, 'active');
    }
    return { header: protectedHeader, payload, claims: introspected };
  }
}

/**
 * jose reads the JWKS with `response.json()`, however large; it is handed a body already read at
 * most {@link MAX_JWKS_BODY_BYTES} far instead (anything but a 200 is passed on for jose to refuse).
 */
const boundedJwksFetch: FetchImplementation = async (url, init) => {
  const response = await fetch(url, init);
  if (response.status !== 200) return response;
  const text = await readBoundedText(response, MAX_JWKS_BODY_BYTES);
  if (text === undefined) throw new Error(`The JWKS is larger than ${MAX_JWKS_BODY_BYTES} bytes`);
  return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
};

/** Errors that say the token is bad (401), as opposed to the JWKS being unreachable (500). */
export function isTokenError(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return false;
  return !(error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid);
}
