import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../build/build-lambda-assets.ts';
import { DIST, filesOfPackJson, packageFileProblems } from '../../build/package-files.ts';

/** `npm pack --dry-run`'s file list, without building (prepack); dist/ is there only after `npm run build`. */
function dryRunFiles(): string[] {
  const json = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: REPOSITORY_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return filesOfPackJson(json);
}

describe('the npm package file list', () => {
  it('holds only what users need: no tests, bench, local tooling, sources or build scripts', () => {
    const files = dryRunFiles();

    expect(packageFileProblems(files, { complete: false })).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
        'assets/authorizer/index.mjs',
        'assets/token-endpoint-proxy/index.mjs',
      ]),
    );
  });

  it('lacks nothing but the built JavaScript when it is not built yet', () => {
    const missing = packageFileProblems(dryRunFiles(), { complete: true });

    const dist = new Set([...Object.values(DIST), 'dist/cjs/package.json'].map((file) => `missing: ${file}`));
    expect(missing.filter((problem) => !dist.has(problem))).toEqual([]);
  });

  it('names what leaked, and what is missing', () => {
    const problems = packageFileProblems(
      ['package.json', 'lib/index.ts', 'test/package/package-files.test.ts', 'assets/example-backend/index.mjs'],
      { complete: true },
    );

    expect(problems).toContain('not for users: lib/index.ts');
    expect(problems).toContain('not for users: test/package/package-files.test.ts');
    expect(problems).toContain('not for users: assets/example-backend/index.mjs');
    expect(problems).toContain('missing: dist/cjs/index.js');
    expect(problems).toContain('missing: LICENSE');
  });
});
