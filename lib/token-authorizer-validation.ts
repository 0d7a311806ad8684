import { Token } from 'aws-cdk-lib';
import { opaqueTokenShapeProblem } from '../lambda/core/opaque-token-shape.ts';
import { routeRuleProblem } from '../lambda/core/route-scopes.ts';
import { isHttpsUrl } from './prop-values.ts';
import type { TokenAuthorizerProps } from './token-authorizer-props.ts';

const ROUTE_METHODS = new Set(['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

export function validateProps(props: TokenAuthorizerProps): void {
  const fail = (message: string): never => {
    throw new Error(`TokenAuthorizer: ${message}`);
  };
  if (!isHttpsUrl(props.issuer)) fail(`issuer must be an https URL, got '${props.issuer}'.`);
  if (!isHttpsUrl(props.jwksUri)) fail(`jwksUri must be an https URL, got '${props.jwksUri}'.`);
  if (props.audiences.length === 0 || props.audiences.some((a) => a.length === 0 || a.includes(','))) {
    fail('audiences must be a non-empty list of non-empty values without commas.');
  }
  for (const name of ['allowedAlgorithms', 'defaultScopes', 'jwtClientIds'] as const) {
    const list = props[name];
    if (list?.some((item) => item.length === 0 || item.includes(','))) {
      fail(`${name} must not contain empty values or commas.`);
    }
  }
  if (props.allowedAlgorithms?.some((alg) => alg === 'none' || /^HS/i.test(alg))) {
    fail('allowedAlgorithms must not contain none or HMAC algorithms (HS256/384/512).');
  }
  for (const rule of props.routeScopes ?? []) {
    if (!ROUTE_METHODS.has(rule.method.toUpperCase())) {
      fail(`routeScopes: unknown method '${rule.method}' (use ${[...ROUTE_METHODS].join(', ')}).`);
    }
    if (!rule.path.startsWith('/')) fail(`routeScopes: path '${rule.path}' must start with '/'.`);
    if (!Array.isArray(rule.scopes) || rule.scopes.some((s) => typeof s !== 'string' || s.length === 0)) {
      fail(`routeScopes: scopes of ${rule.method} ${rule.path} must be a list of non-empty strings.`);
    }
    // The rest of what the authorizer's init would refuse (literals, step-up values), at synth.
    const problem = routeRuleProblem(rule);
    if (problem !== undefined) fail(`routeScopes: ${rule.method} ${rule.path}: ${problem}.`);
  }
  for (const [name, ttl] of [
    ['restResultsCacheTtl', props.restResultsCacheTtl],
    ['httpResultsCacheTtl', props.httpResultsCacheTtl],
  ] as const) {
    if (ttl !== undefined && ttl.toSeconds() > 3600) fail(`${name} must be at most one hour.`);
  }
  const constrained = props.senderConstrainedTokens !== undefined && props.senderConstrainedTokens !== false;
  if (
    constrained &&
    ((props.restResultsCacheTtl?.toSeconds() ?? 0) > 0 || (props.httpResultsCacheTtl?.toSeconds() ?? 0) > 0)
  ) {
    fail(
      "senderConstrainedTokens turns API Gateway's result cache off (a cached answer would skip the proof); do not set restResultsCacheTtl or httpResultsCacheTtl.",
    );
  }
  const maxAge =
    typeof props.senderConstrainedTokens === 'object' ? props.senderConstrainedTokens.proofMaxAge : undefined;
  if (maxAge !== undefined && (maxAge.toSeconds() < 1 || maxAge.toSeconds() > 300)) {
    fail('senderConstrainedTokens.proofMaxAge must be from 1 second to 5 minutes.');
  }
  if (
    props.strictCaching &&
    (props.cacheTtl !== undefined || props.restResultsCacheTtl !== undefined || props.httpResultsCacheTtl !== undefined)
  ) {
    fail('strictCaching turns every cache off; do not also set cacheTtl, restResultsCacheTtl or httpResultsCacheTtl.');
  }
  if (props.tokenTableHomeRegion !== undefined && !props.tokenTable) {
    fail('tokenTableHomeRegion requires tokenTable.');
  }
  if (props.tokenTableConsistentReads !== undefined && !props.tokenTable) {
    fail('tokenTableConsistentReads requires tokenTable.');
  }
  if (props.tokenHashAlgorithm !== undefined && !props.tokenTable) {
    fail('tokenHashAlgorithm requires tokenTable.');
  }
  if (props.tokenTableKeyAttribute !== undefined && !props.tokenTable) {
    fail('tokenTableKeyAttribute requires tokenTable.');
  }
  const introspection = props.introspection;
  if (introspection) {
    if (!isHttpsUrl(introspection.endpoint)) {
      fail(`introspection.endpoint must be an https URL, got '${introspection.endpoint}'.`);
    }
    if (introspection.existingClientSecret && introspection.clientSecretProps) {
      fail('introspection.existingClientSecret and introspection.clientSecretProps cannot both be set; choose one.');
    }
    const shapeProblem = introspection.tokenShape && opaqueTokenShapeProblem(introspection.tokenShape);
    if (shapeProblem) fail(`introspection.tokenShape describes no token: ${shapeProblem}.`);
  }
  if (props.jwtValidationEnabled && !props.jwtClientIds?.length) {
    fail('jwtValidationEnabled requires jwtClientIds: the clients meant to hold JWTs (the proxy pass-through list).');
  }
  if (!props.jwtValidationEnabled && props.jwtClientIds?.length) {
    fail('jwtClientIds requires jwtValidationEnabled.');
  }
  if (!props.tokenTable && !props.introspection && !props.jwtValidationEnabled) {
    fail('nothing can resolve a token: give tokenTable, introspection, or jwtValidationEnabled.');
  }
}

export function assertEnvironmentSize(env: Record<string, string>): void {
  // Tokens (table name, secret ARN) resolve later; count them at a generous 256 bytes each.
  let size = 0;
  for (const [key, value] of Object.entries(env)) {
    size += key.length + (Token.isUnresolved(value) ? 256 : Buffer.byteLength(value, 'utf8'));
  }
  if (size > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
    throw new Error(
      `TokenAuthorizer: the environment would be about ${size} bytes, over Lambda's 4 KB limit; ` +
        'shorten routeScopes (fewer rules, shared scopes) or move defaults to defaultScopes.',
    );
  }
}
