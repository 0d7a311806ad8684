import { describe, expect, it } from 'vitest';
import { credentialsFromEnvironment, regionalEndpoint } from '../../../lambda/adapters/dynamodb-json-api.ts';

describe('credentialsFromEnvironment', () => {
  it('reads the credentials Lambda puts in the environment', () => {
    expect(
      credentialsFromEnvironment({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_SESSION_TOKEN: 'c' }),
    ).toEqual({ accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 'c' });
    expect(credentialsFromEnvironment({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' })).toEqual({
      accessKeyId: 'a',
      secretAccessKey: 'b',
    });
  });

  it('names the missing variables, never a value', () => {
    expect(() => credentialsFromEnvironment({ AWS_SECRET_ACCESS_KEY: 'do-not-print' })).toThrow(
      /^AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required/,
    );
    expect(() => credentialsFromEnvironment({ AWS_SECRET_ACCESS_KEY: 'do-not-print' })).not.toThrow(/do-not-print/);
  });
});

describe('regionalEndpoint', () => {
  it("is DynamoDB's regional endpoint, in China regions too", () => {
    expect(regionalEndpoint('eu-west-1')).toBe('https://dynamodb.eu-west-1.amazonaws.com');
    expect(regionalEndpoint('us-gov-west-1')).toBe('https://dynamodb.us-gov-west-1.amazonaws.com');
    expect(regionalEndpoint('cn-north-1')).toBe('https://dynamodb.cn-north-1.amazonaws.com.cn');
  });
});
