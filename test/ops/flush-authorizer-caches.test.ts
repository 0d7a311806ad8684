/**
 * The emergency flush: against AWS, the real SDK clients talk to a scripted endpoint that answers
 * as the AWS APIs do (paths from the API references: Lambda GetFunctionConfiguration,
 * UpdateFunctionConfiguration and GetFunction; API Gateway FlushStageAuthorizersCache; API Gateway V2
 * ResetAuthorizersCache), so the test sees every call and its order; against the local stack, the
 * command itself, run as a user runs it.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/local-stack.ts';
import { CACHE_EPOCH_VARIABLE, flushAuthorizerCaches, targetsFromOutputs } from '../../ops/flush-authorizer-caches.ts';
import { revokeAt, tokenFrom } from '../support/local-stack-client.ts';
import { type ScriptedHttpServer, startScriptedHttpServer } from '../support/scripted-http-server.ts';

describe('flushAuthorizerCaches against the AWS APIs', () => {
  let server: ScriptedHttpServer | undefined;

  afterAll(async () => {
    await server?.stop();
  });

  it('retires warm authorizer instances first, then flushes the REST and HTTP API caches', async () => {
    const calls: { method: string; path: string; body: string }[] = [];
    server = await startScriptedHttpServer((request, body, response) => {
      const path = request.url ?? '';
      calls.push({ method: request.method ?? '', path, body });
      const configuration = {
        FunctionName: 'authorizer-fn',
        Environment: { Variables: { ISSUER: 'https://login.example.test' } },
        State: 'Active',
        LastUpdateStatus: 'Successful',
      };
      response.setHeader('content-type', 'application/json');
      if (path.startsWith('/2015-03-31/functions/authorizer-fn/configuration')) {
        response.end(
          JSON.stringify(
            request.method === 'PUT' ? { ...configuration, LastUpdateStatus: 'InProgress' } : configuration,
          ),
        );
      } else if (path.startsWith('/2015-03-31/functions/authorizer-fn')) {
        response.end(JSON.stringify({ Configuration: configuration }));
      } else if (request.method === 'DELETE' && path.startsWith('/restapis/')) {
        response.statusCode = 202;
        response.end();
      } else if (request.method === 'DELETE' && path.startsWith('/v2/apis/')) {
        response.statusCode = 204;
        response.end();
      } else {
        response.statusCode = 404;
        response.end('{}');
      }
    });
    const config = {
      region: 'us-east-1',
      endpoint: server.endpoint,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'test-only-secret' },
    };
    const targets = targetsFromOutputs({
      RestApiId: 'rest123',
      RestApiStageName: 'v1',
      HttpApiId: 'http456',
      HttpApiStageName: '$default',
      AuthorizerFunctionName: 'authorizer-fn',
    });

    await flushAuthorizerCaches(targets, {
      apiGateway: new APIGatewayClient(config),
      apiGatewayV2: new ApiGatewayV2Client(config),
      lambda: new LambdaClient(config),
    });

    expect(calls.map(({ method, path }) => `${method} ${path.split('?')[0]}`)).toEqual([
      'GET /2015-03-31/functions/authorizer-fn/configuration',
      'PUT /2015-03-31/functions/authorizer-fn/configuration',
      'GET /2015-03-31/functions/authorizer-fn',
      'DELETE /restapis/rest123/stages/v1/cache/authorizers',
      'DELETE /v2/apis/http456/stages/%24default/cache/authorizers',
    ]);
    const update = JSON.parse(calls[1]?.body ?? '{}') as { Environment: { Variables: Record<string, string> } };
    expect(update.Environment.Variables.ISSUER).toBe('https://login.example.test');
    expect(Date.parse(update.Environment.Variables[CACHE_EPOCH_VARIABLE] ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });

  it('finds nothing to flush in a stack without the outputs', () => {
    expect(targetsFromOutputs({})).toEqual({ restApis: [], httpApis: [], authorizerFunctions: [] });
  });
});

describe('npm run flush-caches -- --local', () => {
  let stack: LocalStack | undefined;

  afterAll(async () => {
    await stack?.stop();
  });

  it('ends every cached answer of a running local stack at once', async () => {
    stack = await startLocalStack({ cacheTtlSeconds: 60, writeLog: () => {} });
    const token = await tokenFrom(stack.ready, 'split', 'orders:read');
    const call = async () =>
      (await fetch(`${stack?.ready.gateway}/orders`, { headers: { authorization: `Bearer ${token}` } })).status;
    expect(await call()).toBe(200);
    await revokeAt(stack.ready, 'split', token);
    expect(await call()).toBe(200);

    const code = await new Promise<number | null>((resolve) => {
      const tsx = createRequire(import.meta.url).resolve('tsx/cli');
      const child = spawn(
        process.execPath,
        [tsx, 'bin/flush-authorizer-caches.ts', '--local', new URL(stack?.ready.gateway ?? '').origin],
        {
          cwd: fileURLToPath(new URL('../../', import.meta.url)),
          stdio: 'ignore',
        },
      );
      child.once('exit', resolve);
    });

    expect(code).toBe(0);
    expect(await call()).toBe(401);
  }, 60_000);
});
