import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleLikeCdk } from './bundle.ts';

/** The code the in-process sections time, loaded from a bundle made as the Lambda's are. */
export type MeasuredCode = typeof import('./measured-code.ts');

const OUT = fileURLToPath(new URL('../results/measured/', import.meta.url));

/** Bundles bench/harness/measured-code.ts as the construct bundles a Lambda entry and loads it. */
export async function loadMeasuredCode(): Promise<MeasuredCode> {
  const bundle = await bundleLikeCdk(fileURLToPath(new URL('./measured-code.ts', import.meta.url)), `${OUT}code`);
  return (await import(pathToFileURL(bundle.outfile).href)) as MeasuredCode;
}

/** `lambda/authorizer/handler.ts` bundled as the construct bundles it; what {@link loadAuthorizerHandler} loads. */
export async function bundleAuthorizerHandler(): Promise<string> {
  const entry = fileURLToPath(new URL('../../lambda/authorizer/handler.ts', import.meta.url));
  return (await bundleLikeCdk(entry, `${OUT}authorizer-handler`)).outfile;
}
