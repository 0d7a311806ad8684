import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { TokenEndpointProxyEnv } from '../lambda/token-endpoint-proxy-config.ts';
import { type FunctionLogGroupOptions, functionLogGroup, functionRole, nodeFunction } from './lambda-defaults.ts';
import { isHttpsUrl, millis } from './prop-values.ts';
import { resolveTokenTable, SplitTokenTable, TOKEN_WRITE_ACTIONS } from './split-token-table.ts';

/** The token endpoint proxy handler's source, bundled with esbuild at synth time. */
export const TOKEN_ENDPOINT_PROXY_ENTRY = fileURLToPath(
  new URL('../lambda/token-endpoint-proxy-handler.ts', import.meta.url),
);

/** Properties of a {@link TokenEndpointProxy}. */
export interface TokenEndpointProxyProps extends FunctionLogGroupOptions {
  /** The authorization server's token endpoint (https); every token request is forwarded there. */
  readonly upstreamTokenEndpoint: string;

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
   * Path of token requests.
   *
   * @default - the handler's default: '/token'
   */
  readonly tokenPath?: string;

  /**
   * Path of revocation requests.
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
 * (arm64, newest Node.js) behind a function URL: it turns any authorization server into a
 * split-token issuer. Its role may write its own logs and `PutItem`/`DeleteItem` on the token table,
 * and `GetItem` when revocation is on (to check whose token it is before deleting), nothing else. Point clients at {@link tokenEndpoint} instead of the authorization server.
 */
export class TokenEndpointProxy extends Construct {
  /** The proxy function. */
  public readonly function: NodejsFunction;
  /** Its execution role. */
  public readonly role: iam.Role;
  /** Its log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The function URL serving the token and revocation paths. */
  public readonly functionUrl: lambda.FunctionUrl;
  /** The URL clients send token requests to. */
  public readonly tokenEndpoint: string;
  /** The URL clients send revocation requests to, when revocation is configured. */
  public readonly revocationEndpoint?: string;

  constructor(scope: Construct, id: string, props: TokenEndpointProxyProps) {
    super(scope, id);
    validateProps(props);

    this.logGroup = functionLogGroup(this, 'LogGroup', 'TokenEndpointProxy', props);
    this.role = functionRole(
      this,
      'Role',
      this.logGroup,
      props.upstreamRevocationEndpoint === undefined
        ? 'Token endpoint proxy: PutItem/DeleteItem on the token table'
        : 'Token endpoint proxy: PutItem/DeleteItem, and GetItem for revocation, on the token table',
    );

    const { table, keyAttribute } = resolveTokenTable(
      'TokenEndpointProxy',
      props.tokenTable,
      props.tokenTableKeyAttribute,
    );
    if (props.tokenTable instanceof SplitTokenTable) props.tokenTable.grantTokenWrites(this.role);
    else table.grant(this.role, ...TOKEN_WRITE_ACTIONS);
    // Revocation reads the record first: only the client the token was issued to may delete it.
    if (props.upstreamRevocationEndpoint !== undefined) table.grant(this.role, 'dynamodb:GetItem');

    const E = TokenEndpointProxyEnv;
    const env: Record<string, string> = {
      [E.upstreamTokenEndpoint]: props.upstreamTokenEndpoint,
      [E.tokenTableName]: table.tableName,
      [E.tokenTableKeyAttribute]: keyAttribute,
    };
    const optional = (name: string, value: string | undefined): void => {
      if (value !== undefined) env[name] = value;
    };
    optional(E.upstreamRevocationEndpoint, props.upstreamRevocationEndpoint);
    optional(E.tokenHashAlgorithm, props.tokenHashAlgorithm);
    optional(E.passThroughClientIds, props.passThroughClientIds?.join(','));
    optional(E.tokenPath, props.tokenPath);
    optional(E.revocationPath, props.revocationPath);
    optional(E.upstreamTimeoutMs, millis(props.upstreamTimeout));
    optional(E.dynamoDbTimeoutMs, millis(props.dynamoDbTimeout));
    optional(E.logLevel, props.logLevel);

    this.function = nodeFunction(this, 'Function', {
      entry: TOKEN_ENDPOINT_PROXY_ENTRY,
      description: 'Token endpoint proxy: splits JWT access tokens into opaque tokens and DynamoDB records',
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(15),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      environment: env,
    });

    this.functionUrl = this.function.addFunctionUrl({
      authType: props.functionUrlAuthType ?? lambda.FunctionUrlAuthType.NONE,
    });
    // The function URL ends with '/'.
    this.tokenEndpoint = `${this.functionUrl.url}${(props.tokenPath ?? '/token').slice(1)}`;
    if (props.upstreamRevocationEndpoint !== undefined) {
      this.revocationEndpoint = `${this.functionUrl.url}${(props.revocationPath ?? '/revoke').slice(1)}`;
    }
  }
}

function validateProps(props: TokenEndpointProxyProps): void {
  const fail = (message: string): never => {
    throw new Error(`TokenEndpointProxy: ${message}`);
  };
  if (!isHttpsUrl(props.upstreamTokenEndpoint)) {
    fail(`upstreamTokenEndpoint must be an https URL, got '${props.upstreamTokenEndpoint}'.`);
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
}
