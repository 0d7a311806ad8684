import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HOST = fileURLToPath(new URL('./lambda-process-host.mjs', import.meta.url));

/** What an invocation came to: the handler's answer, or the message of what it threw. */
export type Invocation = { readonly result: unknown } | { readonly error: string };

/** A handler module running in a process of its own (test/support/lambda-process-host.mjs). */
export interface LambdaProcess {
  invoke(event: unknown): Promise<Invocation>;
  /** What the function wrote to stderr so far (its logs). */
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node` on `moduleFile` with exactly `environment` (plus PATH), as Lambda starts a function
 * with its configuration: nothing of the test runner's environment leaks in. Resolves once the
 * module is imported; rejects with the import's error.
 */
export function startLambdaProcess(moduleFile: string, environment: Record<string, string>): Promise<LambdaProcess> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [HOST, moduleFile], {
    env: { PATH: process.env.PATH ?? '', ...environment },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const pending = new Map<number, (answer: Invocation) => void>();
  let nextId = 1;
  return new Promise((resolve, reject) => {
    const exited = (code: number | null) =>
      reject(new Error(`the function exited (${code}) before it was ready: ${stderr}`));
    child.once('exit', exited);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as {
        id?: number;
        ready?: true;
        initError?: string;
        result?: unknown;
        error?: string;
      };
      if (message.initError !== undefined) {
        reject(new Error(`init failed: ${message.initError}`));
      } else if (message.ready) {
        child.off('exit', exited);
        resolve({
          invoke(event) {
            const id = nextId++;
            return new Promise((answer) => {
              pending.set(id, answer);
              child.stdin.write(`${JSON.stringify({ id, event })}\n`);
            });
          },
          logs: () => stderr,
          stop: () =>
            new Promise((stopped) => {
              if (child.exitCode !== null) return stopped();
              child.once('exit', () => stopped());
              child.stdin.end();
              child.kill();
            }),
        });
      } else if (message.id !== undefined) {
        const answer = pending.get(message.id);
        pending.delete(message.id);
        answer?.(message.error !== undefined ? { error: message.error } : { result: message.result });
      }
    });
  });
}
