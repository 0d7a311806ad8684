import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../lambda/adapters/env-reader.ts';
import { readTokenEndpointProxyConfig } from '../../../lambda/token-endpoint-proxy/config.ts';

const MINIMAL = { UPSTREAM_TOKEN_ENDPOINT: 'https://login.example.test/token', TOKEN_TABLE_NAME: 'tokens' };

describe('readTokenEndpointProxyConfig', () => {
  it('fills every default from a minimal environment', () => {
    expect(readTokenEndpointProxyConfig(MINIMAL)).toEqual({
      front: undefined,
      upstreamTokenEndpoint: 'https://login.example.test/token',
      upstreamRevocationEndpoint: undefined,
      tokenTableName: 'tokens',
      tokenTableKeyAttribute: 'hashed_signature',
      tokenHashAlgorithm: 'SHA-256',
      passThroughClientIds: [],
      tokenPath: '/token',
      revocationPath: '/revoke',
      upstreamTimeoutMs: 5000,
      dynamoDbTimeoutMs: 2000,
      dynamoDbEndpoint: undefined,
      logLevel: 'info',
    });
  });

  it('reads every setting', () => {
    const config = readTokenEndpointProxyConfig({
      ...MINIMAL,
      UPSTREAM_REVOCATION_ENDPOINT: 'https://login.example.test/revoke',
      TOKEN_TABLE_KEY_ATTRIBUTE: 'pk',
      TOKEN_HASH_ALGORITHM: 'SHA-512',
      PASS_THROUGH_CLIENT_IDS: ' a , b ,',
      TOKEN_PATH: '/oauth/token',
      REVOCATION_PATH: '/oauth/revoke',
      UPSTREAM_TIMEOUT_MS: '1500',
      DYNAMODB_TIMEOUT_MS: '800',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      LOG_LEVEL: 'debug',
    });

    expect(config).toMatchObject({
      upstreamRevocationEndpoint: 'https://login.example.test/revoke',
      tokenTableKeyAttribute: 'pk',
      tokenHashAlgorithm: 'SHA-512',
      passThroughClientIds: ['a', 'b'],
      tokenPath: '/oauth/token',
      revocationPath: '/oauth/revoke',
      upstreamTimeoutMs: 1500,
      dynamoDbTimeoutMs: 800,
      dynamoDbEndpoint: 'http://127.0.0.1:8000',
      logLevel: 'debug',
    });
  });

  it('fronts the whole origin with UPSTREAM_ORIGIN: the upstream endpoints are its token and revocation paths', () => {
    const config = readTokenEndpointProxyConfig({
      UPSTREAM_ORIGIN: 'https://as.internal.example.test',
      TOKEN_TABLE_NAME: 'tokens',
      TOKEN_PATH: '/realms/demo/protocol/openid-connect/token',
      REVOCATION_PATH: '/realms/demo/protocol/openid-connect/revoke',
      PASS_THROUGH_TIMEOUT_MS: '8000',
      PASS_THROUGH_PATH_PREFIXES: '/realms/, /resources/',
    });

    expect(config).toMatchObject({
      front: {
        upstreamOrigin: 'https://as.internal.example.test',
        passThroughTimeoutMs: 8000,
        maxRequestBytes: 1048576,
        maxResponseBytes: 4194304,
        passThroughPathPrefixes: ['/realms/', '/resources/'],
      },
      upstreamTokenEndpoint: 'https://as.internal.example.test/realms/demo/protocol/openid-connect/token',
      upstreamRevocationEndpoint: 'https://as.internal.example.test/realms/demo/protocol/openid-connect/revoke',
    });
  });

  it.each([
    ['UPSTREAM_ORIGIN must be an origin', { TOKEN_TABLE_NAME: 't', UPSTREAM_ORIGIN: 'https://as.test/auth' }],
    [
      'PASS_THROUGH_PATH_PREFIXES must list paths',
      { TOKEN_TABLE_NAME: 't', UPSTREAM_ORIGIN: 'https://as.test', PASS_THROUGH_PATH_PREFIXES: '/realms' },
    ],
    ['UPSTREAM_ORIGIN must use https', { TOKEN_TABLE_NAME: 't', UPSTREAM_ORIGIN: 'http://as.test' }],
    [
      'UPSTREAM_TOKEN_ENDPOINT must not be set with UPSTREAM_ORIGIN',
      { ...MINIMAL, UPSTREAM_ORIGIN: 'https://as.test' },
    ],
    [
      'MAX_PASS_THROUGH_RESPONSE_BYTES must be a whole number',
      { TOKEN_TABLE_NAME: 't', UPSTREAM_ORIGIN: 'https://as.test', MAX_PASS_THROUGH_RESPONSE_BYTES: '9000000' },
    ],
    ['UPSTREAM_TOKEN_ENDPOINT is required', { TOKEN_TABLE_NAME: 'tokens' }],
    ['TOKEN_TABLE_NAME is required', { UPSTREAM_TOKEN_ENDPOINT: 'https://x.test/token' }],
    ['UPSTREAM_TOKEN_ENDPOINT must use https', { ...MINIMAL, UPSTREAM_TOKEN_ENDPOINT: 'http://x.test/token' }],
    ['UPSTREAM_REVOCATION_ENDPOINT must be an absolute URL', { ...MINIMAL, UPSTREAM_REVOCATION_ENDPOINT: '/revoke' }],
    ['TOKEN_HASH_ALGORITHM must be one of', { ...MINIMAL, TOKEN_HASH_ALGORITHM: 'MD5' }],
    ['UPSTREAM_TIMEOUT_MS must be a whole number', { ...MINIMAL, UPSTREAM_TIMEOUT_MS: '5s' }],
    ['TOKEN_PATH must be a path', { ...MINIMAL, TOKEN_PATH: 'token' }],
    ['must differ', { ...MINIMAL, TOKEN_PATH: '/x', REVOCATION_PATH: '/x' }],
  ])('fails naming the setting: %s', (message, env) => {
    expect(() => readTokenEndpointProxyConfig(env)).toThrow(ConfigurationError);
    expect(() => readTokenEndpointProxyConfig(env)).toThrow(message);
  });
});
