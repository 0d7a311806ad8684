import type { BuildOptions } from 'esbuild';

/**
 * How every Lambda function is bundled: the prebuilt assets the constructs deploy
 * (build/build-lambda-assets.ts), the bench (bench/harness/bundle.ts) and the tests of the built
 * code all take these options, so what is measured and tested is what is deployed.
 *
 * One minified ES module with a source map (without the sources, to keep the bundle small). The
 * AWS SDK is bundled too (`external: []`), so the deployed code runs the version we tested, and
 * so that ES module resolution does not depend on the runtime's copy. The banner gives bundled
 * CommonJS dependencies a working `require` for Node built-ins. A new object on every call.
 */
export function lambdaEsbuildOptions(): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    external: [],
    banner: {
      js: "import { createRequire as __esmCreateRequire } from 'node:module';const require = __esmCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  };
}
