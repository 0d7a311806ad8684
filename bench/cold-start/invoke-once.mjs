// A fresh Lambda instance, as far as Node goes: load a bundled handler, answer one event (read
// from standard input before the clock starts), print one JSON line of timings and of what the
// answer was (an authorizer's allow, a token endpoint proxy's split token; never the answer itself), exit.
// Usage: node invoke-once.mjs <bundle.mjs>   (plain JavaScript: it runs without tsx)
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const event = JSON.parse(readFileSync(0, 'utf8'));
// CPU time of this (the main) thread, where everything a cold start runs runs: the wall clock less
// the time spent waiting on I/O. Node 23.9 and later; undefined before. The kernel's per-thread
// clock moves in steps of its tick (4 ms on the bench machine) while a thread runs, and is brought
// up to date when it wakes from waiting: each reading here follows a wait on I/O in a launch that
// does I/O (checked against CLOCK_THREAD_CPUTIME_ID), not in one that does none (the hello world).
const mainThreadCpuMs = () => {
  const usage = process.threadCpuUsage?.();
  return usage === undefined ? undefined : (usage.user + usage.system) / 1000;
};
const importStartCpu = mainThreadCpuMs();
const importStart = performance.now();
const module = await import(pathToFileURL(process.argv[2]).href);
const importEnd = performance.now();
const importEndCpu = mainThreadCpuMs();
let answer;
let error;
try {
  answer = await module.handler(event);
} catch (caught) {
  error = caught instanceof Error ? caught.message.slice(0, 120) : 'unknown';
}
const answered = performance.now();
const answeredCpu = mainThreadCpuMs();
const cpuBetween = (from, to) => (from === undefined || to === undefined ? undefined : to - from);
// What Node loaded lazily on the way: fetch's undici costs tens of milliseconds on first use.
const loaded = (name) => process.moduleLoadList.some((entry) => entry.endsWith(name));

// Allowed: `isAuthorized`, or an Allow statement and no Deny naming the event's method ARN.
const statements = answer?.policyDocument?.Statement ?? [];
const allowed =
  answer?.isAuthorized === true ||
  (statements.some((s) => s.Effect === 'Allow') &&
    !statements.some((s) => s.Effect === 'Deny' && s.Resource?.includes(event.methodArn)));

// A token endpoint proxy's answer: a 200 whose access_token is opaque (a split token, no dots).
let splitTokenIssued = false;
try {
  const token = answer?.statusCode === 200 ? JSON.parse(answer.body).access_token : undefined;
  splitTokenIssued = typeof token === 'string' && token.length > 0 && !token.includes('.');
} catch {
  splitTokenIssued = false;
}

process.stdout.write(
  `${JSON.stringify({
    // performance.now() counts from the process's start: Node's own boot is in answeredAtMs.
    nodeBootMs: importStart,
    importMs: importEnd - importStart,
    firstEventMs: answered - importEnd,
    answeredAtMs: answered,
    importCpuMs: cpuBetween(importStartCpu, importEndCpu),
    firstEventCpuMs: cpuBetween(importEndCpu, answeredCpu),
    allowed,
    splitTokenIssued,
    statusCode: typeof answer?.statusCode === 'number' ? answer.statusCode : undefined,
    error,
    undiciLoaded: loaded('internal/deps/undici/undici'),
    webCryptoLoaded: loaded('internal/crypto/webcrypto'),
  })}\n`,
);
process.exit(0);
