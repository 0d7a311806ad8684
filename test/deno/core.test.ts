// Runs the core's scenarios on Deno, proving lambda/core needs nothing Node-specific.
import { buildingBlockScenarios } from '../lambda/core/scenarios/building-blocks.scenarios.ts';
import { jwtVerifierScenarios } from '../lambda/core/scenarios/jwt-verifier.scenarios.ts';
import { tokenResolverScenarios } from '../lambda/core/scenarios/token-resolver.scenarios.ts';

declare const Deno: { test(name: string, fn: () => unknown): void };

for (const scenario of [...tokenResolverScenarios, ...jwtVerifierScenarios, ...buildingBlockScenarios]) {
  Deno.test(scenario.name, scenario.run);
}
