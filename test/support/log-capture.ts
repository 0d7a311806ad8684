import { JsonLog, type LogLevel } from '../../lambda/adapters/json-log.ts';

/** Where a sensitive value was found; the value itself is never part of the report. */
export interface Leak {
  readonly label: string;
  readonly source: string;
  readonly lineNumber: number;
}

interface Sensitive {
  readonly label: string;
  readonly value: string;
}

/** Shorter values could occur in a line by chance (a 12-character token id, a timestamp). */
const MIN_SENSITIVE_LENGTH = 16;

type ConsoleMethod = 'log' | 'info' | 'warn' | 'error' | 'debug';
const CONSOLE_METHODS: readonly ConsoleMethod[] = ['log', 'info', 'warn', 'error', 'debug'];

/**
 * Watches every log line a suite writes: the authorizer's JsonLog (made by {@link jsonLog}), and,
 * while installed, everything written to process.stdout, process.stderr or the console (the AWS
 * SDK, oidc-provider, a JsonLog left at its default). Each line is scanned when written against
 * the values tests {@link remember} (tokens, JWTs, secrets) and the one they {@link watch} for the
 * case at hand (a fuzzed credential), so millions of lines need not be kept.
 */
export class LogCapture {
  /** Lines that did not come from a JsonLog made here (kept for inspection; normally few). */
  readonly otherLines: { readonly source: string; readonly text: string }[] = [];
  readonly leaks: Leak[] = [];
  lineCount = 0;
  private readonly sensitive: Sensitive[] = [];
  private watched: Sensitive | undefined;
  private restore: (() => void) | undefined;

  /** A JsonLog at `level` whose every line is scanned here. */
  jsonLog(level: LogLevel = 'debug'): JsonLog {
    return new JsonLog({ level, write: (line) => this.scan('json-log', line) });
  }

  /**
   * Starts scanning process.stdout, process.stderr and console output. It still passes through,
   * unless `quiet` (for suites whose code under test logs thousands of lines to stdout).
   */
  install(options: { quiet?: boolean } = {}): void {
    if (this.restore) return;
    const capture = this;
    const stdoutWrite = process.stdout.write;
    const stderrWrite = process.stderr.write;
    const spy = (source: 'stdout' | 'stderr', original: typeof process.stdout.write): typeof process.stdout.write =>
      function (this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
        capture.scan(source, text);
        if (options.quiet) {
          const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
          callback?.();
          return true;
        }
        capture.otherLines.push({ source, text });
        return (original as (...args: unknown[]) => boolean).call(process[source], chunk, ...rest);
      } as typeof process.stdout.write;
    process.stdout.write = spy('stdout', stdoutWrite);
    process.stderr.write = spy('stderr', stderrWrite);
    const originals = CONSOLE_METHODS.map((method) => [method, console[method]] as const);
    for (const [method, original] of originals) {
      console[method] = (...args: unknown[]) => {
        const text = args.map(stringify).join(' ');
        this.scan(`console.${method}`, text);
        this.otherLines.push({ source: `console.${method}`, text });
        original.apply(console, args);
      };
    }
    this.restore = () => {
      process.stdout.write = stdoutWrite;
      process.stderr.write = stderrWrite;
      for (const [method, original] of originals) console[method] = original;
    };
  }

  uninstall(): void {
    this.restore?.();
    this.restore = undefined;
  }

  /**
   * Registers values that must never be logged. A compact JWT is registered by its payload and its
   * signature: the JWT, its `header.payload` (the split-token record), its payload and its
   * signature (the split token's opaque part) each contain one of them.
   */
  remember(label: string, ...values: readonly string[]): void {
    for (const value of values) {
      for (const candidate of sensitivePartsOf(value)) this.sensitive.push({ label, value: candidate });
    }
  }

  /** How many values are being watched for. */
  get rememberedCount(): number {
    return this.sensitive.length;
  }

  /** Watches one more value until the next call (a fuzzed credential for the case at hand). */
  watch(label: string, value: string | undefined): void {
    this.watched = value !== undefined && value.length >= MIN_SENSITIVE_LENGTH ? { label, value } : undefined;
  }

  private scan(source: string, text: string): void {
    this.lineCount++;
    for (const { label, value } of this.sensitive) {
      if (text.includes(value)) this.leaks.push({ label, source, lineNumber: this.lineCount });
    }
    if (this.watched && text.includes(this.watched.value)) {
      this.leaks.push({ label: this.watched.label, source, lineNumber: this.lineCount });
    }
  }
}

function sensitivePartsOf(value: string): string[] {
  const parts = value.split('.');
  const candidates = parts.length === 3 ? [parts[1] as string, parts[2] as string] : [value];
  return candidates.filter((candidate) => candidate.length >= MIN_SENSITIVE_LENGTH);
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return `${value.name}: ${value.message}\n${value.stack ?? ''}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
