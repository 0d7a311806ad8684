import { execFile } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const COMPILER = fileURLToPath(new URL('../../bench/cold-start/compile-once.mjs', import.meta.url));

function compile(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--experimental-vm-modules', '--no-warnings', COMPILER, file],
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the module compile timer of the cold-start bench', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'compile-once-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('times the compile of an ES module without running it', async () => {
    // Arrange: a module that would leave a mark if it ran
    const marker = join(folder, 'ran');
    const module = join(folder, 'module.mjs');
    await writeFile(
      module,
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\nexport const x = await 1;\n`,
    );

    // Act
    const result = await compile(module);

    // Assert
    expect(result.code).toBe(0);
    const { compileMs } = JSON.parse(result.stdout) as { compileMs: number };
    expect(compileMs).toBeGreaterThan(0);
    expect(compileMs).toBeLessThan(10_000);
    await expect(access(marker)).rejects.toThrow();
  });

  it('fails on a module that does not compile, rather than report a time', async () => {
    // Arrange
    const module = join(folder, 'broken.mjs');
    await writeFile(module, 'export const = ;\n');

    // Act
    const result = await compile(module);

    // Assert
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('SyntaxError');
  });
});
