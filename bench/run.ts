/**
 * `npm run bench`: every path measured side by side in one run, printed as a table and written as
 * JSON (bench/results/latest.json). Exits 1 when a budget of the issue is missed or a section could
 * not run. `BENCH_SCALE=0.1` scales iteration counts down for a quick look (budgets still checked);
 * `BENCH_ONLY=cold,load` (or `npm run bench -- cold load`) runs only the named sections; sections on
 * request run only when named. The authorization server and DynamoDB are reached over TLS on
 * loopback, as the Lambda reaches them, with a throwaway certificate.
 */
import { fileURLToPath } from 'node:url';
import type { BenchContext } from './harness/context.ts';
import { startLocalParts } from './harness/local-parts.ts';
import { benchCertificate } from './harness/loopback-front.ts';
import { bundleAuthorizerHandler, loadMeasuredCode } from './harness/measured-bundle.ts';
import {
  type BudgetCheck,
  machineOf,
  type ResultRow,
  renderBudgets,
  renderResults,
  type SectionResult,
  writeJson,
} from './harness/report.ts';
import { benchCacheHit } from './sections/cache-hit.ts';
import { benchColdStart } from './sections/cold-start.ts';
import { benchHandlerEndToEnd } from './sections/handler-end-to-end.ts';
import { benchJwtVerification } from './sections/jwt-verification.ts';
import { benchLoad } from './sections/load.ts';
import { benchPowertools } from './sections/logging-library.ts';
import { benchPhantomMiss } from './sections/phantom-miss.ts';
import { benchReplication } from './sections/replication.ts';
import { benchSenderConstrained } from './sections/sender-constrained.ts';
import { benchSplitMiss } from './sections/split-miss.ts';

const RESULTS_PATH = fileURLToPath(new URL('./results/latest.json', import.meta.url));

/** Sections in the order; the key is what BENCH_ONLY names. */
const SECTIONS: readonly (readonly [string, string, (context: BenchContext) => Promise<SectionResult>])[] = [
  ['cache', 'cache hit', benchCacheHit],
  ['jwt', 'JWT verification', benchJwtVerification],
  ['split', 'split miss', benchSplitMiss],
  ['phantom', 'phantom miss', benchPhantomMiss],
  ['handler', 'handler end to end', benchHandlerEndToEnd],
  ['bound', 'sender-constrained', benchSenderConstrained],
  ['cold', 'cold start', benchColdStart],
  ['load', 'load', benchLoad],
  ['replication', 'replication', benchReplication],
];

/** Sections that run only when named: they record a decision, not a budget, and take minutes. */
const ON_REQUEST: readonly (readonly [string, string, (context: BenchContext) => Promise<SectionResult>])[] = [
  ['powertools', 'Powertools Logger and Metrics', benchPowertools],
];

async function main(): Promise<number> {
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  if (!(scale > 0)) throw new Error('BENCH_SCALE must be a positive number');
  const named = [...(process.env.BENCH_ONLY?.split(',') ?? []), ...process.argv.slice(2)].map((name) => name.trim());
  const only = named.length > 0 ? named : undefined;
  // Lambda runs Node 22+, where the SDK prints no Node 20 deprecation warning; neither does the bench.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // Runs the bench again in a process that trusts the loopback certificate (see benchCertificate).
  const certificate = await benchCertificate();
  const startedAt = new Date();
  const parts = await startLocalParts(certificate);
  const context: BenchContext = {
    parts,
    scale,
    code: await loadMeasuredCode(),
    authorizerHandlerBundle: await bundleAuthorizerHandler(),
  };
  const rows: ResultRow[] = [];
  const budgets: BudgetCheck[] = [];
  const sections: Record<string, SectionResult> = {};
  try {
    for (const [key, title, bench] of [...SECTIONS, ...ON_REQUEST]) {
      if (only ? !only.includes(key) : ON_REQUEST.some(([onRequest]) => onRequest === key)) continue;
      process.stderr.write(`bench: ${title}…\n`);
      const began = performance.now();
      let result: SectionResult;
      try {
        result = await bench(context);
      } catch (error) {
        result = { rows: [], budgets: [], skipped: error instanceof Error ? error.message : String(error) };
      }
      process.stderr.write(`bench: ${title} done in ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
      sections[title] = result;
      rows.push(...result.rows);
      budgets.push(...result.budgets);
      if (result.skipped !== undefined) {
        budgets.push({ budget: `${title} ran`, measured: `failed: ${result.skipped}`, limit: 'runs', ok: false });
      }
    }
  } finally {
    await parts.stop();
  }

  const ok = budgets.every((check) => check.ok);
  process.stdout.write(`\n${renderResults(rows)}\n\n${renderBudgets(budgets)}\n\n`);
  await writeJson(RESULTS_PATH, {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machineOf(),
    scale,
    ok,
    budgets,
    sections,
  });
  process.stdout.write(`JSON: ${RESULTS_PATH}\n`);
  process.stdout.write(ok ? 'All budgets met.\n' : `Budgets missed: ${budgets.filter((b) => !b.ok).length}\n`);
  return ok ? 0 : 1;
}

process.exit(await main());
