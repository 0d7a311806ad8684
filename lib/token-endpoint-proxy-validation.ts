import { Duration } from 'aws-cdk-lib';
import { isHttpsUrl } from './prop-values.ts';
import type { AuthorizationServerFrontProps, TokenEndpointProxyProps } from './token-endpoint-proxy-props.ts';

export function validateProps(props: TokenEndpointProxyProps): void {
  const fail = (message: string): never => {
    throw new Error(`TokenEndpointProxy: ${message}`);
  };
  const front = props.front;
  if (front === undefined) {
    if (props.upstreamTokenEndpoint === undefined || !isHttpsUrl(props.upstreamTokenEndpoint)) {
      fail(`upstreamTokenEndpoint must be an https URL, got '${props.upstreamTokenEndpoint}'.`);
    }
  } else {
    validateFront(front, fail);
    if (props.upstreamTokenEndpoint !== undefined || props.upstreamRevocationEndpoint !== undefined) {
      fail('with front, do not set upstreamTokenEndpoint or upstreamRevocationEndpoint: the front uses its paths.');
    }
    if (props.functionUrlAuthType !== undefined) fail('with front there is no function URL: drop functionUrlAuthType.');
  }
  if (props.vpc === undefined && (props.vpcSubnets !== undefined || props.securityGroups !== undefined)) {
    fail('vpcSubnets and securityGroups need vpc.');
  }
  if (props.upstreamRevocationEndpoint !== undefined && !isHttpsUrl(props.upstreamRevocationEndpoint)) {
    fail(`upstreamRevocationEndpoint must be an https URL, got '${props.upstreamRevocationEndpoint}'.`);
  }
  for (const [name, path] of [
    ['tokenPath', props.tokenPath],
    ['revocationPath', props.revocationPath],
  ] as const) {
    if (path !== undefined && !/^\/[A-Za-z0-9._~\-/]*$/.test(path)) fail(`${name} must be a path starting with '/'.`);
  }
  if ((props.tokenPath ?? '/token') === (props.revocationPath ?? '/revoke')) {
    fail('tokenPath and revocationPath must differ.');
  }
  if (props.passThroughClientIds?.some((id) => id.length === 0 || id.includes(','))) {
    fail('passThroughClientIds must not contain empty values or commas.');
  }
  for (const [name, value, limit] of [
    ['upstreamTimeout', props.upstreamTimeout, 30_000],
    ['dynamoDbTimeout', props.dynamoDbTimeout, 30_000],
  ] as const) {
    const ms = value?.toMilliseconds();
    if (ms !== undefined && (ms < 1 || ms > limit)) fail(`${name} must be from 1 ms to ${limit / 1000} seconds.`);
  }
  const budget = (props.upstreamTimeout?.toMilliseconds() ?? 5000) + (props.dynamoDbTimeout?.toMilliseconds() ?? 2000);
  const timeout = (props.timeout ?? Duration.seconds(15)).toMilliseconds();
  if (timeout <= budget) {
    fail(`timeout (${timeout} ms) must exceed upstreamTimeout + dynamoDbTimeout (${budget} ms).`);
  }
  const passThrough = front?.passThroughTimeout?.toMilliseconds() ?? 10_000;
  if (front !== undefined && timeout <= passThrough) {
    fail(`timeout (${timeout} ms) must exceed front.passThroughTimeout (${passThrough} ms).`);
  }
}

function validateFront(front: AuthorizationServerFrontProps, fail: (message: string) => never): void {
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(front.domainName)) {
    fail(`front.domainName must be a lower-case DNS name, got '${front.domainName}'.`);
  }
  let origin: URL | undefined;
  try {
    origin = new URL(front.upstreamOrigin);
  } catch {
    origin = undefined;
  }
  if (
    origin === undefined ||
    origin.protocol !== 'https:' ||
    origin.origin !== front.upstreamOrigin.replace(/\/$/, '')
  ) {
    fail(`front.upstreamOrigin must be an https origin (no path), got '${front.upstreamOrigin}'.`);
  }
  if (origin.host === front.domainName) fail('front.upstreamOrigin must not be the front itself.');
  if (front.passThroughPathPrefixes?.some((prefix) => !/^\/([A-Za-z0-9._~\-/]*\/)?$/.test(prefix))) {
    fail('front.passThroughPathPrefixes must be paths that start and end with /.');
  }
  if (front.certificate === undefined && front.hostedZone === undefined) {
    fail('front needs a certificate, or a hostedZone to create and validate one.');
  }
  const ms = front.passThroughTimeout?.toMilliseconds();
  if (ms !== undefined && (ms < 1 || ms > 29_000)) fail('front.passThroughTimeout must be from 1 ms to 29 seconds.');
  for (const [name, value, limit] of [
    ['maxRequestBytes', front.maxRequestBytes, 6 * 1024 * 1024],
    ['maxResponseBytes', front.maxResponseBytes, 4_500_000],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > limit)) {
      fail(`front.${name} must be a whole number from 1 to ${limit}.`);
    }
  }
}
