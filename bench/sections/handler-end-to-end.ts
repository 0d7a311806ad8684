import { type BenchContext, scaled } from '../harness/context.ts';
import { authorizerEvent, EVENT_FORMATS, isAllow } from '../harness/events.ts';
import { type LambdaHandler, loadAuthorizerHandler } from '../harness/handler-instance.ts';
import { compareSideBySide, times, timingOf } from '../harness/measure.ts';
import type { ResultRow, SectionResult } from '../harness/report.ts';

const SECTION = 'handler end to end';

/**
 * The real Lambda entry (`lambda/authorizer/handler.ts`, configured from the environment as in
 * Lambda) for each event format: a repeated token (cache hit), and a split token with the cache
 * off (a second handler instance with CACHE_MAX_ENTRIES=0: hash, GetItem, verify, answer).
 */
export async function benchHandlerEndToEnd(context: BenchContext): Promise<SectionResult> {
  const { parts } = context;
  const token = await parts.issueSplitToken();
  const events = EVENT_FORMATS.map((format) => ({ format, event: authorizerEvent(format, token.opaque) }));
  const warmUp = events[0]?.event;
  const cached = await loadAuthorizerHandler(context.authorizerHandlerBundle, 'e2e-cached', parts.lambdaEnv, warmUp);
  const uncached = await loadAuthorizerHandler(
    context.authorizerHandlerBundle,
    'e2e-uncached',
    { ...parts.lambdaEnv, CACHE_MAX_ENTRIES: '0' },
    warmUp,
  );
  delete process.env.CACHE_MAX_ENTRIES;
  for (const { format, event } of events) {
    for (const handler of [cached, uncached]) {
      if (!isAllow(await handler(event), event)) throw new Error(`${SECTION}: ${format} was not allowed`);
    }
  }
  const candidates = (handler: LambdaHandler) =>
    events.map(({ format, event }) => ({ name: format, run: () => handler(event) }));
  const hits = await compareSideBySide(
    candidates(cached),
    scaled(context, { warmupIterations: 5000, rounds: 30, iterationsPerRound: 1000 }),
  );
  const misses = await compareSideBySide(
    candidates(uncached),
    scaled(context, { warmupIterations: 200, rounds: 30, iterationsPerRound: 20 }),
  );
  const rows: ResultRow[] = [];
  for (const { format } of events) {
    rows.push({ section: SECTION, case: `${format}, cache hit`, ...times(timingOf(hits, format)) });
  }
  for (const { format } of events) {
    rows.push({ section: SECTION, case: `${format}, split miss (cache off)`, ...times(timingOf(misses, format)) });
  }
  return { rows, budgets: [] };
}
