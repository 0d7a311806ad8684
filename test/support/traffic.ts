import type { OutcomeKind } from './authorizer-outcome.ts';

/** One kind of request in a traffic mix. */
export interface RequestKind {
  readonly label: string;
  /** Whether the credential is valid for the route (an allow is then the right answer). */
  readonly valid: boolean;
  readonly send: () => Promise<OutcomeKind>;
}

/** One request as it happened. */
export interface TrafficSample {
  readonly label: string;
  readonly valid: boolean;
  readonly startedAtMs: number;
  readonly durationMs: number;
  readonly outcome: OutcomeKind;
}

/** A span of time, epoch milliseconds. */
export interface TimeWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * Sends requests round-robin over `kinds` from `concurrency` loops until `stop()` resolves, and
 * records each one's outcome and answer time.
 */
export async function runTraffic(
  kinds: readonly RequestKind[],
  options: { readonly concurrency: number; readonly until: Promise<unknown>; readonly pauseMs?: number },
): Promise<TrafficSample[]> {
  const samples: TrafficSample[] = [];
  let stopped = false;
  void options.until.finally(() => {
    stopped = true;
  });
  let next = 0;
  const loop = async () => {
    while (!stopped) {
      const kind = kinds[next++ % kinds.length] as RequestKind;
      const startedAtMs = Date.now();
      const started = performance.now();
      const outcome = await kind.send();
      samples.push({
        label: kind.label,
        valid: kind.valid,
        startedAtMs,
        durationMs: performance.now() - started,
        outcome,
      });
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  return samples;
}

/** Whether a request overlapped `window`. */
export function overlaps(sample: TrafficSample, window: TimeWindow): boolean {
  return sample.startedAtMs <= window.toMs && sample.startedAtMs + sample.durationMs >= window.fromMs;
}

/** Counts per label and outcome, for reports. */
export function tallyOf(samples: readonly TrafficSample[]): Record<string, Record<string, number>> {
  const tally: Record<string, Record<string, number>> = {};
  for (const sample of samples) {
    const row = tally[sample.label] ?? {};
    tally[sample.label] = row;
    row[sample.outcome] = (row[sample.outcome] ?? 0) + 1;
  }
  return tally;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
