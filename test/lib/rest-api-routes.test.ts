import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import type { ApiRoute } from '../../lib/api-routes.ts';
import type { CorsOptions } from '../../lib/cors.ts';
import { RestApiRoutes, type RestApiRoutesProps } from '../../lib/rest-api-routes.ts';
import { restCorsPreflightAnswer } from '../../local/api-gateway/rest-cors-preflight.ts';

const OUTDIR = mkdtempSync(join(tmpdir(), 'rest-api-routes-test-'));

/** A route definition like the example's: a catch-all, an ANY route, a path parameter, a public route. */
const ROUTES: readonly ApiRoute[] = [
  { method: 'GET', path: '/claims', integration: 'backend' },
  { method: 'ANY', path: '/orders', integration: 'echo' },
  { method: 'GET', path: '/orders/{id}', integration: 'echo' },
  { method: 'ANY', path: '/{proxy+}', integration: 'echo' },
  { method: 'GET', path: '/.well-known/metadata', integration: 'document', authorization: 'none' },
];

/** A resource's properties as the template holds them (untyped JSON). */
type Properties = ReturnType<Template['findResources']>[string];
type Resources = Record<string, { Properties: Properties }>;

function build(options: { cors?: CorsOptions; routes?: readonly ApiRoute[]; gatewayResponses?: boolean } = {}): {
  template: Template;
  routes: RestApiRoutes;
} {
  const app = new App({ outdir: OUTDIR });
  const stack = new Stack(app, 'Stack', { env: { region: 'eu-west-1', account: '111111111111' } });
  const api = new apigateway.RestApi(stack, 'Api');
  const handler = new lambda.Function(stack, 'Handler', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({});'),
  });
  const authorizer = new apigateway.RequestAuthorizer(stack, 'Authorizer', {
    handler,
    identitySources: [apigateway.IdentitySource.header('Authorization')],
  });
  const props: RestApiRoutesProps = {
    api,
    routes: options.routes ?? ROUTES,
    authorizer,
    integrations: {
      backend: new apigateway.LambdaIntegration(handler),
      echo: new apigateway.HttpIntegration('https://echo.example.test/anything', { httpMethod: 'ANY', proxy: true }),
      document: new apigateway.MockIntegration({
        requestTemplates: { 'application/json': '{"statusCode": 200}' },
        integrationResponses: [{ statusCode: '200' }],
      }),
    },
    ...(options.cors ? { cors: options.cors } : {}),
    ...(options.gatewayResponses ? { gatewayResponses: { realm: 'example' } } : {}),
  };
  const routes = new RestApiRoutes(stack, 'Routes', props);
  return { template: Template.fromStack(stack), routes };
}

function methods(template: Template): Properties[] {
  return Object.values(template.findResources('AWS::ApiGateway::Method') as Resources).map((m) => m.Properties);
}

/** Resource logical id → path, from the template's resource tree. */
function resourcePaths(template: Template): Map<string, string> {
  const resources = template.findResources('AWS::ApiGateway::Resource') as Resources;
  const paths = new Map<string, string>();
  const pathOf = (id: string): string => {
    const known = paths.get(id);
    if (known !== undefined) return known;
    const { ParentId, PathPart } = resources[id]?.Properties ?? {};
    const parent = ParentId?.Ref ? pathOf(ParentId.Ref) : '';
    const path = `${parent}/${PathPart}`;
    paths.set(id, path);
    return path;
  };
  for (const id of Object.keys(resources)) pathOf(id);
  return paths;
}

function pathOfMethod(template: Template, method: Properties): string {
  const ref = method.ResourceId?.Ref;
  return ref === undefined ? '/' : (resourcePaths(template).get(ref) ?? '?');
}

describe('RestApiRoutes without CORS', () => {
  const { template } = build();

  it('puts every token route behind the authorizer and the public route on its own integration without one', () => {
    const all = methods(template);
    expect(all.map((m) => `${m.HttpMethod} ${pathOfMethod(template, m)}`).sort()).toEqual([
      'ANY /orders',
      'ANY /{proxy+}',
      'GET /.well-known/metadata',
      'GET /claims',
      'GET /orders/{id}',
    ]);
    for (const method of all) {
      const isPublic = pathOfMethod(template, method) === '/.well-known/metadata';
      expect(method.AuthorizationType).toBe(isPublic ? 'NONE' : 'CUSTOM');
      if (isPublic) expect(method.Integration.Type).toBe('MOCK');
      else expect(method.AuthorizerId).toEqual({ Ref: expect.stringMatching(/^Authorizer/) });
    }
  });

  it('adds no OPTIONS method and no gateway response', () => {
    expect(methods(template).filter((m) => m.HttpMethod === 'OPTIONS')).toEqual([]);
    template.resourceCountIs('AWS::ApiGateway::GatewayResponse', 0);
  });
});

describe('RestApiRoutes with CORS', () => {
  const origin = 'http://localhost:5173';
  const { template, routes } = build({ cors: { allowOrigins: [origin] }, gatewayResponses: true });
  const options = methods(template).filter((m) => m.HttpMethod === 'OPTIONS');

  it('adds a public OPTIONS method on every route resource, none elsewhere', () => {
    expect(options.map((m) => pathOfMethod(template, m)).sort()).toEqual([
      '/.well-known/metadata',
      '/claims',
      '/orders',
      '/orders/{id}',
      '/{proxy+}',
    ]);
    for (const method of options) {
      expect(method.AuthorizationType).toBe('NONE');
      expect(method.AuthorizerId).toBeUndefined();
    }
  });

  it('answers the preflight with a MOCK integration: 204 and the Access-Control headers as literals', () => {
    // What aws-cdk-lib's addCorsPreflight synthesizes (resource.ts): a mock with `{ statusCode: 200 }`,
    // one integration response, literal header values in single quotes; the values are the brief's
    // defaults (Authorization, DPoP, Content-Type; ANY spelled out; 300 s) and WWW-Authenticate exposed.
    for (const method of options) {
      expect(method.Integration).toMatchObject({
        Type: 'MOCK',
        RequestTemplates: { 'application/json': '{ statusCode: 200 }' },
        IntegrationResponses: [
          {
            StatusCode: '204',
            ResponseParameters: {
              'method.response.header.Access-Control-Allow-Origin': `'${origin}'`,
              'method.response.header.Vary': "'Origin'",
              'method.response.header.Access-Control-Allow-Headers': "'Authorization,DPoP,Content-Type'",
              'method.response.header.Access-Control-Allow-Methods': "'GET,HEAD,POST,PUT,PATCH,DELETE'",
              'method.response.header.Access-Control-Max-Age': "'300'",
              'method.response.header.Access-Control-Expose-Headers': "'WWW-Authenticate'",
            },
          },
        ],
      });
      expect(method.Integration.IntegrationResponses[0].ResponseParameters).not.toHaveProperty(
        'method.response.header.Access-Control-Allow-Credentials',
      );
    }
  });

  it('never lets an OPTIONS request reach a proxy integration without the authorizer', () => {
    // Per resource, an explicit OPTIONS method beats ANY ("will catch any HTTP method that wasn't
    // explicitly declared"), so every resource with a proxy ANY needs its own MOCK OPTIONS.
    const all = methods(template);
    for (const method of all) {
      const proxy = ['AWS_PROXY', 'HTTP_PROXY'].includes(method.Integration?.Type);
      if (proxy) expect(method.AuthorizationType).toBe('CUSTOM');
      if (method.HttpMethod === 'ANY') {
        const sibling = all.find(
          (m) => m.HttpMethod === 'OPTIONS' && pathOfMethod(template, m) === pathOfMethod(template, method),
        );
        expect(sibling?.Integration.Type, pathOfMethod(template, method)).toBe('MOCK');
      }
    }
  });

  it('declares the preflight routes in the route definition it deployed, as public routes', () => {
    expect(routes.routes.filter((route) => route.method === 'OPTIONS')).toEqual(
      ['/claims', '/orders', '/orders/{id}', '/{proxy+}', '/.well-known/metadata'].map((path) => ({
        method: 'OPTIONS',
        path,
        integration: 'cors-preflight',
        authorization: 'none',
      })),
    );
  });

  it('lets a page read the 401, 403 and 5xx: the origin on every gateway response, DEFAULT_4XX and DEFAULT_5XX included', () => {
    const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse') as Resources).map(
      (r) => r.Properties,
    );
    expect(responses.map((r) => r.ResponseType).sort()).toEqual([
      'ACCESS_DENIED',
      'AUTHORIZER_CONFIGURATION_ERROR',
      'AUTHORIZER_FAILURE',
      'DEFAULT_4XX',
      'DEFAULT_5XX',
      'UNAUTHORIZED',
    ]);
    for (const response of responses) {
      expect(response.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Access-Control-Allow-Origin': `'${origin}'`,
        'gatewayresponse.header.Access-Control-Expose-Headers': "'WWW-Authenticate'",
      });
    }
    const fallback = responses.filter((r) => r.ResponseType.startsWith('DEFAULT_'));
    for (const response of fallback) {
      // Each type keeps its own status; the body is AWS's own ("the quoted value of $context.error.message").
      expect(response.StatusCode).toBeUndefined();
      expect(response.ResponseTemplates).toEqual({ 'application/json': '{"message":$context.error.messageString}' });
    }
  });
});

describe('RestApiRoutes with several origins and credentials', () => {
  const { template } = build({
    cors: { allowOrigins: ['https://app.example.test', 'https://admin.example.test'], allowCredentials: true },
    gatewayResponses: true,
  });

  it('names the first origin and lets the mapping template answer the second one exactly, with credentials', () => {
    const preflight = methods(template).find((m) => m.HttpMethod === 'OPTIONS');
    const response = preflight?.Integration.IntegrationResponses[0];
    expect(response.ResponseParameters).toMatchObject({
      'method.response.header.Access-Control-Allow-Origin': "'https://app.example.test'",
      'method.response.header.Access-Control-Allow-Credentials': "'true'",
    });
    expect(response.ResponseTemplates['application/json']).toContain('$origin == "https://admin.example.test"');
    expect(response.ResponseTemplates['application/json']).toContain(
      '#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)',
    );
  });

  it('puts no origin on the gateway responses: their headers cannot choose between origins', () => {
    for (const response of Object.values(template.findResources('AWS::ApiGateway::GatewayResponse') as Resources)) {
      expect(response.Properties.ResponseParameters).not.toHaveProperty(
        'gatewayresponse.header.Access-Control-Allow-Origin',
      );
    }
  });
});

describe('the local gateway’s REST preflight and the deployed OPTIONS method', () => {
  const cors = { allowOrigins: ['https://app.example.test', 'https://admin.example.test'], allowCredentials: true };
  const { template, routes } = build({ cors });
  const response = methods(template).find((m) => m.HttpMethod === 'OPTIONS')?.Integration.IntegrationResponses[0];

  it('answer alike: the literal headers, and the origins the mapping template echoes', () => {
    const literals = Object.fromEntries(
      Object.entries(response.ResponseParameters as Record<string, string>).map(([key, value]) => [
        key.replace('method.response.header.', '').toLowerCase(),
        value.replace(/^'|'$/g, ''),
      ]),
    );
    const echoed = [...String(response.ResponseTemplates['application/json']).matchAll(/\$origin == "([^"]+)"/g)]
      .map((match) => match[1])
      .filter((origin) => origin !== '');
    const settings = routes.cors;
    if (settings === undefined) throw new Error('expected CORS settings');

    const { 'content-type': _type, ...local } = restCorsPreflightAnswer(settings, [
      'Origin',
      'https://other.example.test',
    ]).headers;

    expect(local).toEqual(literals);
    expect(echoed).toEqual(['https://admin.example.test']);
    expect(
      restCorsPreflightAnswer(settings, ['Origin', 'https://admin.example.test']).headers[
        'access-control-allow-origin'
      ],
    ).toBe('https://admin.example.test');
    expect(Number(response.StatusCode)).toBe(restCorsPreflightAnswer(settings, []).status);
  });
});

describe('RestApiRoutes refuses', () => {
  it.each([
    [
      'the origin * with credentials',
      { cors: { allowOrigins: ['*'], allowCredentials: true } },
      /never allowed with allowCredentials/,
    ],
    ['an origin with a path', { cors: { allowOrigins: ['https://app.example.test/'] } }, /not an origin/],
    [
      'an OPTIONS route of its own when CORS is on',
      {
        cors: { allowOrigins: ['https://app.example.test'] },
        routes: [...ROUTES, { method: 'OPTIONS', path: '/orders', integration: 'echo' }],
      },
      /OPTIONS \/orders/,
    ],
    [
      'a public route sharing a token route’s integration',
      { routes: [...ROUTES, { method: 'GET', path: '/open', integration: 'echo', authorization: 'none' as const }] },
      /integration of its own/,
    ],
    [
      'a route whose integration is missing',
      { routes: [{ method: 'GET', path: '/x', integration: 'nowhere' }] },
      /nowhere/,
    ],
    [
      'a route using the preflight integration',
      { routes: [{ method: 'GET', path: '/x', integration: 'cors-preflight' }] },
      /public OPTIONS routes only/,
    ],
  ])('%s', (_name, options, message) => {
    expect(() => build(options as Parameters<typeof build>[0])).toThrow(message);
  });
});
