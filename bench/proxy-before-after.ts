/**
 * `npx tsx bench/proxy-before-after.ts <checkout>`: the token endpoint proxy of another checkout of
 * this repository (say the commit before the AWS SDK left it: `git worktree add /tmp/before <commit>`
 * and a node_modules there) beside this one's, in one run: bundle sizes, cold starts and warm token
 * requests. Each is bundled as the construct bundles it; every token request goes to oidc-provider
 * and every record to dynalite, both behind TLS on loopback (bench/harness/local-parts.ts).
 *
 * - Cold start: a fresh `node` per launch loads the bundle (init) and answers one token request (a
 *   split token written); the two checkouts launch side by side in each round, in alternating order,
 *   and the figure is the median of the launch-by-launch differences, with a distribution-free 95%
 *   confidence interval, beside each one's median.
 * - Warm: one process per checkout, each sends rounds of token requests in turn; the figure is the
 *   median over rounds of the ratio of the two medians.
 *
 * `BENCH_SCALE` scales the counts (0.1 for a quick look). Prints a table; writes nothing.
 */
import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Bundle, bundleLikeCdk, bytesByPackage } from './harness/bundle.ts';
import { startLocalParts } from './harness/local-parts.ts';
import { benchCertificate } from './harness/loopback-front.ts';
import { summarize } from './harness/measure.ts';
import { formatBytes } from './harness/report.ts';
import { type Launch, launchOnce, tokenRequestEvent } from './sections/cold-start.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = fileURLToPath(new URL('./results/proxy-before-after/', import.meta.url));
const WARM_RUNNER = fileURLToPath(new URL('./cold-start/warm-proxy.mjs', import.meta.url));
const ENTRY = 'lambda/token-endpoint-proxy/handler.ts';

const before = process.argv[2];
if (before === undefined) throw new Error('usage: tsx bench/proxy-before-after.ts <checkout of the version before>');
const scale = Number(process.env.BENCH_SCALE ?? 1);
const scaled = (value: number, floor: number): number => Math.max(floor, Math.round(value * scale));

// Lambda runs Node 22+, where the SDK prints no Node 20 deprecation warning; neither does the bench.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const certificate = await benchCertificate();
const parts = await startLocalParts(certificate);
try {
  const bundles: Record<'before' | 'after', Bundle> = {
    before: await bundleLikeCdk(resolve(before, ENTRY), `${OUT}before`),
    after: await bundleLikeCdk(resolve(ROOT, ENTRY), `${OUT}after`),
  };
  // The construct sets no NODE_OPTIONS on the proxy.
  const baseEnv = { ...parts.lambdaEnv, NODE_OPTIONS: '' };
  const env = {
    ...baseEnv,
    UPSTREAM_TOKEN_ENDPOINT: `${parts.fronts.as.endpoint}${new URL(parts.as.tokenEndpoint).pathname}`,
  };
  const event = tokenRequestEvent(parts.as.clients.split);
  const lines: string[] = [];
  for (const side of ['before', 'after'] as const) {
    const top = bytesByPackage(bundles[side].metafile).slice(0, 4);
    lines.push(
      `bundle ${side}: ${formatBytes(bundles[side].bytes)} (+${formatBytes(bundles[side].mapBytes)} map): ` +
        top.map(([owner, bytes]) => `${owner} ${formatBytes(bytes)}`).join(', '),
    );
  }

  const median = (values: readonly number[]): number => summarize(values).medianUs;
  const code = (launch: Launch): number => launch.importMs + launch.firstEventMs;
  /** Cold starts answering `coldEvent`, paired by round (alternating order), reported side by side. */
  const coldStarts = async (
    what: string,
    coldEvent: unknown,
    coldEnv: Record<string, string>,
    answered: (launch: Launch) => boolean,
  ): Promise<void> => {
    const launches: Record<'before' | 'after', Launch[]> = { before: [], after: [] };
    const rounds = scaled(100, 5);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
      for (const side of order) {
        const launch = await launchOnce(parts, bundles[side].outfile, coldEvent, coldEnv);
        if (!answered(launch)) throw new Error(`${what}, ${side}: no answer (${launch.error ?? launch.statusCode})`);
        launches[side].push(launch);
      }
    }
    for (const side of ['before', 'after'] as const) {
      const list = launches[side];
      lines.push(
        `cold start ${side}, ${what}: ${median(list.map(code)).toFixed(2)} ms ` +
          `(init ${median(list.map((l) => l.importMs)).toFixed(2)} ms, first event ${median(list.map((l) => l.firstEventMs)).toFixed(2)} ms; ` +
          `undici loaded in ${list.filter((l) => l.undiciLoaded).length}/${list.length}; connections AS ${median(list.map((l) => l.connections.as))}, DynamoDB ${median(list.map((l) => l.connections.dynamoDb))})`,
      );
    }
    const paired = (of: (launch: Launch) => number): number[] =>
      launches.after.map((launch, i) => of(launch) - of(launches.before[i] as Launch));
    const differences = paired(code);
    const [low, high] = medianConfidenceInterval(differences);
    lines.push(
      `cold start after − before, ${what}: ${median(differences).toFixed(2)} ms (95% CI ${low.toFixed(2)} to ${high.toFixed(2)}), ` +
        `median of ${differences.length} paired launches; init ${median(paired((l) => l.importMs)).toFixed(2)} ms, ` +
        `first event ${median(paired((l) => l.firstEventMs)).toFixed(2)} ms`,
    );
  };

  await coldStarts('init + first token request', event, env, (launch) => launch.splitTokenIssued);
  // As the authorization server's front: the first request passed through (discovery).
  await coldStarts(
    'front, init + first request passed through',
    passThroughEvent('/.well-known/openid-configuration'),
    { ...baseEnv, UPSTREAM_ORIGIN: parts.fronts.as.endpoint },
    (launch) => launch.statusCode === 200,
  );

  // Warm token requests, one process per side, rounds in turn.
  const workers = {
    before: await warmWorker(bundles.before, event, env),
    after: await warmWorker(bundles.after, event, env),
  };
  try {
    await workers.before.run(scaled(50, 10));
    await workers.after.run(scaled(50, 10));
    const perRound = scaled(20, 5);
    const warm: Record<'before' | 'after', number[]> = { before: [], after: [] };
    const ratios: number[] = [];
    for (let round = 0; round < scaled(30, 3); round++) {
      const order = round % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
      const medians: Record<string, number> = {};
      for (const side of order) {
        const times = await workers[side].run(perRound);
        warm[side].push(...times);
        medians[side] = median(times);
      }
      ratios.push((medians.after as number) / (medians.before as number));
    }
    for (const side of ['before', 'after'] as const) {
      const timing = summarize(warm[side].map((ms) => ms * 1000));
      lines.push(
        `warm token request ${side}: median ${(timing.medianUs / 1000).toFixed(2)} ms, p99 ${(timing.p99Us / 1000).toFixed(2)} ms (${timing.samples} requests)`,
      );
    }
    lines.push(
      `warm after / before: ${median(ratios).toFixed(2)}× (median over ${ratios.length} rounds of the ratio of medians)`,
    );
  } finally {
    await Promise.all([workers.before.stop(), workers.after.stop()]);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await parts.stop();
}

/** A GET as an HTTP API custom domain (payload 2.0) brings it to the front. */
function passThroughEvent(path: string): unknown {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { accept: 'application/json' },
    requestContext: { domainName: 'login.bench.test', http: { method: 'GET', path, sourceIp: '127.0.0.1' } },
    isBase64Encoded: false,
  };
}

interface WarmWorker {
  run(count: number): Promise<number[]>;
  stop(): Promise<void>;
}

async function warmWorker(bundle: Bundle, event: unknown, env: Record<string, string>): Promise<WarmWorker> {
  const child = fork(WARM_RUNNER, [bundle.outfile, JSON.stringify(event)], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const next = (): Promise<{ ready?: boolean; times?: number[]; error?: string }> =>
    new Promise((resolveMessage, reject) => {
      const onExit = (code: number | null) => reject(new Error(`warm worker exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (message) => {
        child.off('exit', onExit);
        resolveMessage(message as { times?: number[]; error?: string });
      });
    });
  await next();
  return {
    async run(count) {
      const answer = next();
      child.send({ count });
      const { times, error } = await answer;
      if (times === undefined) throw new Error(`warm worker: ${error ?? 'no times'}`);
      return times;
    },
    stop: () =>
      new Promise((resolveStop) => {
        if (child.exitCode !== null) return resolveStop();
        child.once('exit', () => resolveStop());
        child.send({ count: 0 });
      }),
  };
}

/** A distribution-free 95% confidence interval of the median (binomial order statistics, normal approximation). */
function medianConfidenceInterval(values: readonly number[]): [number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const k = Math.max(0, Math.floor(n / 2 - 0.98 * Math.sqrt(n)));
  return [sorted[k] ?? Number.NaN, sorted[Math.min(n - 1, n - 1 - k)] ?? Number.NaN];
}
