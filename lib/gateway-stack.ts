import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Token, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration, HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ExampleBackend } from './example-backend.ts';
import { arnInRegion, type ExampleAppConfig } from './example-config.ts';
import { GatewayMonitoring } from './monitoring.ts';
import { SplitTokenTable } from './split-token-table.ts';
import { TokenAuthorizer } from './token-authorizer.ts';
import { TokenEndpointProxy } from './token-endpoint-proxy.ts';

/**
 * Header that carries the verified JWT to HTTP integrations of the HTTP API. HTTP APIs reserve
 * `Authorization` (it cannot be mapped), so the client's opaque token still arrives there under
 * `Authorization`; backends must read the JWT from this header only. The mapping overwrites any
 * value a client sends under this name.
 */
export const HTTP_API_JWT_HEADER = 'x-verified-jwt';

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

/** `WWW-Authenticate` values (RFC 6750) and JSON bodies of the REST API's 401 and 403. */
export const REST_UNAUTHORIZED_CHALLENGE = 'Bearer error="invalid_token"';
export const REST_ACCESS_DENIED_CHALLENGE = 'Bearer error="insufficient_scope"';

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
      if (config.tokenEndpointProxy) {
        // Issuing happens next to the table's home: writes replicate to every region's replica.
        this.tokenEndpointProxy = new TokenEndpointProxy(this, 'TokenEndpointProxy', {
          ...config.tokenEndpointProxy,
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
      restResultsCacheTtl: Duration.seconds(config.restCacheTtlSeconds),
      httpResultsCacheTtl: Duration.seconds(config.httpCacheTtlSeconds),
      logGroupProps: { retention, removalPolicy: RemovalPolicy.RETAIN },
    });

    this.backend = new ExampleBackend(this, 'ExampleBackend', {
      issuer: config.issuer,
      jwksUri: config.jwksUri,
      audiences: config.audiences,
      allowedAlgorithms: config.allowedAlgorithms,
      requiredTokenType: config.requiredTokenType,
      introspectionResponseAudience:
        config.introspection?.responseFormat === 'jwt' ? undefined : config.introspection?.clientId,
      logGroupProps: { retention, removalPolicy: RemovalPolicy.RETAIN },
    });

    this.restApi = this.createRestApi(config, retention);
    const { api, stage } = this.createHttpApi(config, retention);
    this.httpApi = api;
    this.httpApiStage = stage;

    this.monitoring = new GatewayMonitoring(this, 'Monitoring', {
      authorizerFunction: this.authorizer.function,
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

    new CfnOutput(this, 'RestApiUrl', { value: this.restApi.url });
    new CfnOutput(this, 'HttpApiUrl', { value: stage.url });
    new CfnOutput(this, 'TokenTableName', { value: config.tableName });
    if (this.tokenEndpointProxy) {
      new CfnOutput(this, 'TokenEndpointUrl', { value: this.tokenEndpointProxy.tokenEndpoint });
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

  private createRestApi(config: ExampleAppConfig, retention: logs.RetentionDays): apigateway.RestApi {
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
        stageName: 'v1',
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
    const methodOptions: apigateway.MethodOptions = {
      authorizationType: apigateway.AuthorizationType.CUSTOM,
      authorizer: this.authorizer.restAuthorizer,
      requestValidator: validator,
      requestParameters: { 'method.request.header.Authorization': true },
    };

    // GET /claims: the backend Lambda reads requestContext.authorizer.jwt and verifies it.
    api.root
      .addResource('claims')
      .addMethod('GET', new apigateway.LambdaIntegration(this.backend.function), methodOptions);

    // ANY /echo: an HTTP integration; Authorization is replaced by 'Bearer <jwt>' from the context.
    api.root.addResource('echo').addMethod(
      'ANY',
      new apigateway.HttpIntegration(config.echoUrl, {
        httpMethod: 'ANY',
        proxy: true,
        options: {
          requestParameters: { 'integration.request.header.Authorization': 'context.authorizer.authorization' },
          timeout: Duration.seconds(10),
        },
      }),
      methodOptions,
    );

    const json = "'application/json'";
    api.addGatewayResponse('Unauthorized', {
      type: apigateway.ResponseType.UNAUTHORIZED,
      statusCode: '401',
      responseHeaders: {
        'WWW-Authenticate': `'${REST_UNAUTHORIZED_CHALLENGE}'`,
        'Content-Type': json,
        'Cache-Control': "'no-store'",
      },
      templates: {
        'application/json': JSON.stringify({
          error: 'invalid_token',
          error_description: 'The access token is missing, invalid, expired or revoked',
        }),
      },
    });
    api.addGatewayResponse('AccessDenied', {
      type: apigateway.ResponseType.ACCESS_DENIED,
      statusCode: '403',
      responseHeaders: {
        'WWW-Authenticate': `'${REST_ACCESS_DENIED_CHALLENGE}'`,
        'Content-Type': json,
        'Cache-Control': "'no-store'",
      },
      templates: {
        'application/json': JSON.stringify({
          error: 'insufficient_scope',
          error_description: 'The access token does not grant the scope this route requires',
        }),
      },
    });
    for (const [id, type] of [
      ['AuthorizerFailure', apigateway.ResponseType.AUTHORIZER_FAILURE],
      ['AuthorizerConfigurationError', apigateway.ResponseType.AUTHORIZER_CONFIGURATION_ERROR],
    ] as const) {
      api.addGatewayResponse(id, {
        type,
        statusCode: '500',
        responseHeaders: { 'Content-Type': json, 'Cache-Control': "'no-store'" },
        templates: { 'application/json': JSON.stringify({ error: 'server_error' }) },
      });
    }

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
    return api;
  }

  private createHttpApi(
    config: ExampleAppConfig,
    retention: logs.RetentionDays,
  ): { api: apigatewayv2.HttpApi; stage: apigatewayv2.HttpStage } {
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
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 100, burstLimit: 200 },
      accessLogSettings: {
        destination: new apigatewayv2.LogGroupLogDestination(accessLogs),
        format: apigateway.AccessLogFormat.custom(JSON.stringify(HTTP_ACCESS_LOG_FORMAT)),
      },
    });

    // GET /claims: the backend Lambda reads requestContext.authorizer.lambda.jwt and verifies it.
    api.addRoutes({
      path: '/claims',
      methods: [apigatewayv2.HttpMethod.GET],
      integration: new HttpLambdaIntegration('ClaimsIntegration', this.backend.function),
    });
    // ANY /echo: the JWT goes in x-verified-jwt (Authorization is reserved on HTTP APIs).
    api.addRoutes({
      path: '/echo',
      methods: [apigatewayv2.HttpMethod.ANY],
      integration: new HttpUrlIntegration('EchoIntegration', config.echoUrl, {
        method: apigatewayv2.HttpMethod.ANY,
        parameterMapping: new apigatewayv2.ParameterMapping().overwriteHeader(
          HTTP_API_JWT_HEADER,
          apigatewayv2.MappingValue.contextVariable('authorizer.jwt'),
        ),
      }),
    });
    return { api, stage };
  }
}

function retentionDays(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays).filter((value): value is number => typeof value === 'number');
  if (!allowed.includes(days)) {
    throw new Error(`logRetentionDays must be one of CloudWatch Logs' values: ${allowed.join(', ')}`);
  }
  return days as logs.RetentionDays;
}
