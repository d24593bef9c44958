/** Cells and tables of the generated Markdown (RESULTS.md and its sections measured alone). */
import type { EnvironmentInfo, ThroughputRow } from './report.js';

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

/** The first line of a section measured on its own: when, on what, how many runs, by which command. */
export function environmentLine(
  e: EnvironmentInfo,
  run: { runs: number; quick: boolean; command: string; durationMs: number },
): string {
  return `Measured ${e.date} (git ${e.git}; node ${e.node}; ${e.cpuCount} × ${e.cpu}, ${e.memoryGiB} GiB; ${e.kafka}; librdkafka ${e.librdkafka}); load average at start ${e.loadAverage.toFixed(2)} per core; ${run.runs} run(s) per row${run.quick ? '; **--quick**: small counts, not for comparison' : ''}; \`${run.command}\`, ${(run.durationMs / 60_000).toFixed(1)} min.`;
}

/**
 * Puts a generated block (with its start and end markers) into a whole RESULTS.md: replaces what
 * the markers hold, or, in a file rendered before the block existed, inserts it before the
 * closing note (else at the end).
 */
export function replaceMarkedBlock(doc: string, start: string, end: string, block: string): string {
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from >= 0 && to > from) return doc.slice(0, from) + block + doc.slice(to + end.length);
  const closing = doc.indexOf('\n## Closing note');
  if (closing >= 0) return `${doc.slice(0, closing).trimEnd()}\n\n${block}\n${doc.slice(closing)}`;
  return `${doc.trimEnd()}\n\n${block}\n`;
}
