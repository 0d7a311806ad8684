import type { LocalParts } from './local-parts.ts';
import type { SideBySideOptions } from './measure.ts';
import type { MeasuredCode } from './measured-bundle.ts';

/** What every section gets. */
export interface BenchContext {
  readonly parts: LocalParts;
  /** What the sections time, ours and the limits: bundled as the Lambda's code is (measured-code.ts). */
  readonly code: MeasuredCode;
  /** `lambda/authorizer/handler.ts` bundled as the construct bundles it. */
  readonly authorizerHandlerBundle: string;
  /** Scales iteration counts: 1 for a real run, less for a quick look (`BENCH_SCALE=0.1`). */
  readonly scale: number;
}

/** Iteration counts scaled for the run, never below a floor that still gives a median. */
export function scaled(context: BenchContext, options: SideBySideOptions): SideBySideOptions {
  const scale = (value: number, floor: number): number => Math.max(floor, Math.round(value * context.scale));
  return {
    warmupIterations: scale(options.warmupIterations, 10),
    rounds: scale(options.rounds, 4),
    iterationsPerRound: scale(options.iterationsPerRound, 3),
  };
}
