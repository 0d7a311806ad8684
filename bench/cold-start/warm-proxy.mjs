// A warm token endpoint proxy instance: loads a bundled handler once, then, per message from its
// parent ({ count }), answers the event it was started with `count` times in a row and sends back
// each answer's time in milliseconds. Every answer must hold a split token.
// Usage: fork('warm-proxy.mjs', [bundle.mjs, eventJson])   (plain JavaScript: it runs without tsx)
import { pathToFileURL } from 'node:url';

const [bundle, eventJson] = process.argv.slice(2);
const event = JSON.parse(eventJson);
const { handler } = await import(pathToFileURL(bundle).href);

process.on('message', async ({ count }) => {
  if (count === 0) process.exit(0);
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const answer = await handler(event);
    times.push(performance.now() - started);
    const token = answer?.statusCode === 200 ? JSON.parse(answer.body).access_token : undefined;
    if (typeof token !== 'string' || token.includes('.')) {
      process.send({ error: `no split token (status ${answer?.statusCode})` });
      return;
    }
  }
  process.send({ times });
});
process.send({ ready: true });
