import { describe, it } from 'vitest';
import { buildingBlockScenarios } from './scenarios/building-blocks.scenarios.ts';
import { jwtVerifierScenarios } from './scenarios/jwt-verifier.scenarios.ts';
import { tokenResolverScenarios } from './scenarios/token-resolver.scenarios.ts';

// The same scenarios run under Deno from test/deno/core.test.ts: the core is runtime-agnostic.
describe('token resolver', () => {
  for (const scenario of tokenResolverScenarios) it(scenario.name, scenario.run);
});
describe('JWT verifier', () => {
  for (const scenario of jwtVerifierScenarios) it(scenario.name, scenario.run);
});
describe('core building blocks', () => {
  for (const scenario of buildingBlockScenarios) it(scenario.name, scenario.run);
});
