/**
 * Public routes (CORS preflight, metadata) never open a token route: random route definitions
 * (ANY, path parameters, greedy `{proxy+}`, public routes, CORS on or off) served by the local
 * gateway on both API types, and random requests without a token (OPTIONS with and without
 * preflight headers, other methods, non-canonical paths). The authorizer behind the gateway allows
 * everything it is asked about, the worst case: whatever keeps a request from a token route's
 * backend must be the gateway and the route definition. Every backend is one recording server, so
 * what reached which integration is read there, not from the gateway's own account.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiRoute, apiRouteProblems, withCorsPreflightRoutes } from '../../lib/api-routes.ts';
import {
  HTTP_AUTHORIZER_IDENTITY_SOURCES,
  REST_AUTHORIZER_IDENTITY_SOURCES,
} from '../../lib/authorizer-identity-sources.ts';
import { resolveCorsSettings } from '../../lib/cors.ts';
import type { GatewayEventFormat } from '../../local/api-gateway/authorizer-events.ts';
import { startLocalGateway } from '../../local/local-gateway.ts';
import { rawRequest } from '../support/raw-http.ts';
import { type RecordingHttpServer, startRecordingHttpServer } from '../support/recording-http-server.ts';

const RUNS = Number(process.env.PUBLIC_ROUTES_RUNS ?? 40);
const LITERALS = ['a', 'orders', 'x'] as const;
const TOKEN_INTEGRATIONS = ['t0', 't1'] as const;
const PUBLIC_INTEGRATIONS = ['p0', 'p1'] as const;
const PAGE = 'https://app.example.test';

const segment = fc.oneof(fc.constantFrom(...LITERALS), fc.constant('{id}'));
const routePath = fc
  .tuple(fc.array(segment, { maxLength: 3 }), fc.boolean())
  .map(([segments, greedy]) => `/${[...segments, ...(greedy ? ['{proxy+}'] : [])].join('/')}`);
const tokenRoute = fc.record({
  method: fc.constantFrom('GET', 'POST', 'DELETE', 'ANY', 'OPTIONS'),
  path: routePath,
  integration: fc.constantFrom(...TOKEN_INTEGRATIONS),
});
const publicRoute = fc.record({
  method: fc.constantFrom('GET', 'POST'),
  path: routePath,
  integration: fc.constantFrom(...PUBLIC_INTEGRATIONS),
  authorization: fc.constant('none' as const),
});

/** A usable route definition: at least one token route; with CORS, no OPTIONS route of its own. */
const definition = fc
  .record({
    routes: fc.tuple(fc.array(tokenRoute, { minLength: 1, maxLength: 5 }), fc.array(publicRoute, { maxLength: 2 })),
    cors: fc.boolean(),
  })
  .map(({ routes: [token, open], cors }) => {
    const seen = new Set<string>();
    const routes: ApiRoute[] = [...token, ...open].filter((route) => {
      const key = `${route.method} ${route.path.replace(/\{[^}]+\}/g, '{}')}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return !(cors && route.method === 'OPTIONS');
    });
    return { routes, cors };
  })
  .filter(
    ({ routes }) => routes.some((route) => route.authorization !== 'none') && apiRouteProblems(routes).length === 0,
  );

/** A request path near the definition's paths: variables filled, extra segments, non-canonical forms. */
const requestPath = fc
  .tuple(
    fc.array(fc.oneof(fc.constantFrom(...LITERALS), fc.constantFrom('42', 'b', '.', '%2e')), { maxLength: 4 }),
    fc.constantFrom('', '/', '//'),
  )
  .map(([segments, tail]) => `/${segments.join('/')}${segments.length > 0 ? tail : ''}`);

const request = fc.record({
  method: fc.constantFrom('OPTIONS', 'OPTIONS', 'GET', 'POST', 'DELETE', 'PUT'),
  path: requestPath,
  headers: fc.constantFrom<Record<string, string>>(
    {},
    { Origin: PAGE },
    { Origin: PAGE, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,dpop' },
    { Origin: 'https://evil.example.test', 'Access-Control-Request-Method': 'DELETE' },
  ),
  token: fc.boolean(),
});

describe.each<GatewayEventFormat>(['rest', 'http'])('public routes on the %s API', (format) => {
  let backends: RecordingHttpServer;
  let tokenReached = 0;

  beforeAll(async () => {
    backends = await startRecordingHttpServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('backend');
    });
  });

  afterAll(async () => {
    await backends?.stop();
  });

  it('never lets a request without a token reach a token route’s integration', async () => {
    await fc.assert(
      fc.asyncProperty(
        definition,
        fc.array(request, { minLength: 1, maxLength: 8 }),
        async ({ routes, cors }, requests) => {
          const deployed = cors ? withCorsPreflightRoutes(routes) : routes;
          const stage = format === 'rest' ? 'v1' : '$default';
          const gateway = await startLocalGateway({
            format,
            stage,
            routes: deployed,
            integrations: Object.fromEntries(
              [...TOKEN_INTEGRATIONS, ...PUBLIC_INTEGRATIONS].map((name) => [name, `${backends.origin}/${name}`]),
            ),
            authorizer: allowEverything(format),
            identitySources: format === 'rest' ? REST_AUTHORIZER_IDENTITY_SOURCES : HTTP_AUTHORIZER_IDENTITY_SOURCES,
            resultsTtlSeconds: 0,
            contextHeaders: [],
            ...(cors ? { cors: resolveCorsSettings({ allowOrigins: [PAGE] }, routes) } : {}),
          });
          try {
            for (const { method, path, headers, token } of requests) {
              const before = backends.requests.length;
              const target = `${format === 'rest' ? '/v1' : ''}${path}`;
              await rawRequest(gateway.origin, method, target, {
                ...headers,
                ...(token ? { Authorization: 'Bearer any-token-the-authorizer-allows' } : {}),
              });
              const reached = backends.requests.slice(before).map((recorded) => recorded.url.split('/')[1]);
              const tokenIntegrations = reached.filter((name) =>
                (TOKEN_INTEGRATIONS as readonly string[]).includes(name ?? ''),
              );
              if (token) tokenReached += tokenIntegrations.length;
              else expect(tokenIntegrations, `${method} ${path} ${JSON.stringify(headers)}`).toEqual([]);
            }
          } finally {
            await gateway.stop();
          }
        },
      ),
      { numRuns: RUNS },
    );
    // The harness can see a token route reached: requests with a token got there.
    expect(tokenReached).toBeGreaterThan(0);
  }, 120_000);
});

/** The worst authorizer: whatever it is asked, it allows (a REST policy for the exact method ARN). */
function allowEverything(format: GatewayEventFormat) {
  return async (event: unknown): Promise<unknown> => {
    if (format === 'http') return { isAuthorized: true, context: {} };
    const { methodArn } = event as { methodArn: string };
    return {
      principalId: 'anyone',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }],
      },
      context: {},
    };
  };
}
