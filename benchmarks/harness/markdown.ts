/** Cells and tables of the generated Markdown (RESULTS.md and its keyed-state section). */
import type { ThroughputRow } from './report.js';

/** A whole number with thousands separators; – when absent. */
export const num = (n: number | null | undefined) =>
  n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US');
export const pct = (n: number | null) => (n === null ? '–' : `${(n * 100).toFixed(0)}%`);

export function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

/** Each run's records/s, or why the row was not run. */
export function runsCell(row: ThroughputRow): string {
  if (row.notRun) return `not run: ${row.notRun}`;
  return row.runs.map((r) => num(r)).join(', ');
}
