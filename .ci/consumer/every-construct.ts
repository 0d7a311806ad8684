/**
 * Every construct of the package with every option that reaches a newer aws-cdk-lib API (the
 * strongly consistent table, the replay table, the front's domain, a VPC, mutual TLS, monitoring),
 * imported from the installed package. `.ci/consumer-check` type-checks and synthesizes it in the
 * consumer app, with the newest aws-cdk-lib and with the lowest the package's peerDependencies
 * allow: that is how the floor was found and how it is kept honest.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  type ApiRoute,
  CORS_PREFLIGHT_INTEGRATION,
  GatewayMonitoring,
  HttpApiRoutes,
  MRSC_REGION_SETS,
  MutualTlsRestDomain,
  PROTECTED_RESOURCE_METADATA_PATH,
  protectedResourceMetadata,
  RestApiRoutes,
  type RouteScopeRule,
  restGatewayResponses,
  SplitTokenTable,
  TokenAuthorizer,
  TokenEndpointProxy,
} from 'opaque-token-gateway';

const app = new App();
const stack = new Stack(app, 'EveryConstruct', { env: { account: '111111111111', region: 'us-east-1' } });
const routeScopes: RouteScopeRule[] = [
  { method: 'GET', path: '/orders/{id}', scopes: ['orders:read'], maxAgeSeconds: 300 },
];

const globalTable = new SplitTokenTable(stack, 'GlobalTable', {
  replicaRegions: ['eu-west-1'],
  issuerRolePrincipal: new iam.AccountPrincipal('222222222222'),
  issuerRoleExternalId: 'issuer',
});
const strongTable = new SplitTokenTable(stack, 'StrongTable', {
  replicaRegions: [MRSC_REGION_SETS.US[1] as string],
  witnessRegion: MRSC_REGION_SETS.US[2] as string,
  multiRegionConsistency: dynamodb.MultiRegionConsistency.STRONG,
});

const authorizer = new TokenAuthorizer(stack, 'Authorizer', {
  issuer: 'https://login.example.com',
  jwksUri: 'https://login.example.com/jwks',
  audiences: ['https://api.example.com'],
  tokenTable: strongTable,
  tokenTableHomeRegion: 'us-east-1',
  introspection: {
    endpoint: 'https://login.example.com/introspect',
    clientId: 'gateway',
    tokenShape: { prefix: 'at_', minLength: 20, maxLength: 80, charset: 'base64url' },
  },
  jwtValidationEnabled: true,
  jwtClientIds: ['service-client'],
  routeScopes,
  senderConstrainedTokens: { replayTable: true, proofMaxAge: Duration.seconds(60) },
  reservedConcurrentExecutions: 10,
});

// One route definition: a token route, a greedy one, and a public metadata route on its own integration; CORS.
const routes: ApiRoute[] = [
  { method: 'GET', path: '/orders/{id}', integration: 'orders' },
  { method: 'ANY', path: '/{proxy+}', integration: 'orders' },
  { method: 'GET', path: PROTECTED_RESOURCE_METADATA_PATH, integration: 'metadata', authorization: 'none' },
];
const cors = { allowOrigins: ['https://app.example.com'], allowCredentials: true, maxAgeSeconds: 600 };
const restApi = new apigateway.RestApi(stack, 'RestApi');
const restRoutes = new RestApiRoutes(stack, 'RestRoutes', {
  api: restApi,
  routes,
  authorizer: authorizer.restAuthorizer,
  integrations: {
    orders: new apigateway.HttpIntegration('https://backend.example.com/{proxy}'),
    metadata: { integration: new apigateway.MockIntegration(), publicReason: 'RFC 9728 metadata' },
  },
  cors,
  gatewayResponses: { realm: 'api', dpopAlgorithms: authorizer.dpopAlgorithms },
});
const httpApi = new apigatewayv2.HttpApi(stack, 'HttpApi');
const httpRoutes = new HttpApiRoutes(stack, 'HttpRoutes', {
  api: httpApi,
  routes,
  authorizer: authorizer.httpAuthorizer,
  integrations: {
    orders: new HttpUrlIntegration('Orders', 'https://backend.example.com'),
    metadata: new HttpUrlIntegration('Metadata', 'https://metadata.example.com'),
  },
  cors,
});
assert.ok(restRoutes.routes.some((route) => route.integration === CORS_PREFLIGHT_INTEGRATION));
assert.ok(httpRoutes.corsPreflightFunction);
assert.equal(restGatewayResponses({ realm: 'api' }).length > 0, true);

new MutualTlsRestDomain(stack, 'MutualTls', {
  restApi,
  domainName: 'mtls.api.example.com',
  certificate: acm.Certificate.fromCertificateArn(
    stack,
    'MtlsCertificate',
    'arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000',
  ),
  truststoreBucket: s3.Bucket.fromBucketName(stack, 'Truststore', 'truststore-bucket'),
  truststoreKey: 'truststore.pem',
});

const vpc = new ec2.Vpc(stack, 'Vpc', {
  maxAzs: 2,
  subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
});
const front = new TokenEndpointProxy(stack, 'Front', {
  tokenTable: globalTable,
  front: {
    domainName: 'login.example.com',
    upstreamOrigin: 'https://as.internal.example.com',
    hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      zoneName: 'example.com',
    }),
    passThroughPathPrefixes: ['/realms/'],
  },
  vpc,
  passThroughClientIds: ['service-client'],
});
const functionUrlProxy = new TokenEndpointProxy(stack, 'FunctionUrlProxy', {
  tokenTable: globalTable,
  upstreamTokenEndpoint: 'https://login.example.com/token',
  upstreamRevocationEndpoint: 'https://login.example.com/revoke',
});

new GatewayMonitoring(stack, 'Monitoring', {
  authorizerFunction: authorizer.function,
  tokenEndpointProxyFunction: front.function,
  restApi,
  httpApi,
  tokenTableName: 'tokens',
  replicaRegions: ['eu-west-1'],
});

const metadata = protectedResourceMetadata({
  resource: 'https://api.example.com',
  authorizationServers: ['https://login.example.com'],
  routeScopes,
});
assert.deepEqual(metadata.scopes_supported, ['orders:read']);
assert.equal(PROTECTED_RESOURCE_METADATA_PATH, '/.well-known/oauth-protected-resource');
assert.equal(front.issuer, 'https://login.example.com');
assert.ok(functionUrlProxy.revocationEndpoint);
assert.ok(authorizer.revocationBound('rest').toSeconds() >= 0);

const resources = Template.fromStack(stack).toJSON().Resources;
const deployed = [authorizer.function, front.function, functionUrlProxy.function, httpRoutes.corsPreflightFunction];
for (const fn of deployed.filter((each) => each !== undefined)) {
  const resource = resources[stack.getLogicalId(fn.node.defaultChild as CfnElement)];
  assert.equal(resource.Properties.Handler, 'index.handler');
  assert.equal(resource.Properties.Runtime, 'nodejs24.x');
}
const assembly = app.synth();
const manifest = JSON.parse(readFileSync(join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf8'));
const zips = Object.values(manifest.files as Record<string, { source: { path: string; packaging?: string } }>).filter(
  (file) => file.source.packaging === 'zip',
);
// The package's assets (others are aws-cdk-lib's own handlers): the authorizer's, the proxy's (both
// proxies share it) and the CORS preflight function's.
const ours = zips.filter((zip) => existsSync(join(assembly.directory, zip.source.path, 'index.mjs')));
assert.equal(ours.length, 3);
console.log(`every construct synthesized in ${assembly.directory}: the authorizer, proxy and preflight assets staged`);
