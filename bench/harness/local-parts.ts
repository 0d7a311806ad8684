import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { hashToken } from '../../lambda/core/token-hash.ts';
import { type AuthorizationServer, startAuthorizationServer } from '../../local/authorization-server.ts';
import { requestClientCredentialsToken } from '../../local/client-credentials.ts';
import { createLocalDynamoDbClient } from '../../local/dynamodb-client.ts';
import { type DynamoDbServer, startDynamoDbServer } from '../../local/dynamodb-server.ts';
import { createTokenTable } from '../../local/token-table.ts';
import {
  lambdaRuntimeEnvironment,
  startSecretsExtensionEmulator,
} from '../../test/support/secrets-extension-emulator.ts';
import type { SelfSignedCertificate } from '../../test/support/self-signed-certificate.ts';
import { BENCH_REGION, ROUTE_SCOPES, TABLE_NAME } from './bench-constants.ts';
import { BENCH_CA_FILE, type LoopbackFront, startLoopbackFront } from './loopback-front.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-introspection-AbCdEf';
/** The emulated extension checks it as the real one does; a dummy value, like the credentials. */
const SESSION_TOKEN = 'bench-session';

/** A split token: the opaque part the client holds and the JWT the authorizer rebuilds. */
export interface SplitToken {
  readonly opaque: string;
  readonly jwt: string;
}

/** Where the Lambda reaches each dependency: as on AWS, TLS to the AS and DynamoDB, http to the extension. */
export interface LambdaEndpoints {
  readonly jwksUri: string;
  readonly introspectionEndpoint: string;
  readonly dynamoDb: string;
}

/** The real local dependencies of the authorizer, all on 127.0.0.1, in this process. */
export interface LocalParts {
  readonly dynamo: DynamoDbServer;
  readonly as: AuthorizationServer;
  /** The AS and dynalite behind TLS fronts. */
  readonly endpoints: LambdaEndpoints;
  /** Counting fronts: connections opened to the AS, DynamoDB and the secrets extension. */
  readonly fronts: { readonly as: LoopbackFront; readonly dynamoDb: LoopbackFront; readonly extension: LoopbackFront };
  /**
   * The environment the authorizer Lambda would have, pointing at these parts: the handler's
   * settings, dummy AWS credentials, the secrets extension's port and session token.
   */
  readonly lambdaEnv: Readonly<Record<string, string>>;
  /** A fresh JWT access token from the authorization server, split and written to the table. */
  issueSplitToken(scope?: string): Promise<SplitToken>;
  /** A fresh opaque (phantom) access token. */
  issuePhantomToken(scope?: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * dynalite, oidc-provider and the secrets-extension emulator, each behind a counting front: TLS in
 * front of the AS and dynalite (with `certificate`, which every bench process trusts), plain http
 * in front of the extension, as on Lambda.
 */
export async function startLocalParts(certificate: SelfSignedCertificate): Promise<LocalParts> {
  const dynamo = await startDynamoDbServer();
  await createTokenTable({ endpoint: dynamo.endpoint, tableName: TABLE_NAME, region: BENCH_REGION });
  // Long-lived tokens: a run takes minutes and must not see them expire.
  const as = await startAuthorizationServer({ accessTokenTtlSeconds: 3600 });
  const extension = await startSecretsExtensionEmulator(
    { [SECRET_ARN]: as.clients.introspector.clientSecret },
    SESSION_TOKEN,
  );
  const db = createLocalDynamoDbClient({ endpoint: dynamo.endpoint, region: BENCH_REGION });
  const fronts = {
    as: await startLoopbackFront(Number(new URL(as.issuer).port), certificate),
    dynamoDb: await startLoopbackFront(dynamo.port, certificate),
    extension: await startLoopbackFront(extension.port),
  };
  const endpoints: LambdaEndpoints = {
    jwksUri: `${fronts.as.endpoint}${new URL(as.jwksUri).pathname}`,
    introspectionEndpoint: `${fronts.as.endpoint}${new URL(as.introspectionEndpoint).pathname}`,
    dynamoDb: fronts.dynamoDb.endpoint,
  };

  const lambdaEnv: Record<string, string> = {
    ISSUER: as.issuer,
    JWKS_URI: endpoints.jwksUri,
    AUDIENCE: as.audience,
    REQUIRED_TOKEN_TYPE: 'at+jwt',
    TOKEN_TABLE_NAME: TABLE_NAME,
    TOKEN_TABLE_REGION: BENCH_REGION,
    DYNAMODB_ENDPOINT: endpoints.dynamoDb,
    INTROSPECTION_ENDPOINT: endpoints.introspectionEndpoint,
    INTROSPECTION_CLIENT_ID: as.clients.introspector.clientId,
    INTROSPECTION_CLIENT_SECRET_ARN: SECRET_ARN,
    // The bench calls introspection far above any sane production rate; the limiter is not measured.
    INTROSPECTION_RATE_PER_SECOND: '100000',
    INTROSPECTION_BURST: '100000',
    ROUTE_SCOPES: JSON.stringify(ROUTE_SCOPES),
    HTTP_API_RESPONSE_FORMAT: 'simple',
    LOG_LEVEL: 'warn',
    ...lambdaRuntimeEnvironment({ port: fronts.extension.port }, SESSION_TOKEN),
    // Lambda's Node runtimes trust a CA bundle the same way (NODE_EXTRA_CA_CERTS).
    NODE_EXTRA_CA_CERTS: BENCH_CA_FILE,
    // Lambda runs Node 22+, where the SDK prints no Node 20 deprecation warning.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };

  return {
    dynamo,
    as,
    endpoints,
    fronts,
    lambdaEnv,
    async issueSplitToken(scope = 'orders:read') {
      const { access_token: jwt } = await requestClientCredentialsToken({
        tokenEndpoint: as.tokenEndpoint,
        ...as.clients.split,
        scope,
      });
      const cut = jwt.lastIndexOf('.');
      const opaque = jwt.slice(cut + 1);
      const exp = (JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as { exp: number }).exp;
      await db.send(
        new PutItemCommand({
          TableName: TABLE_NAME,
          Item: {
            hashed_signature: { S: await hashToken(opaque, 'SHA-256') },
            head_and_body: { S: jwt.slice(0, cut) },
            expiration: { N: String(exp) },
          },
        }),
      );
      return { opaque, jwt };
    },
    async issuePhantomToken(scope = 'orders:read') {
      const answer = await requestClientCredentialsToken({
        tokenEndpoint: as.tokenEndpoint,
        ...as.clients.phantom,
        scope,
      });
      return answer.access_token;
    },
    async stop() {
      db.destroy();
      await Promise.all([
        ...Object.values(fronts).map((front) => front.stop()),
        as.stop(),
        dynamo.stop(),
        extension.stop(),
      ]);
    },
  };
}
