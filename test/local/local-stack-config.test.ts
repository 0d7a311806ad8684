import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT_SECRETS } from '../../local/local-stack.ts';
import { LocalStackConfigError, readLocalStackOptions } from '../../local/local-stack-config.ts';

describe('readLocalStackOptions', () => {
  it('defaults to port 3000 (the issuer on 3001), REST events, a 10 s cache, JWT validation, sender-constrained tokens and the demo client secrets', () => {
    expect(readLocalStackOptions({})).toEqual({
      port: 3000,
      issuerPort: 3001,
      jwtValidation: true,
      eventFormat: 'rest',
      cacheTtlSeconds: 10,
      senderConstrained: true,
      logLevel: 'info',
      clientSecrets: DEMO_CLIENT_SECRETS,
    });
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
  ])('refuses a bad %s, naming it', (name, env) => {
    expect(() => readLocalStackOptions(env)).toThrow(LocalStackConfigError);
    expect(() => readLocalStackOptions(env)).toThrow(name);
  });
});
