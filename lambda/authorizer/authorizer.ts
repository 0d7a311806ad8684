import {
  type AuthorizerAnswer,
  AuthorizerAnswers,
  UnauthorizedError,
} from '../adapters/api-gateway/authorizer-answer.ts';
import { type AuthorizerRequest, readAuthorizerEvent } from '../adapters/api-gateway/authorizer-event.ts';
import { sourceAddressOf } from '../adapters/api-gateway/source-address.ts';
import { credentialsFromEnvironment } from '../adapters/dynamodb-json-api.ts';
import { HttpIntrospector } from '../adapters/http-introspector.ts';
import { JsonLog, metricFields } from '../adapters/json-log.ts';
import { nodeJoseCrypto } from '../adapters/node-crypto.ts';
import { NodeHttpClient } from '../adapters/node-http-client.ts';
import { ReplicaFallbackTokenStore } from '../adapters/replica-fallback-token-store.ts';
import { SigV4DynamoDbProofReplayTable } from '../adapters/sigv4-dynamodb-proof-replay-table.ts';
import { SigV4DynamoDbTokenStore } from '../adapters/sigv4-dynamodb-token-store.ts';
import type { AwsCredentials } from '../adapters/sigv4-signer.ts';
import type { JoseCrypto } from '../core/crypto-port.ts';
import { DependencyError, isDependencyError } from '../core/dependency-error.ts';
import { DpopProofVerifier } from '../core/dpop-proof.ts';
import type { HttpClient } from '../core/http-client.ts';
import type { JsonWebKeySet } from '../core/jwk-set.ts';
import type { JwksSource } from '../core/jwks-source.ts';
import { JwtVerifier } from '../core/jwt-verifier.ts';
import type { Clock, TokenStore } from '../core/ports.ts';
import { LayeredProofReplayGuard, MemoryProofReplayCache, type ProofReplayGuard } from '../core/proof-replay.ts';
import { TokenBucket } from '../core/rate-limiter.ts';
import { RemoteJwks } from '../core/remote-jwks.ts';
import type { Decision } from '../core/resolved-token.ts';
import { ResolvedTokenCache } from '../core/resolved-token-cache.ts';
import { RouteScopePolicy } from '../core/route-scopes.ts';
import { SourceRateLimiter } from '../core/source-rate-limiter.ts';
import { type PhantomTokenSettings, type SplitTokenSettings, TokenResolver } from '../core/token-resolver.ts';
import { type AuthorizerConfig, assertJwtClientIds, ConfigurationError } from './config.ts';
import { AuthorizerMetrics } from './metrics.ts';

/** Parts the composition root makes itself unless given (tests, the local stack). */
export interface AuthorizerDependencies {
  /** @default a JSON log on standard output at the configured level */
  readonly log?: JsonLog;
  /** @default Date.now */
  readonly clock?: Clock;
  /**
   * How introspection, the JWKS and DynamoDB reach HTTP.
   * @default a {@link NodeHttpClient} of this authorizer's own (node:https, keep-alive)
   */
  readonly http?: HttpClient;
  /**
   * Makes the token store reading the table in a region (undefined: the function's own).
   * @default a SigV4-signed GetItem store with {@link awsCredentials}
   */
  readonly tokenStoreFor?: (region: string | undefined) => TokenStore;
  /** Credentials that sign DynamoDB reads. @default the Lambda's, from AWS_ACCESS_KEY_ID and friends */
  readonly awsCredentials?: AwsCredentials;
  /** The function's region, used when the configuration names none. @default AWS_REGION */
  readonly awsRegion?: string;
  /** Keys to verify with instead of the issuer's JWKS. @default the remote JWKS at `jwksUri` */
  readonly jwks?: JsonWebKeySet;
  /**
   * The issuer's remote JWKS, made beforehand ({@link remoteJwksFor}) so that its first fetch can
   * start before the rest of the authorizer exists (Lambda init). Ignored when {@link jwks} is given.
   * @default one made here, fetched on first use
   */
  readonly jwksSource?: JwksSource;
  /** Digests and signature checks. @default node:crypto ({@link nodeJoseCrypto}) */
  readonly crypto?: JoseCrypto;
  /** Function name the emitted metrics are dimensioned by. @default 'local' */
  readonly functionName?: string;
  /**
   * The DPoP replay guard every instance shares, when the configuration names a replay table.
   * @default a SigV4-signed conditional PutItem on that table ({@link SigV4DynamoDbProofReplayTable})
   */
  readonly sharedProofReplayGuard?: ProofReplayGuard;
}

/** An authorizer for any API Gateway event format: the answer, or an exception API Gateway maps. */
export type Authorizer = (event: unknown) => Promise<AuthorizerAnswer>;

/**
 * Wires adapters into the core from a validated configuration. Everything here runs once per
 * Lambda instance; the returned function is the per-request path.
 */
export function createAuthorizer(config: AuthorizerConfig, dependencies: AuthorizerDependencies = {}): Authorizer {
  assertJwtClientIds(config.jwtValidationEnabled, config.jwtClientIds);
  const log = dependencies.log ?? new JsonLog({ level: config.logLevel });
  const clock = dependencies.clock ?? Date.now;
  const crypto = dependencies.crypto ?? nodeJoseCrypto;
  const routes = new RouteScopePolicy(config.routeScopes, config.defaultScopes);
  const answers = new AuthorizerAnswers(config.httpApiResponseFormat);
  const functionName = dependencies.functionName ?? 'local';
  const http = dependencies.http ?? new NodeHttpClient();
  const metricDimensions = (code: string) => ({ [AuthorizerMetrics.functionDimension]: functionName, code });
  const resolver = new TokenResolver({
    verifier: new JwtVerifier({
      issuer: config.issuer,
      jwksUri: config.jwksUri,
      allowedAlgorithms: config.allowedAlgorithms,
      clockSkewSeconds: config.clockSkewSeconds,
      jwksTimeoutMs: config.jwksTimeoutMs,
      jwksCooldownMs: config.jwksCooldownMs,
      clock,
      crypto,
      ...(dependencies.jwks
        ? { jwks: dependencies.jwks }
        : { keySource: dependencies.jwksSource ?? remoteJwksFor(config, http, clock) }),
      onKeySetProblem: ({ kid, reason }) =>
        log.warn('issuer key set problem', {
          kid,
          reason,
          ...metricFields(AuthorizerMetrics.namespace, AuthorizerMetrics.keySetProblems, {
            [AuthorizerMetrics.functionDimension]: functionName,
          }),
        }),
    }),
    audiences: config.audiences,
    requiredTokenType: config.requiredTokenType,
    clockSkewSeconds: config.clockSkewSeconds,
    split: splitSettings(config, dependencies, http),
    phantom: phantomSettings(config, http),
    jwtValidationEnabled: config.jwtValidationEnabled,
    jwtClientIds: config.jwtClientIds,
    routes,
    cache: new ResolvedTokenCache({ maxEntries: config.cacheMaxEntries, ttlSeconds: config.cacheTtlSeconds }),
    maxHeaderLength: config.maxHeaderLength,
    clock,
    crypto,
    ...(config.dpop ? { dpop: dpopVerifier(config, dependencies, clock, crypto, http) } : {}),
  });

  const failClosed = (error: unknown, route: string): never => {
    const code = isDependencyError(error) ? error.code : 'internal_error';
    log.error('authorizer dependency failed', {
      route,
      code,
      // Our own dependency errors carry token-free messages; anything else is logged by name only.
      detail: isDependencyError(error) ? error.message : error instanceof Error ? error.name : 'unknown',
      ...metricFields(AuthorizerMetrics.namespace, AuthorizerMetrics.dependencyFailures, metricDimensions(code), [
        [AuthorizerMetrics.functionDimension],
        [AuthorizerMetrics.functionDimension, 'code'],
      ]),
    });
    // Any exception but "Unauthorized" makes API Gateway answer 500: fail closed, not 401.
    throw new Error(`Authorizer dependency failed: ${code}`);
  };
  const answer = (request: AuthorizerRequest, decision: Decision): AuthorizerAnswer => {
    if (decision.effect === 'allow') {
      if (log.enabled('debug')) {
        log.debug('allowed', {
          route: routeLabel(request),
          tokenId: decision.token.tokenId,
          tokenType: decision.token.tokenType,
          cached: decision.cached,
        });
      }
    } else {
      log.info('denied', {
        route: routeLabel(request),
        tokenId: decision.tokenId,
        error: decision.error,
        reason: decision.reason,
        ...(decision.detail === undefined ? {} : { detail: decision.detail }),
      });
    }
    return answers.answer(request, decision);
  };

  /** Whether a miss has had the credential-free work done during its I/O (once per instance: see below). */
  let preparedAhead = false;

  // Not async: a cache hit or a malformed credential is answered without awaiting anything, so the
  // hot path costs one promise, not a chain of them.
  return (event) => {
    try {
      const request = readAuthorizerEvent(event);
      if (request.cacheKeyCoversRequest === false && config.httpApiRequireExactCacheKey) {
        // A simple answer cached under a key without the method and path would allow or deny every
        // request of the token: refuse to give one (a deployment fault, so a 500 and an alarm).
        failClosed(
          new DependencyError(
            'cache_key_not_exact',
            "The HTTP API authorizer's identity sources lack $context.httpMethod and $context.path",
          ),
          routeLabel(request),
        );
      }
      const authorization = {
        authorization: request.authorization,
        targets: request.targets,
        sourceAddress: sourceAddressOf(event),
        dpopProof: request.dpopProof,
        method: request.method,
        requestUri: request.requestUri,
        clientCertificatePem: request.clientCertificatePem,
      };
      const decision = resolver.resolveNow(authorization);
      if (!(decision instanceof Promise)) return Promise.resolve(answer(request, decision));
      if (!preparedAhead) {
        // A cold instance's first miss: its table read or introspection is sent by the time the
        // check phase runs, so the route rules and the key imports run while it is in flight
        // instead of after it, one step per turn of the event loop so that an answer that comes
        // meanwhile is not kept waiting. Later misses find the work done (or do it themselves).
        preparedAhead = true;
        const ahead = { steps: preparationsOf(resolver, request.targets), next: 0, answered: false };
        const markAnswered = () => {
          ahead.answered = true;
        };
        decision.then(markAnswered, markAnswered);
        setImmediate(prepareAhead, ahead);
      }
      return decision.then(
        (resolved) => answer(request, resolved),
        (error: unknown) => failClosed(error, routeLabel(request)),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/**
 * The issuer's JWKS as the configuration describes it, fetched through `http`. A composition root
 * may make it before {@link createAuthorizer} and start its first fetch early (`keys()`): a failed
 * fetch is not cached, the next verification fetches again.
 */
export function remoteJwksFor(
  config: Pick<AuthorizerConfig, 'jwksUri' | 'jwksTimeoutMs' | 'jwksCooldownMs' | 'jwksMaxAgeSeconds'>,
  http: HttpClient,
  clock: Clock = Date.now,
): RemoteJwks {
  return new RemoteJwks({
    url: config.jwksUri,
    timeoutMs: config.jwksTimeoutMs,
    cooldownMs: config.jwksCooldownMs,
    maxAgeMs: config.jwksMaxAgeSeconds * 1000,
    http,
    clock,
  });
}

/** {@link TokenResolver.preparations}, none when they cannot be listed: no answer may depend on them. */
function preparationsOf(resolver: TokenResolver, targets: AuthorizerRequest['targets']): readonly (() => void)[] {
  try {
    return resolver.preparations(targets);
  } catch {
    return [];
  }
}

/** Preparation steps of a miss ({@link TokenResolver.preparations}) and how far they have got. */
interface PreparationsAhead {
  readonly steps: readonly (() => void)[];
  next: number;
  /** The miss has its decision: the steps left are no longer ahead of anything. */
  answered: boolean;
}

/**
 * Runs the next step and schedules the one after, until the steps run out or the miss is answered.
 * Must not throw: a throw in a setImmediate callback ends the process.
 */
function prepareAhead(ahead: PreparationsAhead): void {
  if (ahead.answered) return;
  const step = ahead.steps[ahead.next++];
  if (step === undefined) return;
  try {
    step();
  } catch {
    // The request's own evaluation meets the same problem and answers for it.
  }
  setImmediate(prepareAhead, ahead);
}

/** The request for logs: paths are client input, so bounded (a path is not token material). */
function routeLabel(request: AuthorizerRequest): string {
  const target = request.targets[0];
  return target === undefined ? '' : `${target.method} ${target.path}`.slice(0, 256);
}

function splitSettings(
  config: AuthorizerConfig,
  dependencies: AuthorizerDependencies,
  http: HttpClient,
): SplitTokenSettings | undefined {
  if (!config.tokenTableName) return undefined;
  const functionRegion = dependencies.awsRegion ?? process.env.AWS_REGION;
  const storeIn =
    dependencies.tokenStoreFor ??
    ((region: string | undefined): TokenStore => {
      const signingRegion = region ?? functionRegion;
      if (!signingRegion)
        throw new ConfigurationError('AWS_REGION or TOKEN_TABLE_REGION is required to read the token table');
      return new SigV4DynamoDbTokenStore({
        tableName: config.tokenTableName as string,
        keyAttribute: config.tokenTableKeyAttribute,
        region: signingRegion,
        ...(config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint } : {}),
        credentials: dependencies.awsCredentials ?? credentialsFromEnvironment(process.env),
        timeoutMs: config.dynamoDbTimeoutMs,
        consistentRead: config.tokenTableConsistentRead ?? false,
        http,
      });
    });
  const local = storeIn(config.tokenTableRegion);
  const store =
    config.tokenTableHomeRegion && config.tokenTableHomeRegion !== config.tokenTableRegion
      ? new ReplicaFallbackTokenStore(local, storeIn(config.tokenTableHomeRegion))
      : local;
  return { store, hashAlgorithm: config.tokenHashAlgorithm };
}

/**
 * The DPoP proof checks: per-instance replay memory, and with a replay table a conditional put
 * every instance shares (its own failure is a 500, never an accepted replay).
 */
function dpopVerifier(
  config: AuthorizerConfig,
  dependencies: AuthorizerDependencies,
  clock: Clock,
  crypto: JoseCrypto,
  http: HttpClient,
): DpopProofVerifier {
  const dpop = config.dpop as NonNullable<AuthorizerConfig['dpop']>;
  const memory = new MemoryProofReplayCache({ maxEntries: dpop.replayCacheMaxEntries, clock });
  let replay: ProofReplayGuard = memory;
  if (dpop.replayTableName !== undefined) {
    const region = dependencies.awsRegion ?? process.env.AWS_REGION;
    if (dependencies.sharedProofReplayGuard === undefined && !region) {
      throw new ConfigurationError('AWS_REGION is required to write the DPoP replay table');
    }
    const shared =
      dependencies.sharedProofReplayGuard ??
      new SigV4DynamoDbProofReplayTable({
        tableName: dpop.replayTableName,
        region: region as string,
        ...(config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint } : {}),
        credentials: dependencies.awsCredentials ?? credentialsFromEnvironment(process.env),
        timeoutMs: config.dynamoDbTimeoutMs,
        clock,
        http,
      });
    replay = new LayeredProofReplayGuard(memory, shared);
  }
  return new DpopProofVerifier({
    allowedAlgorithms: dpop.allowedAlgorithms,
    maxAgeSeconds: dpop.proofMaxAgeSeconds,
    clockSkewSeconds: config.clockSkewSeconds,
    replay,
    crypto,
    clock,
  });
}

function phantomSettings(config: AuthorizerConfig, http: HttpClient): PhantomTokenSettings | undefined {
  const introspection = config.introspection;
  if (!introspection) return undefined;
  return {
    introspector: new HttpIntrospector({
      endpoint: introspection.endpoint,
      clientId: introspection.clientId,
      clientSecret: introspection.clientSecret,
      clientAuthMethod: introspection.clientAuthMethod,
      responseFormat: introspection.responseFormat,
      timeoutMs: introspection.timeoutMs,
      http,
    }),
    responseAudience: introspection.responseAudience,
    rateLimiter: new TokenBucket({ ratePerSecond: introspection.ratePerSecond, burst: introspection.burst }),
    sourceRateLimiter: new SourceRateLimiter({
      ratePerSecond: introspection.sourceRatePerSecond,
      burst: introspection.sourceBurst,
      maxSources: introspection.maxSources,
    }),
    ...(introspection.tokenShape ? { tokenShape: introspection.tokenShape } : {}),
    requireAudience: introspection.requireAudience,
  };
}

export { UnauthorizedError };
