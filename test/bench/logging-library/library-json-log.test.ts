import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  JsonLog as PowertoolsJsonLog,
  metricFields as powertoolsMetricFields,
} from '../../../bench/logging-library/library-json-log.ts';
import { JsonLog, metricFields } from '../../../lambda/adapters/json-log.ts';

/**
 * The Powertools variant the bench measures must write what ours writes (issue 15): the same log
 * fields, and metrics in the namespace, names, unit and dimension sets that lib/monitoring.ts
 * alarms on. Expected metric shapes are written out from the alarm's definition (namespace
 * OpaqueTokenGateway, dimension FunctionName) and CloudWatch's embedded metric format.
 */
/** Every line written to stdout or stderr while a test runs (Powertools warns in plain text). */
const written: string[] = [];
const jsonLines = (): Record<string, unknown>[] => written.map((text) => JSON.parse(text) as Record<string, unknown>);
const metricLine = () => jsonLines().find((line) => '_aws' in line);
let restore: () => void = () => undefined;

beforeEach(() => {
  written.length = 0;
  const original = { stdout: process.stdout.write, stderr: process.stderr.write };
  for (const stream of ['stdout', 'stderr'] as const) {
    // Kept as text: Node's Console swallows what a write throws, so a parse here would hide lines.
    process[stream].write = ((chunk: unknown) => {
      written.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    }) as typeof process.stdout.write;
  }
  restore = () => {
    process.stdout.write = original.stdout;
    process.stderr.write = original.stderr;
  };
});

afterEach(() => restore());

const failClosedFields = (fields: typeof metricFields) => ({
  route: 'GET /orders',
  code: 'introspection_unavailable',
  detail: 'introspection endpoint answered 503',
  ...fields(
    'OpaqueTokenGateway',
    'DependencyFailures',
    { FunctionName: 'authorizer-fn', code: 'introspection_unavailable' },
    [['FunctionName'], ['FunctionName', 'code']],
  ),
});

describe('Powertools variant of the JSON log (bench)', () => {
  it('counts a failure in both dimension sets the alarms read, with no service dimension and no warning', () => {
    // Arrange
    const log = new PowertoolsJsonLog({ level: 'info' });

    // Act
    log.error('authorizer dependency failed', failClosedFields(powertoolsMetricFields));

    // Assert
    const metric = metricLine();
    expect(metric).toMatchObject({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: 'OpaqueTokenGateway',
            Dimensions: [['FunctionName'], ['FunctionName', 'code']],
            Metrics: [{ Name: 'DependencyFailures', Unit: 'Count' }],
          },
        ],
      },
      FunctionName: 'authorizer-fn',
      code: 'introspection_unavailable',
      DependencyFailures: 1,
    });
    expect(metric).not.toHaveProperty('service');
    expect(written).toHaveLength(2);
  });

  it('counts a one-set metric in that set alone', () => {
    // Arrange
    const log = new PowertoolsJsonLog({ level: 'info' });

    // Act
    log.warn('issuer key set problem', {
      kid: 'k1',
      reason: 'rsa_key_too_small',
      ...powertoolsMetricFields('OpaqueTokenGateway', 'KeySetProblems', { FunctionName: 'authorizer-fn' }),
    });

    // Assert
    const metric = metricLine() as {
      _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] };
    };
    expect(metric._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['FunctionName']]);
    expect(metric).toMatchObject({ FunctionName: 'authorizer-fn', KeySetProblems: 1 });
  });

  it('writes the log line with the fields ours writes, the metric left to its own line', () => {
    // Arrange
    const ours: Record<string, unknown>[] = [];
    const reference = new JsonLog({ level: 'info', write: (line) => ours.push(JSON.parse(line)) });
    const log = new PowertoolsJsonLog({ level: 'info' });

    // Act
    reference.error('authorizer dependency failed', failClosedFields(metricFields));
    log.error('authorizer dependency failed', failClosedFields(powertoolsMetricFields));

    // Assert
    const line = jsonLines().find((candidate) => !('_aws' in candidate)) ?? {};
    const { _aws, DependencyFailures, ...oursWithoutMetric } = ours[0] ?? {};
    expect(Object.keys(line).sort()).toEqual(Object.keys(oursWithoutMetric).sort());
    expect({ ...line, time: undefined }).toEqual({ ...oursWithoutMetric, time: undefined });
    expect(new Date(String(line.time)).toISOString()).toBe(line.time);
  });

  it('drops lines below its level and says which levels are on', () => {
    // Arrange
    const log = new PowertoolsJsonLog({ level: 'warn' });

    // Act
    log.info('denied', { route: 'GET /orders', tokenId: 'abc', error: 'invalid_token', reason: 'expired' });
    log.debug('allowed', { route: 'GET /orders', tokenId: 'abc' });

    // Assert
    expect(written).toEqual([]);
    expect([log.enabled('debug'), log.enabled('info'), log.enabled('warn'), log.enabled('error')]).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });
});
