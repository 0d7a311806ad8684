import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { TokenEndpointProxyEnv } from '../lambda/token-endpoint-proxy/config.ts';
import { functionLogGroup, functionRole, nodeFunction } from './lambda-defaults.ts';
import { millis } from './prop-values.ts';
import { resolveTokenTable, SplitTokenTable, TOKEN_WRITE_ACTIONS } from './split-token-table.ts';
import type { AuthorizationServerFrontProps, TokenEndpointProxyProps } from './token-endpoint-proxy-props.ts';
import { validateProps } from './token-endpoint-proxy-validation.ts';

export type { AuthorizationServerFrontProps, TokenEndpointProxyProps };

/**
 * The token endpoint proxy (`lambda/token-endpoint-proxy/handler.ts`) as a bundled Lambda function
 * (arm64, newest Node.js): it turns any authorization server into a split-token issuer. Its role
 * may write its own logs and `PutItem`/`DeleteItem` on the token table, and `GetItem` when
 * revocation is on (to check whose token it is before deleting), nothing else (and its network
 * interfaces in a {@link TokenEndpointProxyProps.vpc}).
 *
 * Either behind a function URL serving the token and revocation paths (point clients at
 * {@link tokenEndpoint}), or, with {@link TokenEndpointProxyProps.front}, as the authorization
 * server's front on an HTTP API custom domain that is the server's issuer: clients that discover the
 * server from {@link issuer} reach the proxy with nothing else configured. The HTTP API keeps
 * `X-Forwarded-*` to itself (AWS lists them as reserved for parameter mapping), so the function
 * sets them on its upstream requests from the event's request context.
 */
export class TokenEndpointProxy extends Construct {
  /** The proxy function. */
  public readonly function: lambda.Function;
  /** Its execution role. */
  public readonly role: iam.Role;
  /** Its log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The function URL serving the token and revocation paths (without a front). */
  public readonly functionUrl?: lambda.FunctionUrl;
  /** The front's HTTP API (with a front). */
  public readonly frontApi?: apigwv2.HttpApi;
  /** The front's custom domain (with a front): point DNS at its `regionalDomainName`. */
  public readonly frontDomain?: apigwv2.DomainName;
  /** The front's certificate (with a front). */
  public readonly certificate?: acm.ICertificate;
  /** The issuer's origin, `https://<domainName>` (with a front): what clients discover from. */
  public readonly issuer?: string;
  /** The URL clients send token requests to. */
  public readonly tokenEndpoint: string;
  /** The URL clients send revocation requests to, when revocation is configured (always with a front). */
  public readonly revocationEndpoint?: string;

  constructor(scope: Construct, id: string, props: TokenEndpointProxyProps) {
    super(scope, id);
    validateProps(props);

    const front = props.front;
    const revocation = front !== undefined || props.upstreamRevocationEndpoint !== undefined;
    this.logGroup = functionLogGroup(this, 'LogGroup', 'TokenEndpointProxy', props);
    this.role = functionRole(
      this,
      'Role',
      this.logGroup,
      revocation
        ? 'Token endpoint proxy: PutItem/DeleteItem, and GetItem for revocation, on the token table'
        : 'Token endpoint proxy: PutItem/DeleteItem on the token table',
    );

    const { table, keyAttribute } = resolveTokenTable(
      'TokenEndpointProxy',
      props.tokenTable,
      props.tokenTableKeyAttribute,
    );
    if (props.tokenTable instanceof SplitTokenTable) props.tokenTable.grantTokenWrites(this.role);
    else table.grant(this.role, ...TOKEN_WRITE_ACTIONS);
    // Revocation reads the record first: only the client the token was issued to may delete it.
    if (revocation) table.grant(this.role, 'dynamodb:GetItem');
    if (props.vpc !== undefined) grantNetworkInterfaces(this.role);

    const E = TokenEndpointProxyEnv;
    const env: Record<string, string> = {
      [E.tokenTableName]: table.tableName,
      [E.tokenTableKeyAttribute]: keyAttribute,
    };
    const optional = (name: string, value: string | undefined): void => {
      if (value !== undefined) env[name] = value;
    };
    optional(E.upstreamTokenEndpoint, props.upstreamTokenEndpoint);
    optional(E.upstreamRevocationEndpoint, props.upstreamRevocationEndpoint);
    optional(E.upstreamOrigin, front?.upstreamOrigin);
    optional(E.passThroughTimeoutMs, millis(front?.passThroughTimeout));
    optional(E.maxPassThroughRequestBytes, front?.maxRequestBytes?.toString());
    optional(E.maxPassThroughResponseBytes, front?.maxResponseBytes?.toString());
    optional(E.passThroughPathPrefixes, front?.passThroughPathPrefixes?.join(','));
    optional(E.tokenHashAlgorithm, props.tokenHashAlgorithm);
    optional(E.passThroughClientIds, props.passThroughClientIds?.join(','));
    optional(E.tokenPath, props.tokenPath);
    optional(E.revocationPath, props.revocationPath);
    optional(E.upstreamTimeoutMs, millis(props.upstreamTimeout));
    optional(E.dynamoDbTimeoutMs, millis(props.dynamoDbTimeout));
    optional(E.logLevel, props.logLevel);

    this.function = nodeFunction(this, 'Function', {
      asset: 'token-endpoint-proxy',
      description: 'Token endpoint proxy: splits JWT access tokens into opaque tokens and DynamoDB records',
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(15),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      environment: env,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
    });

    const tokenPath = props.tokenPath ?? '/token';
    const revocationPath = props.revocationPath ?? '/revoke';
    if (front === undefined) {
      const functionUrl = this.function.addFunctionUrl({
        authType: props.functionUrlAuthType ?? lambda.FunctionUrlAuthType.NONE,
      });
      this.functionUrl = functionUrl;
      // The function URL ends with '/'.
      this.tokenEndpoint = `${functionUrl.url}${tokenPath.slice(1)}`;
      if (revocation) this.revocationEndpoint = `${functionUrl.url}${revocationPath.slice(1)}`;
      return;
    }

    this.issuer = `https://${front.domainName}`;
    this.tokenEndpoint = `${this.issuer}${tokenPath}`;
    this.revocationEndpoint = `${this.issuer}${revocationPath}`;
    this.certificate =
      front.certificate ??
      new acm.Certificate(this, 'Certificate', {
        domainName: front.domainName,
        validation: acm.CertificateValidation.fromDns(front.hostedZone),
      });
    const domain = new apigwv2.DomainName(this, 'FrontDomain', {
      domainName: front.domainName,
      certificate: this.certificate,
      securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
    });
    this.frontDomain = domain;
    // One $default route: every method and path goes to the function, which sets X-Forwarded-*
    // itself (HTTP APIs cannot map them) and answers redirects as they are.
    const api = new apigwv2.HttpApi(this, 'FrontApi', {
      description: `The authorization server's public origin (${front.domainName}): token and revocation through the token endpoint proxy, every other path passed through`,
      createDefaultStage: false,
      // Only the custom domain: the host the server builds its URLs on is always the issuer's.
      disableExecuteApiEndpoint: true,
      defaultIntegration: new HttpLambdaIntegration('FrontIntegration', this.function, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    this.frontApi = api;
    const accessLogs = new logs.LogGroup(this, 'FrontAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
      ...front.accessLogGroupProps,
    });
    api.addStage('FrontStage', {
      stageName: '$default',
      autoDeploy: true,
      domainMapping: { domainName: domain },
      throttle: { rateLimit: front.throttlingRateLimit ?? 50, burstLimit: front.throttlingBurstLimit ?? 100 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigateway.AccessLogFormat.custom(JSON.stringify(FRONT_ACCESS_LOG_FORMAT)),
      },
    });
    if (front.hostedZone !== undefined && (front.createDnsRecord ?? true)) {
      new route53.ARecord(this, 'FrontAlias', {
        zone: front.hostedZone,
        recordName: front.domainName,
        target: route53.RecordTarget.fromAlias(
          new route53Targets.ApiGatewayv2DomainProperties(domain.regionalDomainName, domain.regionalHostedZoneId),
        ),
      });
    }
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        "The front is the authorization server's public origin: discovery, JWKS and the authorization endpoint are " +
        'public by OAuth, and the server authenticates every client at its token, revocation and introspection ' +
        'endpoints itself (the proxy forwards the credentials). An authorizer would refuse what OAuth needs open.',
    });
  }
}

/** The front's access log: who called what and how it went; never a header, query or body. */
const FRONT_ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTimeEpoch',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
};

/**
 * What Lambda needs to attach a function to a VPC (the actions of AWS's managed
 * AWSLambdaVPCAccessExecutionRole), without the managed policy. EC2 does not scope these actions
 * to resources before the interfaces exist.
 */
function grantNetworkInterfaces(role: iam.Role): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ManageOwnNetworkInterfaces',
      actions: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      resources: ['*'],
    }),
  );
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Attaching a Lambda function to a VPC needs these EC2 network-interface actions, which AWS documents ' +
      '(AWSLambdaVPCAccessExecutionRole) on all resources: the interfaces do not exist before Lambda creates them.',
  });
}
