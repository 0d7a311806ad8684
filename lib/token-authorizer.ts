import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ProofReplayAttributes } from '../lambda/adapters/proof-replay-attributes.ts';
import { AuthorizerEnv, DEFAULT_DPOP_ALGORITHMS } from '../lambda/authorizer-config.ts';
import {
  DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS,
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_GATEWAY_RESULTS_TTL_SECONDS,
  expiryBoundSeconds,
  revocationBoundSeconds,
} from '../lambda/cache-staleness.ts';
import { type OpaqueTokenShape, opaqueTokenShapeProblem } from '../lambda/core/opaque-token-shape.ts';
import type { RouteScopeRule } from '../lambda/core/route-scopes.ts';
import { HTTP_AUTHORIZER_IDENTITY_SOURCES, REST_AUTHORIZER_IDENTITY_SOURCES } from './authorizer-identity-sources.ts';
import type { JwtVerificationProps } from './jwt-verification-props.ts';
import { type FunctionLogGroupOptions, functionLogGroup, functionRole, nodeFunction } from './lambda-defaults.ts';
import { isHttpsUrl, millis, numeric } from './prop-values.ts';
import { resolveTokenTable, SplitTokenTable } from './split-token-table.ts';

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
 * Environment variable naming the home region of the token table, for the replication-lag
 * fallback read (see {@link TokenAuthorizerProps.tokenTableHomeRegion}).
 */
export const TOKEN_TABLE_HOME_REGION_ENV = AuthorizerEnv.tokenTableHomeRegion;

/** The phantom-token fallback: introspection at the authorization server. */
export interface TokenIntrospectionProps {
  /** RFC 7662 introspection endpoint of the authorization server (https). */
  readonly endpoint: string;

  /** Client id the authorizer authenticates with at the endpoint. */
  readonly clientId: string;

  /**
   * The secret holding the client secret (as plain text). Read by the handler at init through
   * the AWS Parameters and Secrets Lambda Extension; never placed in the environment or the
   * bundle. Cannot be combined with {@link clientSecretProps}.
   *
   * @default - a new secret with a random placeholder value: put the real client secret into it
   */
  readonly existingClientSecret?: secretsmanager.ISecret;

  /**
   * Settings of the created secret. Cannot be combined with {@link existingClientSecret}.
   *
   * @default - a generated random placeholder value, encrypted with the AWS managed key
   */
  readonly clientSecretProps?: secretsmanager.SecretProps;

  /**
   * How the client authenticates at the endpoint.
   *
   * @default - the handler's default: 'client_secret_basic'
   */
  readonly clientAuthMethod?: 'client_secret_basic' | 'client_secret_post';

  /**
   * Answer format asked for: RFC 9701 `token-introspection+jwt`, or `jwt` (the older form that
   * returns the access-token JWT itself).
   *
   * @default - the handler's default: 'token-introspection+jwt'
   */
  readonly responseFormat?: 'token-introspection+jwt' | 'jwt';

  /**
   * Expected `aud` of RFC 9701 answers.
   *
   * @default - the handler's default: the client id
   */
  readonly responseAudience?: string;

  /**
   * Deadline of one introspection call.
   *
   * @default - the handler's default: 2 seconds
   */
  readonly timeout?: Duration;

  /**
   * Sustained introspection calls per second per Lambda instance; more fail closed (500). Bounds
   * what random tokens can send to the authorization server, together with
   * {@link TokenAuthorizerProps.reservedConcurrentExecutions}.
   *
   * @default - the handler's default: 50
   */
  readonly ratePerSecond?: number;

  /**
   * Calls allowed in a burst above {@link ratePerSecond}.
   *
   * @default - the handler's default: 100
   */
  readonly burst?: number;

  /**
   * Sustained introspection calls per second per source address per Lambda instance (an IPv6
   * source counts by its /56); more fail closed (500) for that source only, so one address
   * flooding random tokens cannot spend {@link ratePerSecond} for everyone. REST TOKEN authorizers
   * get no source address and are capped by {@link ratePerSecond} alone; behind CloudFront the
   * source is the edge's address, shared by every client behind it.
   *
   * @default - the handler's default: 5 (a tenth of the instance's rate)
   */
  readonly sourceRatePerSecond?: number;

  /**
   * Calls one source address may make in a burst above {@link sourceRatePerSecond}.
   *
   * @default - the handler's default: 10
   */
  readonly sourceBurst?: number;

  /**
   * Source addresses whose budgets one Lambda instance remembers; the least recently seen is
   * forgotten first (about 200 bytes each).
   *
   * @default - the handler's default: 10000
   */
  readonly maxSources?: number;

  /**
   * What the authorization server's opaque access tokens look like. A credential of another shape
   * cannot be one of them and is refused (401) without an introspection call. oidc-provider:
   * `{ minLength: 43, maxLength: 43, charset: 'base64url' }` (256 random bits); Curity:
   * `{ prefix: '_0XBPWQQ_', minLength: 45, maxLength: 45, charset: 'uuid' }` as its examples show
   * (check a token of your own deployment). Lengths include the prefix.
   *
   * @default - every well-formed credential is introspected
   */
  readonly tokenShape?: OpaqueTokenShape;

  /**
   * Whether an RFC 9701 answer must carry `aud` naming one of the authorizer's audiences. Turn it
   * off only for a server that never sends `aud` in introspection answers: then a token issued for
   * any resource server of the issuer is accepted. `token_type` (Bearer) stays required either way.
   * Answers in the `jwt` format always need `aud`.
   *
   * @default true
   */
  readonly requireAudience?: boolean;

  /**
   * Version of the AWS Parameters and Secrets Lambda Extension layer.
   *
   * @default ParamsAndSecretsVersions.V1_0_103
   */
  readonly extensionVersion?: lambda.ParamsAndSecretsVersions;
}

/**
 * Sender-constrained tokens: DPoP (RFC 9449) and certificate-bound (RFC 8705) access tokens
 * accepted with their proofs, which are checked on every request.
 */
export interface SenderConstrainedTokensProps {
  /**
   * Asymmetric JWS algorithms DPoP proofs may use.
   *
   * @default - the handler's default: ES256, EdDSA, Ed25519, RS256, PS256
   */
  readonly dpopAlgorithms?: readonly string[];

  /**
   * How old a DPoP proof's `iat` may be (at most 5 minutes); its `jti` is remembered this long.
   *
   * @default - the handler's default: 60 seconds
   */
  readonly proofMaxAge?: Duration;

  /**
   * A DynamoDB table in this region where every instance records each proof it accepts
   * (conditional `PutItem`, TTL), so that no instance accepts a proof another has seen. The role
   * may only `PutItem` on it. Without it each instance remembers its own proofs: a replay that
   * reaches another warm instance within the proof window is accepted there.
   *
   * @default false
   */
  readonly replayTable?: boolean;
}

/** Properties of a {@link TokenAuthorizer}. */
export interface TokenAuthorizerProps extends FunctionLogGroupOptions, JwtVerificationProps {
  /**
   * Accept sender-constrained tokens: DPoP-bound tokens with a valid proof (the `DPoP` scheme)
   * and certificate-bound tokens with their client certificate (REST APIs on a custom domain with
   * mutual TLS). A proof is unique per request and no cached answer may skip it, so API Gateway's
   * result cache is turned off for both APIs (`restResultsCacheTtl`, `httpResultsCacheTtl` 0;
   * setting either is an error): every request invokes the function, which keeps resolved tokens
   * in memory and checks the proof. A `DPoP` identity source is not used: API Gateway would
   * answer 401 without calling the authorizer whenever the header is absent, breaking Bearer
   * requests. Certificate-bound tokens need no setting but arrive only through a mutual TLS
   * domain. REST TOKEN authorizers see no DPoP header and refuse every bound token.
   *
   * @default - off: every bound token is refused
   */
  readonly senderConstrainedTokens?: boolean | SenderConstrainedTokensProps;

  /**
   * Tolerance on `exp`, `nbf` and the record's `expiration` (whole seconds, at most 300).
   *
   * @default - the handler's default: 30 seconds
   */
  readonly clockSkew?: Duration;

  /**
   * The split-token table. Only its name is used: the authorizer reads the replica in its own
   * region (`arn:…:dynamodb:<this stack's region>:…:table/<name>`) and may do nothing else with
   * it. A {@link SplitTokenTable} also supplies its partition key name.
   *
   * @default - split-token resolution is off (introspection and/or JWT validation only)
   */
  readonly tokenTable?: SplitTokenTable | dynamodb.ITableV2 | dynamodb.ITable;

  /**
   * Partition key attribute of the table.
   *
   * @default - the SplitTokenTable's key, else 'hashed_signature'
   */
  readonly tokenTableKeyAttribute?: string;

  /**
   * Hash that keys records by the opaque token.
   *
   * @default - the handler's default: 'SHA-256'
   */
  readonly tokenHashAlgorithm?: 'SHA-256' | 'SHA-384' | 'SHA-512';

  /**
   * Home region of the global table (where the authorization server writes). When set and not
   * this stack's region, a token missing from the local replica is read once more from the home
   * region before the phantom-token fallback, and the role may also `GetItem` on the table there.
   *
   * Trade-off: global tables replicate in about a second, so a token used in another region right
   * after issue can miss the local replica. The second read closes that window, but every
   * unknown token (including random ones) then costs a cross-region round trip (tens to a few
   * hundred milliseconds) and a read in the home region, and the authorizer depends on the home
   * region being reachable for those tokens (a failing home read fails closed with 500). Without
   * it, such a token falls through to introspection (if configured) or is refused with 401 and
   * works on retry a moment later.
   *
   * @default - only the local replica is read
   */
  readonly tokenTableHomeRegion?: string;

  /**
   * Read the table with `ConsistentRead` (`TOKEN_TABLE_CONSISTENT_READ`). With a multi-Region
   * strongly consistent table (`SplitTokenTable` with `multiRegionConsistency: STRONG`) every
   * region then reads the latest write, so a new token resolves and a revoked one stops everywhere
   * at once (no replication lag, and no need for {@link tokenTableHomeRegion}). Each read then costs a
   * cross-region round trip and twice the read units, and fails closed (500) while this region
   * cannot reach a second one. With an eventually consistent global table it reads only the latest
   * write this region's replica has seen: no gain.
   *
   * @default - true for a SplitTokenTable created with STRONG consistency, false otherwise
   */
  readonly tokenTableConsistentReads?: boolean;

  /**
   * Deadline of one DynamoDB read, retries included.
   *
   * @default - the handler's default: 1 second
   */
  readonly dynamoDbTimeout?: Duration;

  /**
   * Phantom-token introspection for tokens not found in the table.
   *
   * @default - no introspection fallback
   */
  readonly introspection?: TokenIntrospectionProps;

  /**
   * Accept three-part JWTs from clients and verify them directly. Handing JWTs to clients leaks
   * their claims; keep it off unless clients already hold JWTs.
   *
   * @default false
   */
  readonly jwtValidationEnabled?: boolean;

  /**
   * The clients (`client_id` claim) meant to hold JWTs: with {@link jwtValidationEnabled}, a plain
   * JWT is accepted only from one of them. Required then, and only then. Give the same list as the
   * token endpoint proxy's `passThroughClientIds`: the JWT of any other client is a split or phantom
   * token's, which every backend receives and which outlives the token's revocation, so it must
   * never pass as a plain JWT. The check costs no I/O.
   *
   * @default - none (JWT validation off)
   */
  readonly jwtClientIds?: readonly string[];

  /**
   * Scopes each route needs. `method` may be `ANY`; `path` is the resource path as API Gateway
   * writes it (`/orders/{id}`, `/files/{proxy+}`). Serialized to one environment variable: the
   * whole environment must stay under Lambda's 4 KB.
   *
   * @default - no route rules: every route needs {@link defaultScopes}
   */
  readonly routeScopes?: readonly RouteScopeRule[];

  /**
   * Scopes required on routes no rule names.
   *
   * @default - none: any valid token may call unlisted routes
   */
  readonly defaultScopes?: readonly string[];

  /**
   * Upper bound on how long the handler keeps a resolved token in memory (never past its `exp`).
   * A revoked token is refused at most this time plus the API Gateway result cache time after its
   * revocation ({@link TokenAuthorizer.revocationBound}).
   *
   * @default - the handler's default: 30 seconds
   */
  readonly cacheTtl?: Duration;

  /**
   * Upper bound on tokens cached per Lambda instance.
   *
   * @default - the handler's default: 10000
   */
  readonly cacheMaxEntries?: number;

  /**
   * Longest Authorization header accepted, checked before any I/O.
   *
   * @default - the handler's default: 4096
   */
  readonly maxHeaderLength?: number;

  /**
   * How long the handler waits for the JWKS.
   *
   * @default - the handler's default: 3 seconds
   */
  readonly jwksTimeout?: Duration;

  /**
   * How long fetched JWKS keys are used before the set is fetched again: a key the issuer removes
   * stays trusted this long by warm instances (the emergency flush ends it at once).
   *
   * @default - the handler's default: 10 minutes
   */
  readonly jwksMaxAge?: Duration;

  /**
   * Minimum time between JWKS refetches triggered by an unknown `kid`.
   *
   * @default - the handler's default: 30 seconds
   */
  readonly jwksCooldown?: Duration;

  /**
   * How long the REST API caches an answer per token, method and path (0 turns caching off; at
   * most one hour). API Gateway keeps an answer this long whatever the token's `exp`, so a token
   * can pass until `exp` + clock skew + this time ({@link TokenAuthorizer.expiryBound}).
   *
   * @default Duration.seconds(30)
   */
  readonly restResultsCacheTtl?: Duration;

  /**
   * How long the HTTP API caches an answer per token, method and path (0 turns caching off; at
   * most one hour); see {@link restResultsCacheTtl}.
   *
   * @default Duration.seconds(30)
   */
  readonly httpResultsCacheTtl?: Duration;

  /**
   * Answers exact to the token's `exp` and to revocation: API Gateway's result cache and the
   * handler's in-memory cache are both off, so every request invokes the authorizer and resolves
   * the token again (a table read or an introspection each time). Cannot be combined with
   * {@link cacheTtl}, {@link restResultsCacheTtl} or {@link httpResultsCacheTtl}.
   *
   * @default false
   */
  readonly strictCaching?: boolean;

  /**
   * Lowest level the handler logs.
   *
   * @default - the handler's default: 'info'
   */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';

  /**
   * Memory of the function (CPU scales with it).
   *
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * Timeout of the function.
   *
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;

  /**
   * Concurrency reserved for (and capping) the authorizer: with the handler's per-instance rate
   * limit it bounds the load random tokens can put on DynamoDB and the authorization server.
   *
   * @default - no reservation, the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The token authorizer: the handler in `lambda/authorizer-handler.ts` as a bundled Lambda
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
   * in-memory cache time plus the API's result cache time (lambda/cache-staleness.ts). Split
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

const ROUTE_METHODS = new Set(['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

function tableArnIn(scope: Construct, tableName: string, region: string): string {
  return Stack.of(scope).formatArn({ service: 'dynamodb', region, resource: 'table', resourceName: tableName });
}

function seconds(value: Duration | undefined): string | undefined {
  return value === undefined ? undefined : String(value.toSeconds());
}

function validateProps(props: TokenAuthorizerProps): void {
  const fail = (message: string): never => {
    throw new Error(`TokenAuthorizer: ${message}`);
  };
  if (!isHttpsUrl(props.issuer)) fail(`issuer must be an https URL, got '${props.issuer}'.`);
  if (!isHttpsUrl(props.jwksUri)) fail(`jwksUri must be an https URL, got '${props.jwksUri}'.`);
  if (props.audiences.length === 0 || props.audiences.some((a) => a.length === 0 || a.includes(','))) {
    fail('audiences must be a non-empty list of non-empty values without commas.');
  }
  for (const name of ['allowedAlgorithms', 'defaultScopes', 'jwtClientIds'] as const) {
    const list = props[name];
    if (list?.some((item) => item.length === 0 || item.includes(','))) {
      fail(`${name} must not contain empty values or commas.`);
    }
  }
  if (props.allowedAlgorithms?.some((alg) => alg === 'none' || /^HS/i.test(alg))) {
    fail('allowedAlgorithms must not contain none or HMAC algorithms (HS256/384/512).');
  }
  for (const rule of props.routeScopes ?? []) {
    if (!ROUTE_METHODS.has(rule.method.toUpperCase())) {
      fail(`routeScopes: unknown method '${rule.method}' (use ${[...ROUTE_METHODS].join(', ')}).`);
    }
    if (!rule.path.startsWith('/')) fail(`routeScopes: path '${rule.path}' must start with '/'.`);
    if (!Array.isArray(rule.scopes) || rule.scopes.some((s) => typeof s !== 'string' || s.length === 0)) {
      fail(`routeScopes: scopes of ${rule.method} ${rule.path} must be a list of non-empty strings.`);
    }
  }
  for (const [name, ttl] of [
    ['restResultsCacheTtl', props.restResultsCacheTtl],
    ['httpResultsCacheTtl', props.httpResultsCacheTtl],
  ] as const) {
    if (ttl !== undefined && ttl.toSeconds() > 3600) fail(`${name} must be at most one hour.`);
  }
  const constrained = props.senderConstrainedTokens !== undefined && props.senderConstrainedTokens !== false;
  if (
    constrained &&
    ((props.restResultsCacheTtl?.toSeconds() ?? 0) > 0 || (props.httpResultsCacheTtl?.toSeconds() ?? 0) > 0)
  ) {
    fail(
      "senderConstrainedTokens turns API Gateway's result cache off (a cached answer would skip the proof); do not set restResultsCacheTtl or httpResultsCacheTtl.",
    );
  }
  const maxAge =
    typeof props.senderConstrainedTokens === 'object' ? props.senderConstrainedTokens.proofMaxAge : undefined;
  if (maxAge !== undefined && (maxAge.toSeconds() < 1 || maxAge.toSeconds() > 300)) {
    fail('senderConstrainedTokens.proofMaxAge must be from 1 second to 5 minutes.');
  }
  if (
    props.strictCaching &&
    (props.cacheTtl !== undefined || props.restResultsCacheTtl !== undefined || props.httpResultsCacheTtl !== undefined)
  ) {
    fail('strictCaching turns every cache off; do not also set cacheTtl, restResultsCacheTtl or httpResultsCacheTtl.');
  }
  if (props.tokenTableHomeRegion !== undefined && !props.tokenTable) {
    fail('tokenTableHomeRegion requires tokenTable.');
  }
  if (props.tokenTableConsistentReads !== undefined && !props.tokenTable) {
    fail('tokenTableConsistentReads requires tokenTable.');
  }
  if (props.tokenHashAlgorithm !== undefined && !props.tokenTable) {
    fail('tokenHashAlgorithm requires tokenTable.');
  }
  if (props.tokenTableKeyAttribute !== undefined && !props.tokenTable) {
    fail('tokenTableKeyAttribute requires tokenTable.');
  }
  const introspection = props.introspection;
  if (introspection) {
    if (!isHttpsUrl(introspection.endpoint)) {
      fail(`introspection.endpoint must be an https URL, got '${introspection.endpoint}'.`);
    }
    if (introspection.existingClientSecret && introspection.clientSecretProps) {
      fail('introspection.existingClientSecret and introspection.clientSecretProps cannot both be set; choose one.');
    }
    const shapeProblem = introspection.tokenShape && opaqueTokenShapeProblem(introspection.tokenShape);
    if (shapeProblem) fail(`introspection.tokenShape describes no token: ${shapeProblem}.`);
  }
  if (props.jwtValidationEnabled && !props.jwtClientIds?.length) {
    fail('jwtValidationEnabled requires jwtClientIds: the clients meant to hold JWTs (the proxy pass-through list).');
  }
  if (!props.jwtValidationEnabled && props.jwtClientIds?.length) {
    fail('jwtClientIds requires jwtValidationEnabled.');
  }
  if (!props.tokenTable && !props.introspection && !props.jwtValidationEnabled) {
    fail('nothing can resolve a token: give tokenTable, introspection, or jwtValidationEnabled.');
  }
}

function assertEnvironmentSize(env: Record<string, string>): void {
  // Tokens (table name, secret ARN) resolve later; count them at a generous 256 bytes each.
  let size = 0;
  for (const [key, value] of Object.entries(env)) {
    size += key.length + (Token.isUnresolved(value) ? 256 : Buffer.byteLength(value, 'utf8'));
  }
  if (size > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
    throw new Error(
      `TokenAuthorizer: the environment would be about ${size} bytes, over Lambda's 4 KB limit; ` +
        'shorten routeScopes (fewer rules, shared scopes) or move defaults to defaultScopes.',
    );
  }
}
