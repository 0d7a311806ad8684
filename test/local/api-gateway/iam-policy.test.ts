import { describe, expect, it } from 'vitest';
import { evaluateInvokePolicy, wildcardMatches } from '../../../local/api-gateway/iam-policy.ts';

const STAGE = 'arn:aws:execute-api:us-east-1:123456789012:localapi/local';
const policy = (...statements: { Effect: string; Resource: string[] }[]) => ({
  Statement: statements.map((statement) => ({ Action: 'execute-api:Invoke', ...statement })),
});

describe('evaluateInvokePolicy', () => {
  it('allows a method ARN that an Allow statement matches with a wildcard', () => {
    expect(evaluateInvokePolicy(policy({ Effect: 'Allow', Resource: [`${STAGE}/*`] }), `${STAGE}/GET/orders`)).toBe(
      'allow',
    );
  });

  it('lets an explicit Deny win over a matching Allow', () => {
    const document = policy(
      { Effect: 'Allow', Resource: [`${STAGE}/*`] },
      { Effect: 'Deny', Resource: [`${STAGE}/POST/orders`] },
    );

    expect(evaluateInvokePolicy(document, `${STAGE}/POST/orders`)).toBe('explicit-deny');
    expect(evaluateInvokePolicy(document, `${STAGE}/GET/orders`)).toBe('allow');
  });

  it('denies implicitly what no statement matches', () => {
    const document = policy({ Effect: 'Allow', Resource: [`${STAGE}/GET/orders`] });

    expect(evaluateInvokePolicy(document, `${STAGE}/GET/orders/1`)).toBe('implicit-deny');
    expect(evaluateInvokePolicy(document, `${STAGE}/GET/hello`)).toBe('implicit-deny');
  });

  it('ignores statements about other actions', () => {
    const document = { Statement: [{ Action: 's3:GetObject', Effect: 'Allow', Resource: '*' }] };

    expect(evaluateInvokePolicy(document, `${STAGE}/GET/orders`)).toBe('implicit-deny');
  });
});

describe('wildcardMatches', () => {
  it.each([
    ['a*c', 'abbbc', true],
    ['a*c', 'a/b/c', true],
    ['a?c', 'abc', true],
    ['a?c', 'abbc', false],
    ['a.c', 'abc', false],
    ['arn:*:x', 'arn:aws:x', true],
  ])('%s against %s is %s', (pattern, value, expected) => {
    expect(wildcardMatches(pattern, value)).toBe(expected);
  });
});
