import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { LambdaHandlerHarness } from '../support/lambda-handler-harness.ts';
import { authorizerInitScenarios } from './scenarios/authorizer-init.scenarios.ts';

// The same scenarios run under Deno from test/deno/authorizer-handler.test.ts.
describe('the Lambda handler init, against dynalite and oidc-provider on 127.0.0.1', () => {
  let harness: LambdaHandlerHarness;

  beforeAll(async () => {
    harness = await LambdaHandlerHarness.start();
  });
  afterEach(() => harness.afterScenario());
  afterAll(() => harness?.stop());

  for (const scenario of authorizerInitScenarios) it(scenario.name, () => scenario.run(harness));
});
