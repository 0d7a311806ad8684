import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DecisionLog } from '../../lambda/core/ports.ts';

/**
 * `lambda/adapters/json-log.ts` as it would be with Powertools for AWS Lambda doing the writing:
 * same exports, same call sites, so the bench bundles the authorizer unchanged with this module in
 * place of ours (bench/sections/logging-library.ts). Log lines go through Powertools' Logger, with a
 * formatter that keeps our line's fields (`level`, `time`, `message`, then the caller's); metrics
 * through Powertools' Metrics, one EMF line of their own beside the log line, with our namespace,
 * metric names, dimension sets and unit (Powertools' default `service` dimension cleared, or the
 * alarms in lib/monitoring.ts would no longer match). Callers still pass ids and codes only.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Settings of {@link JsonLog}. */
export interface JsonLogOptions {
  /** Lines below this level are dropped. @default 'info' */
  readonly level?: LogLevel;
  /**
   * Not supported: Powertools writes through its own `Console` on the process's stdout and stderr.
   * Present so that the composition roots compile unchanged.
   */
  readonly write?: (line: string) => void;
}

const POWERTOOLS_LEVEL = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' } as const;
const THRESHOLD = { debug: 8, info: 12, warn: 16, error: 20 } as const;

/** Our line's shape: `level` in lower case, `time`, `message`, then the caller's fields. */
class OurLineFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel.toLowerCase(),
        time: this.formatTimestamp(attributes.timestamp),
        message: attributes.message,
      },
    }).addAttributes(additional);
  }
}

/** {@link DecisionLog} over a Powertools Logger. */
export class JsonLog implements DecisionLog {
  private readonly logger: Logger;

  constructor(options: JsonLogOptions = {}) {
    this.logger = new Logger({
      logLevel: POWERTOOLS_LEVEL[options.level ?? 'info'],
      logFormatter: new OurLineFormatter(),
    });
  }

  enabled(level: LogLevel): boolean {
    return THRESHOLD[level] >= this.logger.level;
  }

  debug(message: string, fields: Record<string, unknown>): void {
    this.logger.debug(message, fields);
  }

  info(message: string, fields: Record<string, unknown>): void {
    this.logger.info(message, fields);
  }

  warn(message: string, fields: Record<string, unknown>): void {
    this.logger.warn(message, fields);
  }

  error(message: string, fields: Record<string, unknown>): void {
    this.logger.error(message, fields);
  }
}

/** The namespace both functions emit in, made at load as a composition root would make it. */
const DEFAULT_NAMESPACE = 'OpaqueTokenGateway';
/** Per namespace: its Metrics and the default dimensions last set on it (as JSON). */
const publishers = new Map<string, { readonly metrics: Metrics; defaults: string }>([
  [DEFAULT_NAMESPACE, publisherFor(DEFAULT_NAMESPACE)],
]);

function publisherFor(namespace: string): { readonly metrics: Metrics; defaults: string } {
  const metrics = new Metrics({ namespace });
  // Powertools adds a `service` dimension to every set by default; our alarms name FunctionName only.
  metrics.clearDefaultDimensions();
  return { metrics, defaults: '{}' };
}

/**
 * Counts one unit of `metric` per dimension set through Powertools Metrics, published at once (its
 * own EMF line), and hands back the dimension values for the log line, as ours carries them. The
 * dimensions every set names are Powertools default dimensions (set once: the function name), the
 * rest one `addDimensions` set each; naming a dimension in two sets instead makes Powertools warn
 * of a key collision on every publish.
 */
export function metricFields(
  namespace: string,
  metric: string,
  dimensions: Record<string, string>,
  dimensionSets: readonly (readonly string[])[] = [Object.keys(dimensions)],
): Record<string, unknown> {
  let publisher = publishers.get(namespace);
  if (publisher === undefined) {
    publisher = publisherFor(namespace);
    publishers.set(namespace, publisher);
  }
  const { metrics } = publisher;
  const shared = Object.keys(dimensions).filter((name) => dimensionSets.every((set) => set.includes(name)));
  const defaults = Object.fromEntries(shared.map((name) => [name, dimensions[name] ?? '']));
  const defaultsJson = JSON.stringify(defaults);
  if (publisher.defaults !== defaultsJson) {
    metrics.clearDefaultDimensions();
    metrics.setDefaultDimensions(defaults);
    publisher.defaults = defaultsJson;
  }
  for (const set of dimensionSets) {
    const own = set.filter((name) => !shared.includes(name));
    metrics.addDimensions(Object.fromEntries(own.map((name) => [name, dimensions[name] ?? ''])));
  }
  metrics.addMetric(metric, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
  return { ...dimensions };
}
