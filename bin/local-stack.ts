/**
 * `npm start`: the whole system on 127.0.0.1 (see local/local-stack.ts). Prints exactly one line of
 * JSON on standard output when ready (`{"event":"ready",...}`); every other line goes to standard
 * error. SIGINT or SIGTERM stops everything and exits 0.
 */

import { type LocalStack, startLocalStack } from '../local/local-stack.ts';
import { LocalStackConfigError, readLocalStackOptions } from '../local/local-stack-config.ts';

const STOP_DEADLINE_MS = 5000;

function fail(message: string): never {
  process.stderr.write(`local stack: ${message}\n`);
  process.exit(1);
}

let stack: LocalStack | undefined;
let stopping = false;

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`local stack: ${signal}, stopping\n`);
  setTimeout(() => fail(`did not stop within ${STOP_DEADLINE_MS} ms`), STOP_DEADLINE_MS).unref();
  await stack?.stop();
  process.exit(0);
}

process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

let options: ReturnType<typeof readLocalStackOptions>;
try {
  options = readLocalStackOptions(process.env);
} catch (error) {
  fail(error instanceof LocalStackConfigError ? error.message : String(error));
}

try {
  stack = await startLocalStack(options);
} catch (error) {
  const code = (error as { code?: unknown }).code;
  if (code === 'EADDRINUSE') {
    const ports = [options.port, options.issuerPort, ...Object.values(options.regionPorts ?? {})];
    fail(
      `one of the ports ${ports.join(', ')} is in use; set PORT and ISSUER_PORT to other ports, or PORT=0 for free ones`,
    );
  }
  fail(`could not start: ${error instanceof Error ? error.message : String(error)}`);
}

process.stdout.write(`${JSON.stringify(stack.ready)}\n`);
process.stderr.write(
  `local stack ready (${stack.eventFormat} events, cache ${stack.cacheTtlSeconds} s, gateway result cache ${stack.gatewayCacheTtlSeconds} s, JWT validation ${stack.jwtValidation ? 'on' : 'off'}, DPoP ${stack.ready.dpopAlgorithms ? 'on' : 'off'}): gateway ${stack.ready.gateway}, issuer ${stack.ready.issuer}\n`,
);
if (stack.regions.length > 1) {
  const regions = stack.regions.map((region) => `${region.region}${region.home ? ' (home)' : ''} ${region.gateway}`);
  process.stderr.write(
    `local stack regions: ${regions.join(', ')}; replication lag ${stack.ready.replicationLagMs} ms, home-region fallback ${options.homeRegionFallback ? 'on' : 'off'}\n`,
  );
}
