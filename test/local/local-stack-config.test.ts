import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT_SECRETS } from '../../local/local-stack.ts';
import { LocalStackConfigError, readLocalStackOptions } from '../../local/local-stack-config.ts';

describe('readLocalStackOptions', () => {
  it('defaults to port 3000, REST events, a 10 s cache and the demo client secrets', () => {
    expect(readLocalStackOptions({})).toEqual({
      port: 3000,
      eventFormat: 'rest',
      cacheTtlSeconds: 10,
      logLevel: 'info',
      clientSecrets: DEMO_CLIENT_SECRETS,
    });
  });

  it('reads PORT=0 (a free port), HTTP API events, the cache time and the log level', () => {
    expect(
      readLocalStackOptions({ PORT: '0', GATEWAY_EVENT_FORMAT: 'http', CACHE_TTL_SECONDS: '0', LOG_LEVEL: 'warn' }),
    ).toMatchObject({ port: 0, eventFormat: 'http', cacheTtlSeconds: 0, logLevel: 'warn' });
  });

  it.each([
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: 'abc' }],
    ['GATEWAY_EVENT_FORMAT', { GATEWAY_EVENT_FORMAT: 'token' }],
    ['CACHE_TTL_SECONDS', { CACHE_TTL_SECONDS: '-1' }],
  ])('refuses a bad %s, naming it', (name, env) => {
    expect(() => readLocalStackOptions(env)).toThrow(LocalStackConfigError);
    expect(() => readLocalStackOptions(env)).toThrow(name);
  });
});
