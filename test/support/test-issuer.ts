import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

/** Algorithms a test issuer can sign with. */
export type TestAlgorithm = 'RS256' | 'ES256' | 'EdDSA';

export interface MintOptions {
  /** Seconds from now until `exp`; negative mints an expired token. @default 300 */
  readonly expiresInSeconds?: number;
  /** Extra or overriding protected header parameters. */
  readonly header?: Record<string, unknown>;
  /** Claims to leave out of the defaults (e.g. `exp`). */
  readonly omit?: readonly string[];
  /** @default the issuer's algorithm */
  readonly algorithm?: TestAlgorithm;
}

/**
 * An in-process token issuer for tests: fresh keys per instance (nothing checked in), a local JWKS,
 * and a minting function. Runs on Node and Deno (jose and web crypto only).
 */
export class TestIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly jwks: { keys: JWK[] };
  private readonly keys: Map<TestAlgorithm, CryptoKey>;
  readonly algorithm: TestAlgorithm;

  private constructor(
    issuer: string,
    audience: string,
    algorithm: TestAlgorithm,
    keys: Map<TestAlgorithm, CryptoKey>,
    jwks: JWK[],
  ) {
    this.issuer = issuer;
    this.audience = audience;
    this.algorithm = algorithm;
    this.keys = keys;
    this.jwks = { keys: jwks };
  }

  static async create(
    options: { issuer?: string; audience?: string; algorithm?: TestAlgorithm } = {},
  ): Promise<TestIssuer> {
    const keys = new Map<TestAlgorithm, CryptoKey>();
    const jwks: JWK[] = [];
    for (const algorithm of ['RS256', 'ES256', 'EdDSA'] as const) {
      const pair = await generateKeyPair(algorithm, { extractable: true });
      keys.set(algorithm, pair.privateKey);
      jwks.push({ ...(await exportJWK(pair.publicKey)), kid: `test-${algorithm}`, alg: algorithm, use: 'sig' });
    }
    return new TestIssuer(
      options.issuer ?? 'https://issuer.test',
      options.audience ?? 'https://api.test',
      options.algorithm ?? 'RS256',
      keys,
      jwks,
    );
  }

  /** The public JWK of an algorithm's key. */
  publicJwk(algorithm: TestAlgorithm = this.algorithm): JWK {
    return this.jwks.keys.find((key) => key.alg === algorithm) as JWK;
  }

  /** An RFC 9068 access token with sensible defaults, overridable claim by claim. */
  async mint(claims: JWTPayload = {}, options: MintOptions = {}): Promise<string> {
    const algorithm = options.algorithm ?? this.algorithm;
    const now = Math.floor(Date.now() / 1000);
    const defaults: JWTPayload = {
      iss: this.issuer,
      aud: this.audience,
      sub: 'user-1',
      client_id: 'client-1',
      scope: 'orders:read',
      iat: now,
      exp: now + (options.expiresInSeconds ?? 300),
      jti: crypto.randomUUID(),
    };
    const payload: JWTPayload = { ...defaults, ...claims };
    for (const name of options.omit ?? []) delete payload[name];
    return new SignJWT(payload)
      .setProtectedHeader({ alg: algorithm, typ: 'at+jwt', kid: `test-${algorithm}`, ...options.header })
      .sign(this.keys.get(algorithm) as CryptoKey);
  }

  /** An RFC 9701 introspection answer wrapping `introspection`. */
  async mintIntrospectionAnswer(introspection: Record<string, unknown>, audience: string): Promise<string> {
    return new SignJWT({ token_introspection: introspection })
      .setProtectedHeader({ alg: this.algorithm, typ: 'token-introspection+jwt', kid: `test-${this.algorithm}` })
      .setIssuer(this.issuer)
      .setAudience(audience)
      .setIssuedAt()
      .sign(this.keys.get(this.algorithm) as CryptoKey);
  }
}

/** Splits a compact JWS into `header.payload` and the signature (the opaque token). */
export function splitCompact(jwt: string): { headAndBody: string; signature: string } {
  const cut = jwt.lastIndexOf('.');
  return { headAndBody: jwt.slice(0, cut), signature: jwt.slice(cut + 1) };
}
