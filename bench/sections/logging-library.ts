import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'esbuild';
import { AUTHORIZER_NODE_OPTIONS } from '../../lib/token-authorizer.ts';
import { type Bundle, bundleLikeCdk, bytesByPackage } from '../harness/bundle.ts';
import type { BenchContext } from '../harness/context.ts';
import { authorizerEvent } from '../harness/events.ts';
import { summarize, type Timing } from '../harness/measure.ts';
import { formatBytes, formatDuration, formatRatio, type ResultRow, type SectionResult } from '../harness/report.ts';
import { LIMIT_RATIO } from './cold-start.ts';

const SECTION = 'powertools';
/** Issue 15's rule: Powertools is adopted unless it costs more than this share of the cold start. */
export const POWERTOOLS_MAX_COLD_START_COST = 0.1;
/** Launch rounds; each launches every variant once, those compared side by side. */
const ROUNDS = 300;
/** Consecutive rounds whose medians are compared, as the cold-start section pairs them. */
const ROUNDS_PER_BLOCK = 5;

const ROOT = new URL('../../', import.meta.url);
const path = (relative: string): string => fileURLToPath(new URL(relative, ROOT));
const OUT = path('bench/results/powertools/');
const RUNNER = path('bench/cold-start/invoke-once.mjs');
const AUTHORIZER_ENTRY = path('lambda/authorizer/handler.ts');
const TELEMETRY_ENTRY = path('bench/logging-library/telemetry-handler.ts');
const WARM_ENTRY = path('bench/logging-library/warm-telemetry.ts');
const POWERTOOLS_LOG = path('bench/logging-library/library-json-log.ts');
const HELLO_ENTRY = path('bench/cold-start/hello-handler.ts');
const LIMIT_ENTRY = path('bench/cold-start/limit-handler.ts');

/** Puts bench/logging-library/library-json-log.ts where the Lambda code imports its JSON log adapter. */
const powertoolsInPlaceOfJsonLog: Plugin = {
  name: 'powertools-in-place-of-json-log',
  setup(build) {
    build.onResolve({ filter: /\/adapters\/json-log\.ts$/ }, () => ({ path: POWERTOOLS_LOG }));
  },
};

type Credential = 'split' | 'phantom';

/** One bundle launched in every round. */
interface Variant {
  readonly name: string;
  readonly code: Bundle;
  readonly credential: Credential;
  readonly env?: Readonly<Record<string, string>>;
  readonly note: string;
}

/** The same entry bundled with our writers and with Powertools', and the limit it is held to. */
interface Comparison {
  readonly name: string;
  readonly ours: Variant;
  readonly powertools: Variant;
  /** The transport issue's hand-written limit (bench/cold-start/limit-handler.ts), for its budget. */
  readonly limit?: Variant;
}

interface Launch {
  readonly nodeBootMs: number;
  readonly importMs: number;
  readonly firstEventMs: number;
}

const initPlusFirstEvent = (launch: Launch): number => launch.importMs + launch.firstEventMs;

/**
 * Powertools for AWS Lambda's Logger and Metrics against our JSON log and EMF writer (issue 15),
 * on the authorizer as the construct ships it: bundled with the construct's esbuild options and
 * launched with its NODE_OPTIONS, a fresh `node` per launch that loads the bundle (init, the
 * module's top-level await) and answers one REST REQUEST event, as the cold-start section does,
 * against the same local parts over TLS. The Powertools variant is the same authorizer with
 * bench/logging-library/library-json-log.ts bundled in place of lambda/adapters/json-log.ts (same
 * call sites, same fields, metric names, dimensions, unit and namespace). Each is also held to the
 * transport issue's budget against the hand-written limit, launched beside them. Also: the writers
 * alone (import, construction and one fail-closed line with its metric), bundle sizes, and the warm
 * cost of one line and one metric in one process. Launches are interleaved: every round launches
 * every variant, those compared side by side in an order that rotates by round.
 */
export async function benchPowertools(context: BenchContext): Promise<SectionResult> {
  const { parts } = context;
  await rm(OUT, { recursive: true, force: true });
  const bundle = (entry: string, name: string, plugins: Plugin[] = []) =>
    bundleLikeCdk(entry, `${OUT}${name}`, { plugins });
  const authorizer = await bundle(AUTHORIZER_ENTRY, 'authorizer');
  const authorizerPowertools = await bundle(AUTHORIZER_ENTRY, 'authorizer-powertools', [powertoolsInPlaceOfJsonLog]);
  const limit = await bundle(LIMIT_ENTRY, 'limit');
  const telemetry = await bundle(TELEMETRY_ENTRY, 'telemetry');
  const telemetryPowertools = await bundle(TELEMETRY_ENTRY, 'telemetry-powertools', [powertoolsInPlaceOfJsonLog]);
  const hello = await bundle(HELLO_ENTRY, 'hello');
  const warm = await bundle(WARM_ENTRY, 'warm');

  const authorizerComparison = (credential: Credential, io: string): Comparison => {
    const note = `secret ∥ JWKS in init, then ${io}; allowed, no line at LOG_LEVEL=warn`;
    return {
      name: `authorizer, ${credential} token`,
      ours: { name: `authorizer, ${credential} token, ours`, code: authorizer, credential, note },
      powertools: { name: `authorizer, ${credential} token, Powertools`, code: authorizerPowertools, credential, note },
      limit: {
        name: `limit, ${credential}: node:https + node:crypto by hand`,
        code: limit,
        credential,
        env: { LIMIT_RESOLVES: credential },
        note: `secret ∥ JWKS in init, then ${io}`,
      },
    };
  };
  const writersNote = 'init makes the log; first event writes the fail-closed line and its metric';
  const comparisons: Comparison[] = [
    authorizerComparison('split', 'GetItem'),
    authorizerComparison('phantom', 'introspection'),
    {
      name: 'writers alone',
      ours: { name: 'writers alone, ours', code: telemetry, credential: 'split', note: writersNote },
      powertools: {
        name: 'writers alone, Powertools',
        code: telemetryPowertools,
        credential: 'split',
        note: writersNote,
      },
    },
  ];
  const floor: Variant = { name: 'hello world (floor)', code: hello, credential: 'split', note: 'returns a constant' };
  const groups: Variant[][] = [
    ...comparisons.map((c) => [c.ours, c.powertools, ...(c.limit ? [c.limit] : [])]),
    [floor],
  ];

  const split = await parts.issueSplitToken();
  const credentials: Record<Credential, string> = { split: split.opaque, phantom: await parts.issuePhantomToken() };
  const launches = new Map<string, Launch[]>(groups.flat().map((v) => [v.name, []]));
  const rounds = Math.max(2 * ROUNDS_PER_BLOCK, Math.round(ROUNDS * Math.min(1, context.scale)));
  for (let round = 0; round < rounds; round++) {
    for (const group of rotate(groups, round)) {
      for (const v of rotate(group, round)) {
        const event = authorizerEvent('REST REQUEST', credentials[v.credential]);
        const env = { ...parts.lambdaEnv, ...v.env, NODE_OPTIONS: AUTHORIZER_NODE_OPTIONS ?? '' };
        launches.get(v.name)?.push(await launchOnce(v.code.outfile, event, env));
      }
    }
    if ((round + 1) % 50 === 0) process.stderr.write(`bench: powertools: ${round + 1}/${rounds} rounds\n`);
  }
  const launchesOf = (v: Variant): Launch[] => launches.get(v.name) ?? [];

  const rows: ResultRow[] = [];
  const costs: { name: string; cost: number }[] = [];
  const budgets: { name: string; ours: number; powertools: number }[] = [];
  for (const comparison of comparisons) {
    const ours = launchesOf(comparison.ours);
    const powertools = launchesOf(comparison.powertools);
    const compared = compare(ours, powertools);
    const toLimit = comparison.limit
      ? {
          ours: blockRatio(ours, launchesOf(comparison.limit)),
          powertools: blockRatio(powertools, launchesOf(comparison.limit)),
        }
      : undefined;
    if (comparison.limit && toLimit) {
      costs.push({ name: comparison.name, cost: compared.cost });
      budgets.push({ name: comparison.name, ...toLimit });
      rows.push(coldRow(comparison.limit, launchesOf(comparison.limit)));
    }
    rows.push(
      {
        ...coldRow(comparison.ours, ours),
        ...(toLimit ? { ratio: { value: toLimit.ours, to: 'limit' } } : {}),
      },
      {
        ...coldRow(comparison.powertools, powertools),
        ...(toLimit ? { ratio: { value: toLimit.powertools, to: 'limit' } } : {}),
      },
      {
        section: SECTION,
        case: `${comparison.name}: Powertools' cost`,
        medianUs: compared.pairedDifferenceMs * 1000,
        ratio: { value: compared.blockRatio, to: 'ours' },
        detail:
          `${percent(compared.cost)} of ours: median of ${compared.pairs} paired launch differences (95% CI ` +
          `${formatDuration(compared.differenceLowMs * 1000)} to ${formatDuration(compared.differenceHighMs * 1000)}); ` +
          `init ${formatDuration(compared.initDifferenceMs * 1000)}, first event ` +
          `${formatDuration(compared.firstEventDifferenceMs * 1000)}`,
        figures: {
          ...compared,
          ...(toLimit ? { oursToLimit: toLimit.ours, powertoolsToLimit: toLimit.powertools } : {}),
        },
      },
    );
  }
  rows.push(coldRow(floor, launchesOf(floor)));

  for (const [name, code] of [
    ['authorizer bundle, ours', authorizer],
    ['authorizer bundle, Powertools', authorizerPowertools],
    ['writers alone, ours', telemetry],
    ['writers alone, Powertools', telemetryPowertools],
  ] as const) {
    rows.push(await sizeRow(name, code));
  }

  rows.push(...(await warmRows(warm, context.scale)));

  const withinCost = costs.every(({ cost }) => cost <= POWERTOOLS_MAX_COLD_START_COST);
  const withinBudget = budgets.every(({ powertools }) => powertools <= LIMIT_RATIO);
  rows.push({
    section: SECTION,
    case: `rule: adopt unless > ${percent(POWERTOOLS_MAX_COLD_START_COST)} of the cold start; budget ≤ ${formatRatio(LIMIT_RATIO)} limit must hold`,
    detail:
      `${withinCost && withinBudget ? 'adopt' : 'do not adopt'}: cost ` +
      costs.map(({ name, cost }) => `${name} ${percent(cost)}`).join(', ') +
      '; with Powertools ' +
      budgets.map(({ name, powertools }) => `${name} ${formatRatio(powertools)} limit`).join(', ') +
      ' (ours ' +
      budgets.map(({ ours }) => formatRatio(ours)).join(', ') +
      ')',
    figures: { adopt: withinCost && withinBudget, withinCost, withinBudget },
  });
  return { rows, budgets: [] };
}

/** `list` starting at position `round` modulo its length. */
function rotate<T>(list: readonly T[], round: number): T[] {
  const shift = round % list.length;
  return [...list.slice(shift), ...list.slice(0, shift)];
}

/**
 * The median over blocks of {@link ROUNDS_PER_BLOCK} rounds of the ratio of `of`'s median to
 * `reference`'s: how the cold-start section pairs its budget ratios.
 */
function blockRatio(of: readonly Launch[], reference: readonly Launch[]): number {
  const median = (values: readonly number[]): number => summarize(values).medianUs;
  const ratios: number[] = [];
  for (let from = 0; from + ROUNDS_PER_BLOCK <= Math.min(of.length, reference.length); from += ROUNDS_PER_BLOCK) {
    const block = (list: readonly Launch[]) =>
      median(list.slice(from, from + ROUNDS_PER_BLOCK).map(initPlusFirstEvent));
    ratios.push(block(of) / block(reference));
  }
  return median(ratios);
}

/** The figures of one comparison, Powertools against ours. */
interface Figures {
  readonly [figure: string]: number;
  readonly pairs: number;
  readonly oursMedianMs: number;
  readonly powertoolsMedianMs: number;
  /** Median over blocks of {@link ROUNDS_PER_BLOCK} rounds of the ratio of Powertools' median to ours. */
  readonly blockRatio: number;
  /** Median of Powertools' minus ours, launch by launch of the same round. */
  readonly pairedDifferenceMs: number;
  readonly differenceLowMs: number;
  readonly differenceHighMs: number;
  /** {@link pairedDifferenceMs} as a share of our median. */
  readonly cost: number;
  readonly initDifferenceMs: number;
  readonly firstEventDifferenceMs: number;
}

function compare(ours: readonly Launch[], powertools: readonly Launch[]): Figures {
  const median = (values: readonly number[]): number => summarize(values).medianUs;
  const count = Math.min(ours.length, powertools.length);
  const differences = (of: (launch: Launch) => number): number[] =>
    Array.from({ length: count }, (_, i) => of(powertools[i] as Launch) - of(ours[i] as Launch));
  const total = differences(initPlusFirstEvent);
  const [differenceLowMs, differenceHighMs] = medianConfidenceInterval(total);
  const oursMedianMs = median(ours.map(initPlusFirstEvent));
  const pairedDifferenceMs = median(total);
  return {
    pairs: count,
    oursMedianMs,
    powertoolsMedianMs: median(powertools.map(initPlusFirstEvent)),
    blockRatio: blockRatio(powertools, ours),
    pairedDifferenceMs,
    differenceLowMs,
    differenceHighMs,
    cost: pairedDifferenceMs / oursMedianMs,
    initDifferenceMs: median(differences((launch) => launch.importMs)),
    firstEventDifferenceMs: median(differences((launch) => launch.firstEventMs)),
  };
}

/**
 * A distribution-free 95% confidence interval of the median (order statistics of the binomial
 * with p = 1/2, normal approximation): the pairs' differences need not be normal, and are not.
 */
function medianConfidenceInterval(values: readonly number[]): [number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const k = Math.max(0, Math.floor(n / 2 - 0.98 * Math.sqrt(n)));
  return [sorted[k] ?? Number.NaN, sorted[Math.min(n - 1, n - 1 - k)] ?? Number.NaN];
}

function coldFigures(list: readonly Launch[], code: Bundle): Record<string, number> {
  const median = (values: number[]): number => summarize(values).medianUs;
  return {
    launches: list.length,
    initPlusFirstEventMedianMs: median(list.map(initPlusFirstEvent)),
    initMedianMs: median(list.map((l) => l.importMs)),
    firstEventMedianMs: median(list.map((l) => l.firstEventMs)),
    nodeBootMedianMs: median(list.map((l) => l.nodeBootMs)),
    bundleBytes: code.bytes,
  };
}

function coldRow(variant: Variant, list: readonly Launch[]): ResultRow {
  const figures = coldFigures(list, variant.code);
  const total: Timing = summarize(list.map((l) => initPlusFirstEvent(l) * 1000));
  return {
    section: SECTION,
    case: `${variant.name}: init + first event`,
    medianUs: total.medianUs,
    p99Us: total.p99Us,
    detail:
      `init ${formatDuration((figures.initMedianMs ?? 0) * 1000)}, first event ` +
      `${formatDuration((figures.firstEventMedianMs ?? 0) * 1000)}; ${list.length} launches; ` +
      `${formatBytes(variant.code.bytes)}; ${variant.note}`,
    figures,
  };
}

async function sizeRow(name: string, code: Bundle): Promise<ResultRow> {
  const gzipBytes = gzipSync(await readFile(code.outfile)).length;
  const byPackage = bytesByPackage(code.metafile);
  const powertoolsBytes = byPackage
    .filter(([owner]) => owner.startsWith('@aws-lambda-powertools/') || owner === '@aws/lambda-invoke-store')
    .reduce((sum, [, bytes]) => sum + bytes, 0);
  return {
    section: SECTION,
    case: name,
    detail:
      `${formatBytes(code.bytes)} minified, ${formatBytes(gzipBytes)} gzip` +
      (powertoolsBytes > 0
        ? `; Powertools (logger, metrics, commons, lambda-invoke-store) ${formatBytes(powertoolsBytes)}`
        : ''),
    figures: { bytes: code.bytes, gzipBytes, powertoolsBytes },
  };
}

/** Runs bench/logging-library/warm-telemetry.ts's bundle in a child whose output goes to /dev/null. */
async function warmRows(code: Bundle, scale: number): Promise<ResultRow[]> {
  const outFile = `${OUT}warm.json`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [code.outfile, outFile, String(scale)], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: 'ignore',
    });
    child.on('error', reject);
    child.on('close', (exit) => (exit === 0 ? resolve() : reject(new Error(`warm telemetry exited ${exit}`))));
  });
  const { timings, ratios } = JSON.parse(await readFile(outFile, 'utf8')) as {
    timings: Record<string, Timing>;
    ratios: Record<string, number>;
  };
  return Object.entries(timings).map(([name, timing]) => ({
    section: `${SECTION} (warm)`,
    case: name,
    medianUs: timing.medianUs,
    p99Us: timing.p99Us,
    ...(ratios[name] === undefined ? {} : { ratio: { value: ratios[name], to: 'ours' } }),
  }));
}

/**
 * Starts `node invoke-once.mjs <bundle>` with the event on stdin and reads its timings: the line
 * that starts with its report (the handler's own log lines may come before it).
 */
function launchOnce(bundle: string, event: unknown, env: Readonly<Record<string, string>>): Promise<Launch> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, bundle], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (exit) => {
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('{"nodeBootMs"'));
      if (exit !== 0 || line === undefined) {
        reject(new Error(`${SECTION}: launch failed (exit ${exit}): ${stderr.slice(0, 300)}`));
        return;
      }
      const report = JSON.parse(line) as Launch & { allowed: boolean; error?: string };
      if (!report.allowed) {
        reject(new Error(`${SECTION}: ${bundle} did not allow (${report.error ?? 'deny'})`));
        return;
      }
      resolve({ nodeBootMs: report.nodeBootMs, importMs: report.importMs, firstEventMs: report.firstEventMs });
    });
    child.stdin.end(JSON.stringify(event));
  });
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
