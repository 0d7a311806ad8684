import { describe, expect, it } from 'vitest';
import type { ApiRoute } from '../../lib/api-routes.ts';
import { resolveCorsSettings } from '../../lib/cors.ts';

const ROUTES: readonly ApiRoute[] = [
  { method: 'GET', path: '/claims', integration: 'a' },
  { method: 'POST', path: '/orders', integration: 'a' },
];

describe('resolveCorsSettings', () => {
  it('defaults to the route definition’s methods and the headers a token client sends', () => {
    expect(resolveCorsSettings({ allowOrigins: ['http://localhost:5173'] }, ROUTES)).toEqual({
      allowOrigins: ['http://localhost:5173'],
      allowMethods: ['GET', 'POST'],
      allowHeaders: ['Authorization', 'DPoP', 'Content-Type'],
      exposeHeaders: ['WWW-Authenticate'],
      maxAgeSeconds: 300,
      allowCredentials: false,
    });
  });

  it('spells ANY out as the methods API Gateway’s ANY stands for, and leaves OPTIONS to the preflight', () => {
    const settings = resolveCorsSettings({ allowOrigins: ['*'] }, [
      { method: 'ANY', path: '/{proxy+}', integration: 'a' },
      { method: 'OPTIONS', path: '/x', integration: 'cors-preflight', authorization: 'none' },
    ]);
    expect(settings.allowMethods).toEqual(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
  });

  it.each([
    [['*'], true, /never allowed with allowCredentials/],
    [['*', 'https://app.example.test'], false, /stands alone/],
    [[], false, /at least one origin/],
    [['https://app.example.test/'], false, /not an origin/],
    [['https://app.example.test/path'], false, /not an origin/],
    [['HTTPS://APP.EXAMPLE.TEST'], false, /not an origin/],
    [['https://app.example.test:443'], false, /default port/],
    [['http://localhost:80'], false, /default port/],
    [['http://localhost:99999'], false, /bad port/],
    [['null'], false, /not an origin/],
    [['https://*.example.test'], false, /not an origin/],
    [['https://a.example.test', 'https://a.example.test'], false, /once/],
  ])(
    'refuses the origins %j (credentials %s): a browser never sends them, or the pair is unsafe',
    (origins, credentials, message) => {
      expect(() => resolveCorsSettings({ allowOrigins: origins, allowCredentials: credentials }, ROUTES)).toThrow(
        message,
      );
    },
  );

  it.each([
    [{ maxAgeSeconds: 0 }, /maxAgeSeconds/],
    [{ maxAgeSeconds: 86_401 }, /maxAgeSeconds/],
    [{ maxAgeSeconds: 1.5 }, /maxAgeSeconds/],
    [{ allowHeaders: ['Bad Header'] }, /not a token/],
    [{ allowHeaders: [] }, /at least one/],
    [{ allowMethods: ['GET', 'get'] }, /once/],
  ])('refuses %j', (options, message) => {
    expect(() => resolveCorsSettings({ allowOrigins: ['https://app.example.test'], ...options }, ROUTES)).toThrow(
      message,
    );
  });

  it('takes origins with ports, IP addresses and punycode hosts as browsers send them', () => {
    const origins = ['http://127.0.0.1:5173', 'https://xn--bcher-kva.example', 'http://[::1]:8080'];
    expect(resolveCorsSettings({ allowOrigins: origins }, ROUTES).allowOrigins).toEqual(origins);
  });
});
