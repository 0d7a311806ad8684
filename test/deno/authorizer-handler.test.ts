// Runs the authorizer handler's integration scenarios on Deno: lambda/authorizer/handler.ts, its
// adapters (node:http, node:https) and its init (top-level await) through Deno's Node
// compatibility, against dynalite, oidc-provider and the secrets extension emulator, which run in
// this Deno process too. The same scenarios run under vitest from test/integration.

import { authorizerHandlerScenarios } from '../integration/scenarios/authorizer-handler.scenarios.ts';
import { authorizerInitScenarios } from '../integration/scenarios/authorizer-init.scenarios.ts';
import type { HandlerScenario } from '../integration/scenarios/handler-scenario.ts';
import { LambdaHandlerHarness } from '../support/lambda-handler-harness.ts';

interface TestContext {
  step(name: string, fn: () => Promise<void>): Promise<boolean>;
}
declare const Deno: {
  test(options: {
    name: string;
    fn: (t: TestContext) => Promise<void>;
    sanitizeOps?: boolean;
    sanitizeResources?: boolean;
  }): void;
};

function runOnDeno(name: string, scenarios: readonly HandlerScenario[]): void {
  Deno.test({
    name,
    // Handler instances keep their kept-alive connections (node:http agents) and timers, as a warm
    // Lambda does; the parts are stopped in `finally`.
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      const harness = await LambdaHandlerHarness.start();
      try {
        for (const scenario of scenarios) {
          await t.step(scenario.name, async () => {
            try {
              await scenario.run(harness);
            } finally {
              await harness.afterScenario();
            }
          });
        }
      } finally {
        await harness.stop();
      }
    },
  });
}

runOnDeno('the Lambda handler against dynalite and oidc-provider on 127.0.0.1', authorizerHandlerScenarios);
runOnDeno('the Lambda handler init, against dynalite and oidc-provider on 127.0.0.1', authorizerInitScenarios);
