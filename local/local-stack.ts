import { randomBytes } from 'node:crypto';
import { JsonLog, type LogLevel } from '../lambda/adapters/json-log.ts';
import { nodeJoseCrypto } from '../lambda/adapters/node-crypto.ts';
import { NodeHttpClient } from '../lambda/adapters/node-http-client.ts';
import { SigV4DynamoDbTokenWriter } from '../lambda/adapters/sigv4-dynamodb-token-writer.ts';
import {
  type AuthorizerConfig,
  DEFAULT_DPOP_ALGORITHMS,
  DEFAULT_DPOP_PROOF_MAX_AGE_SECONDS,
} from '../lambda/authorizer/config.ts';
import {
  DEFAULT_CLOCK_SKEW_SECONDS,
  expiryBoundSeconds,
  revocationBoundSeconds,
} from '../lambda/core/cache-staleness.ts';
import { AuthorizationServerFront } from '../lambda/core/issuing/authorization-server-front.ts';
import { TokenEndpointProxy } from '../lambda/core/issuing/token-endpoint-proxy.ts';
import type { RouteScopeRule } from '../lambda/core/route-scopes.ts';
import { withCorsPreflightRoutes } from '../lib/api-routes.ts';
import {
  HTTP_AUTHORIZER_IDENTITY_SOURCES,
  REST_AUTHORIZER_IDENTITY_SOURCES,
} from '../lib/authorizer-identity-sources.ts';
import { type CorsOptions, resolveCorsSettings } from '../lib/cors.ts';
import {
  EXAMPLE_API_ROUTES,
  EXAMPLE_ROUTE_SCOPES,
  HTTP_CONTEXT_HEADERS,
  HTTP_STAGE_NAME,
  REST_CONTEXT_HEADERS,
  REST_STAGE_NAME,
} from '../lib/example-api.ts';
import { PROTECTED_RESOURCE_METADATA_PATH, protectedResourceMetadata } from '../lib/protected-resource-metadata.ts';
import { restGatewayResponses } from '../lib/rest-gateway-responses.ts';
import type { GatewayEventFormat, MethodArnPath } from './api-gateway/authorizer-events.ts';
import {
  AUTHORIZATION_SERVER_PATHS,
  type ClientCredentials,
  MTLS_CLIENT_IDS,
  OPAQUE_TOKEN_SHAPE,
  startAuthorizationServer,
} from './authorization-server.ts';
import { startDemoBackend } from './demo-backend.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './dynamodb-client.ts';
import { startDynamoDbWriteTap } from './dynamodb-write-tap.ts';
import { listenFrontServer } from './front-server.ts';
import type { LocalGateway } from './local-gateway.ts';
import { type LocalRegion, type RegionGatewayOptions, startLocalRegion } from './local-region.ts';
import type { OutageSwitch } from './loopback-http.ts';
import { type CertifiedKey, createLocalCertificateAuthority } from './mutual-tls-certificates.ts';
import { TableReplicator } from './table-replicator.ts';

/** The scopes the local authorization server offers: every scope the example rules name. */
export const DEMO_SCOPES: readonly string[] = [...new Set(EXAMPLE_ROUTE_SCOPES.flatMap((rule) => rule.scopes))];

/**
 * The header the front adds to every request it passes on, without which the authorization server
 * answers 403: it stands in for a network only the front reaches (see the README's deploy section).
 */
export const FRONT_VERIFICATION_HEADER = 'x-front-verification';

/**
 * Fixed, public secrets for the demo clients, so the README's curl walkthrough can be copied as
 * written. Only for the local stack on 127.0.0.1; the introspector's secret stays random.
 */
export const DEMO_CLIENT_SECRETS = {
  split: 'split-secret',
  phantom: 'phantom-secret',
  jwt: 'jwt-secret',
} as const;

const TABLE_NAME = 'split-tokens';
const KEY_ATTRIBUTE = 'hashed_signature';

/** How long the local replicator waits before it applies a home-table write to the other replicas, unless told. */
export const DEFAULT_REPLICATION_LAG_MS = 1000;

/** Options for {@link startLocalStack}. */
export interface LocalStackOptions {
  /** Gateway port on 127.0.0.1. @default 0 (a free port) */
  readonly port?: number;
  /**
   * Port of the authorization server's front on 127.0.0.1: its origin is the issuer clients
   * discover from. @default 0 (a free port)
   */
  readonly issuerPort?: number;
  /**
   * Whether the authorizer accepts plain JWTs (from `jwt-client` only). Deployed gateways have it
   * off by default; then `jwt-client`'s JWTs are refused like any other plain JWT.
   * @default true
   */
  readonly jwtValidation?: boolean;
  /** Event format the gateway hands the authorizer. @default 'rest' */
  readonly eventFormat?: GatewayEventFormat;
  /** The authorizer's in-memory cache time. @default 10 */
  readonly cacheTtlSeconds?: number;
  /** The gateway's authorizer result cache time. @default {@link cacheTtlSeconds} */
  readonly gatewayCacheTtlSeconds?: number;
  /** The HTTP API's stage (`GATEWAY_EVENT_FORMAT=http`): a named stage prefixes every path. @default '$default' */
  readonly httpStage?: string;
  /** What REST method ARNs hold for non-canonical paths (undocumented by AWS). @default 'as-sent' */
  readonly methodArnPath?: MethodArnPath;
  /** Tolerance on `exp`. @default 30 */
  readonly clockSkewSeconds?: number;
  /** Lifetime of issued access tokens. @default 300 */
  readonly accessTokenTtlSeconds?: number;
  /** Secrets of the demo clients. @default 32 random bytes each (see {@link DEMO_CLIENT_SECRETS}) */
  readonly clientSecrets?: Partial<Readonly<Record<'split' | 'phantom' | 'jwt', string>>>;
  /**
   * Sender-constrained tokens: the authorizer accepts DPoP (RFC 9449) and certificate-bound tokens
   * (RFC 8705) with their proofs, and the gateway's result cache is off, as the constructs'
   * `senderConstrainedTokens` deploys it (a cached answer would skip the proof).
   * @default false
   */
  readonly senderConstrained?: boolean;
  /** How old a DPoP proof may be. @default {@link DEFAULT_DPOP_PROOF_MAX_AGE_SECONDS} */
  readonly dpopProofMaxAgeSeconds?: number;
  /**
   * Certificate-bound tokens (RFC 8705) as on AWS with mutual TLS custom domains: the same API on a
   * second gateway over HTTPS that requires a client certificate, the front on a second HTTPS host
   * (the server's mTLS endpoint alias) passing the certificate on, and oidc-provider binding the
   * mTLS clients' tokens to it. Certificates come from the openssl command line. @default false
   */
  readonly mutualTls?: boolean;
  /** The scope rules. @default the example API's ({@link EXAMPLE_ROUTE_SCOPES}) */
  readonly routeScopes?: readonly RouteScopeRule[];
  /** @default 'info' */
  readonly logLevel?: LogLevel;
  /** Where log lines go. @default standard error */
  readonly writeLog?: (line: string) => void;
  /**
   * Regions, the home region first: each gets its own gateway, authorizer and replica of the token
   * table (a dynalite of its own). The token endpoint proxy writes to the home region's table; a
   * replicator applies each write to the other replicas after {@link replicationLagMs}. Given, the
   * ready line also lists the regions and the lag.
   * @default - one region, us-east-1, and a ready line without `regions`
   */
  readonly regions?: readonly string[];
  /** Gateway ports of the regions after the first (the first is on {@link port}). @default 0 each (free ports) */
  readonly regionPorts?: Readonly<Record<string, number>>;
  /** How long after the home table accepted a write the other replicas get it. @default {@link DEFAULT_REPLICATION_LAG_MS} */
  readonly replicationLagMs?: number;
  /**
   * Whether the authorizers outside the home region read the home table after a miss in their own
   * replica (`TOKEN_TABLE_HOME_REGION`).
   * @default false
   */
  readonly homeRegionFallback?: boolean;
  /**
   * Browser pages (CORS), as the constructs deploy it: both API types answer preflights without a
   * token through public preflight routes, the demo backend adds the headers REST proxy answers
   * need, and REST gateway responses carry them. @default no CORS
   */
  readonly cors?: CorsOptions;
}

/** A region as the ready line lists it. */
export interface ReadyRegion {
  readonly region: string;
  /** The API's invoke URL in this region. */
  readonly gateway: string;
  /** Whether this region holds the home table, the one the token endpoint proxy writes to. */
  readonly home: boolean;
}

/** The line `npm start` prints on standard output once everything is up. */
export interface ReadyLine {
  readonly event: 'ready';
  /** The API's invoke URL. */
  readonly gateway: string;
  /** The issuer clients discover from: the authorization server's front (`/.well-known/openid-configuration` under it). */
  readonly issuer: string;
  /** The token endpoint discovery advertises: on the front, which splits JWT access tokens. */
  readonly tokenEndpoint: string;
  /** The revocation endpoint discovery advertises: on the front, which deletes split tokens' records. */
  readonly revocationEndpoint: string;
  readonly jwksUri: string;
  readonly clients: {
    readonly split: ClientCredentials;
    readonly phantom: ClientCredentials;
    readonly jwt: ClientCredentials;
  };
  /** The scope rules (finer than the API's routes). */
  readonly routes: readonly RouteScopeRule[];
  /**
   * How stale an answer can get (see lambda/core/cache-staleness.ts), in seconds; with several regions,
   * in the regions that read a replica (the replication lag included).
   */
  readonly staleness: { readonly afterRevocation: number; readonly afterExpiry: number };
  /** The regions, the home region first (only when regions were asked for). */
  readonly regions?: readonly ReadyRegion[];
  /** How long after the home table accepted a write the other replicas get it (only with {@link regions}). */
  readonly replicationLagMs?: number;
  /** The API's RFC 9728 metadata, served without a token. */
  readonly protectedResourceMetadata: string;
  /** The origins whose pages may call the API (CORS), when CORS is on. */
  readonly corsAllowedOrigins?: readonly string[];
  /** DPoP proof algorithms accepted, when sender-constrained tokens are on. */
  readonly dpopAlgorithms?: readonly string[];
  /** With mutual TLS: the API and the token endpoint on hosts that require a client certificate. */
  readonly mutualTls?: {
    readonly gateway: string;
    readonly tokenEndpoint: string;
    /** The local CA (PEM file) the servers' and clients' certificates chain to. */
    readonly caFile: string;
    /** A client certificate and key for the walkthrough (curl `--cert`, `--key`). */
    readonly clientCertFile: string;
    readonly clientKeyFile: string;
    /** Clients whose tokens are bound to their certificate. */
    readonly clients: {
      readonly split: ClientCredentials;
      readonly phantom: ClientCredentials;
      readonly jwt: ClientCredentials;
    };
  };
}

/** One region of a running local stack. */
export interface LocalStackRegion {
  readonly region: string;
  readonly home: boolean;
  /** The API's invoke URL in this region. */
  readonly gateway: string;
  /** The gateway's authorization step (its authorizer invocation count). */
  readonly gatewayAuthorization: LocalGateway['authorization'];
  /** `http://127.0.0.1:PORT` of this region's replica itself (for tests that read or tamper with it). */
  readonly tableEndpoint: string;
  /** The emergency flush in this region only. */
  flushAuthorizerCaches(): void;
}

/** A running local stack. */
export interface LocalStack {
  readonly ready: ReadyLine;
  readonly eventFormat: GatewayEventFormat;
  readonly cacheTtlSeconds: number;
  readonly gatewayCacheTtlSeconds: number;
  /** The home region gateway's authorization step (its authorizer invocation count). */
  readonly gatewayAuthorization: LocalGateway['authorization'];
  /**
   * The emergency flush, in every region: empties each gateway's authorizer result cache and replaces
   * each authorizer with a fresh instance, as a new Lambda configuration version retires warm instances.
   */
  flushAuthorizerCaches(): void;
  /** Every region, the home region first (one with a single region). */
  readonly regions: readonly LocalStackRegion[];
  /** Whether the authorizer accepts plain JWTs (of `jwt-client`). */
  readonly jwtValidation: boolean;
  /**
   * Where the authorization server itself listens: closed to anyone but the front (403 without
   * its {@link FRONT_VERIFICATION_HEADER}), as it must be on AWS.
   */
  readonly authorizationServer: { readonly origin: string };
  /** A client of the authorization code (PAR allowed) and device grants, for tests of the browser-facing endpoints. */
  readonly browserClient: ClientCredentials & { readonly redirectUri: string };
  /**
   * The home split-token table as its writers reach it (for tests that tamper with records): with
   * several regions, the tap whose writes are replicated; with one, the in-memory DynamoDB API itself.
   */
  readonly dynamoDb: { readonly endpoint: string; readonly tableName: string; readonly keyAttribute: string };
  /** Outage switches of the embedded dependencies, for fault injection (the soak, tests). */
  readonly outages: {
    /** The home table (the home region's replica). */
    readonly dynamoDb: OutageSwitch;
    readonly authorizationServer: OutageSwitch;
    /** Each region's replica by region name; the home region's is the home table. */
    readonly replicas: Readonly<Record<string, OutageSwitch>>;
    /** The replicator: "down" is paused, applying nothing and losing nothing (only with several regions). */
    readonly replicator?: OutageSwitch;
  };
  /** With mutual TLS: a new client certificate from the local CA. */
  issueClientCertificate(commonName: string): CertifiedKey;
  /** Stops every part, the replication and the gateways before what they call. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts the whole system on 127.0.0.1, no AWS and no Docker: oidc-provider as the authorization
 * server behind its front (the issuer's origin: every path passed through, the token and revocation
 * endpoints through the token endpoint proxy), the demo backend, and per region a dynalite in memory
 * with that region's replica of the token table and the local gateway invoking the same authorizer
 * the Lambda runs (see {@link startLocalRegion}). With several regions the proxy writes to the home
 * table through a tap that reports every accepted write, and a replicator applies them to the other
 * replicas after the configured lag. A client that discovers the server from the issuer gets split
 * tokens for `split-client`, opaque (phantom) tokens for `phantom-client` and plain JWTs for
 * `jwt-client` (a pass-through client).
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const eventFormat = options.eventFormat ?? 'rest';
  const cacheTtlSeconds = options.cacheTtlSeconds ?? 10;
  const senderConstrained = options.senderConstrained ?? false;
  if (senderConstrained && (options.gatewayCacheTtlSeconds ?? 0) !== 0) {
    throw new TypeError(
      'senderConstrained runs the gateway without its result cache: leave gatewayCacheTtlSeconds unset',
    );
  }
  const gatewayCacheTtlSeconds = senderConstrained ? 0 : (options.gatewayCacheTtlSeconds ?? cacheTtlSeconds);
  const routeScopes = options.routeScopes ?? EXAMPLE_ROUTE_SCOPES;
  const cors = options.cors && resolveCorsSettings(options.cors, EXAMPLE_API_ROUTES);
  const clockSkewSeconds = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const regionNames = regionsOf(options.regions);
  const [homeRegionName, ...otherRegionNames] = regionNames as [string, ...string[]];
  const replicationLagMs = options.replicationLagMs ?? DEFAULT_REPLICATION_LAG_MS;
  if (!Number.isFinite(replicationLagMs) || replicationLagMs < 0) {
    throw new Error('replicationLagMs must be 0 or more');
  }
  const writeLog = options.writeLog ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log = new JsonLog({ level: options.logLevel ?? 'info', write: writeLog });
  const stoppers: (() => Promise<void> | void)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stoppers.splice(0).reverse()) await stop();
  };

  try {
    const certificateAuthority = options.mutualTls ? createLocalCertificateAuthority() : undefined;
    if (certificateAuthority) stoppers.push(() => certificateAuthority.remove());
    // The front's origin is the issuer, so it listens before the server that takes it as such.
    const frontServer = await listenFrontServer({ port: options.issuerPort ?? 0 });
    stoppers.push(() => frontServer.stop());
    const issuer = frontServer.origin;
    const verificationHeader = { name: FRONT_VERIFICATION_HEADER, value: randomBytes(32).toString('base64url') };
    const as = await startAuthorizationServer({
      front: { issuer, verificationHeader },
      scopes: DEMO_SCOPES,
      ...(options.accessTokenTtlSeconds === undefined ? {} : { accessTokenTtlSeconds: options.accessTokenTtlSeconds }),
      ...(options.clientSecrets === undefined ? {} : { clientSecrets: options.clientSecrets }),
      ...(certificateAuthority ? { certificateBoundTokens: true } : {}),
    });
    stoppers.push(() => as.stop());

    // What clients and the gateway know of the server: its public URLs, on the front.
    const publicUrl = (path: string) => `${issuer}${path}`;
    const jwksUri = publicUrl(AUTHORIZATION_SERVER_PATHS.jwks);

    const backend = await startDemoBackend({
      issuer,
      jwksUri,
      audiences: [as.audience],
      introspectionAudience: as.clients.introspector.clientId,
      jwtHeader: eventFormat === 'rest' ? 'authorization' : 'x-verified-jwt',
      // Behind a REST proxy integration the backend adds the CORS headers itself (the HTTP API drops them).
      ...(cors === undefined ? {} : { cors }),
    });
    stoppers.push(() => backend.stop());

    // One list feeds both sides, so they cannot drift: the proxy hands these clients their JWTs
    // unsplit, and the authorizer accepts plain JWTs from these clients only (never a split token's).
    const jwtClientIds = [as.clients.jwt.clientId, ...(certificateAuthority ? [MTLS_CLIENT_IDS.jwt] : [])];
    const jwtValidation = options.jwtValidation ?? true;
    // Every region's authorizer; where it reads the table is each region's (local/local-region.ts).
    const config: AuthorizerConfig = {
      issuer,
      jwksUri,
      audiences: [as.audience],
      allowedAlgorithms: ['RS256', 'ES256', 'EdDSA'],
      requiredTokenType: 'at+jwt',
      clockSkewSeconds,
      tokenTableName: TABLE_NAME,
      tokenTableKeyAttribute: KEY_ATTRIBUTE,
      tokenHashAlgorithm: 'SHA-256',
      tokenTableRegion: undefined,
      tokenTableHomeRegion: undefined,
      dynamoDbEndpoint: undefined,
      dynamoDbTimeoutMs: 1000,
      introspection: {
        endpoint: publicUrl(AUTHORIZATION_SERVER_PATHS.introspection),
        clientId: as.clients.introspector.clientId,
        clientSecret: as.clients.introspector.clientSecret,
        clientAuthMethod: 'client_secret_basic',
        responseFormat: 'token-introspection+jwt',
        responseAudience: as.clients.introspector.clientId,
        timeoutMs: 2000,
        ratePerSecond: 50,
        burst: 100,
        // Each address gets a fifth of the instance's budget: most local callers share 127.0.0.1.
        sourceRatePerSecond: 10,
        sourceBurst: 20,
        maxSources: 10_000,
        // oidc-provider's opaque tokens: anything else is refused without an introspection call.
        tokenShape: OPAQUE_TOKEN_SHAPE,
        requireAudience: true,
      },
      jwtValidationEnabled: jwtValidation,
      jwtClientIds: jwtValidation ? jwtClientIds : [],
      routeScopes,
      defaultScopes: [],
      cacheTtlSeconds,
      cacheMaxEntries: 10_000,
      maxHeaderLength: 4096,
      jwksTimeoutMs: 3000,
      jwksCooldownMs: 30_000,
      jwksMaxAgeSeconds: 600,
      httpApiResponseFormat: 'simple',
      httpApiRequireExactCacheKey: true,
      logLevel: options.logLevel ?? 'info',
      ...(senderConstrained
        ? {
            dpop: {
              allowedAlgorithms: DEFAULT_DPOP_ALGORITHMS,
              proofMaxAgeSeconds: options.dpopProofMaxAgeSeconds ?? DEFAULT_DPOP_PROOF_MAX_AGE_SECONDS,
              replayCacheMaxEntries: 100_000,
              replayTableName: undefined,
            },
          }
        : {}),
    };
    const dpopAlgorithms = config.dpop?.allowedAlgorithms;
    // Every region's gateway: the example API as the CDK app deploys it. The metadata and the 401 name
    // the gateway's own URL, which each gateway passes in (API Gateway resolves its own id into them).
    const gatewayOptions = (mutualTls: boolean): RegionGatewayOptions => ({
      format: eventFormat,
      stage: eventFormat === 'rest' ? REST_STAGE_NAME : (options.httpStage ?? HTTP_STAGE_NAME),
      routes: cors === undefined ? EXAMPLE_API_ROUTES : withCorsPreflightRoutes(EXAMPLE_API_ROUTES),
      ...(cors === undefined ? {} : { cors }),
      // Both example integrations are the demo backend here (on AWS: a backend function and an echo service).
      integrations: { claims: backend.url, echo: backend.url },
      identitySources: eventFormat === 'rest' ? REST_AUTHORIZER_IDENTITY_SOURCES : HTTP_AUTHORIZER_IDENTITY_SOURCES,
      resultsTtlSeconds: gatewayCacheTtlSeconds,
      contextHeaders: eventFormat === 'rest' ? REST_CONTEXT_HEADERS : HTTP_CONTEXT_HEADERS,
      staticIntegrations: (gatewayUrl) => ({
        'protected-resource-metadata': {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(
            protectedResourceMetadata({
              resource: gatewayUrl,
              authorizationServers: [issuer],
              routeScopes,
              ...(dpopAlgorithms ? { dpopAlgorithms } : {}),
              certificateBoundAccessTokens: mutualTls,
            }),
          ),
        },
      }),
      restGatewayResponses: (gatewayUrl) =>
        restGatewayResponses({
          ...(cors === undefined ? {} : { cors }),
          realm: 'opaque-token-gateway (local)',
          resourceMetadataUrl: `${gatewayUrl}${PROTECTED_RESOURCE_METADATA_PATH}`,
          ...(dpopAlgorithms ? { dpopAlgorithms } : {}),
        }),
      ...(options.methodArnPath ? { methodArnPath: options.methodArnPath } : {}),
      log,
    });
    const serverTls = certificateAuthority && {
      key: certificateAuthority.server.keyPem,
      cert: certificateAuthority.server.certPem,
      clientCa: certificateAuthority.caPem,
    };
    const regionSettings = { table: { tableName: TABLE_NAME, keyAttribute: KEY_ATTRIBUTE }, authorizerConfig: config };

    const home: LocalRegion = await startLocalRegion({
      ...regionSettings,
      region: homeRegionName,
      port: options.port ?? 0,
      gateway: gatewayOptions,
      // Certificate-bound tokens: the same API on a custom domain with mutual TLS (home region only).
      ...(serverTls ? { mutualTlsGateway: serverTls } : {}),
      log,
    });
    stoppers.push(() => home.stop());
    const others: LocalRegion[] = [];
    for (const region of otherRegionNames) {
      const started = await startLocalRegion({
        ...regionSettings,
        region,
        port: options.regionPorts?.[region] ?? 0,
        gateway: gatewayOptions,
        ...(options.homeRegionFallback ? { homeTable: { region: homeRegionName, endpoint: home.table.endpoint } } : {}),
        log,
      });
      stoppers.push(() => started.stop());
      others.push(started);
    }
    const regions = [home, ...others];

    // Writers reach the home table; with other regions, through the tap that feeds the replicator.
    let homeTableEndpoint = home.table.endpoint;
    let replicator: TableReplicator | undefined;
    if (others.length > 0) {
      const replication = new TableReplicator({
        lagMs: replicationLagMs,
        replicas: others.map((region) => ({ region: region.region, endpoint: region.table.endpoint })),
        log,
      });
      stoppers.push(() => replication.stop());
      const tap = await startDynamoDbWriteTap({
        upstream: home.table.endpoint,
        onWrite: (write) => replication.record(write),
        log,
      });
      stoppers.push(() => tap.stop());
      homeTableEndpoint = tap.endpoint;
      replicator = replication;
    }
    // The issuing side's transport and writer are the Lambda's (lambda/token-endpoint-proxy/handler.ts):
    // the proxy, its writer and the front share one NodeHttpClient.
    const issuingHttp = new NodeHttpClient();
    stoppers.push(() => issuingHttp.destroy());

    const tokenEndpointProxy = new TokenEndpointProxy({
      upstreamTokenEndpoint: as.tokenEndpoint,
      upstreamRevocationEndpoint: as.revocationEndpoint,
      writer: new SigV4DynamoDbTokenWriter({
        tableName: TABLE_NAME,
        keyAttribute: KEY_ATTRIBUTE,
        region: homeRegionName,
        endpoint: homeTableEndpoint,
        credentials: LOCAL_CREDENTIALS,
        http: issuingHttp,
      }),
      hashAlgorithm: 'SHA-256',
      passThroughClientIds: jwtClientIds,
      tokenPath: AUTHORIZATION_SERVER_PATHS.token,
      revocationPath: AUTHORIZATION_SERVER_PATHS.revocation,
      log,
      crypto: nodeJoseCrypto,
      http: issuingHttp,
    });
    const front = new AuthorizationServerFront({
      upstreamOrigin: as.origin,
      tokenEndpointProxy,
      tokenPath: AUTHORIZATION_SERVER_PATHS.token,
      revocationPath: AUTHORIZATION_SERVER_PATHS.revocation,
      upstreamHeaders: { [verificationHeader.name]: verificationHeader.value },
      log,
      http: issuingHttp,
    });
    frontServer.serve(front);

    let mutualTlsReady: ReadyLine['mutualTls'];
    if (certificateAuthority !== undefined && serverTls && home.mutualTlsGateway) {
      // RFC 8705 section 5's mtls_endpoint_aliases: the same front on a host that asks for certificates.
      const mtlsFront = await listenFrontServer({ port: 0, mutualTls: serverTls });
      stoppers.push(() => mtlsFront.stop());
      mtlsFront.serve(front);
      const demoClient = certificateAuthority.issueClient('demo-client');
      mutualTlsReady = {
        gateway: home.mutualTlsGateway.url,
        tokenEndpoint: `${mtlsFront.origin}${AUTHORIZATION_SERVER_PATHS.token}`,
        caFile: certificateAuthority.caFile,
        clientCertFile: demoClient.certFile,
        clientKeyFile: demoClient.keyFile,
        clients: {
          split: { clientId: MTLS_CLIENT_IDS.split, clientSecret: as.clients.split.clientSecret },
          phantom: { clientId: MTLS_CLIENT_IDS.phantom, clientSecret: as.clients.phantom.clientSecret },
          jwt: { clientId: MTLS_CLIENT_IDS.jwt, clientSecret: as.clients.jwt.clientSecret },
        },
      };
    }

    const cacheTimes = {
      authorizerCacheTtlSeconds: cacheTtlSeconds,
      gatewayResultsTtlSeconds: gatewayCacheTtlSeconds,
      clockSkewSeconds,
      // The regions that read a replica are the slowest to see a revocation.
      replicationLagSeconds: others.length > 0 ? replicationLagMs / 1000 : 0,
    };
    const ready: ReadyLine = {
      event: 'ready',
      gateway: home.gateway.url,
      issuer,
      tokenEndpoint: publicUrl(AUTHORIZATION_SERVER_PATHS.token),
      revocationEndpoint: publicUrl(AUTHORIZATION_SERVER_PATHS.revocation),
      jwksUri,
      clients: { split: as.clients.split, phantom: as.clients.phantom, jwt: as.clients.jwt },
      routes: routeScopes,
      staleness: {
        afterRevocation: revocationBoundSeconds(cacheTimes),
        afterExpiry: expiryBoundSeconds(cacheTimes),
      },
      protectedResourceMetadata: `${home.gateway.url}${PROTECTED_RESOURCE_METADATA_PATH}`,
      ...(cors === undefined ? {} : { corsAllowedOrigins: cors.allowOrigins }),
      ...(mutualTlsReady ? { mutualTls: mutualTlsReady } : {}),
      ...(dpopAlgorithms ? { dpopAlgorithms } : {}),
      ...(options.regions === undefined
        ? {}
        : {
            regions: regions.map((region) => ({
              region: region.region,
              gateway: region.gateway.url,
              home: region === home,
            })),
            // Nothing lags with one region.
            replicationLagMs: others.length > 0 ? replicationLagMs : 0,
          }),
    };
    let stopping: Promise<void> | undefined;
    return {
      ready,
      eventFormat,
      cacheTtlSeconds,
      gatewayCacheTtlSeconds,
      jwtValidation,
      authorizationServer: { origin: as.origin },
      browserClient: as.browserClient,
      gatewayAuthorization: home.gateway.authorization,
      flushAuthorizerCaches: () => {
        for (const region of regions) region.flushAuthorizerCaches();
      },
      regions: regions.map((region) => ({
        region: region.region,
        home: region === home,
        gateway: region.gateway.url,
        gatewayAuthorization: region.gateway.authorization,
        tableEndpoint: region.table.endpoint,
        flushAuthorizerCaches: () => region.flushAuthorizerCaches(),
      })),
      dynamoDb: { endpoint: homeTableEndpoint, tableName: TABLE_NAME, keyAttribute: KEY_ATTRIBUTE },
      outages: {
        dynamoDb: home.table.outage,
        authorizationServer: as.outage,
        replicas: Object.fromEntries(regions.map((region) => [region.region, region.table.outage])),
        ...(replicator ? { replicator: replicator.outage } : {}),
      },
      issueClientCertificate: (commonName) => {
        if (certificateAuthority === undefined) throw new Error('the local stack runs without mutual TLS');
        return certificateAuthority.issueClient(commonName);
      },
      stop: () => {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The regions asked for, checked: at least one, each named once. */
function regionsOf(regions: readonly string[] | undefined): readonly string[] {
  if (regions === undefined) return [LOCAL_REGION];
  if (regions.length === 0) throw new Error('regions must name at least one region');
  if (new Set(regions).size !== regions.length) throw new Error('regions must name each region once');
  return regions;
}
