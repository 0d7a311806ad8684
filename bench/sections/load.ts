import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { requestClientCredentialsToken } from '../../local/client-credentials.ts';
import type { BenchContext } from '../harness/context.ts';
import type { BudgetCheck, ResultRow, SectionResult } from '../harness/report.ts';

const SECTION = 'load';
const LOCAL_STACK = fileURLToPath(new URL('../../bin/local-stack.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Seconds of load; all groups run at the same time. */
const DURATION_SECONDS = 10;
/**
 * Unknown opaque tokens cost a DynamoDB read and an introspection call each, and the authorizer
 * caps introspection at 50 calls per second per instance (then fails closed with 500, DESIGN
 * invariant 8). They are sent at a rate under that cap so the limiter is not what is measured.
 */
const UNKNOWN_TOKENS_PER_SECOND = 20;
const READY_TIMEOUT_MS = 60_000;

/** The line `bin/local-stack.ts` prints when ready (the parts the bench uses). */
interface ReadyLine {
  readonly event: 'ready';
  readonly gateway: string;
  readonly tokenEndpoint: string;
  readonly clients: Readonly<Record<'split' | 'phantom' | 'jwt', { clientId: string; clientSecret: string }>>;
}

interface Group {
  readonly name: string;
  readonly valid: boolean;
  readonly authorizations: readonly string[];
  readonly connections: number;
  readonly overallRate?: number;
}

/**
 * autocannon through the local gateway (`bin/local-stack.ts`: gateway, authorizer, token endpoint
 * proxy, oidc-provider, dynalite, demo backend in one process) with valid and invalid tokens mixed
 * at the same time, each kind in its own autocannon instance so every answer is attributed:
 * valid tokens must all get 200, invalid ones never a 2xx.
 */
export async function benchLoad(context: BenchContext): Promise<SectionResult> {
  try {
    await access(LOCAL_STACK);
  } catch {
    return { rows: [], budgets: [], skipped: 'bin/local-stack.ts does not exist yet' };
  }
  const stack = await startLocalStack();
  try {
    const ready = stack.ready;
    const token = async (client: 'split' | 'phantom' | 'jwt') =>
      (
        await requestClientCredentialsToken({
          tokenEndpoint: ready.tokenEndpoint,
          ...ready.clients[client],
          scope: 'orders:read',
        })
      ).access_token;
    const split = await token('split');
    const phantom = await token('phantom');
    const jwt = await token('jwt');
    const [jwtHead, jwtBody, jwtSignature = ''] = jwt.split('.');
    const flipped = (value: string) => `${value.slice(0, -2)}${value.at(-2) === 'A' ? 'B' : 'A'}${value.at(-1)}`;
    const groups: Group[] = [
      {
        name: 'valid: split, phantom, JWT',
        valid: true,
        authorizations: [`Bearer ${split}`, `Bearer ${phantom}`, `Bearer ${jwt}`],
        connections: 8,
      },
      {
        name: 'invalid: malformed, wrong scheme, bad signature, alg none, oversized',
        valid: false,
        authorizations: [
          'Bearer not a token!',
          `Basic ${Buffer.from('user:password').toString('base64')}`,
          `Bearer ${jwtHead}.${jwtBody}.${flipped(jwtSignature)}`,
          `Bearer ${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${jwtBody}.${jwtSignature}`,
          `Bearer ${'a'.repeat(5000)}`,
        ],
        connections: 4,
      },
      {
        name: `invalid: unknown opaque, unsigned JWT (${UNKNOWN_TOKENS_PER_SECOND}/s)`,
        valid: false,
        authorizations: [
          `Bearer ${flipped(split)}`,
          // An unsigned JWT (empty signature) is not JWS-shaped: it is introspected like any opaque token.
          `Bearer ${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${jwtBody}.`,
          ...Array.from({ length: 8 }, () => `Bearer ${randomBytes(64).toString('base64url')}`),
        ],
        connections: 2,
        overallRate: UNKNOWN_TOKENS_PER_SECOND,
      },
    ];
    const results = await Promise.all(groups.map((group) => run(ready.gateway, group, context.scale)));

    const rows: ResultRow[] = [];
    const budgets: BudgetCheck[] = [];
    groups.forEach((group, index) => {
      const result = results[index] as autocannon.Result;
      const statuses = statusCounts(result);
      const allowed = Object.entries(statuses)
        .filter(([status]) => status.startsWith('2'))
        .reduce((sum, [, count]) => sum + count, 0);
      const failures = result.errors + result.timeouts + (group.valid ? result.non2xx : 0);
      rows.push({
        section: SECTION,
        case: group.name,
        medianUs: result.latency.p50 * 1000,
        p99Us: result.latency.p99 * 1000,
        detail:
          `${Math.round(result.requests.average)} req/s, ${result.requests.total} requests, ` +
          `status ${Object.entries(statuses)
            .map(([status, count]) => `${status}×${count}`)
            .join(' ')}, errors ${result.errors}, timeouts ${result.timeouts}`,
        figures: {
          requestsPerSecond: result.requests.average,
          requests: result.requests.total,
          latencyP50Ms: result.latency.p50,
          latencyP99Ms: result.latency.p99,
          errors: result.errors,
          timeouts: result.timeouts,
          ...Object.fromEntries(Object.entries(statuses).map(([status, count]) => [`status${status}`, count])),
        },
      });
      if (result.requests.total === 0) {
        budgets.push({ budget: `load, ${group.name}`, measured: 'no requests', limit: 'some', ok: false });
      } else if (group.valid) {
        budgets.push({
          budget: 'load: no errors on valid tokens',
          measured: `${failures} of ${result.requests.total} failed`,
          limit: '0',
          ok: failures === 0,
        });
      } else {
        budgets.push({
          budget: `load: no allow on ${group.name.replace('invalid: ', '')}`,
          measured: `${allowed} of ${result.requests.total} allowed`,
          limit: '0',
          ok: allowed === 0,
        });
      }
    });
    return { rows, budgets };
  } finally {
    await stack.stop();
  }
}

function run(gateway: string, group: Group, scale: number): Promise<autocannon.Result> {
  // The gateway URL is the stage's invoke URL (`/v1` on the REST API): requests go under it.
  const stagePath = new URL(gateway).pathname.replace(/\/+$/, '');
  return autocannon({
    url: gateway,
    connections: group.connections,
    duration: Math.max(3, Math.round(DURATION_SECONDS * Math.min(1, scale))),
    ...(group.overallRate ? { overallRate: group.overallRate } : {}),
    requests: group.authorizations.map((authorization) => ({
      method: 'GET' as const,
      path: `${stagePath}/orders`,
      headers: { authorization },
    })),
  });
}

function statusCounts(result: autocannon.Result): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) {
    if ((stats.count ?? 0) > 0) counts[status] = stats.count ?? 0;
  }
  return counts;
}

/** Runs `bin/local-stack.ts` on a free port and waits for its ready line. */
async function startLocalStack(): Promise<{ ready: ReadyLine; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', LOCAL_STACK], {
    cwd: ROOT,
    // warn: the stack's access log writes a line per request at info, which would be measured too.
    env: { ...process.env, PORT: '0', GATEWAY_EVENT_FORMAT: 'rest', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  };
  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(
      () => reject(new Error(`local stack not ready in ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const complete = stdout.split('\n').slice(0, -1);
      const line = complete.find((candidate) => candidate.includes('"ready"'));
      if (line === undefined) return;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as ReadyLine);
      } catch (error) {
        reject(error);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local stack exited with ${code}: ${stderr.slice(-300)}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { ready, stop };
}
