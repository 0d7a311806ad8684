import type { Duration } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type { FunctionLogGroupOptions } from './lambda-defaults.ts';
import type { SplitTokenTable } from './split-token-table.ts';

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
