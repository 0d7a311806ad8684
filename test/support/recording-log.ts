import type { DecisionLog } from '../../lambda/core/ports.ts';

/** A {@link DecisionLog} that keeps every line: as an object (`entries`) and as its JSON (`lines`). */
export class RecordingLog implements DecisionLog {
  readonly entries: Record<string, unknown>[] = [];
  readonly lines: string[] = [];

  info(message: string, fields: Record<string, unknown>): void {
    this.record(message, fields);
  }

  warn(message: string, fields: Record<string, unknown>): void {
    this.record(message, fields);
  }

  error(message: string, fields: Record<string, unknown>): void {
    this.record(message, fields);
  }

  private record(message: string, fields: Record<string, unknown>): void {
    const entry = { message, ...fields };
    this.entries.push(entry);
    this.lines.push(JSON.stringify(entry));
  }
}
