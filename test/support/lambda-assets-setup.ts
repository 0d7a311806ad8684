import { buildLambdaAssets } from '../../build/build-lambda-assets.ts';

/**
 * vitest globalSetup: builds the Lambda assets (`assets/<deployable>/`) from the current sources
 * once per run, before any test file, so stacks synthesize with the code under test and the
 * built-asset tests load it; a single test file run gets them too.
 */
export async function setup(): Promise<void> {
  await buildLambdaAssets();
}
