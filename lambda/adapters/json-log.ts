import type { DecisionLog } from '../core/ports.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Settings of {@link JsonLog}. */
export interface JsonLogOptions {
  /** Lines below this level are dropped. @default 'info' */
  readonly level?: LogLevel;
  /** Where a finished line goes. @default standard output (CloudWatch Logs in Lambda) */
  readonly write?: (line: string) => void;
}

/**
 * One JSON object per line. Callers pass ids and reason codes, never token material (DESIGN
 * invariant 4); the line is built only when its level is enabled, so debug lines cost nothing in
 * production.
 */
export class JsonLog implements DecisionLog {
  private readonly threshold: number;
  private readonly write: (line: string) => void;

  constructor(options: JsonLogOptions = {}) {
    this.threshold = RANK[options.level ?? 'info'];
    this.write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.threshold;
  }

  debug(message: string, fields: Record<string, unknown>): void {
    this.emit('debug', message, fields);
  }

  info(message: string, fields: Record<string, unknown>): void {
    this.emit('info', message, fields);
  }

  warn(message: string, fields: Record<string, unknown>): void {
    this.emit('warn', message, fields);
  }

  error(message: string, fields: Record<string, unknown>): void {
    this.emit('error', message, fields);
  }

  private emit(level: LogLevel, message: string, fields: Record<string, unknown>): void {
    if (RANK[level] < this.threshold) return;
    this.write(JSON.stringify({ level, time: new Date().toISOString(), message, ...fields }));
  }
}

/**
 * CloudWatch embedded metric format: a log line that also counts one unit of `metric`, once per
 * dimension set (e.g. by function, and by function and failure code).
 */
export function metricFields(
  namespace: string,
  metric: string,
  dimensions: Record<string, string>,
  dimensionSets: readonly (readonly string[])[] = [Object.keys(dimensions)],
): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        { Namespace: namespace, Dimensions: dimensionSets, Metrics: [{ Name: metric, Unit: 'Count' }] },
      ],
    },
    ...dimensions,
    [metric]: 1,
  };
}
