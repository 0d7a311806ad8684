import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { LAMBDA_ASSET_FILE, LAMBDA_ASSETS, LAMBDA_ASSETS_DIR, type LambdaAssetName } from './lambda-assets.ts';
import { lambdaEsbuildOptions } from './lambda-esbuild-options.ts';

/** The repository root (this file is build/build-lambda-assets.ts). */
export const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** One deployable as built. */
export interface BuiltLambdaAsset {
  readonly name: LambdaAssetName;
  /** `assets/<name>` under the root. */
  readonly directory: string;
  /** Bytes of each file written there, by file name. */
  readonly bytes: Readonly<Record<string, number>>;
}

/**
 * Bundles every deployable of build/lambda-assets.ts into `<root>/assets/<name>/` with the shared
 * esbuild options (index.mjs and its source map). Each file is replaced atomically (written beside
 * it, then renamed), and only when its bytes changed, so a test reading an asset while another run
 * builds never sees half a file; files the build no longer makes are removed.
 */
export async function buildLambdaAssets(root: string = REPOSITORY_ROOT): Promise<BuiltLambdaAsset[]> {
  const names = Object.keys(LAMBDA_ASSETS) as LambdaAssetName[];
  return Promise.all(names.map((name) => buildLambdaAsset(root, name)));
}

async function buildLambdaAsset(root: string, name: LambdaAssetName): Promise<BuiltLambdaAsset> {
  const directory = join(root, LAMBDA_ASSETS_DIR, name);
  const result = await build({
    ...lambdaEsbuildOptions(),
    entryPoints: [join(root, LAMBDA_ASSETS[name].entry)],
    outfile: join(directory, LAMBDA_ASSET_FILE),
    write: false,
  });
  await mkdir(directory, { recursive: true });
  const bytes: Record<string, number> = {};
  for (const output of result.outputFiles) {
    await replaceIfChanged(output.path, output.contents);
    bytes[basename(output.path)] = output.contents.byteLength;
  }
  for (const existing of await readdir(directory)) {
    if (!(existing in bytes) && !existing.endsWith('.tmp')) await rm(join(directory, existing), { recursive: true });
  }
  return { name, directory, bytes };
}

async function replaceIfChanged(path: string, contents: Uint8Array): Promise<void> {
  const current = await readFile(path).catch(() => undefined);
  if (current?.equals(contents)) return;
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const asset of await buildLambdaAssets()) {
    const files = Object.entries(asset.bytes).map(([file, size]) => `${file} ${(size / 1024).toFixed(1)} KiB`);
    console.error(`${LAMBDA_ASSETS_DIR}/${asset.name}: ${files.join(', ')}`);
  }
}
