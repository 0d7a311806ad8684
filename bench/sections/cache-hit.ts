import { ROUTE } from '../harness/bench-constants.ts';
import { type BenchContext, scaled } from '../harness/context.ts';
import { authorizerEvent, isAllow } from '../harness/events.ts';
import { loadAuthorizerHandler } from '../harness/handler-instance.ts';
import { compareSideBySide, times, timingOf } from '../harness/measure.ts';
import { formatDuration, type SectionResult } from '../harness/report.ts';

const SECTION = 'cache hit';
/** Budget: at most this per authorization of a repeated token. */
const CACHE_HIT_BUDGET_US = 10;

/**
 * A repeated token, answered from the in-memory cache: through the core's resolver, and through
 * the real Lambda handler (REST REQUEST event in, policy out).
 */
export async function benchCacheHit(context: BenchContext): Promise<SectionResult> {
  const { parts } = context;
  const { AuthorizerAnswers, benchTokenStore, createBenchResolver, readAuthorizerEvent } = context.code;
  const token = await parts.issueSplitToken();
  const resolver = createBenchResolver({
    parts,
    store: benchTokenStore(parts),
    introspection: false,
    cacheMaxEntries: 10_000,
  });
  const request = { authorization: `Bearer ${token.opaque}`, targets: [ROUTE] };
  const first = await resolver.resolve(request);
  const second = await resolver.resolve(request);
  if (first.effect !== 'allow' || second.effect !== 'allow' || !second.cached) {
    throw new Error('cache hit: the repeated token was not an allow from the cache');
  }
  const event = authorizerEvent('REST REQUEST', token.opaque);
  const handler = await loadAuthorizerHandler(context.authorizerHandlerBundle, 'cache-hit', parts.lambdaEnv, event);
  if (!isAllow(await handler(event), event)) throw new Error('cache hit: the handler did not allow');

  const answers = new AuthorizerAnswers('simple');
  const parsed = readAuthorizerEvent(event);

  const timings = await compareSideBySide(
    [
      { name: 'resolver', run: () => resolver.resolve(request) },
      { name: 'handler', run: () => handler(event) },
      { name: 'event', run: () => readAuthorizerEvent(event) },
      { name: 'answer', run: () => answers.answer(parsed, second) },
    ],
    scaled(context, { warmupIterations: 5000, rounds: 40, iterationsPerRound: 1000 }),
  );
  const resolverTiming = timingOf(timings, 'resolver');
  const handlerTiming = timingOf(timings, 'handler');
  return {
    rows: [
      { section: SECTION, case: 'TokenResolver.resolve', ...times(resolverTiming) },
      { section: SECTION, case: 'handler, REST REQUEST event', ...times(handlerTiming) },
      { section: SECTION, case: 'of which: readAuthorizerEvent (REST REQUEST)', ...times(timingOf(timings, 'event')) },
      {
        section: SECTION,
        case: 'of which: AuthorizerAnswers.answer (REST policy)',
        ...times(timingOf(timings, 'answer')),
      },
    ],
    budgets: [
      {
        budget: 'cache hit through the handler',
        measured: formatDuration(handlerTiming.medianUs),
        limit: `≤ ${CACHE_HIT_BUDGET_US} µs`,
        ok: handlerTiming.medianUs <= CACHE_HIT_BUDGET_US,
      },
    ],
  };
}
