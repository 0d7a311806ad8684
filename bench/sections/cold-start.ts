import { spawn } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { type Bundle, type BundleVariant, bundleLikeCdk, bytesByPackage } from '../harness/bundle.ts';
import type { BenchContext } from '../harness/context.ts';
import { authorizerEvent } from '../harness/events.ts';
import { summarize } from '../harness/measure.ts';
import {
  type BudgetCheck,
  formatBytes,
  formatDuration,
  formatRatio,
  type ResultRow,
  type SectionResult,
} from '../harness/report.ts';

const SECTION = 'cold start';
const BUNDLE_SECTION = 'bundle';
/** Budget: the authorizer's init + first event at most this multiple of the jose-only handler's. */
const LIMIT_RATIO = 2;
/** Process launches per variant, interleaved. */
const LAUNCHES = 15;

const ROOT = new URL('../../', import.meta.url);
const path = (relative: string): string => fileURLToPath(new URL(relative, ROOT));
const OUT = path('bench/results/cold-start/');
const RUNNER = path('bench/cold-start/invoke-once.mjs');
const AUTHORIZER_ENTRY = path('lambda/authorizer-handler.ts');
const SHIM_CLIENT = path('bench/cold-start/sigv4-wiring/dynamodb-client-shim.ts');
const SHIM_STORE = path('bench/cold-start/sigv4-wiring/token-store-shim.ts');

const HELLO = 'hello world';
const JOSE = 'jose only (reference)';
const DEPLOYED = 'authorizer as deployed';
const NO_SOURCE_MAPS = 'authorizer, without --enable-source-maps';
const SDK_EXTERNAL = 'authorizer, @aws-sdk/* external';
const SIGV4 = 'authorizer, SigV4 store (no SDK)';
const SIGV4_NO_SOURCE_MAPS = 'authorizer, SigV4 store, without --enable-source-maps';

interface Variant {
  readonly name: string;
  readonly entry: string;
  readonly bundle: BundleVariant;
  /** Which credential the event carries: the opaque split token, or the whole JWT. */
  readonly credential: 'opaque' | 'jwt';
  /** NODE_OPTIONS of the function; the construct sets --enable-source-maps. */
  readonly nodeOptions: string;
  readonly note: string;
}

interface Launch {
  readonly wallMs: number;
  readonly nodeBootMs: number;
  readonly importMs: number;
  readonly firstEventMs: number;
  readonly allowed: boolean;
  readonly error?: string;
}

/**
 * Bundles every Lambda entry as the construct does and reports sizes and what fills them; then
 * launches a fresh `node` per measurement that loads a bundle and answers one REST REQUEST event
 * (against this process's dynalite, oidc-provider JWKS and secrets-extension emulator), for the
 * authorizer as deployed, its ways out (SDK external, SigV4 store), and the hello-world and
 * jose-only references, interleaved.
 */
export async function benchColdStart(context: BenchContext): Promise<SectionResult> {
  const { parts } = context;
  await rm(OUT, { recursive: true, force: true });
  const rows: ResultRow[] = [];

  for (const entry of await lambdaEntries()) {
    const bundle = await bundleLikeCdk(path(`lambda/${entry}`), `${OUT}entries/${entry.replace(/\.ts$/, '')}`);
    rows.push(bundleRow(`lambda/${entry}`, bundle));
  }

  const substitutions = { count: 0 };
  const variants: Variant[] = [
    variant(HELLO, path('bench/cold-start/hello-handler.ts'), {}, 'opaque', 'returns a constant'),
    variant(JOSE, path('bench/cold-start/jose-handler.ts'), {}, 'jwt', 'remote JWKS + jwtVerify'),
    variant(DEPLOYED, AUTHORIZER_ENTRY, {}, 'opaque', 'SDK bundled, as the construct does'),
    {
      ...variant(NO_SOURCE_MAPS, AUTHORIZER_ENTRY, {}, 'opaque', 'same bundle, NODE_OPTIONS unset'),
      nodeOptions: '',
    },
    variant(
      SDK_EXTERNAL,
      AUTHORIZER_ENTRY,
      { external: ['@aws-sdk/*'] },
      'opaque',
      "SDK loaded unbundled from node_modules, standing in for the runtime's",
    ),
    variant(
      SIGV4,
      AUTHORIZER_ENTRY,
      { plugins: [sigv4Wiring(substitutions)] },
      'opaque',
      'SigV4DynamoDbTokenStore wired in place of the SDK store',
    ),
    {
      ...variant(SIGV4_NO_SOURCE_MAPS, AUTHORIZER_ENTRY, {}, 'opaque', 'same bundle, NODE_OPTIONS unset'),
      nodeOptions: '',
    },
  ];
  /** Variants that run another variant's bundle with other NODE_OPTIONS. */
  const sameBundleAs: Readonly<Record<string, string>> = { [NO_SOURCE_MAPS]: DEPLOYED, [SIGV4_NO_SOURCE_MAPS]: SIGV4 };
  const bundles = new Map<string, Bundle>();
  for (const v of variants) {
    const shared = sameBundleAs[v.name];
    const existing = shared === undefined ? undefined : bundles.get(shared);
    const bundle = existing ?? (await bundleLikeCdk(v.entry, `${OUT}variants/${slug(v.name)}`, v.bundle));
    bundles.set(v.name, bundle);
    if (v.name === SIGV4 || v.name === SDK_EXTERNAL) rows.push(bundleRow(v.name, bundle));
  }
  const sigv4AlreadyWired = substitutions.count === 0;

  const token = await parts.issueSplitToken();
  const launches = new Map<string, Launch[]>(variants.map((v) => [v.name, []]));
  const launchCount = Math.max(3, Math.round(LAUNCHES * Math.min(1, context.scale)));
  for (let round = 0; round < launchCount; round++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(round + k) % variants.length] as Variant;
      const event = authorizerEvent('REST REQUEST', v.credential === 'jwt' ? token.jwt : token.opaque);
      const launch = await launchOnce((bundles.get(v.name) as Bundle).outfile, event, {
        ...parts.lambdaEnv,
        NODE_OPTIONS: v.nodeOptions,
      });
      if (!launch.allowed) throw new Error(`${SECTION}: ${v.name} did not allow (${launch.error ?? 'deny'})`);
      launches.get(v.name)?.push(launch);
    }
  }

  const stats = (name: string) => {
    const list = launches.get(name) ?? [];
    return {
      wall: summarize(list.map((l) => l.wallMs * 1000)),
      code: summarize(list.map((l) => (l.importMs + l.firstEventMs) * 1000)),
      importUs: summarize(list.map((l) => l.importMs * 1000)).medianUs,
      firstEventUs: summarize(list.map((l) => l.firstEventMs * 1000)).medianUs,
      bootUs: summarize(list.map((l) => l.nodeBootMs * 1000)).medianUs,
    };
  };
  /** Paired by launch round, like the in-process ratios: the median of this variant / jose-only per round. */
  const ratioToJose = (name: string): number => {
    const mine = launches.get(name) ?? [];
    const jose = launches.get(JOSE) ?? [];
    const code = (launch: Launch | undefined) => (launch ? launch.importMs + launch.firstEventMs : Number.NaN);
    return summarize(mine.map((launch, round) => code(launch) / code(jose[round]))).medianUs;
  };
  for (const v of variants) {
    const s = stats(v.name);
    const bundle = bundles.get(v.name) as Bundle;
    rows.push({
      section: SECTION,
      case: `${v.name}: init + first event`,
      medianUs: s.code.medianUs,
      p99Us: s.code.p99Us,
      ...(v.name === JOSE ? {} : { ratio: { value: ratioToJose(v.name), to: 'jose' } }),
      detail:
        `import ${formatDuration(s.importUs)}, first event ${formatDuration(s.firstEventUs)}; ` +
        `process start→answer ${formatDuration(s.wall.medianUs)}; ${formatBytes(bundle.bytes)}; ${v.note}` +
        (v.name === SIGV4 && sigv4AlreadyWired ? ' (already the wiring: no substitution)' : ''),
      figures: {
        launches: s.code.samples,
        initPlusFirstEventMedianMs: s.code.medianUs / 1000,
        importMedianMs: s.importUs / 1000,
        firstEventMedianMs: s.firstEventUs / 1000,
        nodeBootMedianMs: s.bootUs / 1000,
        processStartToAnswerMedianMs: s.wall.medianUs / 1000,
        processStartToAnswerP99Ms: s.wall.p99Us / 1000,
        bundleBytes: bundle.bytes,
        sourceMapBytes: bundle.mapBytes,
      },
    });
  }

  // The budget applies to what ships; the ways out are shown for comparison.
  const ratio = ratioToJose(DEPLOYED);
  const budgets: BudgetCheck[] = [
    {
      budget: `cold start (${DEPLOYED})`,
      measured: `${formatRatio(ratio)} jose-only`,
      limit: `≤ ${formatRatio(LIMIT_RATIO)}`,
      ok: ratio <= LIMIT_RATIO,
    },
  ];
  return { rows, budgets };
}

function variant(
  name: string,
  entry: string,
  bundle: BundleVariant,
  credential: 'opaque' | 'jwt',
  note: string,
): Variant {
  return { name, entry, bundle, credential, nodeOptions: '--enable-source-maps', note };
}

/** Every Lambda entry of the project: `lambda/*-handler.ts`. */
async function lambdaEntries(): Promise<string[]> {
  return (await readdir(path('lambda'))).filter((name) => name.endsWith('-handler.ts')).sort();
}

function bundleRow(name: string, bundle: Bundle): ResultRow {
  const top = bytesByPackage(bundle.metafile).slice(0, 5);
  return {
    section: BUNDLE_SECTION,
    case: name,
    detail: `${formatBytes(bundle.bytes)} (+${formatBytes(bundle.mapBytes)} map): ${top
      .map(([owner, bytes]) => `${owner} ${formatBytes(bytes)}`)
      .join(', ')}`,
    figures: { bytes: bundle.bytes, sourceMapBytes: bundle.mapBytes, ...Object.fromEntries(top) },
  };
}

/**
 * Replaces, for `lambda/authorizer.ts` only, the SDK client and the SDK token store with the shims
 * in bench/cold-start/sigv4-wiring: the bundle the composition root would make once it wires
 * SigV4DynamoDbTokenStore. Counts substitutions; none means the wiring is done already.
 */
function sigv4Wiring(substitutions: { count: number }): Plugin {
  const fromAuthorizer = (importer: string): boolean => importer.endsWith('/lambda/authorizer.ts');
  return {
    name: 'sigv4-token-store-wiring',
    setup(build) {
      build.onResolve({ filter: /^@aws-sdk\/client-dynamodb$/ }, (args) => {
        if (!fromAuthorizer(args.importer)) return undefined;
        substitutions.count++;
        return { path: SHIM_CLIENT };
      });
      build.onResolve({ filter: /\/dynamodb-token-store\.ts$/ }, (args) => {
        if (!fromAuthorizer(args.importer)) return undefined;
        substitutions.count++;
        return { path: SHIM_STORE };
      });
    },
  };
}

/** Starts `node invoke-once.mjs <bundle>` with the event on stdin; timings from both sides. */
function launchOnce(bundle: string, event: unknown, env: Readonly<Record<string, string>>): Promise<Launch> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [RUNNER, bundle], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let answeredAt: number | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (answeredAt === undefined && stdout.includes('\n')) answeredAt = performance.now();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n')[0] ?? '';
      if (code !== 0 || answeredAt === undefined || line === '') {
        // stderr of a handler holds no token: the handler logs ids and codes only.
        reject(new Error(`cold start launch failed (exit ${code}): ${stderr.slice(0, 300)}`));
        return;
      }
      const report = JSON.parse(line) as Omit<Launch, 'wallMs'>;
      resolve({ ...report, wallMs: answeredAt - started });
    });
    child.stdin.end(JSON.stringify(event));
  });
}

function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
