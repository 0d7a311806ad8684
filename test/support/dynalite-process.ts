import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { LOOPBACK_HOST } from '../../local/loopback-http.ts';

/** dynalite running as an operating-system process of its own. */
export interface DynaliteProcess {
  /** `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  readonly pid: number;
  /** Kills the process (SIGKILL: gone at once, as a crashed server); its data is lost. Safe to call twice. */
  kill(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;

/** A port that was free a moment ago (dynalite's CLI reads `--port 0` as its default, 4567). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK_HOST, resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

/**
 * Starts dynalite's own command line (`dynalite --host 127.0.0.1 --port N`, in memory) in a child
 * process and resolves once it says it listens: a DynamoDB that can be killed like a real server.
 */
export async function startDynaliteProcess(): Promise<DynaliteProcess> {
  const cli = createRequire(import.meta.url).resolve('dynalite/cli.js');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      process.execPath,
      [cli, '--host', LOOPBACK_HOST, '--port', String(port), '--createTableMs', '0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const listening = await new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('dynalite did not start')), READY_TIMEOUT_MS);
      let output = '';
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('listening')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.stderr?.resume();
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (listening && child.pid !== undefined) {
      const pid = child.pid;
      return {
        endpoint: `http://${LOOPBACK_HOST}:${port}`,
        pid,
        kill: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      };
    }
    // The port was taken between the probe and the listen: try another one.
    if (attempt >= 3) throw new Error('dynalite exited before it listened');
  }
}
