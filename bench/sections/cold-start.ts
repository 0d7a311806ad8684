import { execFile, spawn } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AUTHORIZER_NODE_OPTIONS } from '../../lib/token-authorizer.ts';
import { type Bundle, bundleLikeCdk, bytesByPackage } from '../harness/bundle.ts';
import type { BenchContext } from '../harness/context.ts';
import { authorizerEvent } from '../harness/events.ts';
import { coldStartNode } from '../harness/lambda-node.ts';
import type { LocalParts } from '../harness/local-parts.ts';
import { summarize, type Timing } from '../harness/measure.ts';
import {
  type BudgetCheck,
  formatBytes,
  formatDuration,
  formatRatio,
  type ResultRow,
  type SectionResult,
} from '../harness/report.ts';

const SECTION = 'cold start';
const BUNDLE_SECTION = 'bundle';
/** Budget: the authorizer's init + first event at most this multiple of the hand-written limit's. */
export const LIMIT_RATIO = 1.2;
/** Process launches per variant, interleaved: nine blocks of five rounds (an odd count, so the median is one block's). */
const LAUNCHES = 45;
/** Consecutive rounds whose medians are compared (see pairedRatio). */
const ROUNDS_PER_BLOCK = 5;

const ROOT = new URL('../../', import.meta.url);
const path = (relative: string): string => fileURLToPath(new URL(relative, ROOT));
const OUT = path('bench/results/cold-start/');
const RUNNER = path('bench/cold-start/invoke-once.mjs');
const COMPILER = path('bench/cold-start/compile-once.mjs');
/** Fresh processes per bundle in which its module compile is timed, interleaved (an odd count). */
const COMPILES = 15;
const AUTHORIZER_ENTRY = path('lambda/authorizer/handler.ts');
const LIMIT_ENTRY = path('bench/cold-start/limit-handler.ts');
const PROXY_ENTRY = path('lambda/token-endpoint-proxy/handler.ts');
const PROXY_LIMIT_ENTRY = path('bench/cold-start/proxy-limit-handler.ts');

const HELLO = 'hello world';
const JOSE = 'jose only (reference, JWT)';
const LIMIT_SPLIT = 'limit, split: node:https + node:crypto by hand';
const OURS_SPLIT = 'authorizer as deployed, split token';
const OURS_SPLIT_MAPS = 'authorizer, split token, with --enable-source-maps';
const LIMIT_PHANTOM = 'limit, phantom: node:https + node:crypto by hand';
const OURS_PHANTOM = 'authorizer as deployed, phantom token';
const PEER_PHANTOM = 'peer that skips verification, phantom: no JWKS, answer decoded';
const LIMIT_PROXY = 'limit, token request: node:https + node:crypto by hand';
const OURS_PROXY = 'token endpoint proxy as deployed, token request';

/** What a launch answers: an authorizer event with a credential, or a token request (the proxy). */
type Credential = 'split' | 'phantom' | 'jwt' | 'token request';

interface Variant {
  readonly name: string;
  readonly entry: string;
  readonly credential: Credential;
  /** NODE_OPTIONS of the function: what the construct sets (AUTHORIZER_NODE_OPTIONS) unless a variant says. */
  readonly nodeOptions: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly note: string;
}

export interface Launch {
  readonly wallMs: number;
  readonly nodeBootMs: number;
  readonly importMs: number;
  readonly firstEventMs: number;
  /** CPU time of the main thread over the init (undefined on a Node without `process.threadCpuUsage`). */
  readonly importCpuMs?: number;
  /** CPU time of the main thread over the first event. */
  readonly firstEventCpuMs?: number;
  readonly allowed: boolean;
  /** A token endpoint proxy's answer held a split token (an opaque access_token). */
  readonly splitTokenIssued: boolean;
  /** The status of an HTTP answer (the token endpoint proxy's, the front's). */
  readonly statusCode?: number;
  readonly error?: string;
  readonly undiciLoaded: boolean;
  readonly webCryptoLoaded: boolean;
  /** Connections opened to the AS, DynamoDB and the secrets extension. */
  readonly connections: { readonly as: number; readonly dynamoDb: number; readonly extension: number };
}

/** Each variant with the limit it is held to (paired by launch round). */
const BUDGETED: readonly (readonly [string, string])[] = [
  [OURS_SPLIT, LIMIT_SPLIT],
  [OURS_PHANTOM, LIMIT_PHANTOM],
];
/** Variants launched beside their limit, their ratio shown: the budgeted ones and the token endpoint proxy. */
const PAIRED: readonly (readonly [string, string])[] = [...BUDGETED, [OURS_PROXY, LIMIT_PROXY]];

/**
 * Bundles every Lambda entry as the construct does and reports sizes and what fills them; then
 * launches a fresh `node` per measurement that loads a bundle (its init included: the module's
 * top-level await) and answers one REST REQUEST event, against this process's dynalite and
 * oidc-provider over TLS and the secrets-extension emulator, each behind a counting front. The
 * authorizer as deployed, for a split and a phantom token, is held to the hand-written limit doing
 * the same I/O (bench/cold-start/limit-handler.ts, bundled and launched the same way: the
 * construct's esbuild options and NODE_OPTIONS); the hello-world floor, the jose-only handler, a
 * peer that skips verification and the authorizer with source-mapped stack traces are shown beside
 * them. Interleaved: each round launches every variant, each budgeted one beside its limit.
 */
export async function benchColdStart(context: BenchContext): Promise<SectionResult> {
  const { parts } = context;
  await rm(OUT, { recursive: true, force: true });
  const rows: ResultRow[] = [];

  for (const entry of await lambdaEntries()) {
    const bundle = await bundleLikeCdk(path(`lambda/${entry}`), `${OUT}entries/${entry.replace(/\.ts$/, '')}`);
    rows.push(bundleRow(`lambda/${entry}`, bundle));
  }

  const variants: Variant[] = [
    variant(HELLO, path('bench/cold-start/hello-handler.ts'), 'split', 'returns a constant'),
    variant(JOSE, path('bench/cold-start/jose-handler.ts'), 'jwt', 'jose remote JWKS + jwtVerify, fetch'),
    variant(LIMIT_SPLIT, LIMIT_ENTRY, 'split', 'secret ∥ JWKS in init, then GetItem', { LIMIT_RESOLVES: 'split' }),
    variant(OURS_SPLIT, AUTHORIZER_ENTRY, 'split', 'secret ∥ JWKS in init, then GetItem'),
    {
      ...variant(OURS_SPLIT_MAPS, AUTHORIZER_ENTRY, 'split', 'same bundle, stack traces source-mapped'),
      nodeOptions: '--enable-source-maps',
    },
    variant(LIMIT_PHANTOM, LIMIT_ENTRY, 'phantom', 'secret ∥ JWKS in init, then introspection', {
      LIMIT_RESOLVES: 'phantom',
    }),
    variant(OURS_PHANTOM, AUTHORIZER_ENTRY, 'phantom', 'secret ∥ JWKS in init, then introspection'),
    variant(PEER_PHANTOM, LIMIT_ENTRY, 'phantom', 'secret in init, then introspection, nothing verified', {
      LIMIT_RESOLVES: 'phantom',
      LIMIT_VERIFIES: 'false',
    }),
    // The proxy's construct sets no NODE_OPTIONS.
    { ...variant(LIMIT_PROXY, PROXY_LIMIT_ENTRY, 'token request', 'token request, then PutItem'), nodeOptions: '' },
    { ...variant(OURS_PROXY, PROXY_ENTRY, 'token request', 'token request, then PutItem'), nodeOptions: '' },
  ];
  const bundles = new Map<string, Bundle>();
  for (const v of variants) {
    const existing = [...bundles.entries()].find(([name]) => variants.find((o) => o.name === name)?.entry === v.entry);
    bundles.set(v.name, existing?.[1] ?? (await bundleLikeCdk(v.entry, `${OUT}variants/${slug(v.name)}`)));
  }
  rows.push(bundleRow('bench/cold-start/limit-handler.ts', bundles.get(LIMIT_SPLIT) as Bundle));
  rows.push(bundleRow('bench/cold-start/proxy-limit-handler.ts', bundles.get(LIMIT_PROXY) as Bundle));

  const split = await parts.issueSplitToken();
  const credentials: Record<Exclude<Credential, 'token request'>, string> = {
    split: split.opaque,
    jwt: split.jwt,
    phantom: await parts.issuePhantomToken(),
  };
  // The proxy forwards to the authorization server behind its TLS front, and writes through DynamoDB's.
  const proxyEnv = {
    UPSTREAM_TOKEN_ENDPOINT: `${parts.fronts.as.endpoint}${new URL(parts.as.tokenEndpoint).pathname}`,
  };
  // Every variant, limits included, on the same runtime: the deployed one's major unless told otherwise.
  const node = coldStartNode();
  rows.push({
    section: SECTION,
    case: 'runtime of every launch',
    detail: `node ${node.version}: ${node.source}`,
    figures: { node: node.version },
  });
  rows.push(
    ...(await compileRows(
      node.path,
      [
        ['authorizer as deployed', bundles.get(OURS_SPLIT) as Bundle],
        ['limit (node:https + node:crypto by hand)', bundles.get(LIMIT_SPLIT) as Bundle],
      ],
      Math.max(3, Math.round(COMPILES * Math.min(1, context.scale))),
    )),
  );
  const launches = new Map<string, Launch[]>(variants.map((v) => [v.name, []]));
  const launchCount = Math.max(3, Math.round(LAUNCHES * Math.min(1, context.scale)));
  for (let round = 0; round < launchCount; round++) {
    for (const v of launchOrder(variants, round)) {
      const tokenRequest = v.credential === 'token request';
      const event = tokenRequest
        ? tokenRequestEvent(parts.as.clients.split)
        : authorizerEvent('REST REQUEST', credentials[v.credential as Exclude<Credential, 'token request'>]);
      const launch = await launchOnce(
        parts,
        (bundles.get(v.name) as Bundle).outfile,
        event,
        { ...parts.lambdaEnv, ...(tokenRequest ? proxyEnv : {}), ...v.env, NODE_OPTIONS: v.nodeOptions },
        node.path,
      );
      if (tokenRequest ? !launch.splitTokenIssued : !launch.allowed) {
        throw new Error(
          `${SECTION}: ${v.name} did not ${tokenRequest ? 'issue a split token' : 'allow'} (${launch.error ?? 'no'})`,
        );
      }
      launches.get(v.name)?.push(launch);
    }
  }

  const median = (values: number[]): number => summarize(values).medianUs;
  /** init + first event, the figure the budget is on. */
  const code = (launch: Launch | undefined) => (launch ? launch.importMs + launch.firstEventMs : Number.NaN);
  /**
   * Ratios of medians paired by block, as the in-process ratios are paired by round: the launches
   * are cut into blocks of {@link ROUNDS_PER_BLOCK} consecutive rounds, each block gives the ratio of
   * `name`'s median to `reference`'s, and the figure is the median of those. One launch is too noisy
   * to pair on its own here (a single process start moves by tens of milliseconds).
   */
  const pairedRatio = (name: string, reference: string): number => {
    const of = launches.get(name) ?? [];
    const ref = launches.get(reference) ?? [];
    const ratios: number[] = [];
    for (let from = 0; from + ROUNDS_PER_BLOCK <= Math.min(of.length, ref.length); from += ROUNDS_PER_BLOCK) {
      const block = (list: Launch[]) => median(list.slice(from, from + ROUNDS_PER_BLOCK).map(code));
      ratios.push(block(of) / block(ref));
    }
    return ratios.length > 0 ? median(ratios) : median(of.map(code)) / median(ref.map(code));
  };
  const referenceOf = (name: string): string | undefined =>
    PAIRED.find(([ours]) => ours === name)?.[1] ??
    (name === PEER_PHANTOM
      ? LIMIT_PHANTOM
      : name === OURS_SPLIT_MAPS || name === JOSE || name === HELLO
        ? LIMIT_SPLIT
        : undefined);
  for (const v of variants) {
    const list = launches.get(v.name) ?? [];
    const total = summarize(list.map((l) => code(l) * 1000));
    const wall = summarize(list.map((l) => l.wallMs * 1000));
    const connections = {
      as: median(list.map((l) => l.connections.as)),
      dynamoDb: median(list.map((l) => l.connections.dynamoDb)),
      extension: median(list.map((l) => l.connections.extension)),
    };
    const undici = list.filter((l) => l.undiciLoaded).length;
    const cpu = mainThreadCpu(list);
    const bundle = bundles.get(v.name) as Bundle;
    const reference = referenceOf(v.name);
    rows.push({
      section: SECTION,
      case: `${v.name}: init + first event`,
      medianUs: total.medianUs,
      p99Us: total.p99Us,
      ...(reference
        ? { ratio: { value: pairedRatio(v.name, reference), to: reference.split(':')[0] ?? reference } }
        : {}),
      detail:
        `init ${formatDuration(median(list.map((l) => l.importMs * 1000)))}, ` +
        `first event ${formatDuration(median(list.map((l) => l.firstEventMs * 1000)))}; ` +
        (cpu
          ? `main-thread CPU: init ${formatDuration(cpu.initMs * 1000)}, first event ${formatDuration(cpu.firstEventMs * 1000)}; `
          : '') +
        `connections: AS ${connections.as}, DynamoDB ${connections.dynamoDb}, extension ${connections.extension}; ` +
        `undici ${undici === 0 ? 'never loaded' : `loaded in ${undici}/${list.length}`}; ` +
        `process start→answer ${formatDuration(wall.medianUs)}; ${formatBytes(bundle.bytes)}; ${v.note}`,
      figures: {
        launches: total.samples,
        initPlusFirstEventMedianMs: total.medianUs / 1000,
        initMedianMs: median(list.map((l) => l.importMs)),
        firstEventMedianMs: median(list.map((l) => l.firstEventMs)),
        nodeBootMedianMs: median(list.map((l) => l.nodeBootMs)),
        ...(cpu ? { initMainThreadCpuMedianMs: cpu.initMs, firstEventMainThreadCpuMedianMs: cpu.firstEventMs } : {}),
        processStartToAnswerMedianMs: wall.medianUs / 1000,
        connectionsToAs: connections.as,
        connectionsToDynamoDb: connections.dynamoDb,
        connectionsToExtension: connections.extension,
        launchesThatLoadedUndici: undici,
        bundleBytes: bundle.bytes,
        sourceMapBytes: bundle.mapBytes,
      },
    });
  }

  // The budget applies to what ships; the other rows are shown for comparison.
  const authorizerLaunches = [OURS_SPLIT, OURS_SPLIT_MAPS, OURS_PHANTOM].flatMap((name) => launches.get(name) ?? []);
  const undiciLoads = authorizerLaunches.filter((launch) => launch.undiciLoaded).length;
  const budgets: BudgetCheck[] = [
    {
      budget: 'cold start: the authorizer never loads undici (fetch)',
      measured: `loaded in ${undiciLoads} of ${authorizerLaunches.length} launches`,
      limit: '0',
      ok: undiciLoads === 0,
    },
  ];
  budgets.push(
    ...BUDGETED.map(([ours, limit]) => {
      const ratio = pairedRatio(ours, limit);
      return {
        budget: `cold start (${ours.replace('authorizer as deployed, ', '')})`,
        measured: `${formatRatio(ratio)} limit`,
        limit: `≤ ${formatRatio(LIMIT_RATIO)}`,
        ok: ratio <= LIMIT_RATIO,
      };
    }),
  );
  return { rows, budgets };
}

/**
 * Medians of the main thread's CPU time over the init and over the first event: what of the wall
 * time was work of this process rather than waiting on I/O. Undefined when the runtime cannot tell
 * (`process.threadCpuUsage` came in Node 23.9). A launch that does no I/O reads it only to the
 * kernel's tick (see invoke-once.mjs).
 */
function mainThreadCpu(list: readonly Launch[]): { initMs: number; firstEventMs: number } | undefined {
  const init = list.map((l) => l.importCpuMs);
  const first = list.map((l) => l.firstEventCpuMs);
  if (list.length === 0 || [...init, ...first].some((ms) => ms === undefined)) return undefined;
  // summarize keeps the unit it is given: milliseconds in, milliseconds out.
  const median = (values: readonly (number | undefined)[]) => summarize(values as number[]).medianUs;
  return { initMs: median(init), firstEventMs: median(first) };
}

/**
 * How long V8 takes to compile each bundle as an ES module (bench/cold-start/compile-once.mjs), in
 * `count` fresh processes per bundle, interleaved: the part of a cold start that grows with the
 * bundle's size whether its code runs or not. The first bundle is held to the second.
 */
async function compileRows(
  node: string,
  bundles: readonly (readonly [string, Bundle])[],
  count: number,
): Promise<ResultRow[]> {
  const times = bundles.map(() => [] as number[]);
  for (let round = 0; round < count; round++) {
    for (const [index, [, bundle]] of bundles.entries()) times[index]?.push(await compileOnce(node, bundle.outfile));
  }
  const summaries = times.map((list) => summarize(list.map((ms) => ms * 1000)));
  const reference = summaries[1];
  return bundles.map(([name, bundle], index) => {
    const summary = summaries[index] as Timing;
    return {
      section: SECTION,
      case: `module compile (V8): ${name}`,
      medianUs: summary.medianUs,
      p99Us: summary.p99Us,
      ...(index === 0 && reference ? { ratio: { value: summary.medianUs / reference.medianUs, to: 'limit' } } : {}),
      detail: `${formatBytes(bundle.bytes)}; ${summary.samples} fresh processes; functions compiled when first run are not in it`,
      figures: { compiles: summary.samples, compileMedianMs: summary.medianUs / 1000, bundleBytes: bundle.bytes },
    };
  });
}

/** One fresh `node` that compiles `bundle` once and says how long it took, in milliseconds. */
function compileOnce(node: string, bundle: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      node,
      ['--experimental-vm-modules', '--no-warnings', COMPILER, bundle],
      { env: { PATH: process.env.PATH ?? '' } },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`module compile of ${bundle} failed: ${stderr.slice(0, 300)}`));
          return;
        }
        resolve((JSON.parse(stdout) as { compileMs: number }).compileMs);
      },
    );
  });
}

/**
 * One round's launches: each budgeted variant right beside its limit, which goes first every other
 * round (load that comes and goes then moves both sides of a ratio alike), pairs and the other
 * variants in an order that rotates by round.
 */
function launchOrder(variants: readonly Variant[], round: number): Variant[] {
  const byName = new Map(variants.map((v) => [v.name, v]));
  const paired = new Set(PAIRED.flat());
  const groups: Variant[][] = PAIRED.map(([ours, limit]) => {
    const pair = [byName.get(limit), byName.get(ours)].filter((v): v is Variant => v !== undefined);
    return round % 2 === 0 ? pair : pair.reverse();
  });
  for (const v of variants) if (!paired.has(v.name)) groups.push([v]);
  const shift = round % groups.length;
  return [...groups.slice(shift), ...groups.slice(0, shift)].flat();
}

function variant(
  name: string,
  entry: string,
  credential: Credential,
  note: string,
  env?: Readonly<Record<string, string>>,
): Variant {
  // Every handler is launched as the construct launches the authorizer.
  return { name, entry, credential, nodeOptions: AUTHORIZER_NODE_OPTIONS ?? '', note, ...(env ? { env } : {}) };
}

/** A token request as an HTTP API (payload 2.0) brings it: the client credentials grant, Basic auth. */
export function tokenRequestEvent(client: { clientId: string; clientSecret: string }): unknown {
  const body = new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }).toString();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/token',
    rawQueryString: '',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    requestContext: { domainName: 'proxy.bench.test', http: { method: 'POST', path: '/token', sourceIp: '127.0.0.1' } },
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
  };
}

/** Every Lambda entry of the project: `lambda/<deployable>/handler.ts`. */
async function lambdaEntries(): Promise<string[]> {
  const folders = await readdir(path('lambda'), { withFileTypes: true });
  const deployables = folders.filter((entry) => entry.isDirectory() && !['core', 'adapters'].includes(entry.name));
  return deployables.map((entry) => `${entry.name}/handler.ts`).sort();
}

function bundleRow(name: string, bundle: Bundle): ResultRow {
  const top = bytesByPackage(bundle.metafile).slice(0, 5);
  return {
    section: BUNDLE_SECTION,
    case: name,
    detail: `${formatBytes(bundle.bytes)} (+${formatBytes(bundle.mapBytes)} map): ${top
      .map(([owner, bytes]) => `${owner} ${formatBytes(bytes)}`)
      .join(', ')}`,
    figures: { bytes: bundle.bytes, sourceMapBytes: bundle.mapBytes, ...Object.fromEntries(top) },
  };
}

/**
 * Starts `node invoke-once.mjs <bundle>` with the event on stdin; timings from both sides, and the
 * connections the process opened, counted at the fronts of the parts.
 */
export function launchOnce(
  parts: LocalParts,
  bundle: string,
  event: unknown,
  env: Readonly<Record<string, string>>,
  /** The `node` launched. @default the bench's own */
  node: string = process.execPath,
): Promise<Launch> {
  const fronts = parts.fronts;
  for (const front of Object.values(fronts)) front.reset();
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(node, [RUNNER, bundle], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let answeredAt: number | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (answeredAt === undefined && stdout.includes('\n')) answeredAt = performance.now();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n')[0] ?? '';
      if (code !== 0 || answeredAt === undefined || line === '') {
        // stderr of a handler holds no token: the handler logs ids and codes only.
        reject(new Error(`cold start launch failed (exit ${code}): ${stderr.slice(0, 300)}`));
        return;
      }
      const report = JSON.parse(line) as Omit<Launch, 'wallMs' | 'connections'>;
      resolve({
        ...report,
        wallMs: answeredAt - started,
        connections: {
          as: fronts.as.connections(),
          dynamoDb: fronts.dynamoDb.connections(),
          extension: fronts.extension.connections(),
        },
      });
    });
    child.stdin.end(JSON.stringify(event));
  });
}

function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
