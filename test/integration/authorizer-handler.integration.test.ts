import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { LambdaHandlerHarness } from '../support/lambda-handler-harness.ts';
import { authorizerHandlerScenarios } from './scenarios/authorizer-handler.scenarios.ts';

// The same scenarios run under Deno from test/deno/authorizer-handler.test.ts.
describe('the Lambda handler against dynalite and oidc-provider on 127.0.0.1', () => {
  let harness: LambdaHandlerHarness;

  beforeAll(async () => {
    harness = await LambdaHandlerHarness.start();
  });
  afterEach(() => harness.afterScenario());
  afterAll(() => harness?.stop());

  for (const scenario of authorizerHandlerScenarios) it(scenario.name, () => scenario.run(harness));
});
