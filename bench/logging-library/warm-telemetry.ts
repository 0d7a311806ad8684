import { writeFileSync } from 'node:fs';
import { JsonLog, metricFields } from '../../lambda/adapters/json-log.ts';
import { AuthorizerMetrics } from '../../lambda/authorizer/metrics.ts';
import { type Candidate, compareSideBySide } from '../harness/measure.ts';
import { JsonLog as PowertoolsJsonLog, metricFields as powertoolsMetricFields } from './library-json-log.ts';

/**
 * Warm cost per invocation of the log and metric writing, ours beside Powertools', in one process
 * (bundled as the Lambda's code is). Started by bench/sections/logging-library.ts with standard output
 * and error on /dev/null, so both write through real file descriptors as on Lambda; the timings go
 * to the JSON file named by the first argument. Usage: node warm-telemetry.mjs <out.json> <scale>
 */
const [outFile = '', scaleArgument = '1'] = process.argv.slice(2);
const scale = Number(scaleArgument);
const functionName = 'opaque-token-gateway-authorizer';
const ours = new JsonLog({ level: 'info' });
const powertools = new PowertoolsJsonLog({ level: 'info' });

const failClosed = (log: JsonLog | PowertoolsJsonLog, fields: typeof metricFields) => (): void =>
  log.error('authorizer dependency failed', {
    route: 'GET /orders',
    code: 'introspection_unavailable',
    detail: 'introspection endpoint answered 503',
    ...fields(
      AuthorizerMetrics.namespace,
      AuthorizerMetrics.dependencyFailures,
      { [AuthorizerMetrics.functionDimension]: functionName, code: 'introspection_unavailable' },
      [[AuthorizerMetrics.functionDimension], [AuthorizerMetrics.functionDimension, 'code']],
    ),
  });
const denied = (log: JsonLog | PowertoolsJsonLog) => (): void =>
  log.info('denied', { route: 'GET /orders', tokenId: 'k3Jd9sLq0xZa', error: 'invalid_token', reason: 'expired' });
const debugSkipped = (log: JsonLog | PowertoolsJsonLog) => (): boolean => log.enabled('debug');

const WARM_CASES = {
  oursFailClosed: 'ours: log line with its EMF metric (fail closed)',
  powertoolsFailClosed: 'Powertools: Logger line + Metrics flush (fail closed)',
  oursDenied: 'ours: log line (denied)',
  powertoolsDenied: 'Powertools: Logger line (denied)',
  oursDebugSkipped: 'ours: debug line skipped (level check)',
  powertoolsDebugSkipped: 'Powertools: debug line skipped (level check)',
} as const;

const candidates: Candidate[] = [
  { name: WARM_CASES.oursFailClosed, run: failClosed(ours, metricFields) },
  { name: WARM_CASES.powertoolsFailClosed, run: failClosed(powertools, powertoolsMetricFields) },
  { name: WARM_CASES.oursDenied, run: denied(ours) },
  { name: WARM_CASES.powertoolsDenied, run: denied(powertools) },
  { name: WARM_CASES.oursDebugSkipped, run: debugSkipped(ours) },
  { name: WARM_CASES.powertoolsDebugSkipped, run: debugSkipped(powertools) },
];
const scaled = (value: number, floor: number): number => Math.max(floor, Math.round(value * scale));
const measured = await compareSideBySide(candidates, {
  warmupIterations: scaled(2000, 100),
  rounds: scaled(60, 6),
  iterationsPerRound: scaled(200, 20),
});
const pairs: readonly (readonly [string, string])[] = [
  [WARM_CASES.powertoolsFailClosed, WARM_CASES.oursFailClosed],
  [WARM_CASES.powertoolsDenied, WARM_CASES.oursDenied],
  [WARM_CASES.powertoolsDebugSkipped, WARM_CASES.oursDebugSkipped],
];
writeFileSync(
  outFile,
  JSON.stringify({
    timings: Object.fromEntries(candidates.map(({ name }) => [name, measured.timing(name)])),
    ratios: Object.fromEntries(pairs.map(([name, reference]) => [name, measured.ratio(name, reference)])),
  }),
);
