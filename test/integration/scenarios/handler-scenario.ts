import type { LambdaHandlerHarness } from '../../support/lambda-handler-harness.ts';

/**
 * A runtime-neutral scenario of the authorizer's Lambda handler: the same list runs under vitest
 * (Node, test/integration) and Deno.test (test/deno), each runner starting one
 * {@link LambdaHandlerHarness} for the list and calling `afterScenario` between scenarios.
 */
export interface HandlerScenario {
  readonly name: string;
  readonly run: (harness: LambdaHandlerHarness) => Promise<void>;
}
