import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
import { esmBundling } from '../../lib/lambda-defaults.ts';

/** A bundled Lambda entry. */
export interface Bundle {
  readonly outfile: string;
  /** Size of the code Lambda loads (index.mjs). */
  readonly bytes: number;
  /** Size of the source map beside it (read at load with --enable-source-maps). */
  readonly mapBytes: number;
  readonly metafile: Metafile;
}

/** What a variant changes in the bundling the CDK construct does. */
export interface BundleVariant {
  /** Modules left out of the bundle, loaded at run time from node_modules. @default the construct's */
  readonly external?: readonly string[];
  readonly plugins?: readonly Plugin[];
}

/** Bundling options the translation below understands; anything else must be added here first. */
const UNDERSTOOD: ReadonlySet<string> = new Set([
  'forceDockerBundling',
  'minify',
  'sourceMap',
  'sourcesContent',
  'format',
  'target',
  'mainFields',
  'externalModules',
  'banner',
]);

/**
 * esbuild options equal to what `NodejsFunction` runs for our functions (`esmBundling()` in
 * lib/lambda-defaults.ts, translated as aws-cdk-lib's bundler translates it: `--bundle
 * --platform=node --outfile=index.mjs` plus one flag per option). Fails on an option it does not
 * know, so the bench cannot silently drift from the construct.
 */
export function cdkEsbuildOptions(bundling: BundlingOptions = esmBundling()): BuildOptions {
  const unknown = Object.keys(bundling).filter(
    (key) => !UNDERSTOOD.has(key) && bundling[key as keyof BundlingOptions] !== undefined,
  );
  if (unknown.length > 0) throw new Error(`bench/harness/bundle.ts does not translate: ${unknown.join(', ')}`);
  return {
    bundle: true,
    platform: 'node',
    target: bundling.target ?? 'node22',
    format: bundling.format === OutputFormat.ESM ? 'esm' : 'cjs',
    minify: bundling.minify ?? false,
    sourcemap: bundling.sourceMap ?? false,
    sourcesContent: bundling.sourcesContent ?? true,
    ...(bundling.mainFields ? { mainFields: [...bundling.mainFields] } : {}),
    external: [...(bundling.externalModules ?? ['@aws-sdk/*'])],
    ...(bundling.banner ? { banner: { js: bundling.banner } } : {}),
    logLevel: 'warning',
  };
}

/** Bundles `entry` into `outdir/index.mjs` as the construct would, with a variant's changes. */
export async function bundleLikeCdk(entry: string, outdir: string, variant: BundleVariant = {}): Promise<Bundle> {
  const options = cdkEsbuildOptions();
  const outfile = join(outdir, options.format === 'esm' ? 'index.mjs' : 'index.js');
  const result = await build({
    ...options,
    entryPoints: [entry],
    outfile,
    metafile: true,
    ...(variant.external ? { external: [...variant.external] } : {}),
    ...(variant.plugins ? { plugins: [...variant.plugins] } : {}),
  });
  const mapBytes = options.sourcemap ? (await stat(`${outfile}.map`)).size : 0;
  return { outfile, bytes: (await stat(outfile)).size, mapBytes, metafile: result.metafile };
}

/** Bytes in the output per package (node_modules) or per project folder, largest first. */
export function bytesByPackage(metafile: Metafile): [string, number][] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const owner = match?.[1] ?? path.split('/').slice(0, 2).join('/');
      totals.set(owner, (totals.get(owner) ?? 0) + input.bytesInOutput);
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}
