import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** `tsx bin/local-stack.ts` (what `npm start` runs) in a child process. */
export interface LocalStackProcess {
  readonly child: ChildProcess;
  /** The first line on stdout (the ready line); rejects after 30 s or if the process exits first. */
  readonly firstLine: Promise<string>;
  /** The exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Everything written to stdout so far. */
  stdout(): string;
}

/** Starts the local stack as `npm start` does, on free ports, with `env` added to this process's. */
export function spawnLocalStack(env: Readonly<Record<string, string>>): LocalStackProcess {
  const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const child = spawn(process.execPath, [tsxCli, 'bin/local-stack.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no ready line within 30 s')), 30_000);
    child.stdout?.on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('\n')) {
        clearTimeout(timer);
        resolve(stdout.slice(0, stdout.indexOf('\n')));
      }
    });
    child.once('exit', () => reject(new Error('exited before it was ready')));
  });
  firstLine.catch(() => undefined);
  return { child, firstLine, exited, stdout: () => stdout };
}
