import { DeleteItemCommand, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { importJWK, type JWTPayload, SignJWT } from 'jose';
import { type Authorizer, createAuthorizer } from '../../lambda/authorizer/authorizer.ts';
import type { AuthorizerConfig, IntrospectionConfig } from '../../lambda/authorizer/config.ts';
import { hashToken, type TokenHashAlgorithm } from '../../lambda/core/token-hash.ts';
import { type AuthorizationServer, startAuthorizationServer } from '../../local/authorization-server.ts';
import { requestClientCredentialsToken } from '../../local/client-credentials.ts';
import { createLocalDynamoDbClient, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb-client.ts';
import { createTokenTable } from '../../local/token-table.ts';
import { authorizerConfig } from './authorizer-config.ts';
import { type CountingHttpProxy, startCountingHttpProxy } from './counting-http-proxy.ts';
import type { LogCapture } from './log-capture.ts';
import { type RestartableDynamoDb, startRestartableDynamoDb } from './restartable-dynamodb.ts';

export const TABLE = 'split-tokens';

/** Where the authorizer reaches each dependency; a test may put a proxy in between. */
export interface Endpoints {
  readonly dynamoDb: string;
  readonly authorizationServer: string;
}

/**
 * dynalite with the token table and oidc-provider on free 127.0.0.1 ports, each behind a counting
 * proxy, and what tests need to issue, store, tamper with and revoke real tokens. Every token it
 * hands out is remembered by the log capture.
 */
export class RealParts {
  /** Keeps its data across stop and start. */
  readonly dynamo: RestartableDynamoDb;
  as: AuthorizationServer;
  readonly dynamoProxy: CountingHttpProxy;
  readonly asProxy: CountingHttpProxy;
  readonly logs: LogCapture;
  private readonly clients: DynamoDBClient[] = [];
  private writer: DynamoDBClient | undefined;

  private constructor(
    dynamo: RestartableDynamoDb,
    as: AuthorizationServer,
    dynamoProxy: CountingHttpProxy,
    asProxy: CountingHttpProxy,
    logs: LogCapture,
  ) {
    this.dynamo = dynamo;
    this.as = as;
    this.dynamoProxy = dynamoProxy;
    this.asProxy = asProxy;
    this.logs = logs;
  }

  static async start(logs: LogCapture, options: { accessTokenTtlSeconds?: number } = {}): Promise<RealParts> {
    const [dynamo, as] = await Promise.all([
      startRestartableDynamoDb(),
      startAuthorizationServer(
        options.accessTokenTtlSeconds === undefined ? {} : { accessTokenTtlSeconds: options.accessTokenTtlSeconds },
      ),
    ]);
    await createTokenTable({ endpoint: dynamo.endpoint, tableName: TABLE });
    const [dynamoProxy, asProxy] = await Promise.all([
      startCountingHttpProxy(dynamo.endpoint),
      startCountingHttpProxy(as.issuer),
    ]);
    for (const [role, client] of Object.entries(as.clients))
      logs.remember(`${role} client secret`, client.clientSecret);
    return new RealParts(dynamo, as, dynamoProxy, asProxy, logs);
  }

  /** Through the counting proxies. */
  get proxied(): Endpoints {
    return { dynamoDb: this.dynamoProxy.endpoint, authorizationServer: this.asProxy.endpoint };
  }

  /** Straight to the servers. */
  get direct(): Endpoints {
    return { dynamoDb: this.dynamo.endpoint, authorizationServer: this.as.issuer };
  }

  /** The configuration the Lambda would run with against these parts, reaching them at `endpoints`. */
  config(endpoints: Endpoints = this.proxied, overrides: Partial<AuthorizerConfig> = {}): AuthorizerConfig {
    const introspection: IntrospectionConfig = {
      endpoint: `${endpoints.authorizationServer}/token/introspection`,
      clientId: this.as.clients.introspector.clientId,
      clientSecret: this.as.clients.introspector.clientSecret,
      clientAuthMethod: 'client_secret_basic',
      responseFormat: 'token-introspection+jwt',
      responseAudience: this.as.clients.introspector.clientId,
      timeoutMs: 1000,
      ratePerSecond: 1000,
      burst: 1000,
      // Every fixture event comes from one address: the per-source budget must not be what answers.
      sourceRatePerSecond: 1000,
      sourceBurst: 1000,
      maxSources: 10_000,
      tokenShape: undefined,
      requireAudience: true,
    };
    return authorizerConfig(
      { issuer: this.as.issuer, jwksUri: `${endpoints.authorizationServer}/jwks`, audiences: [this.as.audience] },
      {
        dynamoDbEndpoint: endpoints.dynamoDb,
        introspection,
        // With plain JWTs on, jwt-client is the one client meant to hold them (as in the local stack).
        jwtClientIds: overrides.jwtValidationEnabled ? [this.as.clients.jwt.clientId] : [],
        ...overrides,
      },
    );
  }

  /** The real composition root with real adapters, logging into the capture. */
  authorizer(config: AuthorizerConfig = this.config()): Authorizer {
    return createAuthorizer(config, {
      log: this.logs.jsonLog('debug'),
      awsCredentials: LOCAL_CREDENTIALS,
      awsRegion: LOCAL_REGION,
    });
  }

  /** An SDK DynamoDB client for writing records as the issuing side does, closed by {@link stop}. */
  dynamoDbClient(endpoint: string = this.dynamo.endpoint): DynamoDBClient {
    const client = createLocalDynamoDbClient({ endpoint, maxAttempts: 3 });
    this.clients.push(client);
    return client;
  }

  /**
   * An oidc-provider JWT access token: by default split-client's (what the token endpoint proxy
   * would split); `jwt` for jwt-client's, a client meant to hold JWTs.
   */
  async jwt(scope = 'orders:read', client: 'split' | 'jwt' = 'split'): Promise<string> {
    const { access_token } = await requestClientCredentialsToken({
      tokenEndpoint: this.as.tokenEndpoint,
      ...this.as.clients[client],
      scope,
    });
    this.logs.remember('oidc-provider JWT', access_token);
    return access_token;
  }

  /** An oidc-provider opaque token, resolved by introspection. */
  async phantom(scope = 'orders:read'): Promise<string> {
    const { access_token } = await requestClientCredentialsToken({
      tokenEndpoint: this.as.tokenEndpoint,
      ...this.as.clients.phantom,
      scope,
    });
    this.logs.remember('phantom token', access_token);
    return access_token;
  }

  /** Stores `jwt`'s record as the issuing side would and returns the opaque token. */
  async split(
    jwt: string,
    options: { expiration?: number; hashAlgorithm?: TokenHashAlgorithm; headAndBody?: string } = {},
  ): Promise<string> {
    const cut = jwt.lastIndexOf('.');
    const signature = jwt.slice(cut + 1);
    const headAndBody = options.headAndBody ?? jwt.slice(0, cut);
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString() || '{}') as JWTPayload;
    this.logs.remember('split token', jwt);
    this.logs.remember('head_and_body', headAndBody);
    this.writer ??= this.dynamoDbClient();
    await this.writer.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          hashed_signature: { S: await hashToken(signature, options.hashAlgorithm ?? 'SHA-256') },
          head_and_body: { S: headAndBody },
          expiration: { N: String(options.expiration ?? payload.exp ?? Math.floor(Date.now() / 1000) + 300) },
        },
      }),
    );
    return signature;
  }

  /** Deletes the record of an opaque split token (what the revocation proxy does). */
  async deleteRecord(opaque: string): Promise<void> {
    this.writer ??= this.dynamoDbClient();
    await this.writer.send(
      new DeleteItemCommand({ TableName: TABLE, Key: { hashed_signature: { S: await hashToken(opaque, 'SHA-256') } } }),
    );
  }

  /** Revokes an opaque token at oidc-provider (RFC 7009), as its client. */
  async revokeAtServer(token: string): Promise<void> {
    const { clientId, clientSecret } = this.as.clients.phantom;
    const response = await fetch(this.as.revocationEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`${clientId}:${clientSecret}`)}` },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    if (!response.ok) throw new Error(`revocation failed with ${response.status}`);
  }

  /**
   * A JWT signed with the authorization server's own RS256 key and `kid`: what a token with any
   * header or claims would look like if the issuer had signed it.
   */
  async signWithIssuerKey(claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
    const jwk = this.as.keys.find((key) => key.alg === 'RS256');
    if (!jwk) throw new Error('no RS256 key');
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({
      iss: this.as.issuer,
      aud: this.as.audience,
      client_id: this.as.clients.split.clientId,
      scope: 'orders:read',
      iat: now,
      exp: now + 300,
      jti: crypto.randomUUID(),
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: jwk.kid, ...header })
      .sign(await importJWK(jwk, 'RS256'));
    this.logs.remember('JWT signed with the issuer key', jwt);
    return jwt;
  }

  async stop(): Promise<void> {
    for (const client of this.clients.splice(0)) client.destroy();
    await Promise.all([this.dynamoProxy.stop(), this.asProxy.stop(), this.dynamo.close(), this.as.stop()]);
  }
}
