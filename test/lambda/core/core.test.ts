import { describe, it } from 'vitest';
import { webJoseCrypto } from '../../../lambda/core/web-crypto.ts';
import { buildingBlockScenarios } from './scenarios/building-blocks.scenarios.ts';
import { webCryptoPortScenarios } from './scenarios/crypto-port.scenarios.ts';
import { dpopProofScenarios } from './scenarios/dpop-proof.scenarios.ts';
import { floodGuardScenarios } from './scenarios/flood-guards.scenarios.ts';
import { jwtVerifierScenarios } from './scenarios/jwt-verifier.scenarios.ts';
import { base64UrlScenarios, jwtVerifierEdgeCaseScenarios } from './scenarios/jwt-verifier-edge-cases.scenarios.ts';
import { keySetScenarios } from './scenarios/jwt-verifier-key-set.scenarios.ts';
import { remoteJwksScenarios } from './scenarios/remote-jwks.scenarios.ts';
import { routeScopeScenarios } from './scenarios/route-scopes.scenarios.ts';
import { tokenBindingScenarios } from './scenarios/token-binding.scenarios.ts';
import { tokenCheckScenarios } from './scenarios/token-checks.scenarios.ts';
import { tokenResolverScenarios } from './scenarios/token-resolver.scenarios.ts';

// The same scenarios run under Deno from test/deno/core.test.ts: the core is runtime-agnostic.
describe('token resolver', () => {
  for (const scenario of tokenResolverScenarios) it(scenario.name, scenario.run);
});
describe('JWT verifier', () => {
  for (const scenario of jwtVerifierScenarios) it(scenario.name, scenario.run);
});
describe('JWT verifier edge cases', () => {
  for (const scenario of jwtVerifierEdgeCaseScenarios) it(scenario.name, scenario.run);
});
describe('JWT verifier key set', () => {
  for (const scenario of keySetScenarios('WebCrypto port', webJoseCrypto)) it(scenario.name, scenario.run);
});
describe('base64url', () => {
  for (const scenario of base64UrlScenarios) it(scenario.name, scenario.run);
});
describe('remote JWKS', () => {
  for (const scenario of remoteJwksScenarios) it(scenario.name, scenario.run);
});
describe('WebCrypto port', () => {
  for (const scenario of webCryptoPortScenarios) it(scenario.name, scenario.run);
});
describe('core building blocks', () => {
  for (const scenario of buildingBlockScenarios) it(scenario.name, scenario.run);
});
describe('route scope rules', () => {
  for (const scenario of routeScopeScenarios) it(scenario.name, scenario.run);
});
describe('token type, audience and binding checks', () => {
  for (const scenario of tokenCheckScenarios) it(scenario.name, scenario.run);
});
describe('flood guards', () => {
  for (const scenario of floodGuardScenarios) it(scenario.name, scenario.run);
});
describe('DPoP proofs', () => {
  for (const scenario of dpopProofScenarios) it(scenario.name, scenario.run);
});
describe('token bindings and step-up', () => {
  for (const scenario of tokenBindingScenarios) it(scenario.name, scenario.run);
});
