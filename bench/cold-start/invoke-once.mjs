// A fresh Lambda instance, as far as Node goes: load a bundled handler, answer one event (read
// from standard input before the clock starts), print one JSON line of timings and of what the
// answer was (an authorizer's allow, a token endpoint proxy's split token; never the answer itself), exit.
// Usage: node invoke-once.mjs <bundle.mjs>   (plain JavaScript: it runs without tsx)
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const event = JSON.parse(readFileSync(0, 'utf8'));
const importStart = performance.now();
const module = await import(pathToFileURL(process.argv[2]).href);
const importEnd = performance.now();
let answer;
let error;
try {
  answer = await module.handler(event);
} catch (caught) {
  error = caught instanceof Error ? caught.message.slice(0, 120) : 'unknown';
}
const answered = performance.now();
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
    allowed,
    splitTokenIssued,
    statusCode: typeof answer?.statusCode === 'number' ? answer.statusCode : undefined,
    error,
    undiciLoaded: loaded('internal/deps/undici/undici'),
    webCryptoLoaded: loaded('internal/crypto/webcrypto'),
  })}\n`,
);
process.exit(0);
