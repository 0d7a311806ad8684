import { type Authorizer, createAuthorizer } from '../../lambda/authorizer/authorizer.ts';
import type { AuthorizerConfig } from '../../lambda/authorizer/config.ts';
import { fetchHttpClient } from '../../lambda/core/http-client.ts';
import { hashToken } from '../../lambda/core/token-hash.ts';
import { type EventFormat, type EventRoute, eventFor, resourceArnFor } from './api-gateway-events.ts';
import { authorizerConfig, HOSTILE_ROUTES } from './authorizer-config.ts';
import { type Outcome, outcomeOf } from './authorizer-outcome.ts';
import { InProcessIntrospection } from './in-process-introspection.ts';
import { LogCapture } from './log-capture.ts';
import { MemoryTokenStore } from './memory-ports.ts';
import { splitCompact, TestIssuer } from './test-issuer.ts';

const INTROSPECTOR_ID = 'gateway-introspector';
/** Split tokens belong to this client; its JWTs are never accepted as plain JWTs. */
const SPLIT_CLIENT_ID = 'split-client';
/** The one client meant to hold JWTs. */
const JWT_CLIENT_ID = 'jwt-client';

/** A credential the authorizer must accept, and what it must hand the backend for it. */
export interface ValidCredential {
  readonly kind: 'split' | 'jwt' | 'phantom';
  readonly credential: string;
  /** The JWT the context must carry. */
  readonly jwt: string;
  readonly scopes: ReadonlySet<string>;
}

/** What a request must end in, computed independently of the authorizer's code. */
export type Expected =
  | { readonly kind: 'allow'; readonly jwt: string }
  | { readonly kind: 'forbidden' }
  | { readonly kind: 'unauthorized' };

const TOKEN68_BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9\-._~+/]+=*)$/;

/**
 * The real authorizer (createAuthorizer, with its real adapters: HttpIntrospector,
 * JwtVerifier, the API Gateway answers) wired to in-process stand-ins for the token table, the
 * introspection endpoint and the JWKS, so property tests can run tens of thousands of cases. One
 * authorizer answers HTTP APIs with simple responses, one with IAM policies; both share the state.
 */
export class InProcessAuthorizer {
  readonly issuer: TestIssuer;
  readonly tokenTable = new MemoryTokenStore();
  readonly introspection = new InProcessIntrospection();
  readonly logs: LogCapture;
  readonly config: AuthorizerConfig;
  /** Valid credentials by their exact bytes. */
  readonly valid = new Map<string, ValidCredential>();
  private readonly simple: Authorizer;
  private readonly iam: Authorizer;

  private constructor(issuer: TestIssuer, config: AuthorizerConfig, logs: LogCapture) {
    this.issuer = issuer;
    this.config = config;
    this.logs = logs;
    const dependencies = {
      jwks: issuer.jwks,
      log: logs.jsonLog('debug'),
      tokenStoreFor: () => this.tokenTable,
      http: fetchHttpClient(this.introspection.fetch),
    };
    this.simple = createAuthorizer(config, dependencies);
    this.iam = createAuthorizer({ ...config, httpApiResponseFormat: 'iam' }, dependencies);
  }

  static async create(
    options: { jwtValidationEnabled?: boolean; logs?: LogCapture } = {},
  ): Promise<InProcessAuthorizer> {
    const issuer = await TestIssuer.create();
    const config = authorizerConfig(
      { issuer: issuer.issuer, jwksUri: `${issuer.issuer}/jwks`, audiences: [issuer.audience] },
      {
        jwtValidationEnabled: options.jwtValidationEnabled ?? true,
        jwtClientIds: (options.jwtValidationEnabled ?? true) ? [JWT_CLIENT_ID] : [],
        introspection: {
          endpoint: 'https://issuer.test/introspect',
          clientId: INTROSPECTOR_ID,
          clientSecret: 'in-process-introspection-secret',
          clientAuthMethod: 'client_secret_basic',
          responseFormat: 'token-introspection+jwt',
          responseAudience: INTROSPECTOR_ID,
          timeoutMs: 1000,
          // The flood limit is tested with real parts; here it must never be what answers.
          ratePerSecond: 100_000,
          burst: 100_000,
          sourceRatePerSecond: 100_000,
          sourceBurst: 100_000,
          maxSources: 10_000,
          tokenShape: undefined,
          requireAudience: true,
        },
      },
    );
    const logs = options.logs ?? new LogCapture();
    logs.remember('introspection client secret', 'in-process-introspection-secret');
    return new InProcessAuthorizer(issuer, config, logs);
  }

  authorizerFor(format: EventFormat): Authorizer {
    return format === 'http-iam' ? this.iam : this.simple;
  }

  /** Mints a JWT and stores its record: the opaque part becomes a valid credential. */
  async addSplitToken(scope: string, algorithm: 'RS256' | 'ES256' | 'EdDSA' = 'RS256'): Promise<ValidCredential> {
    const jwt = await this.issuer.mint({ scope, client_id: SPLIT_CLIENT_ID }, { algorithm });
    const { headAndBody, signature } = splitCompact(jwt);
    const exp = JSON.parse(Buffer.from(headAndBody.split('.')[1] ?? '', 'base64url').toString()).exp as number;
    this.tokenTable.records.set(await hashToken(signature, this.config.tokenHashAlgorithm), {
      headAndBody,
      expiration: exp,
    });
    this.logs.remember(`split ${algorithm} token`, jwt);
    // Its reassembled JWT, which every backend receives, is never a valid credential: its client is
    // not one meant to hold JWTs (issue 10, finding 4).
    return this.register({ kind: 'split', credential: signature, jwt, scopes: scopeSet(scope) });
  }

  /** Mints a JWT handed to the client as is. */
  async addJwtToken(scope: string, algorithm: 'RS256' | 'ES256' | 'EdDSA' = 'RS256'): Promise<ValidCredential> {
    const jwt = await this.issuer.mint({ scope, client_id: JWT_CLIENT_ID }, { algorithm });
    this.logs.remember(`plain ${algorithm} JWT`, jwt);
    if (!this.config.jwtValidationEnabled) return { kind: 'jwt', credential: jwt, jwt, scopes: scopeSet(scope) };
    return this.register({ kind: 'jwt', credential: jwt, jwt, scopes: scopeSet(scope) });
  }

  /** An opaque token the introspection endpoint answers active, with a signed RFC 9701 answer. */
  async addPhantomToken(scope: string): Promise<ValidCredential> {
    const token = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
    const answer = await this.issuer.mintIntrospectionAnswer(
      {
        active: true,
        sub: 'user-9',
        scope,
        client_id: 'phantom-client',
        token_type: 'Bearer',
        aud: this.issuer.audience,
        iss: this.issuer.issuer,
        exp: Math.floor(Date.now() / 1000) + 3600,
      },
      INTROSPECTOR_ID,
    );
    this.introspection.answerWith(token, answer);
    this.logs.remember('phantom token', token);
    this.logs.remember('phantom introspection answer', answer);
    return this.register({ kind: 'phantom', credential: token, jwt: answer, scopes: scopeSet(scope) });
  }

  /** The outcome an intact event carrying `header` for `route` must get (see {@link expectedOutcome}). */
  expected(header: string | undefined, route: EventRoute): Expected {
    return expectedOutcome(this.valid, this.config.maxHeaderLength, header, route);
  }

  /** Sends an event of `format` carrying `header` for `route`, and classifies the answer. */
  async send(format: EventFormat, header: string | readonly string[] | undefined, route: EventRoute): Promise<Outcome> {
    return outcomeOf(
      this.authorizerFor(format),
      eventFor(format, header, route),
      format,
      resourceArnFor(format, route),
    );
  }

  private register(valid: ValidCredential): ValidCredential {
    this.valid.set(valid.credential, valid);
    return valid;
  }
}

/**
 * The outcome an intact event must get, computed from the contract rather than the code: allow
 * exactly when the header is `Bearer` (any case), one or more spaces and a valid credential, within
 * the length bound, and the token has the route's scopes; 403 for a valid token without them; 401
 * for everything else.
 */
export function expectedOutcome(
  valid: ReadonlyMap<string, ValidCredential>,
  maxHeaderLength: number,
  header: string | undefined,
  route: EventRoute,
): Expected {
  if (header === undefined || header.length > maxHeaderLength) return { kind: 'unauthorized' };
  const match = TOKEN68_BEARER.exec(header);
  const credential = match ? valid.get(match[1] as string) : undefined;
  if (credential === undefined) return { kind: 'unauthorized' };
  return requiredScopes(route).every((scope) => credential.scopes.has(scope))
    ? { kind: 'allow', jwt: credential.jwt }
    : { kind: 'forbidden' };
}

/** The routes property tests pick from: each rule, a concrete path under a template, and an unlisted one. */
export const PROPERTY_ROUTES: readonly EventRoute[] = [
  { method: 'GET', path: '/orders' },
  { method: 'POST', path: '/orders' },
  { method: 'GET', path: '/orders/42' },
  { method: 'DELETE', path: '/unlisted' },
];

/** Scopes a route needs, written out by hand for {@link PROPERTY_ROUTES} (an oracle, not the code). */
export function requiredScopes(route: EventRoute): readonly string[] {
  const key = `${route.method} ${route.path}`;
  if (key === 'GET /orders' || key === 'GET /orders/42' || key === 'GET /orders/{id}') return ['orders:read'];
  if (key === 'POST /orders') return ['orders:write'];
  if (HOSTILE_ROUTES.some((rule) => `${rule.method} ${rule.path}` === key)) throw new Error(`no oracle for ${key}`);
  return [];
}

function scopeSet(scope: string): ReadonlySet<string> {
  return new Set(scope.split(' ').filter(Boolean));
}
