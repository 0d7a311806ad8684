import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { buildLambdaAssets, REPOSITORY_ROOT } from './build-lambda-assets.ts';
import { DIST } from './package-files.ts';

/**
 * What the built JavaScript may import at run time: the peer dependencies and Node built-ins.
 * Anything else would be a runtime dependency the package does not declare.
 */
const ALLOWED_RUNTIME_IMPORT = /^(aws-cdk-lib(\/[a-z0-9-]+)?|constructs|node:[a-z_/]+)$/;

/**
 * The package as users install it, from lib/index.ts:
 *
 * 1. the Lambda assets (`assets/<deployable>/index.mjs`, build/build-lambda-assets.ts);
 * 2. the declarations: `tsc` (tsconfig.build.json) emits them per file, API Extractor rolls them
 *    into one index.d.ts holding only what the entry point exports and what that refers to (so the
 *    handlers' internals, their DOM and jose types included, stay out of users' type checks), and
 *    fails when an exported declaration refers to a type the entry point does not export;
 * 3. the JavaScript, bundled by esbuild into one ES module and one CommonJS module with the peer
 *    dependencies left as imports. esbuild and not `tsc`: `tsc` emits CommonJS, but refuses
 *    `import.meta` there (TS1343), and lib/lambda-asset.ts finds the assets from `import.meta.url`;
 *    esbuild defines it from `__filename` in the CommonJS build.
 */
export async function buildPackage(root: string = REPOSITORY_ROOT): Promise<void> {
  await buildLambdaAssets(root);
  await rm(join(root, 'dist'), { recursive: true, force: true });

  execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tsconfig.build.json')], {
    stdio: ['ignore', 2, 2], // stdout is `npm pack --json`'s
  });
  const extractor = Extractor.invoke(ExtractorConfig.loadFileAndPrepare(join(root, 'build/api-extractor.json')), {
    localBuild: true,
    // Its messages to stderr: `npm pack --json` runs this build (prepack) and prints its JSON on stdout.
    messageCallback: (message) => {
      if (message.logLevel === 'error' || message.logLevel === 'warning') {
        console.error(message.formatMessageWithLocation(root));
      }
      message.handled = true;
    },
  });
  if (!extractor.succeeded) throw new Error(`API Extractor: ${extractor.errorCount} errors (see above)`);

  const common: BuildOptions = {
    entryPoints: [join(root, 'lib/index.ts')],
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: 'node20',
    keepNames: true,
    metafile: true,
    logLevel: 'warning',
  };
  const esm = await build({ ...common, format: 'esm', outfile: join(root, DIST.esm) });
  const cjs = await build({
    ...common,
    format: 'cjs',
    outfile: join(root, DIST.cjs),
    define: { 'import.meta.url': '__importMetaUrl' },
    // Above esbuild's own "use strict", which then no longer counts as the directive: repeat it first.
    banner: { js: "'use strict';const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  assertOnlyPeerImports(esm.metafile);
  assertOnlyPeerImports(cjs.metafile);

  await writeFile(join(root, 'dist/cjs/package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  await mkdir(join(root, 'dist/esm'), { recursive: true });
  await copyFile(join(root, 'dist/types/index.d.ts'), join(root, DIST.esmTypes));
  await copyFile(join(root, 'dist/types/index.d.ts'), join(root, DIST.cjsTypes));
  await rm(join(root, 'dist/types'), { recursive: true });
}

function assertOnlyPeerImports(metafile: Metafile | undefined): void {
  if (metafile === undefined) throw new Error('esbuild wrote no metafile');
  const imports = Object.values(metafile.outputs).flatMap((output) => output.imports.map((i) => i.path));
  const undeclared = [...new Set(imports)].filter((path) => !ALLOWED_RUNTIME_IMPORT.test(path));
  if (undeclared.length > 0) {
    throw new Error(`the package's JavaScript imports what it does not depend on: ${undeclared.join(', ')}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildPackage();
