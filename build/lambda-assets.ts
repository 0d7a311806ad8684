/**
 * Every deployable Lambda function, in one table: the folder its prebuilt code is written to
 * (`assets/<name>/index.mjs`, by build/build-lambda-assets.ts) and the source it is bundled from.
 * The constructs deploy `assets/<name>` (lib/lambda-asset.ts); `packaged` says whether the npm
 * package ships it (only the functions of the constructs lib/index.ts exports).
 */
export const LAMBDA_ASSETS = {
  authorizer: { entry: 'lambda/authorizer/handler.ts', packaged: true },
  'token-endpoint-proxy': { entry: 'lambda/token-endpoint-proxy/handler.ts', packaged: true },
  'cors-preflight': { entry: 'lambda/cors-preflight/handler.ts', packaged: true },
  'example-backend': { entry: 'lambda/example-backend/handler.ts', packaged: false },
  'protected-resource-metadata': { entry: 'lambda/protected-resource-metadata/handler.ts', packaged: false },
} as const satisfies Record<string, { readonly entry: string; readonly packaged: boolean }>;

/** The name of a deployable: its folder under `assets/`. */
export type LambdaAssetName = keyof typeof LAMBDA_ASSETS;

/** The folder, under the package root, that holds one folder per deployable. */
export const LAMBDA_ASSETS_DIR = 'assets';

/** The file Lambda loads (an ES module) in each deployable's folder; the handler is its `handler` export. */
export const LAMBDA_ASSET_FILE = 'index.mjs';
