import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ProofReplayAttributes } from '../lambda/adapters/proof-replay-attributes.ts';
import { AuthorizerEnv, DEFAULT_DPOP_ALGORITHMS } from '../lambda/authorizer/config.ts';
import {
  DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS,
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_GATEWAY_RESULTS_TTL_SECONDS,
  expiryBoundSeconds,
  revocationBoundSeconds,
} from '../lambda/core/cache-staleness.ts';
import { HTTP_AUTHORIZER_IDENTITY_SOURCES, REST_AUTHORIZER_IDENTITY_SOURCES } from './authorizer-identity-sources.ts';
import { functionLogGroup, functionRole, nodeFunction } from './lambda-defaults.ts';
import { millis, numeric } from './prop-values.ts';
import { resolveTokenTable, SplitTokenTable } from './split-token-table.ts';
import type {
  SenderConstrainedTokensProps,
  TokenAuthorizerProps,
  TokenIntrospectionProps,
} from './token-authorizer-props.ts';
import { assertEnvironmentSize, validateProps } from './token-authorizer-validation.ts';

export type { SenderConstrainedTokensProps, TokenAuthorizerProps, TokenIntrospectionProps };

/**
 * `NODE_OPTIONS` of the authorizer function: none. With `--enable-source-maps` Node reads the source
 * map and walks the whole bundle as it loads it, about 10 ms more of every cold start here (README,
 * Performance); the authorizer logs codes, not stack traces. The map still ships with the code: set
 * `NODE_OPTIONS=--enable-source-maps` on {@link TokenAuthorizer.function} to map stack traces.
 */
export const AUTHORIZER_NODE_OPTIONS: string | undefined = undefined;

/** Default time API Gateway caches an authorizer answer (per token, method and path). */
export const DEFAULT_RESULTS_CACHE_TTL = Duration.seconds(DEFAULT_GATEWAY_RESULTS_TTL_SECONDS);

/**
 * The token authorizer: the handler in `lambda/authorizer/handler.ts` as a bundled Lambda
 * function (arm64, newest Node.js), its least-privilege role (GetItem on the token table in its
 * own region, read on the introspection client secret, write to its own log group), and
 * authorizers for REST APIs and HTTP APIs.
 */
export class TokenAuthorizer extends Construct {
  /** The authorizer function. */
  public readonly function: lambda.Function;
  /** Its execution role. */
  public readonly role: iam.Role;
  /** Its log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The introspection client secret, when introspection is configured. */
  public readonly introspectionClientSecret?: secretsmanager.ISecret;
  /** The table ARNs the role may `GetItem` on (local replica, and home region if configured). */
  public readonly tokenTableReadArns: readonly string[];
  /** The DPoP proof algorithms accepted, when sender-constrained tokens are on. */
  public readonly dpopAlgorithms?: readonly string[];
  /** The shared DPoP replay table, when asked for. */
  public readonly proofReplayTable?: dynamodb.TableV2;

  private readonly restResultsCacheTtl: Duration;
  private readonly httpResultsCacheTtl: Duration;
  private readonly authorizerCacheTtlSeconds: number;
  private readonly clockSkewSeconds: number;
  private restAuthorizerInstance?: apigateway.RequestAuthorizer;
  private httpAuthorizerInstance?: authorizers.HttpLambdaAuthorizer;

  constructor(scope: Construct, id: string, props: TokenAuthorizerProps) {
    super(scope, id);
    validateProps(props);
    const region = Stack.of(this).region;

    const off = Duration.seconds(0);
    const senderConstrained =
      props.senderConstrainedTokens === true
        ? {}
        : props.senderConstrainedTokens === false
          ? undefined
          : props.senderConstrainedTokens;
    // A proof is unique per request: a result API Gateway cached would skip it (invariant 10).
    const gatewayCacheOff = props.strictCaching || senderConstrained !== undefined;
    this.restResultsCacheTtl = gatewayCacheOff ? off : (props.restResultsCacheTtl ?? DEFAULT_RESULTS_CACHE_TTL);
    this.httpResultsCacheTtl = gatewayCacheOff ? off : (props.httpResultsCacheTtl ?? DEFAULT_RESULTS_CACHE_TTL);
    const cacheTtl = props.strictCaching ? off : props.cacheTtl;
    this.authorizerCacheTtlSeconds = cacheTtl?.toSeconds() ?? DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS;
    this.clockSkewSeconds = props.clockSkew?.toSeconds() ?? DEFAULT_CLOCK_SKEW_SECONDS;

    this.logGroup = functionLogGroup(this, 'LogGroup', 'TokenAuthorizer', props);
    this.role = functionRole(this, 'Role', this.logGroup, 'Token authorizer: GetItem on the token table replica');

    const env: Record<string, string> = {
      [AuthorizerEnv.issuer]: props.issuer,
      [AuthorizerEnv.jwksUri]: props.jwksUri,
      [AuthorizerEnv.audiences]: props.audiences.join(','),
      [AuthorizerEnv.jwtValidationEnabled]: String(props.jwtValidationEnabled ?? false),
      [AuthorizerEnv.httpApiResponseFormat]: 'simple',
      ...(AUTHORIZER_NODE_OPTIONS === undefined ? {} : { NODE_OPTIONS: AUTHORIZER_NODE_OPTIONS }),
    };
    const optional = (name: string, value: string | undefined): void => {
      if (value !== undefined) env[name] = value;
    };
    optional(AuthorizerEnv.jwtClientIds, props.jwtClientIds?.length ? props.jwtClientIds.join(',') : undefined);
    optional(AuthorizerEnv.allowedAlgorithms, props.allowedAlgorithms?.join(','));
    optional(AuthorizerEnv.requiredTokenType, props.requiredTokenType);
    optional(AuthorizerEnv.clockSkewSeconds, seconds(props.clockSkew));
    optional(AuthorizerEnv.dynamoDbTimeoutMs, millis(props.dynamoDbTimeout));
    optional(AuthorizerEnv.routeScopes, props.routeScopes ? JSON.stringify(props.routeScopes) : undefined);
    optional(AuthorizerEnv.defaultScopes, props.defaultScopes?.length ? props.defaultScopes.join(',') : undefined);
    optional(AuthorizerEnv.cacheTtlSeconds, seconds(cacheTtl));
    optional(AuthorizerEnv.cacheMaxEntries, numeric(props.cacheMaxEntries));
    optional(AuthorizerEnv.maxHeaderLength, numeric(props.maxHeaderLength));
    optional(AuthorizerEnv.jwksTimeoutMs, millis(props.jwksTimeout));
    optional(AuthorizerEnv.jwksCooldownMs, millis(props.jwksCooldown));
    optional(AuthorizerEnv.jwksMaxAgeSeconds, seconds(props.jwksMaxAge));
    optional(AuthorizerEnv.logLevel, props.logLevel);
    if (senderConstrained !== undefined) {
      env[AuthorizerEnv.dpopEnabled] = 'true';
      optional(AuthorizerEnv.dpopAlgorithms, senderConstrained.dpopAlgorithms?.join(','));
      optional(AuthorizerEnv.dpopProofMaxAgeSeconds, seconds(senderConstrained.proofMaxAge));
      this.dpopAlgorithms = senderConstrained.dpopAlgorithms ?? DEFAULT_DPOP_ALGORITHMS;
    }

    // Split-token table: GetItem on the replica in this region (and the home region if asked).
    const readArns: string[] = [];
    if (props.tokenTable) {
      const { table, keyAttribute } = resolveTokenTable(
        'TokenAuthorizer',
        props.tokenTable,
        props.tokenTableKeyAttribute,
      );
      env[AuthorizerEnv.tokenTableName] = table.tableName;
      env[AuthorizerEnv.tokenTableKeyAttribute] = keyAttribute;
      env[AuthorizerEnv.tokenTableRegion] = region;
      optional(AuthorizerEnv.tokenHashAlgorithm, props.tokenHashAlgorithm);
      readArns.push(tableArnIn(this, table.tableName, region));
      const consistentReads =
        props.tokenTableConsistentReads ??
        (props.tokenTable instanceof SplitTokenTable &&
          props.tokenTable.multiRegionConsistency === dynamodb.MultiRegionConsistency.STRONG);
      if (consistentReads) env[AuthorizerEnv.tokenTableConsistentRead] = 'true';
      const home = props.tokenTableHomeRegion;
      if (home !== undefined && home !== region) {
        env[AuthorizerEnv.tokenTableHomeRegion] = home;
        readArns.push(tableArnIn(this, table.tableName, home));
      }
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadSplitTokens',
          actions: ['dynamodb:GetItem'],
          resources: readArns,
        }),
      );
    }
    this.tokenTableReadArns = readArns;

    if (senderConstrained?.replayTable) {
      // Single-use proof ids, each kept until its proof's iat leaves the window: nothing to back up.
      this.proofReplayTable = new dynamodb.TableV2(this, 'ProofReplayTable', {
        partitionKey: { name: ProofReplayAttributes.proofId, type: dynamodb.AttributeType.STRING },
        timeToLiveAttribute: ProofReplayAttributes.expiresAt,
        billing: dynamodb.Billing.onDemand(),
        removalPolicy: RemovalPolicy.DESTROY,
      });
      env[AuthorizerEnv.dpopReplayTableName] = this.proofReplayTable.tableName;
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'RecordDpopProofs',
          actions: ['dynamodb:PutItem'],
          resources: [this.proofReplayTable.tableArn],
        }),
      );
    }

    // Phantom-token fallback: the client secret stays in Secrets Manager.
    let paramsAndSecrets: lambda.ParamsAndSecretsLayerVersion | undefined;
    if (props.introspection) {
      const introspection = props.introspection;
      let secret = introspection.existingClientSecret;
      if (!secret) {
        secret = new secretsmanager.Secret(this, 'IntrospectionClientSecret', {
          description: `Client secret of ${introspection.clientId} at the introspection endpoint (set the real value)`,
          ...introspection.clientSecretProps,
        });
        Validations.of(secret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason:
            'The value is a client credential issued by the external authorization server; Secrets Manager cannot ' +
            'rotate it without that server. Rotate it there and store the new value here; new authorizer instances ' +
            'read it at init.',
        });
      }
      this.introspectionClientSecret = secret;
      secret.grantRead(this.role);
      env[AuthorizerEnv.introspectionEndpoint] = introspection.endpoint;
      env[AuthorizerEnv.introspectionClientId] = introspection.clientId;
      env[AuthorizerEnv.introspectionClientSecretArn] = secret.secretArn;
      optional(AuthorizerEnv.introspectionClientAuthMethod, introspection.clientAuthMethod);
      optional(AuthorizerEnv.introspectionResponseFormat, introspection.responseFormat);
      optional(AuthorizerEnv.introspectionResponseAudience, introspection.responseAudience);
      optional(AuthorizerEnv.introspectionTimeoutMs, millis(introspection.timeout));
      optional(AuthorizerEnv.introspectionRatePerSecond, numeric(introspection.ratePerSecond));
      optional(AuthorizerEnv.introspectionBurst, numeric(introspection.burst));
      optional(AuthorizerEnv.introspectionSourceRatePerSecond, numeric(introspection.sourceRatePerSecond));
      optional(AuthorizerEnv.introspectionSourceBurst, numeric(introspection.sourceBurst));
      optional(AuthorizerEnv.introspectionMaxSources, numeric(introspection.maxSources));
      const shape = introspection.tokenShape;
      if (shape) {
        optional(AuthorizerEnv.introspectionTokenPrefix, shape.prefix);
        env[AuthorizerEnv.introspectionTokenMinLength] = String(shape.minLength);
        env[AuthorizerEnv.introspectionTokenMaxLength] = String(shape.maxLength);
        env[AuthorizerEnv.introspectionTokenCharset] = shape.charset;
      }
      if (introspection.requireAudience === false) env[AuthorizerEnv.introspectionRequireAudience] = 'false';
      paramsAndSecrets = lambda.ParamsAndSecretsLayerVersion.fromVersion(
        introspection.extensionVersion ?? lambda.ParamsAndSecretsVersions.V1_0_103,
        { cacheEnabled: true, logLevel: lambda.ParamsAndSecretsLogLevel.WARN },
      );
    }

    assertEnvironmentSize(env);

    this.function = nodeFunction(this, 'Function', {
      asset: 'authorizer',
      description: 'Resolves opaque access tokens to verified JWTs for API Gateway',
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      environment: env,
      paramsAndSecrets,
    });
  }

  /**
   * The longest a revoked token is still let through by an API behind this authorizer: the
   * in-memory cache time plus the API's result cache time (lambda/core/cache-staleness.ts). Split
   * tokens read from another region's replica add the table's replication lag.
   */
  public revocationBound(api: 'rest' | 'http'): Duration {
    return Duration.seconds(revocationBoundSeconds(this.cacheTimes(api)));
  }

  /** The longest a token is still let through after its `exp`: clock skew plus the API's result cache time. */
  public expiryBound(api: 'rest' | 'http'): Duration {
    return Duration.seconds(expiryBoundSeconds(this.cacheTimes(api)));
  }

  private cacheTimes(api: 'rest' | 'http') {
    return {
      authorizerCacheTtlSeconds: this.authorizerCacheTtlSeconds,
      gatewayResultsTtlSeconds: (api === 'rest' ? this.restResultsCacheTtl : this.httpResultsCacheTtl).toSeconds(),
      clockSkewSeconds: this.clockSkewSeconds,
    };
  }

  /**
   * The REQUEST authorizer for one REST API. Its identity sources are the Authorization header,
   * the method and the path (`REST_AUTHORIZER_IDENTITY_SOURCES`), so an answer API Gateway caches
   * (for `restResultsCacheTtl`) is only reused for the same token on the same method and path: a
   * client calling N distinct paths costs up to N authorizer invocations per cache time, each
   * answered from the handler's in-memory cache after the first. Created on first use; an API
   * Gateway authorizer belongs to one REST API, use {@link createRestAuthorizer} for more.
   */
  public get restAuthorizer(): apigateway.RequestAuthorizer {
    this.restAuthorizerInstance ??= this.createRestAuthorizer('RestAuthorizer');
    return this.restAuthorizerInstance;
  }

  /**
   * The Lambda authorizer for one HTTP API: simple responses, identity sources the Authorization
   * header, the method and the path (`HTTP_AUTHORIZER_IDENTITY_SOURCES`), so a cached answer is
   * only reused for the same token on the same method and path. Use {@link createHttpAuthorizer}
   * for more APIs.
   */
  public get httpAuthorizer(): authorizers.HttpLambdaAuthorizer {
    this.httpAuthorizerInstance ??= this.createHttpAuthorizer('HttpAuthorizer');
    return this.httpAuthorizerInstance;
  }

  /**
   * A further REST API authorizer backed by the same function (for another REST API). The function's
   * route rules match paths, not APIs or stages: the other API gets the same rules. Give an API with
   * other rules its own TokenAuthorizer.
   */
  public createRestAuthorizer(id: string): apigateway.RequestAuthorizer {
    return new apigateway.RequestAuthorizer(this, id, {
      handler: this.function,
      identitySources: [...REST_AUTHORIZER_IDENTITY_SOURCES],
      resultsCacheTtl: this.restResultsCacheTtl,
    });
  }

  /**
   * A further HTTP API authorizer backed by the same function (for another HTTP API), with the same
   * route rules (see {@link createRestAuthorizer}).
   */
  public createHttpAuthorizer(id: string): authorizers.HttpLambdaAuthorizer {
    return new authorizers.HttpLambdaAuthorizer(id, this.function, {
      responseTypes: [authorizers.HttpLambdaResponseType.SIMPLE],
      identitySource: [...HTTP_AUTHORIZER_IDENTITY_SOURCES],
      resultsCacheTtl: this.httpResultsCacheTtl,
    });
  }
}

function tableArnIn(scope: Construct, tableName: string, region: string): string {
  return Stack.of(scope).formatArn({ service: 'dynamodb', region, resource: 'table', resourceName: tableName });
}

function seconds(value: Duration | undefined): string | undefined {
  return value === undefined ? undefined : String(value.toSeconds());
}
