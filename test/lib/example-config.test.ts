import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_ROUTE_SCOPES } from '../../lib/example-api.ts';
import { arnInRegion, readExampleAppConfig } from '../../lib/example-config.ts';

const read = (context: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) =>
  readExampleAppConfig(new App({ context }).node, env);

describe('readExampleAppConfig', () => {
  it('has demo defaults for every key, so synth needs no context', () => {
    const config = read();
    expect(config).toMatchObject({
      stackPrefix: 'OpaqueTokenGateway',
      account: undefined,
      homeRegion: 'us-east-1',
      regions: ['us-east-1', 'eu-west-1'],
      tableName: 'opaque-token-gateway-split-tokens',
      tableDeletionProtection: true,
      issuer: 'https://login.example.test',
      jwksUri: 'https://login.example.test/.well-known/jwks.json',
      audiences: ['https://api.example.test'],
      allowedAlgorithms: undefined,
      introspection: {
        endpoint: 'https://login.example.test/introspect',
        clientId: 'api-gateway-authorizer',
        secretArn: undefined,
      },
      jwtValidationEnabled: false,
      jwtClientIds: [],
      homeRegionFallback: false,
      routeScopes: EXAMPLE_ROUTE_SCOPES,
      defaultScopes: [],
      restCacheTtlSeconds: 30,
      httpCacheTtlSeconds: 30,
      echoUrl: 'https://httpbin.org/anything',
      issuerPrincipalArn: undefined,
      alarmTopicArn: undefined,
      apiGatewayCloudWatchRole: true,
      logRetentionDays: 30,
    });
  });

  it('reads string values as given on the command line (-c key=value)', () => {
    const config = read({
      homeRegion: 'eu-central-1',
      regions: 'eu-west-1, eu-central-1',
      issuer: 'https://idsvr.example.com/oauth/v2/oauth-anonymous/',
      audience: 'api-a,api-b',
      allowedAlgorithms: 'ES256',
      introspectionEndpoint: 'https://idsvr.example.com/oauth/v2/oauth-introspect',
      introspectionSecretArn: 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:gw-AbCdEf',
      introspectionResponseFormat: 'jwt',
      jwtValidation: 'true',
      jwtClientIds: 'mobile-app, partner',
      homeRegionFallback: 'true',
      routeScopes: '[{"method":"GET","path":"/orders/{id}","scopes":["orders:read"]}]',
      defaultScopes: 'api',
      restCacheTtlSeconds: '0',
      tableDeletionProtection: 'false',
      logRetentionDays: '90',
    });
    expect(config).toMatchObject({
      homeRegion: 'eu-central-1',
      regions: ['eu-central-1', 'eu-west-1'],
      issuer: 'https://idsvr.example.com/oauth/v2/oauth-anonymous',
      jwksUri: 'https://idsvr.example.com/oauth/v2/oauth-anonymous/.well-known/jwks.json',
      audiences: ['api-a', 'api-b'],
      allowedAlgorithms: ['ES256'],
      introspection: { responseFormat: 'jwt', secretArn: expect.stringContaining(':secret:gw-AbCdEf') },
      jwtValidationEnabled: true,
      jwtClientIds: ['mobile-app', 'partner'],
      homeRegionFallback: true,
      routeScopes: [{ method: 'GET', path: '/orders/{id}', scopes: ['orders:read'] }],
      defaultScopes: ['api'],
      restCacheTtlSeconds: 0,
      tableDeletionProtection: false,
      logRetentionDays: 90,
    });
  });

  it('reads typed values from cdk.json', () => {
    const config = read({
      regions: ['us-west-2'],
      homeRegion: 'us-west-2',
      jwtValidation: true,
      jwtClientIds: ['mobile-app'],
      httpCacheTtlSeconds: 30,
    });
    expect(config).toMatchObject({
      regions: ['us-west-2'],
      jwtValidationEnabled: true,
      jwtClientIds: ['mobile-app'],
      httpCacheTtlSeconds: 30,
    });
  });

  it('reads corsAllowedOrigins, off by default and with off, and refuses an origin browsers never send', () => {
    expect(read().corsAllowedOrigins).toBeUndefined();
    expect(read({ corsAllowedOrigins: 'off' }).corsAllowedOrigins).toBeUndefined();
    expect(read({ corsAllowedOrigins: 'http://localhost:5173, https://app.example.com' }).corsAllowedOrigins).toEqual([
      'http://localhost:5173',
      'https://app.example.com',
    ]);
    expect(() => read({ corsAllowedOrigins: 'https://app.example.com/' })).toThrow(/context corsAllowedOrigins/);
  });

  it("turns introspection off with 'off'", () => {
    expect(read({ introspectionEndpoint: 'off' }).introspection).toBeUndefined();
  });

  it('takes the account from CDK_DEFAULT_ACCOUNT unless given', () => {
    expect(read({}, { CDK_DEFAULT_ACCOUNT: '222222222222' }).account).toBe('222222222222');
    expect(read({ account: '333333333333' }, { CDK_DEFAULT_ACCOUNT: '222222222222' }).account).toBe('333333333333');
  });

  it('reads the front: the issuer is then on its domain unless given, the token and revocation paths the server’s', () => {
    const config = read({
      frontDomainName: 'login.example.com',
      frontUpstreamOrigin: 'https://keycloak.internal.example.com',
      frontHostedZoneId: 'Z0123456789ABCDEFGHIJ',
      frontHostedZoneName: 'example.com',
      tokenPath: '/realms/demo/protocol/openid-connect/token',
      revocationPath: '/realms/demo/protocol/openid-connect/revoke',
    });
    const withIssuerPath = read({
      issuer: 'https://login.example.com/realms/demo',
      frontDomainName: 'login.example.com',
      frontUpstreamOrigin: 'https://keycloak.internal.example.com',
      frontCertificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000',
    });

    expect(config.issuer).toBe('https://login.example.com');
    expect(config.tokenEndpointProxy).toMatchObject({
      tokenPath: '/realms/demo/protocol/openid-connect/token',
      revocationPath: '/realms/demo/protocol/openid-connect/revoke',
      front: {
        domainName: 'login.example.com',
        upstreamOrigin: 'https://keycloak.internal.example.com',
        certificateArn: undefined,
        hostedZone: { id: 'Z0123456789ABCDEFGHIJ', name: 'example.com' },
      },
    });
    expect(withIssuerPath.issuer).toBe('https://login.example.com/realms/demo');
    expect(withIssuerPath.tokenEndpointProxy?.front?.certificateArn).toMatch(/^arn:aws:acm:us-east-1:/);
  });

  const FRONT = { frontDomainName: 'login.example.com', frontUpstreamOrigin: 'https://as.internal.example.com' };
  const ZONE = { frontHostedZoneId: 'Z1', frontHostedZoneName: 'example.com' };

  it.each([
    [{ ...FRONT, ...ZONE, issuer: 'https://idp.example.com' }, /issuer: with frontDomainName/],
    [{ frontDomainName: 'login.example.com', ...ZONE }, /frontUpstreamOrigin: required/],
    [{ ...FRONT }, /the front needs a certificate/],
    [{ ...FRONT, frontHostedZoneId: 'Z1' }, /give both or neither/],
    [
      { ...FRONT, frontCertificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/x' },
      /must be in the home region us-east-1/,
    ],
    [{ regions: 'us-east-1,moon-1' }, /'moon-1' is not a region/],
    [{ jwtValidation: 'yes' }, /jwtValidation: expected true or false/],
    [{ restCacheTtlSeconds: '7200' }, /restCacheTtlSeconds: expected a whole number from 0 to 3600/],
    [{ routeScopes: 'not json' }, /routeScopes: expected JSON/],
    [{ routeScopes: '[{"method":"GET"}]' }, /routeScopes: expected a list of \{method, path, scopes\}/],
    [
      { routeScopes: '[{"method":"GET","path":"/x","scopes":["a"],"maxAgeSeconds":-1}]' },
      /routeScopes: GET \/x: maxAgeSeconds must be a whole number of seconds/,
    ],
    [{ introspectionSecretArn: 'my-secret' }, /introspectionSecretArn: 'my-secret' is not an ARN/],
    [{ alarmTopicArn: 'arn:aws:sqs:us-east-1:111111111111:q' }, /alarmTopicArn: expected an ARN of service sns/],
    [{ introspectionResponseFormat: 'json' }, /introspectionResponseFormat/],
    [{ issuer: 42 }, /issuer: expected a string/],
    [{ jwtValidation: 'true' }, /jwtClientIds: required with jwtValidation=true/],
    [{ passThroughClientIds: 'legacy' }, /passThroughClientIds: renamed jwtClientIds/],
    [{ passThroughClientIds: ['legacy'] }, /passThroughClientIds: renamed jwtClientIds/],
  ])('refuses %j', (context, error) => {
    expect(() => read(context)).toThrow(error);
  });
});

describe('arnInRegion', () => {
  it('moves an ARN to another region, keeping name and suffix (replica secrets)', () => {
    expect(arnInRegion('arn:aws:secretsmanager:us-east-1:111111111111:secret:gw-AbCdEf', 'eu-west-1')).toBe(
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:gw-AbCdEf',
    );
  });
});
