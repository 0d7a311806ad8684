import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LAMBDA_ASSET_FILE, LAMBDA_ASSETS_DIR, type LambdaAssetName } from '../build/lambda-assets.ts';

/** The package whose root holds `assets/`: this repository, or the installed npm package. */
const PACKAGE_NAME = 'opaque-token-gateway';

let packageRoot: string | undefined;

/**
 * The package root: the nearest folder above this module whose package.json is ours. This module
 * runs from lib/ in the repository, and bundled into dist/esm/ or dist/cjs/ in the installed
 * package; the root is above all three. `import.meta.url` is this module's file in both builds:
 * the CommonJS build defines it from `__filename` (build/build-package.ts).
 */
function findPackageRoot(): string {
  if (packageRoot !== undefined) return packageRoot;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME
    ) {
      packageRoot = dir;
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`${PACKAGE_NAME}: no package.json named ${PACKAGE_NAME} above ${start}`);
  }
}

/**
 * The folder of a deployable's prebuilt code (`assets/<name>`: index.mjs and its source map),
 * built from the TypeScript sources when the package is built (`npm run build:assets`).
 */
export function lambdaAssetDirectory(name: LambdaAssetName): string {
  const directory = join(findPackageRoot(), LAMBDA_ASSETS_DIR, name);
  if (!existsSync(join(directory, LAMBDA_ASSET_FILE))) {
    throw new Error(
      `${PACKAGE_NAME}: the prebuilt Lambda code ${LAMBDA_ASSETS_DIR}/${name}/${LAMBDA_ASSET_FILE} is missing ` +
        `(in a clone of the repository, run \`npm run build:assets\` first).`,
    );
  }
  return directory;
}

/** A deployable's prebuilt code as a Lambda asset (its hash is that of the folder's files). */
export function lambdaAssetCode(name: LambdaAssetName): lambda.Code {
  return lambda.Code.fromAsset(lambdaAssetDirectory(name));
}
