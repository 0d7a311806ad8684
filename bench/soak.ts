/**
 * `npm run soak`: about a minute of mixed traffic through the local gateway (loopback only, a
 * bounded number of requests at a steady rate), with DynamoDB and then the authorization server
 * taken down and brought back midway. Reports requests, false allows, errors outside the fault
 * windows, refusals of valid tokens, latency and memory at start and end, as text on stderr and
 * one JSON line on stdout. Exits 1 on any false allow or any error outside the fault windows.
 *
 * Settings (environment): SOAK_SECONDS (default 60, at most 240 so tokens outlive the run),
 * SOAK_RATE (requests per second, default 200), SOAK_CONCURRENCY (in flight at most, default 16),
 * SOAK_CACHE_TTL_SECONDS (gateway and authorizer cache, default 2, so the authorizer and its
 * dependencies keep being exercised).
 */
import { requestClientCredentialsToken } from '../local/client-credentials.ts';
import { type LocalStack, startLocalStack } from '../local/local-stack.ts';

type Expected = 200 | 401 | 403;

/** One kind of request of the mix. */
interface RequestKind {
  readonly label: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly authorization: () => string | undefined;
  readonly expected: Expected;
  /** Share of the traffic, relative to the others. */
  readonly weight: number;
  /** The `client_id` the backend must have verified on a 200 (checked, so a wrong identity is caught too). */
  readonly clientId?: string;
}

/** A span in which a dependency was down, plus time for caches and connections to settle after. */
interface FaultWindow {
  readonly name: string;
  fromMs: number;
  toMs: number;
}

interface Sample {
  readonly label: string;
  readonly expected: Expected;
  readonly status: number;
  readonly startedAtMs: number;
  readonly latencyMs: number;
  readonly wrongIdentity: boolean;
}

const setting = (name: string, fallback: number, max: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max)
    throw new Error(`${name} must be a number from 1 to ${max}`);
  return value;
};

const SECONDS = setting('SOAK_SECONDS', 60, 240);
const RATE = setting('SOAK_RATE', 200, 5000);
const CONCURRENCY = setting('SOAK_CONCURRENCY', 16, 1000);
const CACHE_TTL_SECONDS = setting('SOAK_CACHE_TTL_SECONDS', 2, 60);
const MAX_REQUESTS = Math.ceil(SECONDS * RATE);
/** After a dependency is back, answers may still fail for this long (reconnects, SDK backoff). */
const RECOVERY_GRACE_MS = 1000;
const REQUEST_TIMEOUT_MS = 10_000;

const say = (line: string) => process.stderr.write(`soak: ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function tokenFor(stack: LocalStack, client: 'split' | 'phantom' | 'jwt', scope: string): Promise<string> {
  const response = await requestClientCredentialsToken({
    tokenEndpoint: stack.ready.tokenEndpoint,
    ...stack.ready.clients[client],
    scope,
  });
  return response.access_token;
}

function randomToken(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return Array.from(crypto.getRandomValues(new Uint8Array(length)), (byte) => alphabet[byte % 64]).join('');
}

function tamper(token: string): string {
  const at = Math.floor(token.length / 2);
  return `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
}

async function mixFor(stack: LocalStack): Promise<{ kinds: RequestKind[]; tokens: string[] }> {
  const [splitRead, splitWrite, phantomRead, jwtRead] = await Promise.all([
    tokenFor(stack, 'split', 'orders:read'),
    tokenFor(stack, 'split', 'orders:write'),
    tokenFor(stack, 'phantom', 'orders:read'),
    tokenFor(stack, 'jwt', 'orders:read'),
  ]);
  const { split, phantom, jwt } = stack.ready.clients;
  const bearer = (token: string) => () => `Bearer ${token}`;
  // Unknown opaque tokens are introspected on every request (denials are never cached), so they are
  // kept well under the stack's introspection rate limit (50/s): above it, valid phantom tokens would
  // be refused with 500 as well, by design.
  const kinds: RequestKind[] = [
    {
      label: 'split valid',
      method: 'GET',
      path: '/orders',
      authorization: bearer(splitRead),
      expected: 200,
      weight: 20,
      clientId: split.clientId,
    },
    {
      label: 'phantom valid',
      method: 'GET',
      path: '/orders',
      authorization: bearer(phantomRead),
      expected: 200,
      weight: 20,
      clientId: phantom.clientId,
    },
    {
      label: 'jwt valid',
      method: 'GET',
      path: '/orders',
      authorization: bearer(jwtRead),
      expected: 200,
      weight: 15,
      clientId: jwt.clientId,
    },
    {
      label: 'split open route',
      method: 'GET',
      path: '/hello',
      authorization: bearer(splitWrite),
      expected: 200,
      weight: 5,
      clientId: split.clientId,
    },
    {
      label: 'split insufficient scope',
      method: 'GET',
      path: '/orders',
      authorization: bearer(splitWrite),
      expected: 403,
      weight: 10,
    },
    {
      label: 'phantom insufficient scope',
      method: 'POST',
      path: '/orders',
      authorization: bearer(phantomRead),
      expected: 403,
      weight: 5,
    },
    {
      label: 'split tampered',
      method: 'GET',
      path: '/orders',
      authorization: bearer(tamper(splitRead)),
      expected: 401,
      weight: 3,
    },
    {
      label: 'random opaque',
      method: 'GET',
      path: '/orders',
      authorization: () => `Bearer ${randomToken(43)}`,
      expected: 401,
      weight: 2,
    },
    {
      label: 'forged jwt',
      method: 'GET',
      path: '/orders',
      authorization: bearer(tamper(jwtRead)),
      expected: 401,
      weight: 5,
    },
    {
      label: 'malformed header',
      method: 'GET',
      path: '/orders',
      authorization: () => 'Bearer not a token',
      expected: 401,
      weight: 5,
    },
    { label: 'no header', method: 'GET', path: '/hello', authorization: () => undefined, expected: 401, weight: 5 },
    {
      label: 'client-forged context headers',
      method: 'GET',
      path: '/orders',
      authorization: bearer(tamper(splitRead)),
      expected: 401,
      weight: 5,
    },
  ];
  return { kinds, tokens: [splitRead, splitWrite, phantomRead, jwtRead] };
}

async function send(stack: LocalStack, kind: RequestKind, forged: string): Promise<Sample> {
  const startedAtMs = Date.now();
  const started = performance.now();
  const headers: Record<string, string> = { 'x-verified-jwt': forged, 'x-token-type': 'admin' };
  const authorization = kind.authorization();
  if (authorization !== undefined) headers.authorization = authorization;
  let status: number;
  let wrongIdentity = false;
  try {
    const response = await fetch(`${stack.ready.gateway}${kind.path}`, {
      method: kind.method,
      headers,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    status = response.status;
    const body = (await response.json().catch(() => undefined)) as
      | { claims?: { client_id?: unknown; token_introspection?: { client_id?: unknown } } }
      | undefined;
    if (status === 200) {
      const clientId = body?.claims?.client_id ?? body?.claims?.token_introspection?.client_id;
      wrongIdentity = kind.clientId === undefined || clientId !== kind.clientId;
    }
  } catch {
    status = 0;
  }
  return {
    label: kind.label,
    expected: kind.expected,
    status,
    startedAtMs,
    latencyMs: performance.now() - started,
    wrongIdentity,
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Memory after a full collection when node runs with --expose-gc (as `npm run soak` does). */
function memoryAfterCollection(): NodeJS.MemoryUsage {
  globalThis.gc?.();
  return process.memoryUsage();
}

const megabytes = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function main(): Promise<number> {
  // Every log line of the stack is scanned for the tokens of the run as it is written.
  let tokens: string[] = [];
  let logLines = 0;
  let leakedLines = 0;
  const stack = await startLocalStack({
    port: 0,
    cacheTtlSeconds: CACHE_TTL_SECONDS,
    logLevel: 'info',
    writeLog: (line) => {
      logLines++;
      if (tokens.some((token) => line.includes(token.split('.').at(-1) as string))) leakedLines++;
    },
  });
  try {
    const mix = await mixFor(stack);
    const kinds = mix.kinds;
    tokens = mix.tokens;
    const forged = `${randomToken(36)}.${randomToken(120)}.${randomToken(86)}`;
    const weighted = kinds.flatMap((kind) => Array.from({ length: kind.weight }, () => kind));
    const { dynamoDb, authorizationServer } = stack.outages;
    say(
      `gateway ${stack.ready.gateway}: ${SECONDS} s at ${RATE}/s (at most ${MAX_REQUESTS} requests), cache ${CACHE_TTL_SECONDS} s`,
    );

    // Warm up (JWKS fetched, connections open) before the first memory reading.
    for (const kind of kinds) await send(stack, kind, forged);
    const memoryAtStart = memoryAfterCollection();
    const startedAt = Date.now();
    const durationMs = SECONDS * 1000;
    const windows: FaultWindow[] = [];

    const faults = (async () => {
      const outage = async (name: string, part: typeof dynamoDb, fromShare: number, forShare: number) => {
        await sleep(Math.max(0, startedAt + durationMs * fromShare - Date.now()));
        const window: FaultWindow = { name, fromMs: Date.now(), toMs: Number.POSITIVE_INFINITY };
        windows.push(window);
        await part.interrupt();
        say(`${name} down`);
        await sleep(durationMs * forShare);
        await part.resume();
        window.toMs = Date.now() + RECOVERY_GRACE_MS;
        say(`${name} back`);
      };
      await outage('DynamoDB', dynamoDb, 0.3, 0.15);
      await outage('authorization server', authorizationServer, 0.6, 0.15);
    })();

    const samples: Sample[] = [];
    const inFlight = new Set<Promise<void>>();
    let dropped = 0;
    for (let i = 0; i < MAX_REQUESTS; i++) {
      const dueAt = startedAt + (i * 1000) / RATE;
      if (dueAt > Date.now()) await sleep(dueAt - Date.now());
      if (Date.now() - startedAt > durationMs) break;
      if (inFlight.size >= CONCURRENCY) {
        dropped++;
        continue;
      }
      const kind = weighted[i % weighted.length] as RequestKind;
      const request = send(stack, kind, forged).then((sample) => {
        samples.push(sample);
        inFlight.delete(request);
      });
      inFlight.add(request);
    }
    await Promise.all(inFlight);
    await faults;
    const memoryAtEnd = memoryAfterCollection();

    const inWindow = (sample: Sample) =>
      windows.some((w) => sample.startedAtMs <= w.toMs && sample.startedAtMs + sample.latencyMs >= w.fromMs);
    const falseAllows = samples.filter((s) => s.status === 200 && (s.expected !== 200 || s.wrongIdentity));
    const outside = samples.filter((s) => !inWindow(s));
    const inside = samples.filter(inWindow);
    const errorsOutside = outside.filter((s) => s.status !== s.expected);
    const validRefused = samples.filter((s) => s.expected === 200 && s.status === 401);
    const errorsInside = inside.filter((s) => s.status !== s.expected);
    const latencies = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
    const byKind: Record<string, Record<string, number>> = {};
    for (const sample of samples) {
      const row = byKind[sample.label] ?? {};
      byKind[sample.label] = row;
      row[sample.status] = (row[sample.status] ?? 0) + 1;
    }

    const report = {
      requests: samples.length,
      skippedAtConcurrencyLimit: dropped,
      seconds: Math.round((Date.now() - startedAt) / 100) / 10,
      falseAllows: falseAllows.length,
      errorsOutsideFaultWindows: errorsOutside.length,
      validTokensRefusedWith401: validRefused.length,
      faultWindows: windows.map((w) => ({
        name: w.name,
        fromSecond: Math.round((w.fromMs - startedAt) / 100) / 10,
        toSecond: Math.round((w.toMs - startedAt) / 100) / 10,
      })),
      requestsInFaultWindows: inside.length,
      errorsInFaultWindows: errorsInside.length,
      latencyMs: {
        p50: Math.round(percentile(latencies, 50)),
        p99: Math.round(percentile(latencies, 99)),
        max: Math.round(latencies.at(-1) ?? 0),
      },
      memoryMb: {
        start: { rss: megabytes(memoryAtStart.rss), heapUsed: megabytes(memoryAtStart.heapUsed) },
        end: { rss: megabytes(memoryAtEnd.rss), heapUsed: megabytes(memoryAtEnd.heapUsed) },
      },
      memoryMeasuredAfterGc: typeof globalThis.gc === 'function',
      logLines,
      logLinesWithTokenMaterial: leakedLines,
      statusesByKind: byKind,
    };
    say(`requests ${report.requests} in ${report.seconds} s (${dropped} skipped at the concurrency limit)`);
    say(`false allows ${report.falseAllows}; errors outside fault windows ${report.errorsOutsideFaultWindows}`);
    say(`valid tokens refused with 401: ${report.validTokensRefusedWith401}`);
    for (const w of report.faultWindows) say(`fault window: ${w.name} ${w.fromSecond}-${w.toSecond} s`);
    say(`in fault windows: ${inside.length} requests, ${errorsInside.length} not as without the fault (500s expected)`);
    say(`latency p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms, max ${report.latencyMs.max} ms`);
    say(
      `memory${report.memoryMeasuredAfterGc ? ' (after GC)' : ''} at start rss ${report.memoryMb.start.rss} MB heap ${report.memoryMb.start.heapUsed} MB; ` +
        `at end rss ${report.memoryMb.end.rss} MB heap ${report.memoryMb.end.heapUsed} MB`,
    );
    say(`log lines ${logLines}, with token material ${leakedLines}`);
    for (const [label, statuses] of Object.entries(byKind)) say(`  ${label}: ${JSON.stringify(statuses)}`);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return report.falseAllows > 0 || report.errorsOutsideFaultWindows > 0 || report.logLinesWithTokenMaterial > 0
      ? 1
      : 0;
  } finally {
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
