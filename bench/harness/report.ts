import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname } from 'node:path';

/** One measured case. Times are per operation, in microseconds. */
export interface ResultRow {
  readonly section: string;
  readonly case: string;
  readonly medianUs?: number;
  readonly p99Us?: number;
  /** The median divided by that of the named reference case of the same section. */
  readonly ratio?: { readonly value: number; readonly to: string };
  /** Figures that are not times (bundle bytes, requests per second, counts), for the table's last column. */
  readonly detail?: string;
  /** The same figures as numbers, for the JSON. */
  readonly figures?: Readonly<Record<string, number | string | boolean>>;
}

/** A budget of the issue, checked against this run. */
export interface BudgetCheck {
  readonly budget: string;
  readonly measured: string;
  readonly limit: string;
  readonly ok: boolean;
}

/** What a section hands back. */
export interface SectionResult {
  readonly rows: readonly ResultRow[];
  readonly budgets: readonly BudgetCheck[];
  /** Why a section could not run (missing part); the run then fails. */
  readonly skipped?: string;
}

/** Formats microseconds for the table: µs below a millisecond, ms above. */
export function formatDuration(us: number | undefined): string {
  if (us === undefined || Number.isNaN(us)) return '';
  if (us < 1000) return `${us < 10 ? us.toFixed(2) : us.toFixed(1)} µs`;
  const ms = us / 1000;
  return `${ms < 100 ? ms.toFixed(2) : ms.toFixed(0)} ms`;
}

export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(2)}×`;
}

export function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

/** A plain-text table: the first row is the header, columns padded to their widest cell. */
export function renderTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  const line = (row: readonly string[]): string =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join(' │ ')
      .trimEnd();
  const [header, ...body] = rows;
  const rule = widths.map((width) => '─'.repeat(width)).join('─┼─');
  return [line(header ?? []), rule, ...body.map(line)].join('\n');
}

export function renderResults(rows: readonly ResultRow[]): string {
  return renderTable([
    ['section', 'case', 'median', 'p99', 'ratio', 'detail'],
    ...rows.map((row) => [
      row.section,
      row.case,
      formatDuration(row.medianUs),
      formatDuration(row.p99Us),
      row.ratio ? `${formatRatio(row.ratio.value)} ${row.ratio.to}` : '',
      row.detail ?? '',
    ]),
  ]);
}

export function renderBudgets(budgets: readonly BudgetCheck[]): string {
  return renderTable([
    ['budget', 'measured', 'limit', 'ok'],
    ...budgets.map((check) => [check.budget, check.measured, check.limit, check.ok ? 'yes' : 'MISSED']),
  ]);
}

/** The machine a run was made on, for the JSON. */
export function machineOf(): Record<string, unknown> {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}
