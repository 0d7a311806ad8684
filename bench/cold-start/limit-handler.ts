import { createHash } from 'node:crypto';
import { rawAgents, rawRequest } from '../harness/raw-https.ts';
import { RawJwtVerifier } from '../harness/raw-jwt.ts';
import { signDynamoDbRequest } from '../harness/raw-sigv4.ts';

/**
 * The limit of the cold-start budget: the least a handler can do with the authorizer's I/O, by hand
 * on node:http(s) (keep-alive agents) and node:crypto. Init reads the introspection secret from the
 * secrets extension and fetches the JWKS side by side (top-level await); the first event then makes
 * one GetItem (split token, SigV4 signed by hand) or one RFC 9701 introspection (phantom token,
 * `LIMIT_RESOLVES=phantom`) and verifies the JWT. It trusts its configuration, maps no errors,
 * bounds nothing and checks only iss, aud, exp, typ and the route's scope: a floor, not an authorizer.
 * With `LIMIT_VERIFIES=false` it is a peer that skips verification: no JWKS, the introspection
 * answer only decoded (phantom tokens only), to show what skipping verification saves.
 */
const env = process.env;
const agents = rawAgents();
const resolves = env.LIMIT_RESOLVES === 'phantom' ? 'phantom' : 'split';
const verifies = env.LIMIT_VERIFIES !== 'false';
const introspectionClientId = env.INTROSPECTION_CLIENT_ID ?? '';
const routeScopes = JSON.parse(env.ROUTE_SCOPES ?? '[]') as { method: string; path: string; scopes: string[] }[];

async function readSecret(): Promise<string> {
  const secretId = encodeURIComponent(env.INTROSPECTION_CLIENT_SECRET_ARN ?? '');
  const url = `http://localhost:${env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? 2773}/secretsmanager/get?secretId=${secretId}`;
  const answer = await rawRequest(agents, url, {
    headers: { 'x-aws-parameters-secrets-token': env.AWS_SESSION_TOKEN ?? '' },
  });
  return (JSON.parse(answer.body) as { SecretString: string }).SecretString;
}

async function fetchJwks(): Promise<{ keys: [] }> {
  return JSON.parse((await rawRequest(agents, env.JWKS_URI ?? '')).body) as { keys: [] };
}

const [secret, jwks] = await Promise.all([readSecret(), verifies ? fetchJwks() : { keys: [] as [] }]);
const accessTokens = new RawJwtVerifier(jwks, {
  issuer: env.ISSUER ?? '',
  audience: env.AUDIENCE ?? '',
  ...(env.REQUIRED_TOKEN_TYPE ? { type: env.REQUIRED_TOKEN_TYPE } : {}),
});
const introspectionAnswers = new RawJwtVerifier(jwks, {
  issuer: env.ISSUER ?? '',
  audience: introspectionClientId,
  type: 'token-introspection+jwt',
});
const basic = `Basic ${Buffer.from(`${introspectionClientId}:${secret}`).toString('base64')}`;

async function splitTokenClaims(token: string): Promise<Record<string, unknown> | undefined> {
  const url = new URL(env.DYNAMODB_ENDPOINT ?? '');
  const body = JSON.stringify({
    TableName: env.TOKEN_TABLE_NAME,
    Key: { hashed_signature: { S: createHash('sha256').update(token).digest('base64') } },
    ProjectionExpression: '#hb, #exp',
    ExpressionAttributeNames: { '#hb': 'head_and_body', '#exp': 'expiration' },
  });
  const credentials = {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
  const headers = signDynamoDbRequest(
    credentials,
    env.TOKEN_TABLE_REGION ?? env.AWS_REGION ?? '',
    url.host,
    'DynamoDB_20120810.GetItem',
    body,
  );
  const answer = await rawRequest(agents, url.href, { method: 'POST', headers, body });
  const item = (JSON.parse(answer.body) as { Item?: { head_and_body?: { S?: string } } }).Item;
  return item?.head_and_body?.S === undefined ? undefined : accessTokens.verify(`${item.head_and_body.S}.${token}`);
}

async function phantomTokenClaims(token: string): Promise<Record<string, unknown> | undefined> {
  const answer = await rawRequest(agents, env.INTROSPECTION_ENDPOINT ?? '', {
    method: 'POST',
    headers: {
      authorization: basic,
      accept: 'application/token-introspection+jwt',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: `token=${encodeURIComponent(token)}&token_type_hint=access_token`,
  });
  const payload = verifies ? introspectionAnswers.verify(answer.body) : decodedPayload(answer.body);
  const claims = payload?.token_introspection as Record<string, unknown> | undefined;
  return claims?.active === true ? claims : undefined;
}

/** The payload of a compact JWS, not verified: what a peer that skips verification reads. */
function decodedPayload(jwt: string): Record<string, unknown> | undefined {
  const payload = jwt.split('.')[1];
  return payload === undefined
    ? undefined
    : (JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>);
}

export async function handler(event: {
  methodArn?: string;
  httpMethod?: string;
  path?: string;
  headers?: Record<string, string>;
}): Promise<unknown> {
  const header = event.headers?.Authorization ?? event.headers?.authorization ?? '';
  const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  const claims = resolves === 'split' ? await splitTokenClaims(token) : await phantomTokenClaims(token);
  const granted = new Set(String(claims?.scope ?? '').split(' '));
  const rule = routeScopes.find((r) => r.method === event.httpMethod && r.path === event.path);
  if (claims === undefined || !(rule?.scopes ?? []).every((scope) => granted.has(scope))) {
    throw new Error('Unauthorized');
  }
  return {
    principalId: String(claims.sub ?? claims.client_id ?? 'unknown'),
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [event.methodArn ?? '*'] }],
    },
  };
}
