import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LAMBDA_ASSET_FILE, LAMBDA_ASSETS, LAMBDA_ASSETS_DIR, type LambdaAssetName } from './lambda-assets.ts';

/** Where the built JavaScript and its declarations go; `exports` in package.json names these files. */
export const DIST = {
  esm: 'dist/esm/index.js',
  esmTypes: 'dist/esm/index.d.ts',
  cjs: 'dist/cjs/index.js',
  cjsTypes: 'dist/cjs/index.d.ts',
} as const;

/**
 * Every file the npm package may hold, and must: what a CDK user needs and nothing else (no tests,
 * bench, local tooling, TypeScript sources or build scripts). package.json's `files` selects them;
 * this list is what `npm pack` output is checked against (test/package/package-files.test.ts and
 * `.ci/consumer-check`).
 */
export function expectedPackageFiles(): string[] {
  const packaged = (Object.keys(LAMBDA_ASSETS) as LambdaAssetName[]).filter((name) => LAMBDA_ASSETS[name].packaged);
  return [
    'package.json',
    'README.md',
    'LICENSE',
    'CHANGELOG.md',
    ...Object.values(DIST),
    'dist/cjs/package.json',
    ...packaged.flatMap((name) => [
      `${LAMBDA_ASSETS_DIR}/${name}/${LAMBDA_ASSET_FILE}`,
      `${LAMBDA_ASSETS_DIR}/${name}/${LAMBDA_ASSET_FILE}.map`,
    ]),
  ].sort();
}

/** What is wrong with a tarball's file list: files it must not hold, and (`complete`) files it lacks. */
export function packageFileProblems(files: readonly string[], options: { readonly complete: boolean }): string[] {
  const expected = new Set(expectedPackageFiles());
  const present = new Set(files);
  const problems = [...present].filter((file) => !expected.has(file)).map((file) => `not for users: ${file}`);
  if (options.complete) {
    problems.push(...[...expected].filter((file) => !present.has(file)).map((file) => `missing: ${file}`));
  }
  return problems.sort();
}

/** The file paths in `npm pack --json` output. */
export function filesOfPackJson(json: string): string[] {
  const [pack] = JSON.parse(json) as [{ files: { path: string }[] }];
  return pack.files.map((file) => file.path);
}

// `tsx build/package-files.ts < pack.json`: checks a real tarball's list (all files present, no others).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = packageFileProblems(filesOfPackJson(readFileSync(0, 'utf8')), { complete: true });
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) process.exit(1);
  console.error(`the tarball holds exactly the ${expectedPackageFiles().length} files users need`);
}
