import { credentialsFromEnvironment } from '../adapters/dynamodb-json-api.ts';
import { ConfigurationError } from '../adapters/env-reader.ts';
import {
  frontRequestFromEvent,
  type HttpPayloadV2Event,
  type HttpPayloadV2Result,
  proxyRequestFromEvent,
  resultFromFrontResponse,
  resultFromProxyResponse,
} from '../adapters/http-payload-v2.ts';
import { JsonLog } from '../adapters/json-log.ts';
import { nodeJoseCrypto } from '../adapters/node-crypto.ts';
import { NodeHttpClient } from '../adapters/node-http-client.ts';
import { SigV4DynamoDbTokenWriter } from '../adapters/sigv4-dynamodb-token-writer.ts';
import type { AwsCredentials } from '../adapters/sigv4-signer.ts';
import type { HttpClient } from '../core/http-client.ts';
import { AuthorizationServerFront } from '../core/issuing/authorization-server-front.ts';
import { TokenEndpointProxy } from '../core/issuing/token-endpoint-proxy.ts';
import { readTokenEndpointProxyConfig, type TokenEndpointProxyConfig } from './config.ts';
import { revocationRefusedMetricFields } from './metrics.ts';

/** Parts the composition root makes itself unless given (tests, the bench). */
export interface TokenEndpointProxyDependencies {
  /** Function name the emitted metrics are dimensioned by. @default AWS_LAMBDA_FUNCTION_NAME, else 'local' */
  readonly functionName?: string;
  /**
   * How the authorization server and DynamoDB are reached.
   * @default a {@link NodeHttpClient} of the proxy's own (node:https, keep-alive)
   */
  readonly http?: HttpClient;
  /** The table's region, which signs its requests. @default AWS_REGION */
  readonly awsRegion?: string;
  /** Credentials that sign the table's requests. @default the Lambda's, from AWS_ACCESS_KEY_ID and friends */
  readonly awsCredentials?: AwsCredentials;
}

/**
 * Lambda entry point of the token endpoint proxy, for a Lambda function URL or an API Gateway HTTP
 * API route (payload 2.0); with `UPSTREAM_ORIGIN` set, the authorization server's front on an HTTP
 * API custom domain (every path, the token and revocation paths through the proxy). The
 * configuration is read and validated at init: a missing or bad setting fails the init with a
 * message that names it.
 */
export function createTokenEndpointProxy(
  config: TokenEndpointProxyConfig,
  dependencies: TokenEndpointProxyDependencies = {},
): TokenEndpointProxy {
  const functionName = dependencies.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local';
  // node:https with a keep-alive agent: about half the cost of fetch per round trip, no undici load.
  const http = dependencies.http ?? new NodeHttpClient();
  const region = dependencies.awsRegion ?? process.env.AWS_REGION;
  if (!region) throw new ConfigurationError('AWS_REGION is required to write the token table');
  return new TokenEndpointProxy({
    upstreamTokenEndpoint: config.upstreamTokenEndpoint,
    ...(config.upstreamRevocationEndpoint ? { upstreamRevocationEndpoint: config.upstreamRevocationEndpoint } : {}),
    // SigV4 on node:crypto, no AWS SDK: its client was most of this function's bundle and cold start.
    writer: new SigV4DynamoDbTokenWriter({
      tableName: config.tokenTableName,
      keyAttribute: config.tokenTableKeyAttribute,
      timeoutMs: config.dynamoDbTimeoutMs,
      region,
      ...(config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint } : {}),
      credentials: dependencies.awsCredentials ?? credentialsFromEnvironment(process.env),
      http,
    }),
    hashAlgorithm: config.tokenHashAlgorithm,
    passThroughClientIds: config.passThroughClientIds,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    tokenPath: config.tokenPath,
    revocationPath: config.revocationPath,
    log: new JsonLog({ level: config.logLevel }),
    crypto: nodeJoseCrypto,
    http,
    revocationRefusedFields: () => revocationRefusedMetricFields(functionName),
  });
}

/**
 * The front over the proxy, when the configuration asks for one. `http` carries what it passes
 * through: the proxy's own client on Lambda, so that no path loads undici (web fetch).
 */
export function createAuthorizationServerFront(
  config: TokenEndpointProxyConfig,
  proxy: TokenEndpointProxy,
  http: HttpClient = new NodeHttpClient(),
): AuthorizationServerFront | undefined {
  if (config.front === undefined) return undefined;
  return new AuthorizationServerFront({
    upstreamOrigin: config.front.upstreamOrigin,
    tokenEndpointProxy: proxy,
    tokenPath: config.tokenPath,
    revocationPath: config.revocationPath,
    upstreamTimeoutMs: config.front.passThroughTimeoutMs,
    maxRequestBytes: config.front.maxRequestBytes,
    maxResponseBytes: config.front.maxResponseBytes,
    ...(config.front.passThroughPathPrefixes ? { passThroughPathPrefixes: config.front.passThroughPathPrefixes } : {}),
    log: new JsonLog({ level: config.logLevel }),
    http,
  });
}

const config = readTokenEndpointProxyConfig(process.env);
// One client for the authorization server and DynamoDB: node:https with keep-alive agents.
const http = new NodeHttpClient();
const proxy = createTokenEndpointProxy(config, { http });
const front = createAuthorizationServerFront(config, proxy, http);

export async function handler(event: HttpPayloadV2Event): Promise<HttpPayloadV2Result> {
  if (front !== undefined) return resultFromFrontResponse(await front.handle(frontRequestFromEvent(event)));
  return resultFromProxyResponse(await proxy.handle(proxyRequestFromEvent(event)));
}
