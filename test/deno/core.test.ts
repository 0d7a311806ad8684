// Runs the core's scenarios on Deno, proving lambda/core needs nothing Node-specific.

import { webJoseCrypto } from '../../lambda/core/web-crypto.ts';
import { buildingBlockScenarios } from '../lambda/core/scenarios/building-blocks.scenarios.ts';
import { webCryptoPortScenarios } from '../lambda/core/scenarios/crypto-port.scenarios.ts';
import { dpopProofScenarios } from '../lambda/core/scenarios/dpop-proof.scenarios.ts';
import { floodGuardScenarios } from '../lambda/core/scenarios/flood-guards.scenarios.ts';
import { jwtVerifierScenarios } from '../lambda/core/scenarios/jwt-verifier.scenarios.ts';
import {
  base64UrlScenarios,
  jwtVerifierEdgeCaseScenarios,
} from '../lambda/core/scenarios/jwt-verifier-edge-cases.scenarios.ts';
import { keySetScenarios } from '../lambda/core/scenarios/jwt-verifier-key-set.scenarios.ts';
import { remoteJwksScenarios } from '../lambda/core/scenarios/remote-jwks.scenarios.ts';
import { routeScopeScenarios } from '../lambda/core/scenarios/route-scopes.scenarios.ts';
import { tokenBindingScenarios } from '../lambda/core/scenarios/token-binding.scenarios.ts';
import { tokenCheckScenarios } from '../lambda/core/scenarios/token-checks.scenarios.ts';
import { tokenResolverScenarios } from '../lambda/core/scenarios/token-resolver.scenarios.ts';

declare const Deno: { test(name: string, fn: () => unknown): void };

for (const scenario of [
  ...tokenResolverScenarios,
  ...jwtVerifierScenarios,
  ...jwtVerifierEdgeCaseScenarios,
  ...keySetScenarios('WebCrypto port', webJoseCrypto),
  ...base64UrlScenarios,
  ...remoteJwksScenarios,
  ...webCryptoPortScenarios,
  ...buildingBlockScenarios,
  ...routeScopeScenarios,
  ...tokenCheckScenarios,
  ...floodGuardScenarios,
  ...dpopProofScenarios,
  ...tokenBindingScenarios,
]) {
  Deno.test(scenario.name, scenario.run);
}
