import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';
import { lambdaEsbuildOptions } from '../../build/lambda-esbuild-options.ts';

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

/**
 * Bundles `entry` into `outdir/index.mjs` with the options every deployed function is built with
 * (build/lambda-esbuild-options.ts, shared with the prebuilt assets the constructs deploy), with a
 * variant's changes.
 */
export async function bundleLikeCdk(entry: string, outdir: string, variant: BundleVariant = {}): Promise<Bundle> {
  const options = lambdaEsbuildOptions();
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
