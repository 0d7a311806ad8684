import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbTokenWriter } from './adapters/dynamodb-token-writer.ts';
import {
  type HttpPayloadV2Event,
  type HttpPayloadV2Result,
  proxyRequestFromEvent,
  resultFromProxyResponse,
} from './adapters/http-payload-v2.ts';
import { JsonLog } from './adapters/json-log.ts';
import { nodeJoseCrypto } from './adapters/node-crypto.ts';
import { NodeHttpClient } from './adapters/node-http-client.ts';
import { TokenEndpointProxy } from './token-endpoint-proxy.ts';
import { readTokenEndpointProxyConfig, type TokenEndpointProxyConfig } from './token-endpoint-proxy-config.ts';

/**
 * Lambda entry point of the token endpoint proxy, for a Lambda function URL or an API Gateway HTTP
 * API route (payload 2.0). The configuration is read and validated at init: a missing or bad
 * setting fails the init with a message that names it.
 */
export function createTokenEndpointProxy(
  config: TokenEndpointProxyConfig,
  functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local',
): TokenEndpointProxy {
  const client = new DynamoDBClient({
    maxAttempts: 3,
    ...(config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint } : {}),
  });
  return new TokenEndpointProxy({
    upstreamTokenEndpoint: config.upstreamTokenEndpoint,
    ...(config.upstreamRevocationEndpoint ? { upstreamRevocationEndpoint: config.upstreamRevocationEndpoint } : {}),
    writer: new DynamoDbTokenWriter({
      client,
      tableName: config.tokenTableName,
      keyAttribute: config.tokenTableKeyAttribute,
      timeoutMs: config.dynamoDbTimeoutMs,
    }),
    hashAlgorithm: config.tokenHashAlgorithm,
    passThroughClientIds: config.passThroughClientIds,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    tokenPath: config.tokenPath,
    revocationPath: config.revocationPath,
    log: new JsonLog({ level: config.logLevel }),
    crypto: nodeJoseCrypto,
    // node:https with a keep-alive agent: about half the cost of fetch per round trip, no undici load.
    http: new NodeHttpClient(),
    functionName,
  });
}

const proxy = createTokenEndpointProxy(readTokenEndpointProxyConfig(process.env));

export async function handler(event: HttpPayloadV2Event): Promise<HttpPayloadV2Result> {
  return resultFromProxyResponse(await proxy.handle(proxyRequestFromEvent(event)));
}
