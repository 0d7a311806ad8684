import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../build/build-lambda-assets.ts';
import { LAMBDA_ASSETS, type LambdaAssetName } from '../../build/lambda-assets.ts';
import { ExampleBackend } from '../../lib/example-backend.ts';
import { HttpApiRoutes } from '../../lib/http-api-routes.ts';
import { lambdaAssetDirectory } from '../../lib/lambda-asset.ts';
import { TokenAuthorizer } from '../../lib/token-authorizer.ts';
import { TokenEndpointProxy } from '../../lib/token-endpoint-proxy.ts';

const OUTDIR = mkdtempSync(join(tmpdir(), 'lambda-asset-test-'));

describe('the prebuilt Lambda assets', () => {
  it('are built for every deployable: each folder of lambda/ with a handler, from that handler', () => {
    const lambdaDir = join(REPOSITORY_ROOT, 'lambda');
    const deployables = readdirSync(lambdaDir).filter((name) => existsSync(join(lambdaDir, name, 'handler.ts')));

    expect(Object.keys(LAMBDA_ASSETS).sort()).toEqual(deployables.sort());
    for (const [name, { entry }] of Object.entries(LAMBDA_ASSETS)) expect(entry).toBe(`lambda/${name}/handler.ts`);
  });

  it('are found for every deployable under the package root, from the TypeScript sources', () => {
    for (const name of Object.keys(LAMBDA_ASSETS) as LambdaAssetName[]) {
      const directory = lambdaAssetDirectory(name);

      expect(directory).toBe(join(REPOSITORY_ROOT, 'assets', name));
      expect(existsSync(join(directory, 'index.mjs'))).toBe(true);
    }
  });

  it('that are missing are an error that says how to build them', () => {
    expect(() => lambdaAssetDirectory('not-built' as LambdaAssetName)).toThrow(
      /assets\/not-built\/index\.mjs is missing.*npm run build:assets/,
    );
  });

  it('each construct deploys its own deployable, byte for byte, as index.handler on nodejs24.x', () => {
    const app = new App({ outdir: OUTDIR });
    const stack = new Stack(app, 'Stack', { env: { account: '111111111111', region: 'eu-west-1' } });
    const table = dynamodb.TableV2.fromTableName(stack, 'Table', 'tokens');
    const jwt = { issuer: 'https://login.example.test', jwksUri: 'https://login.example.test/jwks', audiences: ['a'] };
    const authorizer = new TokenAuthorizer(stack, 'Authorizer', { ...jwt, tokenTable: table });
    const proxy = new TokenEndpointProxy(stack, 'Proxy', {
      tokenTable: table,
      upstreamTokenEndpoint: 'https://login.example.test/token',
    });
    const backend = new ExampleBackend(stack, 'Backend', jwt);
    const routes = new HttpApiRoutes(stack, 'Routes', {
      api: new apigatewayv2.HttpApi(stack, 'Api'),
      routes: [{ method: 'GET', path: '/orders', integration: 'orders' }],
      integrations: { orders: new HttpUrlIntegration('Orders', 'https://backend.example.test') },
      authorizer: authorizer.httpAuthorizer,
      cors: { allowOrigins: ['https://app.example.test'] },
    });
    const deployed: [lambda.Function | undefined, LambdaAssetName][] = [
      [authorizer.function, 'authorizer'],
      [proxy.function, 'token-endpoint-proxy'],
      [backend.function, 'example-backend'],
      [routes.corsPreflightFunction, 'cors-preflight'],
    ];

    const resources = Template.fromStack(stack).toJSON().Resources;
    const assembly = app.synth();
    const manifest = JSON.parse(readFileSync(join(assembly.directory, 'Stack.assets.json'), 'utf8'));
    for (const [fn, name] of deployed) {
      expect(fn).toBeDefined();
      const properties = resources[stack.getLogicalId(fn?.node.defaultChild as CfnElement)].Properties;
      const assetHash = (properties.Code.S3Key as string).replace(/\.zip$/, '');
      const staged = join(assembly.directory, manifest.files[assetHash].source.path);

      expect(properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs24.x', Architectures: ['arm64'] });
      for (const file of ['index.mjs', 'index.mjs.map']) {
        expect(readFileSync(join(staged, file)).equals(readFileSync(join(REPOSITORY_ROOT, 'assets', name, file)))).toBe(
          true,
        );
      }
    }
  });
});
