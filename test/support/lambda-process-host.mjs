// One Lambda execution environment, as far as Node goes: a fresh process whose environment is the
// function's configuration (NODE_OPTIONS included), that imports the handler module once and then
// answers events one at a time. Events arrive on stdin and answers leave on stdout as JSON lines:
// {"id":1,"event":…} → {"id":1,"result":…} or {"id":1,"error":"…"} (a thrown error, as Lambda
// reports it by its message). A failed import is reported once as {"initError":"…"}.
// Usage: node lambda-process-host.mjs <index.mjs>   (plain JavaScript: it runs without tsx)
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
let module;
try {
  module = await import(pathToFileURL(process.argv[2]).href);
} catch (error) {
  send({ initError: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
send({ ready: true });
for await (const line of createInterface({ input: process.stdin })) {
  const { id, event } = JSON.parse(line);
  try {
    send({ id, result: await module.handler(event) });
  } catch (error) {
    send({ id, error: error instanceof Error ? error.message : String(error) });
  }
}
