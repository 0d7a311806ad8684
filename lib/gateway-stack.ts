import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Token, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration, HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { type CorsOptions, resolveCorsSettings } from './cors.ts';
import {
  EXAMPLE_API_ROUTES,
  HTTP_CONTEXT_HEADERS,
  HTTP_STAGE_NAME,
  REST_CONTEXT_HEADERS,
  REST_STAGE_NAME,
} from './example-api.ts';
import { ExampleBackend } from './example-backend.ts';
import { arnInRegion, type ExampleAppConfig } from './example-config.ts';
import { FLUSH_OUTPUTS } from './flush-outputs.ts';
import { HttpApiRoutes } from './http-api-routes.ts';
import { functionLogGroup, functionRole, nodeFunction } from './lambda-defaults.ts';
import { GatewayMonitoring } from './monitoring.ts';
import { MutualTlsRestDomain } from './mutual-tls-rest-domain.ts';
import { PROTECTED_RESOURCE_METADATA_PATH, protectedResourceMetadata } from './protected-resource-metadata.ts';
import { RestApiRoutes } from './rest-api-routes.ts';
import { SplitTokenTable } from './split-token-table.ts';
import { TokenAuthorizer } from './token-authorizer.ts';

import { TokenEndpointProxy } from './token-endpoint-proxy.ts';

/** Properties of a {@link GatewayStack}. */
export interface GatewayStackProps extends StackProps {
  /** The example app's settings (context). */
  readonly config: ExampleAppConfig;
}

/** Access log fields both APIs share: who called, the answer, what the authorizer said. Never a header or token. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTimeEpoch',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  authorizerStatus: '$context.authorizer.status',
  authorizerLatency: '$context.authorizer.latency',
  authorizerError: '$context.authorizer.error',
};

/** The REST API's own names for the route and the integration. */
const REST_ACCESS_LOG_FORMAT = {
  ...ACCESS_LOG_FIELDS,
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  errorResponseType: '$context.error.responseType',
};

/** The HTTP API's own names for the route and the integration. */
const HTTP_ACCESS_LOG_FORMAT = {
  ...ACCESS_LOG_FIELDS,
  routeKey: '$context.routeKey',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
};

/**
 * One region of the example gateway: the token authorizer reading the local table replica, a
 * REST API and an HTTP API behind it (each with a zero-trust backend Lambda and an echo HTTP
 * integration that receives the JWT in a header), access logs, a dashboard and alarms. The home
 * region's stack also owns the global table and its replicas.
 */
export class GatewayStack extends Stack {
  /** Whether this is the home region's stack (owning the table). */
  public readonly isHomeRegion: boolean;
  /** The token endpoint proxy (home region only, unless turned off). */
  public readonly tokenEndpointProxy?: TokenEndpointProxy;
  /** The table with its replicas; only in the home region's stack. */
  public readonly splitTokenTable?: SplitTokenTable;
  public readonly authorizer: TokenAuthorizer;
  public readonly backend: ExampleBackend;
  public readonly restApi: apigateway.RestApi;
  public readonly httpApi: apigatewayv2.HttpApi;
  public readonly httpApiStage: apigatewayv2.HttpStage;
  public readonly monitoring: GatewayMonitoring;
  /** The REST API's custom domain with mutual TLS, when configured. */
  public readonly restMtlsDomain?: MutualTlsRestDomain;
  /** The example routes on the REST API (with CORS, their preflight routes too). */
  public readonly restApiRoutes: RestApiRoutes;
  /** The example routes on the HTTP API (with CORS, their preflight routes too). */
  public readonly httpApiRoutes: HttpApiRoutes;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id, props);
    const config = props.config;
    if (Token.isUnresolved(this.region)) {
      throw new Error('GatewayStack: give the stack an explicit env.region (global tables and replicas need it).');
    }
    const region = this.region;
    if (!config.regions.includes(region)) {
      throw new Error(
        `GatewayStack: region ${region} is not one of the configured regions (${config.regions.join(', ')}).`,
      );
    }
    this.isHomeRegion = region === config.homeRegion;
    const retention = retentionDays(config.logRetentionDays);

    // The global table lives in the home region; every other region reads its replica by name.
    let tokenTable: SplitTokenTable | dynamodb.ITableV2;
    if (this.isHomeRegion) {
      this.splitTokenTable = new SplitTokenTable(this, 'SplitTokenTable', {
        tableName: config.tableName,
        replicaRegions: config.regions.filter((r) => r !== region),
        deletionProtection: config.tableDeletionProtection,
        issuerRolePrincipal: config.issuerPrincipalArn ? new iam.ArnPrincipal(config.issuerPrincipalArn) : undefined,
        issuerRoleExternalId: config.issuerExternalId,
      });
      tokenTable = this.splitTokenTable;
      const proxy = config.tokenEndpointProxy;
      if (proxy) {
        // Issuing happens next to the table's home: writes replicate to every region's replica.
        const front = proxy.front;
        this.tokenEndpointProxy = new TokenEndpointProxy(this, 'TokenEndpointProxy', {
          ...(front === undefined
            ? {
                upstreamTokenEndpoint: proxy.upstreamTokenEndpoint,
                upstreamRevocationEndpoint: proxy.upstreamRevocationEndpoint,
              }
            : {
                // The authorization server's public origin: clients discover the proxy from the issuer.
                front: {
                  domainName: front.domainName,
                  upstreamOrigin: front.upstreamOrigin,
                  certificate: front.certificateArn
                    ? acm.Certificate.fromCertificateArn(this, 'FrontCertificate', front.certificateArn)
                    : undefined,
                  hostedZone: front.hostedZone
                    ? route53.HostedZone.fromHostedZoneAttributes(this, 'FrontHostedZone', {
                        hostedZoneId: front.hostedZone.id,
                        zoneName: front.hostedZone.name,
                      })
                    : undefined,
                  accessLogGroupProps: { retention, removalPolicy: RemovalPolicy.RETAIN },
                },
              }),
          tokenPath: proxy.tokenPath,
          revocationPath: proxy.revocationPath,
          // The same list as the authorizer's JWT clients below: one list, no drift.
          passThroughClientIds: config.jwtClientIds,
          tokenTable: this.splitTokenTable,
          logGroupProps: { retention, removalPolicy: RemovalPolicy.RETAIN },
        });
      }
    } else {
      tokenTable = dynamodb.TableV2.fromTableName(this, 'SplitTokenReplica', config.tableName);
    }

    const introspection = config.introspection;
    this.authorizer = new TokenAuthorizer(this, 'TokenAuthorizer', {
      issuer: config.issuer,
      jwksUri: config.jwksUri,
      audiences: config.audiences,
      allowedAlgorithms: config.allowedAlgorithms,
      requiredTokenType: config.requiredTokenType,
      tokenTable,
      tokenTableHomeRegion: config.homeRegionFallback ? config.homeRegion : undefined,
      introspection: introspection && {
        endpoint: introspection.endpoint,
        clientId: introspection.clientId,
        responseFormat: introspection.responseFormat,
        existingClientSecret: introspection.secretArn
          ? secretsmanager.Secret.fromSecretCompleteArn(
              this,
              'IntrospectionClientSecret',
              arnInRegion(introspection.secretArn, region),
            )
          : undefined,
      },
      jwtValidationEnabled: config.jwtValidationEnabled,
      // Without JWT validation the list only tells the proxy whom not to split.
      jwtClientIds: config.jwtValidationEnabled ? config.jwtClientIds : undefined,
      routeScopes: config.routeScopes,
      defaultScopes: config.defaultScopes,
      // Sender-constrained tokens turn API Gateway's result cache off (a cached answer would skip the proof).
      ...(config.senderConstrainedTokens
        ? { senderConstrainedTokens: { replayTable: config.dpopReplayTable } }
        : {
            restResultsCacheTtl: Duration.seconds(config.restCacheTtlSeconds),
            httpResultsCacheTtl: Duration.seconds(config.httpCacheTtlSeconds),
          }),
      logGroupProps: { retention, removalPolicy: RemovalPolicy.RETAIN },
    });

    const cors = corsOf(config);
    this.backend = new ExampleBackend(this, 'ExampleBackend', {
      issuer: config.issuer,
      jwksUri: config.jwksUri,
      audiences: config.audiences,
      allowedAlgorithms: config.allowedAlgorithms,
      requiredTokenType: config.requiredTokenType,
      introspectionResponseAudience:
        config.introspection?.responseFormat === 'jwt' ? undefined : config.introspection?.clientId,
      logGroupProps: { retention, removalPolicy: RemovalPolicy.RETAIN },
      // REST proxy integrations pass the backend's CORS headers on (API Gateway adds none there).
      ...(cors ? { cors: resolveCorsSettings(cors, EXAMPLE_API_ROUTES) } : {}),
    });

    const rest = this.createRestApi(config, retention);
    this.restApi = rest.api;
    this.restApiRoutes = rest.routes;
    const http = this.createHttpApi(config, retention);
    this.httpApi = http.api;
    this.httpApiStage = http.stage;
    this.httpApiRoutes = http.routes;
    const stage = http.stage;

    this.monitoring = new GatewayMonitoring(this, 'Monitoring', {
      authorizerFunction: this.authorizer.function,
      tokenEndpointProxyFunction: this.tokenEndpointProxy?.function,
      restApi: this.restApi,
      httpApi: this.httpApi,
      tokenTableName: config.tableName,
      replicaRegions: this.isHomeRegion ? config.regions.filter((r) => r !== region) : [],
      alarmActions: config.alarmTopicArn
        ? [
            new cloudwatchActions.SnsAction(
              sns.Topic.fromTopicArn(this, 'AlarmTopic', arnInRegion(config.alarmTopicArn, region)),
            ),
          ]
        : [],
    });

    new CfnOutput(this, 'RestApiUrl', { value: this.restMtlsDomain?.url ?? this.restApi.url });
    new CfnOutput(this, 'HttpApiUrl', { value: stage.url });
    // What `npm run flush-caches -- --stack <name>` reads (ops/flush-authorizer-caches.ts).
    new CfnOutput(this, FLUSH_OUTPUTS.restApiId, { value: this.restApi.restApiId });
    new CfnOutput(this, FLUSH_OUTPUTS.restApiStage, { value: this.restApi.deploymentStage.stageName });
    new CfnOutput(this, FLUSH_OUTPUTS.httpApiId, { value: this.httpApi.apiId });
    new CfnOutput(this, FLUSH_OUTPUTS.httpApiStage, { value: stage.stageName });
    new CfnOutput(this, FLUSH_OUTPUTS.authorizerFunction, { value: this.authorizer.function.functionName });
    new CfnOutput(this, 'TokenTableName', { value: config.tableName });
    if (this.tokenEndpointProxy) {
      new CfnOutput(this, 'TokenEndpointUrl', { value: this.tokenEndpointProxy.tokenEndpoint });
      const { issuer, frontDomain } = this.tokenEndpointProxy;
      if (issuer !== undefined) new CfnOutput(this, 'IssuerUrl', { value: issuer });
      if (frontDomain !== undefined) {
        new CfnOutput(this, 'FrontTargetDomainName', { value: frontDomain.regionalDomainName });
      }
    }
    if (this.splitTokenTable?.issuerRole) {
      new CfnOutput(this, 'IssuerRoleArn', { value: this.splitTokenTable.issuerRole.roleArn });
    }
    if (this.authorizer.introspectionClientSecret) {
      new CfnOutput(this, 'IntrospectionClientSecretArn', {
        value: this.authorizer.introspectionClientSecret.secretArn,
      });
    }
  }

  private createRestApi(
    config: ExampleAppConfig,
    retention: logs.RetentionDays,
  ): { api: apigateway.RestApi; routes: RestApiRoutes } {
    const cors = corsOf(config);
    const accessLogs = new logs.LogGroup(this, 'RestApiAccessLogs', {
      retention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const api = new apigateway.RestApi(this, 'RestApi', {
      restApiName: `${config.stackPrefix}-rest`,
      description: 'Opaque access tokens in, verified JWTs to the backends',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // The account-wide logging role outlives the stack: other APIs in the account may log through it.
      cloudWatchRole: config.apiGatewayCloudWatchRole,
      cloudWatchRoleRemovalPolicy: config.apiGatewayCloudWatchRole ? RemovalPolicy.RETAIN : undefined,
      deployOptions: {
        stageName: REST_STAGE_NAME,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.custom(JSON.stringify(REST_ACCESS_LOG_FORMAT)),
        // Execution logs at ERROR, never with data: request data would include tokens.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
      },
    });
    const validator = new apigateway.RequestValidator(this, 'RestApiRequestValidator', {
      restApi: api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    // The example routes (lib/example-api.ts): the claims route reads requestContext.authorizer.jwt in
    // the backend Lambda; the echo routes are HTTP integrations whose mapped headers replace what the
    // client sent (Authorization becomes 'Bearer <jwt>' from the context).
    const claims = new apigateway.LambdaIntegration(this.backend.function);
    const echo = new apigateway.HttpIntegration(config.echoUrl, {
      httpMethod: 'ANY',
      proxy: true,
      options: {
        requestParameters: Object.fromEntries(
          REST_CONTEXT_HEADERS.map(({ header, contextKey }) => [
            `integration.request.header.${header}`,
            `context.authorizer.${contextKey}`,
          ]),
        ),
        timeout: Duration.seconds(10),
      },
    });
    // The mutual TLS custom domain (certificate-bound tokens), when configured: the API's URL is then on it.
    const mtls = config.restMtls;
    if (mtls !== undefined) {
      const { bucket, key } = parseS3Uri(mtls.truststoreUri);
      (this as { restMtlsDomain?: MutualTlsRestDomain }).restMtlsDomain = new MutualTlsRestDomain(
        this,
        'RestMtlsDomain',
        {
          restApi: api,
          domainName: mtls.domainName,
          certificate: acm.Certificate.fromCertificateArn(this, 'RestMtlsCertificate', mtls.certificateArn),
          truststoreBucket: s3.Bucket.fromBucketName(this, 'RestMtlsTruststore', bucket),
          truststoreKey: key,
          ...(mtls.truststoreVersion === undefined ? {} : { truststoreVersion: mtls.truststoreVersion }),
        },
      );
    }
    // Built from the API's id, not its deployment stage, so the gateway responses do not depend on the stage.
    const restUrl =
      this.restMtlsDomain?.url ??
      `https://${api.restApiId}.execute-api.${this.region}.${Aws.URL_SUFFIX}/${REST_STAGE_NAME}`;
    const metadata = this.metadataDocument(config, this.restMtlsDomain !== undefined);
    // RFC 9728 on REST: a mock integration answers the document; resource is the URL the client used.
    const metadataIntegration = new apigateway.MockIntegration({
      requestTemplates: { 'application/json': '{"statusCode": 200}' },
      integrationResponses: [
        {
          statusCode: '200',
          responseParameters: { 'method.response.header.Cache-Control': "'max-age=300'" },
          responseTemplates: {
            'application/json': JSON.stringify({ ...metadata, resource: restUrl }),
          },
        },
      ],
    });
    const routes = new RestApiRoutes(this, 'RestApiRoutes', {
      api,
      routes: EXAMPLE_API_ROUTES,
      authorizer: this.authorizer.restAuthorizer,
      tokenMethodOptions: {
        requestValidator: validator,
        requestParameters: { 'method.request.header.Authorization': true },
      },
      integrations: {
        claims,
        echo,
        'protected-resource-metadata': {
          integration: metadataIntegration,
          methodOptions: {
            methodResponses: [
              { statusCode: '200', responseParameters: { 'method.response.header.Cache-Control': true } },
            ],
          },
          publicReason:
            'RFC 9728 protected-resource metadata must be readable without a token: it is how a client learns which ' +
            'authorization server to get one from. A mock integration answers a fixed document; nothing else is reached.',
        },
      },
      ...(cors ? { cors } : {}),
      gatewayResponses: {
        realm: api.restApiName,
        resourceMetadataUrl: `${restUrl}${PROTECTED_RESOURCE_METADATA_PATH}`,
        ...(this.authorizer.dpopAlgorithms ? { dpopAlgorithms: this.authorizer.dpopAlgorithms } : {}),
      },
    });

    Validations.of(api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'WAFv2 is an account-level choice with a fixed monthly cost (web ACL and rules); the authorizer itself bounds ' +
        'its inputs before any I/O and rate-limits introspection, and the stage is throttled. Associate a web ACL ' +
        'with the stage for production traffic.',
    });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'The API is protected by a Lambda REQUEST authorizer by design: clients hold opaque tokens from any OAuth ' +
        'authorization server, which a Cognito user pool authorizer cannot resolve.',
    });
    if (config.apiGatewayCloudWatchRole) {
      Validations.of(api).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-level API Gateway logging role uses the AWS managed policy documented for it; it is what lets ' +
          'the stage write the execution and access logs other rules require.',
      });
    }
    return { api, routes };
  }

  private createHttpApi(
    config: ExampleAppConfig,
    retention: logs.RetentionDays,
  ): { api: apigatewayv2.HttpApi; stage: apigatewayv2.HttpStage; routes: HttpApiRoutes } {
    const cors = corsOf(config);
    const accessLogs = new logs.LogGroup(this, 'HttpApiAccessLogs', {
      retention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const api = new apigatewayv2.HttpApi(this, 'HttpApi', {
      apiName: `${config.stackPrefix}-http`,
      description: 'Opaque access tokens in, verified JWTs to the backends',
      createDefaultStage: false,
      defaultAuthorizer: this.authorizer.httpAuthorizer,
    });
    const stage = api.addStage('DefaultStage', {
      stageName: HTTP_STAGE_NAME,
      autoDeploy: true,
      throttle: { rateLimit: 100, burstLimit: 200 },
      accessLogSettings: {
        destination: new apigatewayv2.LogGroupLogDestination(accessLogs),
        format: apigateway.AccessLogFormat.custom(JSON.stringify(HTTP_ACCESS_LOG_FORMAT)),
      },
    });

    // The example routes (lib/example-api.ts). The claims route's Lambda reads
    // requestContext.authorizer.lambda.jwt; echo routes get the JWT in x-verified-jwt (HTTP APIs
    // reserve Authorization), overwritten from the context so a client cannot inject it.
    const claims = new HttpLambdaIntegration('ClaimsIntegration', this.backend.function);
    const mapping = HTTP_CONTEXT_HEADERS.reduce(
      (parameters, { header, contextKey }) =>
        parameters.overwriteHeader(header, apigatewayv2.MappingValue.contextVariable(`authorizer.${contextKey}`)),
      new apigatewayv2.ParameterMapping(),
    );
    const echo = new HttpUrlIntegration('EchoIntegration', config.echoUrl, {
      method: apigatewayv2.HttpMethod.ANY,
      parameterMapping: mapping,
    });
    const routes = new HttpApiRoutes(this, 'HttpApiRoutes', {
      api,
      routes: EXAMPLE_API_ROUTES,
      authorizer: this.authorizer.httpAuthorizer,
      integrations: {
        claims,
        echo,
        // RFC 9728 on the HTTP API: its own function (HTTP APIs have no mock integration).
        'protected-resource-metadata': {
          integration: new HttpLambdaIntegration('MetadataIntegration', this.metadataFunction(config, retention)),
          publicReason:
            'RFC 9728 protected-resource metadata must be readable without a token: it is how a client learns which ' +
            'authorization server to get one from. Its function answers a fixed document and reaches nothing.',
        },
      },
      ...(cors
        ? { cors, corsPreflightLogGroup: { logGroupProps: { retention, removalPolicy: RemovalPolicy.RETAIN } } }
        : {}),
    });
    return { api, stage, routes };
  }

  /** The RFC 9728 document without `resource` (each API adds the URL the client used). */
  private metadataDocument(config: ExampleAppConfig, certificateBound: boolean): Record<string, unknown> {
    const { resource: _resource, ...document } = protectedResourceMetadata({
      resource: '',
      authorizationServers: [config.issuer],
      routeScopes: config.routeScopes,
      defaultScopes: config.defaultScopes,
      ...(this.authorizer.dpopAlgorithms ? { dpopAlgorithms: this.authorizer.dpopAlgorithms } : {}),
      certificateBoundAccessTokens: certificateBound,
    });
    return document;
  }

  /** The HTTP API's metadata function: answers the document, may write its own logs and nothing else. */
  private metadataFunction(config: ExampleAppConfig, retention: logs.RetentionDays) {
    const logGroup = functionLogGroup(this, 'MetadataLogGroup', 'ProtectedResourceMetadata', {
      logGroupProps: { retention, removalPolicy: RemovalPolicy.RETAIN },
    });
    return nodeFunction(this, 'MetadataFunction', {
      asset: 'protected-resource-metadata',
      description: 'RFC 9728 protected-resource metadata of the HTTP API (public route)',
      memorySize: 128,
      timeout: Duration.seconds(3),
      role: functionRole(this, 'MetadataRole', logGroup, 'Protected-resource metadata: writes its own logs only'),
      logGroup,
      environment: { PROTECTED_RESOURCE_METADATA: JSON.stringify(this.metadataDocument(config, false)) },
    });
  }
}

/** Both APIs' CORS options: the configured origins, every other setting the constructs' default. */
function corsOf(config: ExampleAppConfig): CorsOptions | undefined {
  return config.corsAllowedOrigins === undefined ? undefined : { allowOrigins: config.corsAllowedOrigins };
}

/** `s3://bucket/key` into its parts. */
function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (match === null) throw new Error(`restMtlsTruststoreUri must be s3://bucket/key, got '${uri}'`);
  return { bucket: match[1] as string, key: match[2] as string };
}

function retentionDays(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays).filter((value): value is number => typeof value === 'number');
  if (!allowed.includes(days)) {
    throw new Error(`logRetentionDays must be one of CloudWatch Logs' values: ${allowed.join(', ')}`);
  }
  return days as logs.RetentionDays;
}
