import { AwsV4Signer } from 'aws4fetch';
import { describe, expect, it } from 'vitest';
import { SigV4Signer } from '../../../lambda/adapters/sigv4-signer.ts';

// Checked against an independent SigV4 implementation (aws4fetch, WebCrypto) over the same request.

const POST = {
  host: 'dynamodb.eu-west-1.amazonaws.com',
  target: 'DynamoDB_20120810.GetItem',
  contentType: 'application/x-amz-json-1.0',
  body: '{"TableName":"tokens","Key":{"hashed_signature":{"S":"a+b/c="}}}',
};

async function expectedAuthorization(
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  datetime: string,
): Promise<string> {
  return new AwsV4Signer({
    method: 'POST',
    url: `https://${POST.host}/`,
    headers: { 'content-type': POST.contentType, 'x-amz-target': POST.target },
    body: POST.body,
    ...credentials,
    service: 'dynamodb',
    region: 'eu-west-1',
    datetime,
    allHeaders: true,
  }).authHeader();
}

describe('SigV4Signer', () => {
  it.each([
    ['temporary credentials (a session token, as Lambda has)', { sessionToken: 'test-only-session-token' }],
    ['long-term credentials (no session token)', {}],
  ])('signs as aws4fetch does with %s', async (_name, extra) => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'test-only-secret-key', ...extra };
    const signer = new SigV4Signer({ credentials, region: 'eu-west-1', service: 'dynamodb' });

    const headers = signer.signJsonPost(POST, new Date('2026-03-04T05:06:07.890Z'));

    expect(headers['x-amz-date']).toBe('20260304T050607Z');
    expect(headers['x-amz-security-token']).toBe('sessionToken' in extra ? extra.sessionToken : undefined);
    expect(headers.authorization).toBe(await expectedAuthorization(credentials, '20260304T050607Z'));
  });

  it('derives a new signing key on a new day', async () => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'test-only-secret-key' };
    const signer = new SigV4Signer({ credentials, region: 'eu-west-1', service: 'dynamodb' });

    const before = signer.signJsonPost(POST, new Date('2026-03-04T23:59:59Z'));
    const after = signer.signJsonPost(POST, new Date('2026-03-05T00:00:01Z'));

    expect(before.authorization).toBe(await expectedAuthorization(credentials, '20260304T235959Z'));
    expect(after.authorization).toBe(await expectedAuthorization(credentials, '20260305T000001Z'));
  });
});
