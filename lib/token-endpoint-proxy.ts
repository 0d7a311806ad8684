import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { TokenEndpointProxyEnv } from '../lambda/token-endpoint-proxy-config.ts';
import { type FunctionLogGroupOptions, functionLogGroup, functionRole, nodeFunction } from './lambda-defaults.ts';
import { isHttpsUrl, millis } from './prop-values.ts';
import { resolveTokenTable, SplitTokenTable, TOKEN_WRITE_ACTIONS } from './split-token-table.ts';

/**
 * The proxy as the authorization server's front: an HTTP API on a custom domain, the domain the
 * server takes as its issuer, in front of the server's whole origin (see the README's deploy section).
 */
export interface AuthorizationServerFrontProps {
  /**
   * The public name of the authorization server, e.g. `login.example.com`. Configure the server
   * with `https://<domainName>` (plus its own path, if any) as its issuer.
   */
  readonly domainName: string;

  /**
   * Where the server itself listens: an https origin (no path), e.g. an internal load balancer
   * reachable from {@link TokenEndpointProxyProps.vpc}. Every path goes there unchanged; the token
   * and revocation paths through the proxy.
   */
  readonly upstreamOrigin: string;

  /**
   * The certificate for {@link domainName}, in this stack's region.
   *
   * @default - a new ACM certificate, validated through DNS in {@link hostedZone}
   */
  readonly certificate?: acm.ICertificate;

  /**
   * The Route 53 zone of {@link domainName}: validates a created certificate and, unless
   * {@link createDnsRecord} is false, gets an alias record for the domain.
   *
   * @default - none: give {@link certificate}, and point the name at {@link TokenEndpointProxy.frontDomain}'s regional domain yourself
   */
  readonly hostedZone?: route53.IHostedZone;

  /**
   * Whether to create an A alias record for {@link domainName} in {@link hostedZone}.
   *
   * @default true when a hosted zone is given
   */
  readonly createDnsRecord?: boolean;

  /**
   * Steady-state requests per second the stage accepts.
   *
   * @default 50
   */
  readonly throttlingRateLimit?: number;

  /**
   * Burst of requests the stage accepts.
   *
   * @default 100
   */
  readonly throttlingBurstLimit?: number;

  /**
   * Deadline of one passed-through call (HTTP APIs give an integration 30 seconds at most).
   *
   * @default - the handler's default: 10 seconds
   */
  readonly passThroughTimeout?: Duration;

  /**
   * Largest request body passed through.
   *
   * @default - the handler's default: 1 MiB
   */
  readonly maxRequestBytes?: number;

  /**
   * Largest answer passed back (a Lambda answer is at most 6 MB, binary bodies base64-encoded in it).
   *
   * @default - the handler's default: 4 MiB
   */
  readonly maxResponseBytes?: number;

  /**
   * Only paths under these prefixes are passed through (each starts and ends with `/`), as the
   * server's reverse-proxy guide asks; the token and revocation paths are served regardless. For
   * Keycloak: `['/realms/', '/resources/', '/.well-known/']`, which keeps `/admin/` off the front.
   *
   * @default - every path
   */
  readonly passThroughPathPrefixes?: readonly string[];

  /**
   * Settings of the HTTP API's access log group.
   *
   * @default - a new log group kept for a month, retained on stack deletion
   */
  readonly accessLogGroupProps?: logs.LogGroupProps;
}

/** Properties of a {@link TokenEndpointProxy}. */
export interface TokenEndpointProxyProps extends FunctionLogGroupOptions {
  /**
   * The authorization server's token endpoint (https); every token request is forwarded there.
   * Required without {@link front}; with it, the endpoints are the front's upstream origin plus
   * {@link tokenPath} and {@link revocationPath}, and this must not be set.
   *
   * @default - none
   */
  readonly upstreamTokenEndpoint?: string;

  /**
   * Deploy the proxy as the authorization server's front: an HTTP API on a custom domain serving
   * the server's whole origin, the token path ({@link tokenPath}) and revocation path
   * ({@link revocationPath}, always on) through the proxy, every other path passed through. Clients
   * that discover the server from its issuer then reach the proxy with nothing else configured. No
   * function URL is created.
   *
   * @default - no front: a function URL serving the token and revocation paths only
   */
  readonly front?: AuthorizationServerFrontProps;

  /**
   * The network the function runs in: put it where the authorization server's upstream origin is
   * reachable and nothing on the internet is (see the README). Its role may then manage the
   * function's network interfaces.
   *
   * @default - no VPC: the function reaches the upstream over the internet
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets of {@link vpc} for the function.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the function in {@link vpc}.
   *
   * @default - a new security group allowing all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * The authorization server's RFC 7009 revocation endpoint (https). When set, the proxy serves
   * revocation at {@link revocationPath}: it forwards the request and, once the server accepts it,
   * reads the token's record and deletes it when the authenticated client is the token's
   * `client_id` (RFC 7009 section 2.1); the function may then also `GetItem` on the table.
   *
   * @default - no revocation path
   */
  readonly upstreamRevocationEndpoint?: string;

  /**
   * The split-token table records are written to (in this stack's region: the home region of a
   * global table). The function may only `PutItem` and `DeleteItem` on it, and `GetItem` when
   * revocation is on.
   */
  readonly tokenTable: SplitTokenTable | dynamodb.ITableV2 | dynamodb.ITable;

  /**
   * Partition key attribute of the table.
   *
   * @default - the SplitTokenTable's key, else 'hashed_signature'
   */
  readonly tokenTableKeyAttribute?: string;

  /**
   * Hash that keys records; must be the authorizer's.
   *
   * @default - the handler's default: 'SHA-256'
   */
  readonly tokenHashAlgorithm?: 'SHA-256' | 'SHA-384' | 'SHA-512';

  /**
   * Clients (the JWT's `client_id`) whose JWT access tokens are returned unchanged, for clients
   * that are meant to hold JWTs.
   *
   * @default - none: every JWT access token is split
   */
  readonly passThroughClientIds?: readonly string[];

  /**
   * Path of token requests (with {@link front}: the authorization server's token endpoint path).
   *
   * @default - the handler's default: '/token'
   */
  readonly tokenPath?: string;

  /**
   * Path of revocation requests (with {@link front}: the authorization server's revocation path).
   *
   * @default - the handler's default: '/revoke'
   */
  readonly revocationPath?: string;

  /**
   * Deadline of one call to the authorization server.
   *
   * @default - the handler's default: 5 seconds
   */
  readonly upstreamTimeout?: Duration;

  /**
   * Deadline of one DynamoDB write or delete, retries included.
   *
   * @default - the handler's default: 2 seconds
   */
  readonly dynamoDbTimeout?: Duration;

  /**
   * Lowest level the handler logs.
   *
   * @default - the handler's default: 'info'
   */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';

  /**
   * Memory of the function (CPU scales with it).
   *
   * @default 256
   */
  readonly memorySize?: number;

  /**
   * Timeout of the function; must exceed the upstream and DynamoDB deadlines together.
   *
   * @default Duration.seconds(15)
   */
  readonly timeout?: Duration;

  /**
   * Concurrency reserved for (and capping) the proxy.
   *
   * @default - no reservation, the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * Authentication of the function URL. OAuth clients authenticate to the authorization server
   * (the proxy forwards their credentials), so the URL is public by default; `AWS_IAM` suits a
   * proxy that only signed callers reach (e.g. behind CloudFront with origin access control).
   *
   * @default lambda.FunctionUrlAuthType.NONE
   */
  readonly functionUrlAuthType?: lambda.FunctionUrlAuthType;
}

/**
 * The token endpoint proxy (`lambda/token-endpoint-proxy-handler.ts`) as a bundled Lambda function
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

function validateProps(props: TokenEndpointProxyProps): void {
  const fail = (message: string): never => {
    throw new Error(`TokenEndpointProxy: ${message}`);
  };
  const front = props.front;
  if (front === undefined) {
    if (props.upstreamTokenEndpoint === undefined || !isHttpsUrl(props.upstreamTokenEndpoint)) {
      fail(`upstreamTokenEndpoint must be an https URL, got '${props.upstreamTokenEndpoint}'.`);
    }
  } else {
    validateFront(front, fail);
    if (props.upstreamTokenEndpoint !== undefined || props.upstreamRevocationEndpoint !== undefined) {
      fail('with front, do not set upstreamTokenEndpoint or upstreamRevocationEndpoint: the front uses its paths.');
    }
    if (props.functionUrlAuthType !== undefined) fail('with front there is no function URL: drop functionUrlAuthType.');
  }
  if (props.vpc === undefined && (props.vpcSubnets !== undefined || props.securityGroups !== undefined)) {
    fail('vpcSubnets and securityGroups need vpc.');
  }
  if (props.upstreamRevocationEndpoint !== undefined && !isHttpsUrl(props.upstreamRevocationEndpoint)) {
    fail(`upstreamRevocationEndpoint must be an https URL, got '${props.upstreamRevocationEndpoint}'.`);
  }
  for (const [name, path] of [
    ['tokenPath', props.tokenPath],
    ['revocationPath', props.revocationPath],
  ] as const) {
    if (path !== undefined && !/^\/[A-Za-z0-9._~\-/]*$/.test(path)) fail(`${name} must be a path starting with '/'.`);
  }
  if ((props.tokenPath ?? '/token') === (props.revocationPath ?? '/revoke')) {
    fail('tokenPath and revocationPath must differ.');
  }
  if (props.passThroughClientIds?.some((id) => id.length === 0 || id.includes(','))) {
    fail('passThroughClientIds must not contain empty values or commas.');
  }
  for (const [name, value, limit] of [
    ['upstreamTimeout', props.upstreamTimeout, 30_000],
    ['dynamoDbTimeout', props.dynamoDbTimeout, 30_000],
  ] as const) {
    const ms = value?.toMilliseconds();
    if (ms !== undefined && (ms < 1 || ms > limit)) fail(`${name} must be from 1 ms to ${limit / 1000} seconds.`);
  }
  const budget = (props.upstreamTimeout?.toMilliseconds() ?? 5000) + (props.dynamoDbTimeout?.toMilliseconds() ?? 2000);
  const timeout = (props.timeout ?? Duration.seconds(15)).toMilliseconds();
  if (timeout <= budget) {
    fail(`timeout (${timeout} ms) must exceed upstreamTimeout + dynamoDbTimeout (${budget} ms).`);
  }
  const passThrough = front?.passThroughTimeout?.toMilliseconds() ?? 10_000;
  if (front !== undefined && timeout <= passThrough) {
    fail(`timeout (${timeout} ms) must exceed front.passThroughTimeout (${passThrough} ms).`);
  }
}

function validateFront(front: AuthorizationServerFrontProps, fail: (message: string) => never): void {
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(front.domainName)) {
    fail(`front.domainName must be a lower-case DNS name, got '${front.domainName}'.`);
  }
  let origin: URL | undefined;
  try {
    origin = new URL(front.upstreamOrigin);
  } catch {
    origin = undefined;
  }
  if (
    origin === undefined ||
    origin.protocol !== 'https:' ||
    origin.origin !== front.upstreamOrigin.replace(/\/$/, '')
  ) {
    fail(`front.upstreamOrigin must be an https origin (no path), got '${front.upstreamOrigin}'.`);
  }
  if (origin.host === front.domainName) fail('front.upstreamOrigin must not be the front itself.');
  if (front.passThroughPathPrefixes?.some((prefix) => !/^\/([A-Za-z0-9._~\-/]*\/)?$/.test(prefix))) {
    fail('front.passThroughPathPrefixes must be paths that start and end with /.');
  }
  if (front.certificate === undefined && front.hostedZone === undefined) {
    fail('front needs a certificate, or a hostedZone to create and validate one.');
  }
  const ms = front.passThroughTimeout?.toMilliseconds();
  if (ms !== undefined && (ms < 1 || ms > 29_000)) fail('front.passThroughTimeout must be from 1 ms to 29 seconds.');
  for (const [name, value, limit] of [
    ['maxRequestBytes', front.maxRequestBytes, 6 * 1024 * 1024],
    ['maxResponseBytes', front.maxResponseBytes, 4_500_000],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > limit)) {
      fail(`front.${name} must be a whole number from 1 to ${limit}.`);
    }
  }
}
