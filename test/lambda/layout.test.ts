import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// DESIGN section 5: the token-resolution core is pure and runtime-neutral; API Gateway formats,
// DynamoDB and HTTP are adapters; each deployable's folder only composes. Imports run
// deployable → adapters → core, never back, and nothing under lambda/ reaches the CDK code, the
// local stack or the tests. The rules are read from the folder names, not from the code they check.

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LAMBDA = join(ROOT, 'lambda');

interface SourceFile {
  /** Path under lambda/, with `/`. */
  readonly path: string;
  readonly text: string;
}

function sourcesUnder(folder: string): SourceFile[] {
  const files: SourceFile[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...sourcesUnder(full));
    else if (entry.name.endsWith('.ts')) {
      files.push({ path: relative(LAMBDA, full).split('\\').join('/'), text: readFileSync(full, 'utf8') });
    }
  }
  return files;
}

/** Every module specifier: static imports and re-exports, dynamic imports. */
function specifiersOf(text: string): { readonly specifier: string; readonly typeOnly: boolean }[] {
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"]([^'"]+)['"]/gm;
  for (const match of text.matchAll(statement)) {
    found.push({ specifier: match[3] as string, typeOnly: match[2] !== undefined });
  }
  for (const match of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) {
    found.push({ specifier: match[1] as string, typeOnly: false });
  }
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push({ specifier: match[1] as string, typeOnly: false });
  }
  return found;
}

/** `core`, `adapters`, or the deployable's folder name. */
function layerOf(path: string): string {
  return path.split('/')[0] as string;
}

const files = sourcesUnder(LAMBDA);
const deployables = [...new Set(files.map((file) => layerOf(file.path)))].filter(
  (layer) => layer !== 'core' && layer !== 'adapters',
);

describe('lambda/ layout: deployable → adapters → core', () => {
  it('has one folder per deployable, each with its handler, and no loose files', () => {
    const loose = files.filter((file) => !file.path.includes('/'));
    const withoutHandler = deployables.filter((name) => !files.some((file) => file.path === `${name}/handler.ts`));

    expect(loose.map((file) => file.path)).toEqual([]);
    expect(deployables.sort()).toEqual([
      'authorizer',
      'cors-preflight',
      'example-backend',
      'protected-resource-metadata',
      'token-endpoint-proxy',
    ]);
    expect(withoutHandler).toEqual([]);
  });

  it('keeps every relative import inside lambda/ and pointing down the layers', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file.path);
      for (const { specifier } of specifiersOf(file.text)) {
        if (!specifier.startsWith('.')) continue;
        const target = relative(LAMBDA, resolve(dirname(join(LAMBDA, file.path)), specifier))
          .split('\\')
          .join('/');
        if (target.startsWith('..')) {
          violations.push(`${file.path} reaches outside lambda/: ${specifier}`);
          continue;
        }
        const to = layerOf(target);
        const allowed =
          from === 'core'
            ? to === 'core'
            : from === 'adapters'
              ? to === 'core' || to === 'adapters'
              : to !== 'core' && to !== 'adapters'
                ? to === from
                : true;
        if (!allowed) violations.push(`${file.path} (${from}) imports ${target} (${to})`);
      }
    }

    expect(violations).toEqual([]);
  });

  it('keeps the core runtime-neutral: no node: modules, no process, no Buffer, no AWS SDK; jose only for types outside issuing', () => {
    const violations: string[] = [];
    for (const file of files.filter((candidate) => layerOf(candidate.path) === 'core')) {
      const code = file.text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      for (const { specifier, typeOnly } of specifiersOf(file.text)) {
        if (specifier.startsWith('.')) continue;
        const joseRuntime = specifier === 'jose' && !typeOnly && !file.path.startsWith('core/issuing/');
        if (specifier !== 'jose' || joseRuntime) violations.push(`${file.path} imports ${specifier}`);
      }
      if (/\bprocess\.|\bBuffer\b|\brequire\(/.test(code)) violations.push(`${file.path} uses a Node global`);
    }

    expect(violations).toEqual([]);
  });
});
