import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT_SECRETS } from '../../local/local-stack.ts';
import { LocalStackConfigError, readLocalStackOptions } from '../../local/local-stack-config.ts';

describe('readLocalStackOptions', () => {
  it('defaults to port 3000 (the issuer on 3001), REST events, a 10 s cache, JWT validation, sender-constrained tokens, the demo client secrets and CORS for a dev server on localhost:5173', () => {
    expect(readLocalStackOptions({})).toEqual({
      port: 3000,
      issuerPort: 3001,
      jwtValidation: true,
      eventFormat: 'rest',
      cacheTtlSeconds: 10,
      senderConstrained: true,
      logLevel: 'info',
      clientSecrets: DEMO_CLIENT_SECRETS,
      cors: { allowOrigins: ['http://localhost:5173'] },
    });
  });

  it('reads CORS_ALLOWED_ORIGINS (comma-separated), and off for no CORS', () => {
    expect(
      readLocalStackOptions({ CORS_ALLOWED_ORIGINS: 'https://app.example.test, http://127.0.0.1:8080' }),
    ).toMatchObject({ cors: { allowOrigins: ['https://app.example.test', 'http://127.0.0.1:8080'] } });
    expect(readLocalStackOptions({ CORS_ALLOWED_ORIGINS: 'off' })).not.toHaveProperty('cors');
  });

  it('reads SENDER_CONSTRAINED=false and MUTUAL_TLS=true', () => {
    expect(readLocalStackOptions({ SENDER_CONSTRAINED: 'false' })).toMatchObject({ senderConstrained: false });
    expect(readLocalStackOptions({ MUTUAL_TLS: 'true' })).toMatchObject({ mutualTls: true });
  });

  it('reads PORT=0 (a free port), HTTP API events, the cache time and the log level', () => {
    expect(
      readLocalStackOptions({ PORT: '0', GATEWAY_EVENT_FORMAT: 'http', CACHE_TTL_SECONDS: '0', LOG_LEVEL: 'warn' }),
    ).toMatchObject({ port: 0, eventFormat: 'http', cacheTtlSeconds: 0, logLevel: 'warn' });
  });

  it('puts the issuer on a free port too when PORT=0, and reads ISSUER_PORT and JWT_VALIDATION', () => {
    expect(readLocalStackOptions({ PORT: '0' })).toMatchObject({ port: 0, issuerPort: 0 });
    expect(readLocalStackOptions({ PORT: '8080', ISSUER_PORT: '9000', JWT_VALIDATION: 'false' })).toMatchObject({
      port: 8080,
      issuerPort: 9000,
      jwtValidation: false,
    });
  });

  it.each([
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: 'abc' }],
    ['GATEWAY_EVENT_FORMAT', { GATEWAY_EVENT_FORMAT: 'token' }],
    ['CACHE_TTL_SECONDS', { CACHE_TTL_SECONDS: '-1' }],
    ['ISSUER_PORT', { PORT: '4000', ISSUER_PORT: '4000' }],
    ['JWT_VALIDATION', { JWT_VALIDATION: 'yes' }],
    ['CORS_ALLOWED_ORIGINS', { CORS_ALLOWED_ORIGINS: 'https://app.example.test/' }],
    ['CORS_ALLOWED_ORIGINS', { CORS_ALLOWED_ORIGINS: '*,https://app.example.test' }],
  ])('refuses a bad %s, naming it', (name, env) => {
    expect(() => readLocalStackOptions(env)).toThrow(LocalStackConfigError);
    expect(() => readLocalStackOptions(env)).toThrow(name);
  });

  it('reads LOCAL_REGIONS (home first) with the other gateways after the issuer port, a 1000 ms lag and no fallback', () => {
    expect(readLocalStackOptions({ LOCAL_REGIONS: 'us-east-1, eu-west-1,ap-southeast-2' })).toMatchObject({
      port: 3000,
      issuerPort: 3001,
      regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'],
      regionPorts: { 'eu-west-1': 3002, 'ap-southeast-2': 3003 },
      replicationLagMs: 1000,
      homeRegionFallback: false,
    });
  });

  it('puts every region on a free port when PORT=0, and reads REPLICATION_LAG_MS and HOME_REGION_FALLBACK', () => {
    expect(
      readLocalStackOptions({
        PORT: '0',
        LOCAL_REGIONS: 'eu-west-1,us-east-1',
        REPLICATION_LAG_MS: '250',
        HOME_REGION_FALLBACK: 'true',
      }),
    ).toMatchObject({
      port: 0,
      regions: ['eu-west-1', 'us-east-1'],
      regionPorts: { 'us-east-1': 0 },
      replicationLagMs: 250,
      homeRegionFallback: true,
    });
  });

  it('takes one region as one region, without a lag', () => {
    const options = readLocalStackOptions({ LOCAL_REGIONS: 'eu-central-1' });

    expect(options.regions).toEqual(['eu-central-1']);
    expect(options).not.toHaveProperty('replicationLagMs');
  });

  it.each([
    ['LOCAL_REGIONS', { LOCAL_REGIONS: 'us-east-1,mars-north-1x' }],
    ['LOCAL_REGIONS', { LOCAL_REGIONS: 'us-east-1,us-east-1' }],
    ['LOCAL_REGIONS', { LOCAL_REGIONS: 'us-east-1,,eu-west-1' }],
    ['LOCAL_REGIONS', { LOCAL_REGIONS: 'us-east-1,us-east-2,us-west-1,us-west-2,eu-west-1,eu-west-2,eu-west-3' }],
    ['REPLICATION_LAG_MS', { LOCAL_REGIONS: 'us-east-1,eu-west-1', REPLICATION_LAG_MS: '-5' }],
    ['REPLICATION_LAG_MS', { REPLICATION_LAG_MS: '500' }],
    ['REPLICATION_LAG_MS', { LOCAL_REGIONS: 'us-east-1', REPLICATION_LAG_MS: '500' }],
    ['HOME_REGION_FALLBACK', { LOCAL_REGIONS: 'us-east-1,eu-west-1', HOME_REGION_FALLBACK: 'yes' }],
    ['HOME_REGION_FALLBACK', { HOME_REGION_FALLBACK: 'true' }],
    ['ISSUER_PORT', { LOCAL_REGIONS: 'us-east-1,eu-west-1', ISSUER_PORT: '3002' }],
    ['PORT', { PORT: '65535', ISSUER_PORT: '4000', LOCAL_REGIONS: 'us-east-1,eu-west-1' }],
  ])('refuses a bad %s with several regions, naming it', (name, env) => {
    expect(() => readLocalStackOptions(env)).toThrow(LocalStackConfigError);
    expect(() => readLocalStackOptions(env)).toThrow(name);
  });
});
