// A Lambda instance as far as Node goes, for tests: loads a bundled handler once (its init), then
// answers each event its parent sends ({ event }) and sends back { result, undiciLoaded } (or
// { error }). Plain JavaScript: it runs the shipped bytes without tsx.
// Usage: fork('lambda-bundle-runner.mjs', [bundle.mjs])
import { pathToFileURL } from 'node:url';

const { handler } = await import(pathToFileURL(process.argv[2]).href);
// web fetch's undici, loaded lazily on first use: tens of milliseconds of a cold start.
const undiciLoaded = () => process.moduleLoadList.some((entry) => entry.endsWith('internal/deps/undici/undici'));

process.on('message', async ({ event }) => {
  if (event === undefined) process.exit(0);
  try {
    process.send({ result: await handler(event), undiciLoaded: undiciLoaded() });
  } catch (caught) {
    process.send({ error: caught instanceof Error ? caught.message.slice(0, 200) : 'unknown' });
  }
});
process.send({ ready: true, undiciLoaded: undiciLoaded() });
