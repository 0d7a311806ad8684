import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'vitest';

/** `../shared/fixtures/` beside the repository: outside test data, read in place and never copied. */
export const SHARED_FIXTURES_DIR = new URL('../../../shared/fixtures/', import.meta.url);

/**
 * Tests over outside data in `../shared/fixtures/<folder>`. CI sets REQUIRE_SHARED_FIXTURES=1: there,
 * missing data is a failure; elsewhere the tests are skipped with a notice.
 */
export function describeWithSharedFixtures(name: string, folder: string, body: (directory: URL) => void): void {
  const directory = new URL(`${folder.replace(/\/?$/, '/')}`, SHARED_FIXTURES_DIR);
  describe(name, () => {
    if (existsSync(directory)) {
      body(directory);
      return;
    }
    const notice = `outside test data not found at ${directory.pathname} (../shared/fixtures beside the repository)`;
    if (process.env.REQUIRE_SHARED_FIXTURES === '1') {
      it('finds the shared fixtures (REQUIRE_SHARED_FIXTURES=1)', () => {
        throw new Error(notice);
      });
    } else {
      console.warn(`NOTICE: ${notice}; skipping. Set REQUIRE_SHARED_FIXTURES=1 to make this a failure.`);
      it.skip(`needs ../shared/fixtures/${folder}`, () => {});
    }
  });
}

/** Every JSON file of a shared fixture folder, by file name. */
export function readSharedJsonFiles(directory: URL): Map<string, unknown> {
  const files = new Map<string, unknown>();
  for (const name of readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .sort()) {
    files.set(name, JSON.parse(readFileSync(new URL(name, directory), 'utf8')));
  }
  return files;
}
