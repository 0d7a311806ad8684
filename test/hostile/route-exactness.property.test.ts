/**
 * Route exactness (DESIGN invariant 9), differentially: random rule sets, API routes, token scopes
 * and request sequences (non-canonical paths included) go through API Gateway's authorization as
 * the local imitation does it from AWS's documentation (route selection, identity-source caching
 * with the constructs' identity sources, IAM wildcard matching, answer validation), on a moving
 * clock. Every answer must equal (1) a fresh evaluation (a new authorizer instance, no gateway
 * cache) and (2) the rules' meaning computed by an oracle written here, independently of the
 * authorizer's code.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer/authorizer.ts';
import type { RouteScopeRule } from '../../lambda/core/route-scopes.ts';
import {
  HTTP_AUTHORIZER_IDENTITY_SOURCES,
  REST_AUTHORIZER_IDENTITY_SOURCES,
} from '../../lib/authorizer-identity-sources.ts';
import {
  decodeHttpApiPath,
  type GatewayEventFormat,
  type MethodArnPath,
} from '../../local/api-gateway/authorizer-events.ts';
import { type AuthorizationOutcome, GatewayAuthorization } from '../../local/api-gateway/gateway-authorization.ts';
import { routeRequest } from '../../local/api-gateway/gateway-request.ts';
import type { RouteDefinition } from '../../local/api-gateway/route-selection.ts';
import { authorizerConfig } from '../support/authorizer-config.ts';
import { LogCapture } from '../support/log-capture.ts';
import { TestIssuer } from '../support/test-issuer.ts';
import { requiredScopesOracle } from './route-rules-oracle.ts';

const RUNS = Number(process.env.ROUTE_EXACTNESS_RUNS ?? 400);
const SCOPES = ['a', 'b', 'c'] as const;
const METHODS = ['GET', 'POST', 'DELETE', 'HEAD', 'PUT'] as const;
const LITERALS = ['orders', 'admin', 'x'] as const;

type Mode = { readonly format: GatewayEventFormat; readonly simple: boolean; readonly methodArnPath: MethodArnPath };
const MODES: readonly Mode[] = [
  { format: 'rest', simple: false, methodArnPath: 'as-sent' },
  { format: 'rest', simple: false, methodArnPath: 'like-event-path' },
  { format: 'http', simple: true, methodArnPath: 'as-sent' },
  { format: 'http', simple: false, methodArnPath: 'as-sent' },
];
const STAGE: Record<GatewayEventFormat, string> = { rest: 'prod', http: '$default' };

/** A path template: literals, `{id}`, and a last `{proxy+}`. */
const template = fc
  .tuple(fc.array(fc.oneof(fc.constantFrom(...LITERALS), fc.constant('{id}')), { maxLength: 3 }), fc.boolean())
  .map(([segments, greedy]) => `/${[...segments, ...(greedy ? ['{proxy+}'] : [])].join('/')}`);

const scopeSet = fc.subarray([...SCOPES]);

const rule: fc.Arbitrary<RouteScopeRule> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'DELETE', 'ANY'),
  path: template,
  scopes: scopeSet,
});

const apiRoute: fc.Arbitrary<RouteDefinition> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'ANY'),
  path: template,
});

/** A concrete path, often one a backend would normalize: trailing and double slashes, dot segments, escapes, case. */
const requestPath = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...LITERALS, '42', 'secret') },
      {
        weight: 1,
        arbitrary: fc.constantFrom('.', '..', '%2e', '%2E%2e', 'ORDERS', 'Admin', '%61dmin', 'x;p=1', '*', ''),
      },
      { weight: 1, arbitrary: fc.constantFrom('orders%2Fx', 'a%2F..%2Fadmin', '..%2f', 'admin\\..\\orders') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'admin%2F%FF',
          '%FF%2F..',
          'order%C5%BF',
          'ADM%C4%B0N',
          'admin%20',
          'admin.',
          'x%00.json',
          '%252e%252e',
          '%EF%BD%81dmin',
          'ord%09ers',
          'a%2Fb',
          'ad%0D%0Amin',
          // `..` to some reading: a parameter, a tab inside, fullwidth dots, a two-dot leader.
          '..;',
          '.%09.',
          '%EF%BC%8E%EF%BC%8E',
          '%E2%80%A5',
          // `..` to a URL parser at the end of a URL, which strips the trailing space.
          '..%20',
        ),
      },
      { weight: 1, arbitrary: fc.integer({ min: 100, max: 600 }).map((length) => 'l'.repeat(length)) },
    ),
    { maxLength: 4 },
  )
  .chain((segments) =>
    fc.boolean().map((trailing) => `/${segments.join('/')}${trailing && segments.length > 0 ? '/' : ''}`),
  );

const requestArbitrary = fc.record({
  token: fc.integer({ min: 0, max: 8 }),
  method: fc.constantFrom(...METHODS),
  path: requestPath,
  advanceSeconds: fc.integer({ min: 0, max: 20 }),
});

type Verdict = 'allow' | 'forbidden' | 'unauthorized' | 'error';

function verdictOf(outcome: AuthorizationOutcome): Verdict {
  return outcome.kind;
}

describe('route exactness under API Gateway caching (differential)', () => {
  let issuer: TestIssuer;
  /** One token per subset of SCOPES (index = bit mask), and a garbage one at index 8. */
  const tokens: string[] = [];
  const logs = new LogCapture();
  let cases = 0;
  const tally: Record<string, number> = {};

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithm: 'ES256' });
    for (let mask = 0; mask < 8; mask++) {
      const scope = SCOPES.filter((_, bit) => mask & (1 << bit)).join(' ');
      tokens.push(
        await issuer.mint({ scope, sub: `user-${mask}`, client_id: 'jwt-client' }, { expiresInSeconds: 24 * 3600 }),
      );
    }
    tokens.push('not-a-token-at-all');
    for (const token of tokens) logs.remember('token', token);
  });

  const scopesOfToken = (index: number): ReadonlySet<string> =>
    new Set(index >= 8 ? [] : SCOPES.filter((_, bit) => index & (1 << bit)));

  for (const mode of MODES) {
    const label = `${mode.format}${mode.format === 'http' ? (mode.simple ? ' simple' : ' iam') : ` (method ARN ${mode.methodArnPath})`}`;
    it(`${label}: every answer, cached or not, equals a fresh evaluation and the rules`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(rule, { maxLength: 6 }),
          scopeSet,
          fc.array(apiRoute, { maxLength: 4 }),
          fc.integer({ min: 0, max: 30 }),
          fc.integer({ min: 0, max: 30 }),
          fc.array(requestArbitrary, { minLength: 1, maxLength: 15 }),
          async (rules, defaultScopes, extraRoutes, gatewayTtl, memoryTtl, requests) => {
            let now = Date.now();
            const clock = () => now;
            const config = authorizerConfig(
              { issuer: issuer.issuer, jwksUri: 'https://issuer.test/jwks', audiences: [issuer.audience] },
              {
                tokenTableName: undefined,
                jwtValidationEnabled: true,
                jwtClientIds: ['jwt-client'],
                routeScopes: rules,
                defaultScopes,
                cacheTtlSeconds: memoryTtl,
                httpApiResponseFormat: mode.simple ? 'simple' : 'iam',
                logLevel: 'error',
              },
            );
            const dependencies = { jwks: issuer.jwks, clock, log: logs.jsonLog('error') };
            const cachedAuthorizer = createAuthorizer(config, dependencies);
            const gateway = (authorizer: (event: unknown) => Promise<unknown>, ttl: number) =>
              new GatewayAuthorization({
                format: mode.format,
                authorizer,
                identitySources:
                  mode.format === 'rest' ? REST_AUTHORIZER_IDENTITY_SOURCES : HTTP_AUTHORIZER_IDENTITY_SOURCES,
                resultsTtlSeconds: ttl,
                simpleResponses: mode.simple,
                methodArnPath: mode.methodArnPath,
                clock,
              });
            const cached = gateway(cachedAuthorizer, gatewayTtl);
            const routes = [{ method: 'ANY', path: '/{proxy+}' }, ...extraRoutes];

            for (const step of requests) {
              now += step.advanceSeconds * 1000;
              const stage = STAGE[mode.format];
              const prefix = stage === '$default' ? '' : `/${stage}`;
              const routed = routeRequest(mode.format, stage, routes, {
                method: step.method,
                target: `${prefix}${step.path}`,
                rawHeaders: ['Host', 'api.example.test', 'Authorization', `Bearer ${tokens[step.token]}`],
                sourceIp: '192.0.2.1',
              });
              if ('unrouted' in routed) continue;
              cases++;
              const through = verdictOf(await cached.authorize(routed.request));
              const fresh = verdictOf(
                await gateway(createAuthorizer(config, dependencies), 0).authorize(routed.request),
              );
              const expected = expectedVerdict(mode, rules, defaultScopes, step, cached.resourceArnOf(routed.request));
              tally[`${mode.format} ${through}`] = (tally[`${mode.format} ${through}`] ?? 0) + 1;
              const what = `${step.method} ${step.path} token ${step.token}`;
              expect(fresh, `fresh evaluation of ${what}`).toBe(expected);
              expect(through, `through the caches: ${what}`).toBe(expected);
            }
          },
        ),
        { numRuns: RUNS },
      );
    }, 300_000);
  }

  it('wrote no token to any log line', () => {
    console.info(`[hostile] route exactness: ${cases} requests ${JSON.stringify(tally)}`);
    expect(cases).toBeGreaterThan(RUNS);
    expect(logs.leaks).toEqual([]);
  });

  /**
   * What the rules say, from the oracle: 401 for the garbage token; 403 without the scopes; and for
   * policy answers, 403 where IAM could not name the request exactly (`*`, `?`, over 512 characters).
   */
  function expectedVerdict(
    mode: Mode,
    rules: readonly RouteScopeRule[],
    defaultScopes: readonly string[],
    step: { token: number; method: string; path: string },
    resourceArn: string,
  ): Verdict {
    if (step.token >= 8) return 'unauthorized';
    const granted = scopesOfToken(step.token);
    // HTTP APIs decode the path before the authorizer sees it, and a backend behind an HTTP
    // integration may get it as sent: any `/` of the decoded path may have been `%2F`.
    const path = mode.format === 'http' ? decodeHttpApiPath(step.path) : step.path;
    const required = requiredScopesOracle(rules, defaultScopes, step.method, path, mode.format === 'http');
    if (![...required].every((scope) => granted.has(scope))) return 'forbidden';
    if (!mode.simple && (/[*?]/.test(resourceArn) || resourceArn.length > 512)) return 'forbidden';
    return 'allow';
  }
});
