import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration, HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import type { ApiRoute } from '../../lib/api-routes.ts';
import type { CorsOptions } from '../../lib/cors.ts';
import { HttpApiRoutes } from '../../lib/http-api-routes.ts';
import { selectHttpRoute } from '../../local/api-gateway/route-selection.ts';

const OUTDIR = mkdtempSync(join(tmpdir(), 'http-api-routes-test-'));

const ROUTES: readonly ApiRoute[] = [
  { method: 'GET', path: '/claims', integration: 'backend' },
  { method: 'ANY', path: '/orders', integration: 'echo' },
  { method: 'GET', path: '/orders/{id}', integration: 'echo' },
  { method: 'ANY', path: '/{proxy+}', integration: 'echo' },
  { method: 'GET', path: '/.well-known/metadata', integration: 'document', authorization: 'none' },
];

type Properties = ReturnType<Template['findResources']>[string];

function build(options: { cors?: CorsOptions; routes?: readonly ApiRoute[]; apiCors?: boolean } = {}) {
  const app = new App({ outdir: OUTDIR });
  const stack = new Stack(app, 'Stack', { env: { region: 'eu-west-1', account: '111111111111' } });
  const api = new apigatewayv2.HttpApi(stack, 'Api', {
    createDefaultStage: true,
    ...(options.apiCors ? { corsPreflight: { allowOrigins: ['https://other.example.test'] } } : {}),
  });
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({});'),
    });
  const authorizer = new HttpLambdaAuthorizer('Authorizer', fn('AuthorizerFunction'), {
    responseTypes: [HttpLambdaResponseType.SIMPLE],
  });
  const routes = new HttpApiRoutes(stack, 'Routes', {
    api,
    routes: options.routes ?? ROUTES,
    authorizer,
    integrations: {
      backend: new HttpLambdaIntegration('Backend', fn('BackendFunction')),
      echo: new HttpUrlIntegration('Echo', 'https://echo.example.test/anything'),
      document: new HttpLambdaIntegration('Document', fn('DocumentFunction')),
    },
    ...(options.cors ? { cors: options.cors } : {}),
  });
  return { template: Template.fromStack(stack), routes };
}

/** Route key → its authorization type and the logical id of its integration. */
function routeTable(template: Template): Map<string, { authorization: string; integration: string }> {
  const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
    (route) => route.Properties as Properties,
  );
  return new Map(
    routes.map((route) => {
      // Target: { 'Fn::Join': ['', ['integrations/', { Ref: '<integration id>' }]] }
      const ref = JSON.stringify(route.Target).match(/"Ref":"([^"]+)"/)?.[1] ?? '';
      return [route.RouteKey, { authorization: route.AuthorizationType, integration: ref }];
    }),
  );
}

/** The integration id of the function whose description names `text`. */
function integrationOfFunction(template: Template, text: string): string {
  const id = Object.entries(template.findResources('AWS::Lambda::Function')).find(([, f]) =>
    String(f.Properties.Description ?? '').includes(text),
  )?.[0];
  expect(id, `a function described as ${text}`).toBeDefined();
  const integration = Object.entries(template.findResources('AWS::ApiGatewayV2::Integration')).find(([, i]) =>
    JSON.stringify(i.Properties.IntegrationUri).includes(`"${id}"`),
  )?.[0];
  expect(integration).toBeDefined();
  return integration as string;
}

describe('HttpApiRoutes without CORS', () => {
  const { template } = build();

  it('puts every token route behind the authorizer and the public route on its own integration without one', () => {
    const table = routeTable(template);
    expect([...table.keys()].sort()).toEqual([
      'ANY /orders',
      'ANY /{proxy+}',
      'GET /.well-known/metadata',
      'GET /claims',
      'GET /orders/{id}',
    ]);
    for (const [key, route] of table) {
      expect(route.authorization, key).toBe(key === 'GET /.well-known/metadata' ? 'NONE' : 'CUSTOM');
    }
    const tokenIntegrations = [...table].filter(([, r]) => r.authorization === 'CUSTOM').map(([, r]) => r.integration);
    expect(tokenIntegrations).not.toContain(table.get('GET /.well-known/metadata')?.integration);
  });

  it('leaves the API without a CORS configuration', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.absent() });
  });
});

describe('HttpApiRoutes with CORS', () => {
  const origin = 'http://localhost:5173';
  const { template, routes } = build({ cors: { allowOrigins: [origin] } });
  const table = routeTable(template);

  it('gives the API the CORS configuration: the origin, the defaults the authorizer needs, 300 s', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: [origin],
        AllowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
        AllowHeaders: ['Authorization', 'DPoP', 'Content-Type'],
        ExposeHeaders: ['WWW-Authenticate'],
        AllowCredentials: false,
        MaxAge: 300,
      },
    });
  });

  it('adds a public OPTIONS route on every path, served by the preflight function', () => {
    const preflight = integrationOfFunction(template, 'CORS preflight');
    const options = [...table].filter(([key]) => key.startsWith('OPTIONS '));
    expect(options.map(([key]) => key).sort()).toEqual([
      'OPTIONS /.well-known/metadata',
      'OPTIONS /claims',
      'OPTIONS /orders',
      'OPTIONS /orders/{id}',
      'OPTIONS /{proxy+}',
    ]);
    for (const [key, route] of options) {
      expect(route, key).toEqual({ authorization: 'NONE', integration: preflight });
    }
    expect(
      routes.routes.filter((route) => route.method === 'OPTIONS').every((route) => route.authorization === 'none'),
    ).toBe(true);
  });

  it('routes every OPTIONS request, by API Gateway’s documented selection, to the preflight function', () => {
    // HTTP API route selection (exact, then greedy, ANY only for methods not defined) over the
    // synthesized route keys: an OPTIONS request never lands on a token route or another integration.
    const preflight = integrationOfFunction(template, 'CORS preflight');
    const deployed = [...table].map(([key, route]) => {
      const [method, path] = key.split(' ') as [string, string];
      return { method, path, ...route };
    });
    for (const path of ['/claims', '/orders', '/orders/42', '/admin/users/1', '/', '/.well-known/metadata', '/x/y/z']) {
      const selected = selectHttpRoute(deployed, 'OPTIONS', path);
      expect(selected?.route.method, path).toBe('OPTIONS');
      expect(selected?.route.integration, path).toBe(preflight);
    }
  });

  it('gives the preflight function a role that may write its own logs and nothing else', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes('CorsPreflightRole'),
    );
    const actions = policies.flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) => s.Action),
    );
    expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });
});

describe('HttpApiRoutes refuses', () => {
  it('an API that already has a CORS configuration', () => {
    expect(() => build({ cors: { allowOrigins: ['https://app.example.test'] }, apiCors: true })).toThrow(
      /already has a CORS configuration/,
    );
  });

  it('the origin * with credentials', () => {
    expect(() => build({ cors: { allowOrigins: ['*'], allowCredentials: true } })).toThrow(/allowCredentials/);
  });

  it('a public route sharing a token route’s integration', () => {
    expect(() =>
      build({ routes: [...ROUTES, { method: 'GET', path: '/open', integration: 'backend', authorization: 'none' }] }),
    ).toThrow(/integration of its own/);
  });
});
