import { createHash } from 'node:crypto';
import { rawAgents, rawRequest } from '../harness/raw-https.ts';
import { signDynamoDbRequest } from '../harness/raw-sigv4.ts';

/**
 * The limit of the token endpoint proxy's cold start: the least a handler can do with its I/O for a
 * token request, by hand on node:https (keep-alive agents) and node:crypto. Nothing happens in init
 * (the proxy has nothing to fetch before its first event either); the event is forwarded to
 * `UPSTREAM_TOKEN_ENDPOINT`, the JWT access token in the answer cut at its last dot, the record
 * (SHA-256 of the signature, `header.payload`, `exp`) written with one conditional PutItem signed by
 * hand, and the answer returned with the signature as its `access_token`. It trusts its
 * configuration and the authorization server, maps no errors, bounds nothing and logs nothing: a
 * floor, not a proxy.
 */
const env = process.env;
const agents = rawAgents();
const credentials = {
  accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
  secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
  ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
};

export async function handler(event: {
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}): Promise<unknown> {
  const headers = event.headers ?? {};
  const upstream = await rawRequest(agents, env.UPSTREAM_TOKEN_ENDPOINT ?? '', {
    method: 'POST',
    headers: {
      authorization: headers.authorization ?? '',
      'content-type': headers['content-type'] ?? '',
      accept: 'application/json',
    },
    body: event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString() : (event.body ?? ''),
  });
  const answer = JSON.parse(upstream.body) as Record<string, unknown>;
  const jwt = String(answer.access_token);
  const cut = jwt.lastIndexOf('.');
  const signature = jwt.slice(cut + 1);
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as { exp: number };

  const url = new URL(env.DYNAMODB_ENDPOINT ?? '');
  const body = JSON.stringify({
    TableName: env.TOKEN_TABLE_NAME,
    Item: {
      hashed_signature: { S: createHash('sha256').update(signature).digest('base64') },
      head_and_body: { S: jwt.slice(0, cut) },
      expiration: { N: String(payload.exp) },
    },
    ConditionExpression: 'attribute_not_exists(#key)',
    ExpressionAttributeNames: { '#key': 'hashed_signature' },
  });
  const signed = signDynamoDbRequest(credentials, env.AWS_REGION ?? '', url.host, 'DynamoDB_20120810.PutItem', body);
  const written = await rawRequest(agents, url.href, { method: 'POST', headers: signed, body });
  if (written.status !== 200) throw new Error(`PutItem answered ${written.status}`);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify({ ...answer, access_token: signature }),
    isBase64Encoded: false,
  };
}
