import type { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { OpaqueTokenShape } from '../lambda/core/opaque-token-shape.ts';
import type { RouteScopeRule } from '../lambda/core/route-scopes.ts';
import type { JwtVerificationProps } from './jwt-verification-props.ts';
import type { FunctionLogGroupOptions } from './lambda-defaults.ts';
import type { SplitTokenTable } from './split-token-table.ts';

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
