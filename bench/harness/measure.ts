import type { ResultRow } from './report.ts';
/** One thing to time: a call whose cost is measured, sync or async. */
export interface Candidate {
  readonly name: string;
  readonly run: () => unknown;
}

/** Settings of {@link compareSideBySide}. */
export interface SideBySideOptions {
  /** Calls per candidate before timing starts (JIT, connection pools, key caches). */
  readonly warmupIterations: number;
  /** Rounds; in each, every candidate runs {@link iterationsPerRound} timed calls, in rotating order. */
  readonly rounds: number;
  readonly iterationsPerRound: number;
}

/** Timing of one candidate, in microseconds per call. */
export interface Timing {
  readonly medianUs: number;
  readonly p99Us: number;
  readonly meanUs: number;
  readonly samples: number;
}

/** What {@link compareSideBySide} measured. */
export class SideBySide {
  private readonly samples: ReadonlyMap<string, Float64Array>;
  private readonly rounds: number;
  private readonly iterationsPerRound: number;

  constructor(samples: ReadonlyMap<string, Float64Array>, rounds: number, iterationsPerRound: number) {
    this.samples = samples;
    this.rounds = rounds;
    this.iterationsPerRound = iterationsPerRound;
  }

  /** Median, p99 and mean per call over every timed call. */
  timing(name: string): Timing {
    return summarize(this.samplesOf(name));
  }

  /**
   * How many times slower `name` is than `reference`: the median over rounds of the ratio of their
   * medians in that round. Paired by round, so load that comes and goes on a shared machine during
   * the run moves both sides of each ratio alike.
   */
  ratio(name: string, reference: string): number {
    const of = this.samplesOf(name);
    const ref = this.samplesOf(reference);
    const ratios = new Float64Array(this.rounds);
    for (let round = 0; round < this.rounds; round++) {
      const from = round * this.iterationsPerRound;
      const to = from + this.iterationsPerRound;
      ratios[round] = summarize(of.subarray(from, to)).medianUs / summarize(ref.subarray(from, to)).medianUs;
    }
    return summarize(ratios).medianUs;
  }

  private samplesOf(name: string): Float64Array {
    const samples = this.samples.get(name);
    if (samples === undefined) throw new Error(`no timing for ${name}`);
    return samples;
  }
}

/**
 * Times candidates side by side: warm-up, then short interleaved rounds, so that every candidate
 * sees the same machine load, GC pressure and server state. Each call is timed on its own
 * (process.hrtime, ~0.1 µs of overhead), which gives medians and tail percentiles.
 */
export async function compareSideBySide(
  candidates: readonly Candidate[],
  options: SideBySideOptions,
): Promise<SideBySide> {
  for (const candidate of candidates) {
    for (let i = 0; i < options.warmupIterations; i++) {
      const result = candidate.run();
      if (result instanceof Promise) await result;
    }
  }
  const samples = candidates.map(() => new Float64Array(options.rounds * options.iterationsPerRound));
  let filled = 0;
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < candidates.length; k++) {
      const index = (round + k) % candidates.length;
      const candidate = candidates[index] as Candidate;
      const target = samples[index] as Float64Array;
      for (let i = 0; i < options.iterationsPerRound; i++) {
        const start = process.hrtime.bigint();
        const result = candidate.run();
        if (result instanceof Promise) await result;
        target[filled + i] = Number(process.hrtime.bigint() - start) / 1000;
      }
    }
    filled += options.iterationsPerRound;
  }
  return new SideBySide(
    new Map(candidates.map((candidate, index) => [candidate.name, samples[index] as Float64Array])),
    options.rounds,
    options.iterationsPerRound,
  );
}

/** Median, p99 and mean of samples (any unit). */
export function summarize(values: ArrayLike<number>): Timing {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  let sum = 0;
  for (const value of sorted) sum += value;
  return { medianUs: at(0.5), p99Us: at(0.99), meanUs: sum / sorted.length, samples: sorted.length };
}

/** The timing of `name`, which {@link compareSideBySide} was given. */
export function timingOf(measured: SideBySide, name: string): Timing {
  return measured.timing(name);
}

/** Median and p99 of a timing, as a result row carries them. */
export function times(timing: Timing): { medianUs: number; p99Us: number } {
  return { medianUs: timing.medianUs, p99Us: timing.p99Us };
}

/**
 * Result rows for `names` of one section, each with its median and p99 and, but for the reference
 * itself, its ratio to `reference` (labelled `to`).
 */
export function ratioRows(
  measured: SideBySide,
  section: string,
  names: readonly string[],
  reference: string,
  to: string,
): ResultRow[] {
  return names.map((name) => ({
    section,
    case: name,
    ...times(measured.timing(name)),
    ...(name === reference ? {} : { ratio: { value: measured.ratio(name, reference), to } }),
  }));
}
