// Writes the files README.md shows a user, so the consumer check runs exactly what the README says:
// each fenced block that follows a `<!-- consumer-check: <path> -->` line goes to <app>/<path>.
// Usage: node readme-snippets.mjs <README.md> <app-dir> <paths expected, comma-separated>
// Plain JavaScript: it runs in the consumer app, which has neither tsx nor this repository's packages.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const [readme, app, expected] = process.argv.slice(2);
const snippet = /<!-- consumer-check: (\S+) -->\s*\n```[a-z]*\n([\s\S]*?)\n```/g;
const written = [];
for (const [, path, code] of readFileSync(readme, 'utf8').matchAll(snippet)) {
  const target = join(app, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, `${code}\n`);
  written.push(path);
}
if (written.sort().join(',') !== expected.split(',').sort().join(',')) {
  console.error(`README.md's consumer-check blocks: found ${written.join(', ') || 'none'}, expected ${expected}`);
  process.exit(1);
}
console.error(`from README.md: ${written.join(', ')}`);
