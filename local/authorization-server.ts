import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { JWK } from 'jose';
import type { Configuration, Provider, ProviderClient, ProviderToken } from 'oidc-provider';
import { CLIENT_CERTIFICATE_HEADER } from '../lambda/core/issuing/authorization-server-front.ts';
import type { OpaqueTokenShape } from '../lambda/core/opaque-token-shape.ts';
import { loadOidcProvider } from './load-oidc-provider.ts';
import { closeServer, LOOPBACK_HOST, listenOnLoopback, type OutageSwitch, outageSwitchFor } from './loopback-http.ts';
import { ProviderStorage } from './provider-storage.ts';
import {
  generateSigningKey,
  generateSigningKeys,
  type PrivateSigningJwk,
  type SigningAlgorithm,
} from './signing-keys.ts';

/** The roles of the fixed clients registered at the local authorization server. */
export type ClientRole = 'split' | 'jwt' | 'phantom' | 'introspector';

/**
 * Clients whose access tokens are bound to their mutual TLS client certificate (RFC 8705
 * `tls_client_certificate_bound_access_tokens`), one per way a token reaches the gateway; they
 * authenticate with their role's secret and must present a certificate on every token request.
 */
export const MTLS_CLIENT_IDS = {
  split: 'split-mtls-client',
  phantom: 'phantom-mtls-client',
  jwt: 'jwt-mtls-client',
} as const;

/** Fixed, readable client ids per role. */
export const CLIENT_IDS: Readonly<Record<ClientRole, string>> = {
  split: 'split-client',
  jwt: 'jwt-client',
  phantom: 'phantom-client',
  introspector: 'gateway-introspector',
};

/**
 * The one client that authenticates with `private_key_jwt` (RFC 7523) instead of a secret; it gets
 * JWT access tokens like `split-client`.
 */
export const PRIVATE_KEY_JWT_CLIENT_ID = 'split-key-client';

/**
 * The one end-user of the local server: CIBA requests (RFC-style backchannel authentication) that
 * name it with `login_hint` are approved at once, as if its authentication device always said yes.
 * This is how tests obtain a real refresh token without a browser.
 */
export const DEMO_USER = 'demo-user';

/** The CIBA grant type (OpenID Connect Client-Initiated Backchannel Authentication 1.0). */
export const CIBA_GRANT_TYPE = 'urn:openid:params:grant-type:ciba';

/** The device authorization grant type (RFC 8628). */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * A client of the browser-facing endpoints: the authorization code grant (with PKCE, pushed
 * authorization requests allowed) and the device authorization grant. Its redirect URI is never
 * contacted: tests read the redirects the server answers.
 */
export const BROWSER_CLIENT = {
  clientId: 'browser-client',
  redirectUri: 'http://127.0.0.1/callback',
} as const;

/** Random bits in an opaque token oidc-provider issues (`formats.bitsOfOpaqueRandomness`). */
const OPAQUE_TOKEN_BITS = 256;

/**
 * What the local server's opaque tokens look like: oidc-provider draws them with nanoid from the
 * 64-character URL-safe alphabet (`A-Za-z0-9_-`), `ceil(bits / 6)` characters, no prefix.
 */
export const OPAQUE_TOKEN_SHAPE: OpaqueTokenShape = {
  minLength: Math.ceil(OPAQUE_TOKEN_BITS / 6),
  maxLength: Math.ceil(OPAQUE_TOKEN_BITS / 6),
  charset: 'base64url',
};

/** A registered client's credentials (client_secret_basic; client_secret_post is accepted too). */
export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Options for {@link startAuthorizationServer}. */
export interface AuthorizationServerOptions {
  /**
   * Port to listen on (127.0.0.1 only); the issuer is `http://127.0.0.1:PORT`.
   * @default 0 (a free port)
   */
  readonly port?: number;
  /** Resource indicator and `aud` of the API. @default 'https://api.example.test' */
  readonly audience?: string;
  /** API scopes on offer (`openid` is offered as well). @default ['orders:read', 'orders:write'] */
  readonly scopes?: readonly string[];
  /** Signing algorithm of the JWT access tokens. @default 'RS256' */
  readonly accessTokenAlgorithm?: SigningAlgorithm;
  /** Signing algorithm of RFC 9701 introspection answers. @default 'RS256' */
  readonly introspectionSigningAlgorithm?: SigningAlgorithm;
  /** Lifetime of access tokens, opaque and JWT. @default 300 */
  readonly accessTokenTtlSeconds?: number;
  /**
   * Private signing keys, one per algorithm in use (pass a stopped server's `keys` to keep them).
   * @default freshly generated RSA 2048, EC P-256 and Ed25519 keys
   */
  readonly keys?: readonly PrivateSigningJwk[];
  /** Client secrets per role. @default 32 random bytes, base64url, per client */
  readonly clientSecrets?: Partial<Readonly<Record<ClientRole, string>>>;
  /** Where issued opaque tokens live (pass a stopped server's `storage` to keep them). @default new */
  readonly storage?: ProviderStorage;
  /**
   * Private key of {@link PRIVATE_KEY_JWT_CLIENT_ID}; its public half is registered as the client's JWKS.
   * @default a fresh EC P-256 key (ES256)
   */
  readonly privateKeyJwtClientKey?: PrivateSigningJwk;
  /**
   * Serve behind a front at another origin, as a deployed server behind its public origin: the
   * issuer is the front's, the forwarding headers (`X-Forwarded-For`, `-Proto`, `-Host`) are
   * trusted (oidc-provider's `proxy = true`), and every request without the front's header is
   * answered 403, standing in for a network only the front reaches.
   * @default none: the server is its own issuer at `http://127.0.0.1:PORT` and trusts no forwarding header
   */
  readonly front?: AuthorizationServerFrontSettings;
  /**
   * Certificate-bound access tokens (RFC 8705, oidc-provider's `features.mTLS`): the
   * {@link MTLS_CLIENT_IDS} clients get tokens bound to the certificate the front passes on in
   * {@link CLIENT_CERTIFICATE_HEADER}. @default off
   */
  readonly certificateBoundTokens?: boolean;
}

/** How the server sits behind its front (see {@link AuthorizationServerOptions.front}). */
export interface AuthorizationServerFrontSettings {
  /** The public issuer: the front's origin. */
  readonly issuer: string;
  /** The header (name in lower case) and value the front adds to every request it passes on. */
  readonly verificationHeader: { readonly name: string; readonly value: string };
}

/** A running oidc-provider on 127.0.0.1. */
export interface AuthorizationServer {
  /** The issuer: `http://127.0.0.1:PORT`, no trailing slash, or the front's origin when behind one. */
  readonly issuer: string;
  /** Where it listens: `http://127.0.0.1:PORT`. The endpoint URLs below are on this origin. */
  readonly origin: string;
  readonly port: number;
  readonly tokenEndpoint: string;
  readonly introspectionEndpoint: string;
  readonly revocationEndpoint: string;
  readonly jwksUri: string;
  /** Backchannel authentication endpoint (CIBA), open to the phantom client. */
  readonly backchannelAuthenticationEndpoint: string;
  /** The {@link BROWSER_CLIENT}'s credentials. */
  readonly browserClient: ClientCredentials & { readonly redirectUri: string };
  readonly audience: string;
  readonly scopes: readonly string[];
  readonly clients: Readonly<Record<ClientRole, ClientCredentials>>;
  /** The `private_key_jwt` client: it signs client assertions (`iss` = `sub` = its id) with `privateJwk`. */
  readonly privateKeyJwtClient: { readonly clientId: string; readonly privateJwk: PrivateSigningJwk };
  /** Private signing keys in use. */
  readonly keys: readonly PrivateSigningJwk[];
  readonly storage: ProviderStorage;
  /** Options that bring this server back after `stop()`: same port, keys, secrets and tokens. */
  readonly restartOptions: AuthorizationServerOptions;
  /** Takes the server down and back up on its port, keeping its state (fault tests, the soak). */
  readonly outage: OutageSwitch;
  /** Closes the listener and every open connection. Safe to call twice. */
  stop(): Promise<void>;
}

const DEFAULT_AUDIENCE = 'https://api.example.test';
const DEFAULT_SCOPES: readonly string[] = ['orders:read', 'orders:write'];
/** The server's paths, on its own origin and, behind a front, on the front's. */
export const AUTHORIZATION_SERVER_PATHS = {
  discovery: '/.well-known/openid-configuration',
  authorization: '/auth',
  token: '/token',
  introspection: '/token/introspection',
  revocation: '/token/revocation',
  jwks: '/jwks',
  userinfo: '/me',
  pushed_authorization_request: '/request',
  device_authorization: '/device/auth',
  code_verification: '/device',
  backchannel_authentication: '/backchannel',
} as const;
const ROUTES = {
  authorization: AUTHORIZATION_SERVER_PATHS.authorization,
  token: AUTHORIZATION_SERVER_PATHS.token,
  introspection: AUTHORIZATION_SERVER_PATHS.introspection,
  revocation: AUTHORIZATION_SERVER_PATHS.revocation,
  jwks: AUTHORIZATION_SERVER_PATHS.jwks,
  userinfo: AUTHORIZATION_SERVER_PATHS.userinfo,
  pushed_authorization_request: AUTHORIZATION_SERVER_PATHS.pushed_authorization_request,
  device_authorization: AUTHORIZATION_SERVER_PATHS.device_authorization,
  code_verification: AUTHORIZATION_SERVER_PATHS.code_verification,
  backchannel_authentication: AUTHORIZATION_SERVER_PATHS.backchannel_authentication,
} as const;

/** Clients that get RFC 9068 JWT access tokens for the API without asking for a resource. */
const JWT_CLIENT_IDS: ReadonlySet<string> = new Set([
  CLIENT_IDS.split,
  CLIENT_IDS.jwt,
  PRIVATE_KEY_JWT_CLIENT_ID,
  MTLS_CLIENT_IDS.split,
  MTLS_CLIENT_IDS.jwt,
]);
/** Clients that get opaque (phantom) tokens for the API. */
const PHANTOM_CLIENT_IDS: ReadonlySet<string> = new Set([CLIENT_IDS.phantom, MTLS_CLIENT_IDS.phantom]);

/**
 * Starts oidc-provider on 127.0.0.1 with client credentials, introspection (RFC 7662 and RFC 9701
 * signed answers), revocation, resource indicators and DPoP (oidc-provider's default). `split-client`,
 * `split-key-client` (which authenticates with `private_key_jwt`) and `jwt-client` get JWT access
 * tokens for the API by default; `phantom-client` gets opaque tokens for the API (`aud` is the API)
 * when it asks for an API scope, and also holds the CIBA and refresh-token grants so that tests can
 * obtain a real refresh token (see {@link DEMO_USER});
 * `gateway-introspector` may introspect any client's tokens and gets signed answers.
 * Nothing is written to stdout.
 */
export async function startAuthorizationServer(options: AuthorizationServerOptions = {}): Promise<AuthorizationServer> {
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  const scopes = options.scopes ?? DEFAULT_SCOPES;
  const accessTokenAlgorithm = options.accessTokenAlgorithm ?? 'RS256';
  const introspectionSigningAlgorithm = options.introspectionSigningAlgorithm ?? 'RS256';
  const accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? 300;
  const keys = options.keys ?? (await generateSigningKeys());
  const storage = options.storage ?? new ProviderStorage();
  const privateKeyJwtClientKey = options.privateKeyJwtClientKey ?? (await generateSigningKey('ES256'));
  const browserClientSecret = generateSecret();
  const clientSecrets: Record<ClientRole, string> = {
    split: options.clientSecrets?.split ?? generateSecret(),
    jwt: options.clientSecrets?.jwt ?? generateSecret(),
    phantom: options.clientSecrets?.phantom ?? generateSecret(),
    introspector: options.clientSecrets?.introspector ?? generateSecret(),
  };
  for (const alg of new Set([accessTokenAlgorithm, introspectionSigningAlgorithm])) {
    if (!keys.some((key) => key.alg === alg)) throw new TypeError(`no signing key for ${alg}`);
  }

  const { Provider, errors } = await loadOidcProvider();
  const server = createServer();
  const port = await listenOnLoopback(server, options.port ?? 0);
  const origin = `http://${LOOPBACK_HOST}:${port}`;
  const issuer = options.front?.issuer ?? origin;

  try {
    const apiServer = { audience, scope: scopes.join(' '), accessTokenTTL: accessTokenTtlSeconds };
    const apiScopes = new Set(scopes);
    // Set once the provider exists; the CIBA callback below only runs after that.
    let provider: Provider | undefined;
    const configuration: Configuration = {
      adapter: storage.adapter,
      jwks: { keys: keys.map((key) => ({ ...key })) },
      routes: ROUTES,
      scopes: ['openid', 'offline_access', ...scopes],
      formats: { bitsOfOpaqueRandomness: OPAQUE_TOKEN_BITS },
      clients: [
        ...(Object.keys(CLIENT_IDS) as ClientRole[]).map((role) => ({
          client_id: CLIENT_IDS[role],
          client_secret: clientSecrets[role],
          grant_types: grantTypesOf(role),
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: 'client_secret_basic',
          scope: role === 'introspector' ? undefined : ['openid', 'offline_access', ...scopes].join(' '),
          ...(role === 'introspector' ? { introspection_signed_response_alg: introspectionSigningAlgorithm } : {}),
          ...(role === 'phantom' ? { backchannel_token_delivery_mode: 'poll' } : {}),
        })),
        {
          client_id: PRIVATE_KEY_JWT_CLIENT_ID,
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: { keys: [publicJwkOf(privateKeyJwtClientKey)] },
          scope: ['openid', ...scopes].join(' '),
        },
        ...(options.certificateBoundTokens
          ? (['split', 'phantom', 'jwt'] as const).map((role) => ({
              client_id: MTLS_CLIENT_IDS[role],
              client_secret: clientSecrets[role],
              grant_types: ['client_credentials'],
              response_types: [],
              redirect_uris: [],
              token_endpoint_auth_method: 'client_secret_basic',
              tls_client_certificate_bound_access_tokens: true,
              scope: ['openid', ...scopes].join(' '),
            }))
          : []),
        {
          client_id: BROWSER_CLIENT.clientId,
          client_secret: browserClientSecret,
          application_type: 'native',
          grant_types: ['authorization_code', DEVICE_CODE_GRANT_TYPE],
          response_types: ['code'],
          redirect_uris: [BROWSER_CLIENT.redirectUri],
          token_endpoint_auth_method: 'client_secret_basic',
          scope: 'openid',
        },
      ],
      ttl: {
        AccessToken: accessTokenTtlSeconds,
        ClientCredentials: accessTokenTtlSeconds,
        // oidc-provider's own defaults, set so that it prints no notice when it uses them.
        BackchannelAuthenticationRequest: 10 * 60,
        DeviceCode: 10 * 60,
        Interaction: 60 * 60,
        Session: 14 * 24 * 60 * 60,
        Grant: 14 * 24 * 60 * 60,
        IdToken: 60 * 60,
        RefreshToken: 14 * 24 * 60 * 60,
      },
      features: {
        devInteractions: { enabled: false },
        deviceFlow: {
          enabled: true,
          // A plain page instead of the default, which prints a notice on stdout when rendered.
          userCodeInputSource: async (ctx: { body: string }, form: string) => {
            ctx.body = `<!DOCTYPE html><title>Device sign-in</title>${form}<button type="submit" form="op.deviceInputForm">Continue</button>`;
          },
        },
        clientCredentials: { enabled: true },
        mTLS: {
          enabled: options.certificateBoundTokens ?? false,
          certificateBoundAccessTokens: options.certificateBoundTokens ?? false,
          // The front passes the certificate it saw (it drops any client's header of this name).
          getCertificate: (ctx: { get(name: string): string }) => {
            const value = ctx.get(CLIENT_CERTIFICATE_HEADER);
            return value ? decodeURIComponent(value) : undefined;
          },
        },
        ciba: {
          enabled: true,
          deliveryModes: ['poll'],
          processLoginHint: async (_ctx: unknown, loginHint: string) =>
            loginHint === DEMO_USER ? DEMO_USER : undefined,
          processLoginHintToken: async () => undefined,
          validateBindingMessage: async () => {},
          validateRequestContext: async () => {},
          verifyUserCode: async () => {},
          // The demo user's device approves every request at once, for the scopes asked.
          triggerAuthenticationDevice: async (
            _ctx: unknown,
            request: { accountId: string; clientId: string; scope: string },
          ) => {
            if (provider === undefined) throw new Error('provider not started');
            const grant = new provider.Grant({ accountId: request.accountId, clientId: request.clientId });
            const requested = request.scope.split(' ');
            grant.addOIDCScope(requested.filter((scope) => !apiScopes.has(scope)).join(' '));
            const resourceScopes = requested.filter((scope) => apiScopes.has(scope));
            if (resourceScopes.length > 0) grant.addResourceScope(audience, resourceScopes.join(' '));
            await grant.save();
            await provider.backchannelResult(request, grant);
          },
        },
        introspection: {
          enabled: true,
          // The introspector may introspect every client's tokens; any other client only its own.
          allowedPolicy: async (_ctx: unknown, client: ProviderClient, token: ProviderToken) =>
            client.clientId === CLIENT_IDS.introspector || client.clientId === token.clientId,
        },
        jwtIntrospection: { enabled: true },
        revocation: {
          enabled: true,
          allowedPolicy: async (_ctx: unknown, client: ProviderClient, token: ProviderToken) =>
            client.clientId === token.clientId,
        },
        resourceIndicators: {
          enabled: true,
          // The phantom client's tokens are for the API unless it asks for OpenID scopes only: such
          // a token stays a userinfo token without `aud`.
          defaultResource: async (
            ctx: { oidc: { params?: { scope?: unknown } } },
            client: ProviderClient,
            oneOf?: string[],
          ) => {
            if (oneOf) return oneOf;
            if (JWT_CLIENT_IDS.has(client.clientId)) return audience;
            const requested = typeof ctx.oidc.params?.scope === 'string' ? ctx.oidc.params.scope.split(' ') : [];
            const forApi = requested.length === 0 || requested.some((scope) => apiScopes.has(scope));
            return PHANTOM_CLIENT_IDS.has(client.clientId) && forApi ? audience : undefined;
          },
          useGrantedResource: async () => false,
          getResourceServerInfo: async (_ctx: unknown, resource: string, client: ProviderClient) => {
            if (resource !== audience) throw new errors.InvalidTarget('unknown resource indicator');
            if (JWT_CLIENT_IDS.has(client.clientId)) {
              return { ...apiServer, accessTokenFormat: 'jwt', jwt: { sign: { alg: accessTokenAlgorithm } } };
            }
            if (PHANTOM_CLIENT_IDS.has(client.clientId)) return { ...apiServer, accessTokenFormat: 'opaque' };
            throw new errors.InvalidTarget('client may not ask for this resource');
          },
        },
      },
      // Defaults that would print "you SHOULD change" notices to stdout if ever called.
      clientBasedCORS: () => false,
      findAccount: async (_ctx: unknown, accountId: string) =>
        accountId === DEMO_USER ? { accountId, claims: async () => ({ sub: accountId }) } : undefined,
      renderError: async (ctx: { type: string; body: unknown }, out: Record<string, string>) => {
        ctx.type = 'json';
        ctx.body = out;
      },
    };
    provider = new Provider(issuer, configuration);
    const callback = provider.callback();
    const front = options.front;
    if (front === undefined) {
      server.on('request', callback);
    } else {
      // oidc-provider's docs ("Trusting TLS offloading proxies"): trust X-Forwarded-For, -Proto
      // and -Host, which the front overwrites from what it saw; only the front reaches this server.
      (provider as unknown as { proxy: boolean }).proxy = true;
      server.on('request', (request, response) => {
        if (request.headers[front.verificationHeader.name] !== front.verificationHeader.value) {
          response.writeHead(403, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: 'access_denied', error_description: 'only through the front' }));
          return;
        }
        void callback(request, response);
      });
    }
  } catch (error) {
    await closeServer(server);
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    issuer,
    origin,
    port,
    tokenEndpoint: `${origin}${ROUTES.token}`,
    introspectionEndpoint: `${origin}${ROUTES.introspection}`,
    revocationEndpoint: `${origin}${ROUTES.revocation}`,
    jwksUri: `${origin}${ROUTES.jwks}`,
    backchannelAuthenticationEndpoint: `${origin}${ROUTES.backchannel_authentication}`,
    browserClient: {
      clientId: BROWSER_CLIENT.clientId,
      clientSecret: browserClientSecret,
      redirectUri: BROWSER_CLIENT.redirectUri,
    },
    audience,
    scopes,
    clients: {
      split: { clientId: CLIENT_IDS.split, clientSecret: clientSecrets.split },
      jwt: { clientId: CLIENT_IDS.jwt, clientSecret: clientSecrets.jwt },
      phantom: { clientId: CLIENT_IDS.phantom, clientSecret: clientSecrets.phantom },
      introspector: { clientId: CLIENT_IDS.introspector, clientSecret: clientSecrets.introspector },
    },
    privateKeyJwtClient: { clientId: PRIVATE_KEY_JWT_CLIENT_ID, privateJwk: privateKeyJwtClientKey },
    keys,
    storage,
    restartOptions: {
      port,
      audience,
      scopes,
      accessTokenAlgorithm,
      introspectionSigningAlgorithm,
      accessTokenTtlSeconds,
      keys,
      clientSecrets,
      storage,
      privateKeyJwtClientKey,
      ...(options.front === undefined ? {} : { front: options.front }),
      ...(options.certificateBoundTokens ? { certificateBoundTokens: true } : {}),
    },
    outage: outageSwitchFor(server, port),
    stop: () => {
      stopping ??= closeServer(server);
      return stopping;
    },
  };
}

/** The public half of a private JWK: every private member dropped. */
function publicJwkOf({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk }: PrivateSigningJwk): JWK {
  return publicJwk;
}

function grantTypesOf(role: ClientRole): string[] {
  if (role === 'introspector') return [];
  if (role === 'phantom') return ['client_credentials', CIBA_GRANT_TYPE, 'refresh_token'];
  return ['client_credentials'];
}

function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}
