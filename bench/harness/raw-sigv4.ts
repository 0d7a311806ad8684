import { createHash, createHmac } from 'node:crypto';

/** AWS credentials for signing. */
export interface RawCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const signingKeys = new Map<string, Buffer>();

/**
 * The headers of a DynamoDB JSON request (`x-amz-target` names the operation) signed with AWS
 * Signature Version 4, written by hand on node:crypto from AWS's description ("Create a signed AWS
 * API request", IAM User Guide): the cheapest correct signing, for the limits. The signing key is
 * derived once per day, region and secret, as the SDK's signer caches it.
 */
export function signDynamoDbRequest(
  credentials: RawCredentials,
  region: string,
  host: string,
  target: string,
  body: string,
  now: Date = new Date(),
): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.0',
    host,
    'x-amz-date': amzDate,
    ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}),
    'x-amz-target': target,
  };
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    'POST',
    '/',
    '',
    ...names.map((name) => `${name}:${headers[name]}`),
    '',
    signedHeaders,
    createHash('sha256').update(body).digest('hex'),
  ].join('\n');
  const scope = `${day}/${region}/dynamodb/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const cacheKey = `${day}/${region}/${credentials.secretAccessKey}`;
  let signingKey = signingKeys.get(cacheKey);
  if (signingKey === undefined) {
    const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
    signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), 'dynamodb'), 'aws4_request');
    signingKeys.set(cacheKey, signingKey);
  }
  const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  return {
    ...headers,
    'content-length': String(Buffer.byteLength(body)),
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}
