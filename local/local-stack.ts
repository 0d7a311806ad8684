import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbTokenWriter } from '../lambda/adapters/dynamodb-token-writer.ts';
import { JsonLog, type LogLevel } from '../lambda/adapters/json-log.ts';
import { nodeJoseCrypto } from '../lambda/adapters/node-crypto.ts';
import { AuthorizationServerFront } from '../lambda/authorization-server-front.ts';
import { createAuthorizer } from '../lambda/authorizer.ts';
import {
  type AuthorizerConfig,
  DEFAULT_DPOP_ALGORITHMS,
  DEFAULT_DPOP_PROOF_MAX_AGE_SECONDS,
} from '../lambda/authorizer-config.ts';
import { DEFAULT_CLOCK_SKEW_SECONDS, expiryBoundSeconds, revocationBoundSeconds } from '../lambda/cache-staleness.ts';
import type { RouteScopeRule } from '../lambda/core/route-scopes.ts';
import { TokenEndpointProxy } from '../lambda/token-endpoint-proxy.ts';
import {
  HTTP_AUTHORIZER_IDENTITY_SOURCES,
  REST_AUTHORIZER_IDENTITY_SOURCES,
} from '../lib/authorizer-identity-sources.ts';
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
import { createLocalDynamoDbClient, LOCAL_CREDENTIALS, LOCAL_REGION } from './dynamodb-client.ts';
import { startDynamoDbServer } from './dynamodb-server.ts';
import { listenFrontServer } from './front-server.ts';
import { type LocalGateway, startLocalGateway } from './local-gateway.ts';
import type { OutageSwitch } from './loopback-http.ts';
import { type CertifiedKey, createLocalCertificateAuthority } from './mutual-tls-certificates.ts';
import { createTokenTable } from './token-table.ts';

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
  /** How stale an answer can get (see lambda/cache-staleness.ts), in seconds. */
  readonly staleness: { readonly afterRevocation: number; readonly afterExpiry: number };
  /** The API's RFC 9728 metadata, served without a token. */
  readonly protectedResourceMetadata: string;
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

/** A running local stack. */
export interface LocalStack {
  readonly ready: ReadyLine;
  readonly eventFormat: GatewayEventFormat;
  readonly cacheTtlSeconds: number;
  readonly gatewayCacheTtlSeconds: number;
  /** The gateway's authorization step (its authorizer invocation count). */
  readonly gatewayAuthorization: LocalGateway['authorization'];
  /**
   * The emergency flush: empties the gateway's authorizer result cache and replaces the authorizer
   * with a fresh instance, as a new Lambda configuration version retires warm instances.
   */
  flushAuthorizerCaches(): void;
  /** Whether the authorizer accepts plain JWTs (of `jwt-client`). */
  readonly jwtValidation: boolean;
  /**
   * Where the authorization server itself listens: closed to anyone but the front (403 without
   * its {@link FRONT_VERIFICATION_HEADER}), as it must be on AWS.
   */
  readonly authorizationServer: { readonly origin: string };
  /** A client of the authorization code (PAR allowed) and device grants, for tests of the browser-facing endpoints. */
  readonly browserClient: ClientCredentials & { readonly redirectUri: string };
  /** The in-memory DynamoDB API and the split-token table on it (for tests that tamper with records). */
  readonly dynamoDb: { readonly endpoint: string; readonly tableName: string; readonly keyAttribute: string };
  /** Outage switches of the embedded dependencies, for fault injection (the soak, tests). */
  readonly outages: { readonly dynamoDb: OutageSwitch; readonly authorizationServer: OutageSwitch };
  /** With mutual TLS: a new client certificate from the local CA. */
  issueClientCertificate(commonName: string): CertifiedKey;
  /** Stops every part, the gateway first. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts the whole system on 127.0.0.1, no AWS and no Docker: dynalite in memory with the token
 * table, oidc-provider as the authorization server behind its front (the issuer's origin: every
 * path passed through, the token and revocation endpoints through the token endpoint proxy), the
 * demo backend, and the local gateway invoking the same authorizer the Lambda runs. A client that
 * discovers the server from the issuer gets split tokens for `split-client`, opaque (phantom)
 * tokens for `phantom-client` and plain JWTs for `jwt-client` (a pass-through client).
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
  const clockSkewSeconds = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
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
    const [db, as] = await Promise.all([
      startDynamoDbServer(),
      startAuthorizationServer({
        front: { issuer, verificationHeader },
        scopes: DEMO_SCOPES,
        ...(options.accessTokenTtlSeconds === undefined
          ? {}
          : { accessTokenTtlSeconds: options.accessTokenTtlSeconds }),
        ...(options.clientSecrets === undefined ? {} : { clientSecrets: options.clientSecrets }),
        ...(certificateAuthority ? { certificateBoundTokens: true } : {}),
      }),
    ]);
    stoppers.push(
      () => db.stop(),
      () => as.stop(),
    );
    await createTokenTable({ endpoint: db.endpoint, tableName: TABLE_NAME, keyAttribute: KEY_ATTRIBUTE });
    const dynamoDbClient: DynamoDBClient = createLocalDynamoDbClient({ endpoint: db.endpoint });
    stoppers.push(() => dynamoDbClient.destroy());

    // What clients and the gateway know of the server: its public URLs, on the front.
    const publicUrl = (path: string) => `${issuer}${path}`;
    const jwksUri = publicUrl(AUTHORIZATION_SERVER_PATHS.jwks);

    const backend = await startDemoBackend({
      issuer,
      jwksUri,
      audiences: [as.audience],
      introspectionAudience: as.clients.introspector.clientId,
      jwtHeader: eventFormat === 'rest' ? 'authorization' : 'x-verified-jwt',
    });
    stoppers.push(() => backend.stop());

    // One list feeds both sides, so they cannot drift: the proxy hands these clients their JWTs
    // unsplit, and the authorizer accepts plain JWTs from these clients only (never a split token's).
    const jwtClientIds = [as.clients.jwt.clientId, ...(certificateAuthority ? [MTLS_CLIENT_IDS.jwt] : [])];
    const jwtValidation = options.jwtValidation ?? true;
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
      dynamoDbEndpoint: db.endpoint,
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
      httpApiResponseFormat: 'simple',
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
    const newAuthorizer = () =>
      createAuthorizer(config, { log, awsCredentials: LOCAL_CREDENTIALS, awsRegion: LOCAL_REGION });
    let authorizer = newAuthorizer();

    const tokenEndpointProxy = new TokenEndpointProxy({
      upstreamTokenEndpoint: as.tokenEndpoint,
      upstreamRevocationEndpoint: as.revocationEndpoint,
      writer: new DynamoDbTokenWriter({ client: dynamoDbClient, tableName: TABLE_NAME, keyAttribute: KEY_ATTRIBUTE }),
      hashAlgorithm: 'SHA-256',
      passThroughClientIds: jwtClientIds,
      tokenPath: AUTHORIZATION_SERVER_PATHS.token,
      revocationPath: AUTHORIZATION_SERVER_PATHS.revocation,
      log,
      crypto: nodeJoseCrypto,
    });
    const front = new AuthorizationServerFront({
      upstreamOrigin: as.origin,
      tokenEndpointProxy,
      tokenPath: AUTHORIZATION_SERVER_PATHS.token,
      revocationPath: AUTHORIZATION_SERVER_PATHS.revocation,
      upstreamHeaders: { [verificationHeader.name]: verificationHeader.value },
      log,
    });
    frontServer.serve(front);

    const flushAuthorizerCaches = (): void => {
      gateway.authorization.flush();
      authorizer = newAuthorizer();
    };
    const dpopAlgorithms = config.dpop?.allowedAlgorithms;
    /**
     * One gateway: the API on plain HTTP, or (mutual TLS) the same API on a custom domain with
     * mutual TLS. Its URL is known once it listens; the metadata and the 401 name it, so they are
     * built per answer (API Gateway resolves its own id into them at deploy).
     */
    const startGateway = async (port: number, mutualTls?: { key: string; cert: string; clientCa: string }) => {
      let url = '';
      const metadataUrl = () => `${url}${PROTECTED_RESOURCE_METADATA_PATH}`;
      const started: LocalGateway = await startLocalGateway({
        port,
        format: eventFormat,
        stage: eventFormat === 'rest' ? REST_STAGE_NAME : (options.httpStage ?? HTTP_STAGE_NAME),
        routes: EXAMPLE_API_ROUTES,
        // Both example integrations are the demo backend here (on AWS: a backend function and an echo service).
        integrations: { claims: backend.url, echo: backend.url },
        staticIntegrations: {
          get 'protected-resource-metadata'() {
            const document = protectedResourceMetadata({
              resource: url,
              authorizationServers: [issuer],
              routeScopes,
              ...(dpopAlgorithms ? { dpopAlgorithms } : {}),
              certificateBoundAccessTokens: mutualTls !== undefined,
            });
            return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(document) };
          },
        },
        authorizer: (event) => authorizer(event),
        identitySources: eventFormat === 'rest' ? REST_AUTHORIZER_IDENTITY_SOURCES : HTTP_AUTHORIZER_IDENTITY_SOURCES,
        resultsTtlSeconds: gatewayCacheTtlSeconds,
        contextHeaders: eventFormat === 'rest' ? REST_CONTEXT_HEADERS : HTTP_CONTEXT_HEADERS,
        get restGatewayResponses() {
          return restGatewayResponses({
            realm: 'opaque-token-gateway (local)',
            resourceMetadataUrl: metadataUrl(),
            ...(dpopAlgorithms ? { dpopAlgorithms } : {}),
          });
        },
        ...(options.methodArnPath ? { methodArnPath: options.methodArnPath } : {}),
        ...(mutualTls ? { mutualTls } : {}),
        log,
        flush: () => flushAuthorizerCaches(),
      });
      stoppers.push(() => started.stop());
      url = started.url;
      return { gateway: started, metadataUrl: metadataUrl() };
    };
    const { gateway, metadataUrl } = await startGateway(options.port ?? 0);
    const serverTls = certificateAuthority && {
      key: certificateAuthority.server.keyPem,
      cert: certificateAuthority.server.certPem,
      clientCa: certificateAuthority.caPem,
    };
    let mutualTlsReady: ReadyLine['mutualTls'];
    if (certificateAuthority !== undefined && serverTls) {
      const mtlsGateway = await startGateway(0, serverTls);
      // RFC 8705 section 5's mtls_endpoint_aliases: the same front on a host that asks for certificates.
      const mtlsFront = await listenFrontServer({ port: 0, mutualTls: serverTls });
      stoppers.push(() => mtlsFront.stop());
      mtlsFront.serve(front);
      const demoClient = certificateAuthority.issueClient('demo-client');
      mutualTlsReady = {
        gateway: mtlsGateway.gateway.url,
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
    };
    let stopping: Promise<void> | undefined;
    return {
      ready: {
        event: 'ready',
        gateway: gateway.url,
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
        protectedResourceMetadata: metadataUrl,
        ...(mutualTlsReady ? { mutualTls: mutualTlsReady } : {}),
        ...(dpopAlgorithms ? { dpopAlgorithms } : {}),
      },
      eventFormat,
      cacheTtlSeconds,
      gatewayCacheTtlSeconds,
      jwtValidation,
      authorizationServer: { origin: as.origin },
      browserClient: as.browserClient,
      gatewayAuthorization: gateway.authorization,
      flushAuthorizerCaches,
      dynamoDb: { endpoint: db.endpoint, tableName: TABLE_NAME, keyAttribute: KEY_ATTRIBUTE },
      outages: { dynamoDb: db.outage, authorizationServer: as.outage },
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
