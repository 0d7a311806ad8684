import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sourceAddressOf } from '../../../../lambda/adapters/api-gateway/source-address.ts';
import { eventFor } from '../../../support/api-gateway-events.ts';
import { describeWithSharedFixtures, readSharedJsonFiles } from '../../../support/shared-fixtures.ts';

describe('sourceAddressOf', () => {
  it('reads requestContext.identity.sourceIp of a REST REQUEST event', () => {
    const event = eventFor('rest-request', 'Bearer x');
    ((event.requestContext as Record<string, Record<string, unknown>>).identity as Record<string, unknown>).sourceIp =
      '198.51.100.23';

    expect(sourceAddressOf(event)).toBe('198.51.100.23');
  });

  it('reads requestContext.http.sourceIp of an HTTP API payload 2.0 event, IPv6 included', () => {
    const event = eventFor('http-simple', 'Bearer x');
    ((event.requestContext as Record<string, Record<string, unknown>>).http as Record<string, unknown>).sourceIp =
      '2001:db8::7';

    expect(sourceAddressOf(event)).toBe('2001:db8::7');
  });

  it('finds no address in a REST TOKEN event, even one with a stray requestContext', () => {
    const event = { ...eventFor('rest-token', 'Bearer x'), requestContext: { identity: { sourceIp: '192.0.2.1' } } };

    expect(sourceAddressOf(eventFor('rest-token', 'Bearer x'))).toBeUndefined();
    expect(sourceAddressOf(event)).toBeUndefined();
  });

  it('never throws and returns an IP literal of at most 45 characters or nothing, whatever the input', () => {
    const sourceIp = fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.anything());
    const event = fc.oneof(
      fc.anything(),
      fc.record({ version: fc.constant('2.0'), requestContext: fc.record({ http: fc.record({ sourceIp }) }) }),
      fc.record({ type: fc.constant('REQUEST'), requestContext: fc.record({ identity: fc.record({ sourceIp }) }) }),
    );

    fc.assert(
      fc.property(event, (input) => {
        const address = sourceAddressOf(input);
        return address === undefined || (address.length <= 45 && /^[0-9A-Fa-f:.]+$/.test(address));
      }),
    );
  });

  it('passes every well-formed IPv4 and IPv6 address through unchanged', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (address) => {
        const event = { version: '2.0', requestContext: { http: { sourceIp: address } } };
        return sourceAddressOf(event) === address;
      }),
    );
  });
});

describeWithSharedFixtures('sourceAddressOf on published events', 'apigw-events', (directory) => {
  const events = readSharedJsonFiles(directory);

  it('reads the addresses of the published events, and none from placeholders', () => {
    const addresses = Object.fromEntries(
      [
        'rest-request.powertools-ts.json',
        'rest-request.aws-docs.json',
        'http-v1.aws-docs.json',
        'http-v2.powertools-ts.json',
        'http-v2.powertools-python.json',
        'http-v2.default-stage-greedy.json',
        'http-v2.named-stage-greedy.json',
        'http-v2.aws-docs.json',
        'rest-token.aws-docs-console.json',
        'rest-token.powertools-ts.json',
      ].map((name) => [name, sourceAddressOf(events.get(name))]),
    );

    expect(addresses).toEqual({
      'rest-request.powertools-ts.json': '15.248.3.126',
      'rest-request.aws-docs.json': undefined,
      'http-v1.aws-docs.json': undefined,
      'http-v2.powertools-ts.json': '15.248.3.126',
      'http-v2.powertools-python.json': '10.10.10.10',
      'http-v2.default-stage-greedy.json': '73.140.251.80',
      'http-v2.named-stage-greedy.json': '146.198.224.119',
      'http-v2.aws-docs.json': undefined,
      'rest-token.aws-docs-console.json': undefined,
      'rest-token.powertools-ts.json': undefined,
    });
  });
});
