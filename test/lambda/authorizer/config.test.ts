import { describe, expect, it } from 'vitest';
import { ConfigurationError, readAuthorizerConfig } from '../../../lambda/authorizer/config.ts';

const minimal = {
  ISSUER: 'https://login.example.test',
  JWKS_URI: 'https://login.example.test/jwks',
  AUDIENCE: 'https://api.example.test',
  TOKEN_TABLE_NAME: 'split-tokens',
};
const noSecret = async () => {
  throw new Error('not expected');
};

describe('readAuthorizerConfig', () => {
  it('applies documented defaults to a minimal split-token configuration', async () => {
    const config = await readAuthorizerConfig(minimal, noSecret);

    expect(config).toMatchObject({
      audiences: ['https://api.example.test'],
      allowedAlgorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      clockSkewSeconds: 30,
      tokenTableKeyAttribute: 'hashed_signature',
      tokenHashAlgorithm: 'SHA-256',
      introspection: undefined,
      jwtValidationEnabled: false,
      jwtClientIds: [],
      cacheTtlSeconds: 30,
      cacheMaxEntries: 10_000,
      maxHeaderLength: 4096,
      httpApiResponseFormat: 'simple',
      routeScopes: [],
    });
  });

  it('reads the introspection secret from the secret store by its ARN, never from the environment', async () => {
    const asked: string[] = [];

    const config = await readAuthorizerConfig(
      {
        ...minimal,
        INTROSPECTION_ENDPOINT: 'https://login.example.test/introspect',
        INTROSPECTION_CLIENT_ID: 'gateway',
        INTROSPECTION_CLIENT_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
      },
      async (arn) => {
        asked.push(arn);
        return 'from-the-store';
      },
    );

    expect(asked).toEqual(['arn:aws:secretsmanager:eu-west-1:1:secret:x']);
    expect(config.introspection).toMatchObject({
      clientSecret: 'from-the-store',
      responseAudience: 'gateway',
      responseFormat: 'token-introspection+jwt',
      clientAuthMethod: 'client_secret_basic',
    });
  });

  it('reads the clients meant to hold JWTs, which JWT validation requires', async () => {
    const config = await readAuthorizerConfig(
      { ...minimal, JWT_VALIDATION_ENABLED: 'true', JWT_CLIENT_IDS: ' mobile-app , partner ,' },
      noSecret,
    );

    expect(config).toMatchObject({ jwtValidationEnabled: true, jwtClientIds: ['mobile-app', 'partner'] });
  });

  const introspecting = {
    ...minimal,
    INTROSPECTION_ENDPOINT: 'https://login.example.test/introspect',
    INTROSPECTION_CLIENT_ID: 'gateway',
    INTROSPECTION_CLIENT_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
  };
  const secret = async () => 'from-the-store';

  it('requires aud in introspection answers, budgets each source and introspects any shape by default', async () => {
    const config = await readAuthorizerConfig(introspecting, secret);

    expect(config.introspection).toMatchObject({
      requireAudience: true,
      sourceRatePerSecond: 5,
      sourceBurst: 10,
      maxSources: 10_000,
      tokenShape: undefined,
    });
  });

  it('reads the opaque token shape, the per-source budget and the relaxed audience requirement', async () => {
    const config = await readAuthorizerConfig(
      {
        ...introspecting,
        INTROSPECTION_TOKEN_PREFIX: '_0XBPWQQ_',
        INTROSPECTION_TOKEN_MIN_LENGTH: '45',
        INTROSPECTION_TOKEN_MAX_LENGTH: '45',
        INTROSPECTION_TOKEN_CHARSET: 'uuid',
        INTROSPECTION_SOURCE_RATE_PER_SECOND: '2',
        INTROSPECTION_SOURCE_BURST: '4',
        INTROSPECTION_MAX_SOURCES: '100',
        INTROSPECTION_REQUIRE_AUDIENCE: 'false',
      },
      secret,
    );

    expect(config.introspection).toMatchObject({
      tokenShape: { prefix: '_0XBPWQQ_', minLength: 45, maxLength: 45, charset: 'uuid' },
      sourceRatePerSecond: 2,
      sourceBurst: 4,
      maxSources: 100,
      requireAudience: false,
    });
  });

  it('fills the unset parts of a token shape permissively: any token68 after the prefix', async () => {
    const config = await readAuthorizerConfig({ ...introspecting, INTROSPECTION_TOKEN_PREFIX: 'at_' }, secret);

    expect(config.introspection?.tokenShape).toEqual({
      prefix: 'at_',
      minLength: 4,
      maxLength: 65_536,
      charset: 'token68',
    });
  });

  it.each([
    [{ INTROSPECTION_REQUIRE_AUDIENCE: 'no' }, /INTROSPECTION_REQUIRE_AUDIENCE must be true or false/],
    [
      { INTROSPECTION_TOKEN_CHARSET: 'base64' },
      /INTROSPECTION_TOKEN_CHARSET must be one of token68, base64url, hex, uuid/,
    ],
    [{ INTROSPECTION_TOKEN_MIN_LENGTH: '50', INTROSPECTION_TOKEN_MAX_LENGTH: '40' }, /describe no token: the maximum/],
    [
      {
        INTROSPECTION_TOKEN_PREFIX: '_0XBPWQQ_',
        INTROSPECTION_TOKEN_CHARSET: 'uuid',
        INTROSPECTION_TOKEN_MAX_LENGTH: '44',
      },
      /UUID/,
    ],
    [{ INTROSPECTION_SOURCE_BURST: '0' }, /INTROSPECTION_SOURCE_BURST must be a whole number from 1/],
    [{ INTROSPECTION_MAX_SOURCES: '2000000' }, /INTROSPECTION_MAX_SOURCES must be a whole number from 1 to 1000000/],
  ])('names the bad introspection setting in %o', async (override, message) => {
    await expect(readAuthorizerConfig({ ...introspecting, ...override }, secret)).rejects.toThrow(message);
  });

  it('parses route scopes from JSON', async () => {
    const rules = [{ method: 'GET', path: '/orders/{id}', scopes: ['orders:read'] }];

    const config = await readAuthorizerConfig({ ...minimal, ROUTE_SCOPES: JSON.stringify(rules) }, noSecret);

    expect(config.routeScopes).toEqual(rules);
  });

  it.each([
    [{ ISSUER: '' }, /ISSUER is required/],
    [{ ISSUER: 'not a url' }, /ISSUER must be an absolute URL/],
    [{ JWKS_URI: 'http://login.example.test/jwks' }, /JWKS_URI must use https/],
    [{ AUDIENCE: ' , ' }, /AUDIENCE is required/],
    [{ TOKEN_TABLE_NAME: '' }, /No way to resolve tokens/],
    [{ TOKEN_HASH_ALGORITHM: 'MD5' }, /TOKEN_HASH_ALGORITHM must be one of SHA-256, SHA-384, SHA-512/],
    [{ CACHE_TTL_SECONDS: '-1' }, /CACHE_TTL_SECONDS must be a whole number from 0 to 3600/],
    [{ JWT_VALIDATION_ENABLED: 'yes' }, /JWT_VALIDATION_ENABLED must be true or false/],
    [{ JWT_VALIDATION_ENABLED: 'true' }, /JWT_CLIENT_IDS is required when JWT_VALIDATION_ENABLED=true/],
    [{ JWT_VALIDATION_ENABLED: 'true', JWT_CLIENT_IDS: ' , ' }, /JWT_CLIENT_IDS is required/],
    [{ JWT_CLIENT_IDS: 'mobile-app' }, /JWT_CLIENT_IDS is set but JWT_VALIDATION_ENABLED is not true/],
    [{ ROUTE_SCOPES: '{' }, /ROUTE_SCOPES must be JSON/],
    [{ ROUTE_SCOPES: '[{"method":"GET","path":"orders","scopes":[]}]' }, /ROUTE_SCOPES\[0\]: path must start with \//],
    [{ ROUTE_SCOPES: '[{"method":"GET","path":"/{proxy+}/x","scopes":[]}]' }, /ROUTE_SCOPES\[0\]: greedy/],
    [{ ROUTE_SCOPES: '{"method":"GET"}' }, /ROUTE_SCOPES must be an array/],
    [{ INTROSPECTION_ENDPOINT: 'https://login.example.test/i' }, /INTROSPECTION_CLIENT_ID is required/],
  ])('names the bad setting in %o', async (override, message) => {
    await expect(readAuthorizerConfig({ ...minimal, ...override }, noSecret)).rejects.toThrow(message);
    await expect(readAuthorizerConfig({ ...minimal, ...override }, noSecret)).rejects.toBeInstanceOf(
      ConfigurationError,
    );
  });

  it('allows plain http only on loopback, for the local stack', async () => {
    const config = await readAuthorizerConfig(
      { ...minimal, ISSUER: 'http://127.0.0.1:4000', JWKS_URI: 'http://127.0.0.1:4000/jwks' },
      noSecret,
    );

    expect(config.issuer).toBe('http://127.0.0.1:4000');
  });
});
