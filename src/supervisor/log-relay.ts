/**
 * An engine process's stderr, passed through the supervisor line by line with the process's
 * index added: its JSON log lines (pino) get a `"process":N` field, anything else (Node's own
 * warnings, a CLI error line) a `process N: ` prefix. Whole lines only, so the lines of several
 * processes never interleave mid-line, as they could if each wrote to the container's stderr.
 */
import type { Readable } from 'node:stream';

/** One line (without its newline) tagged with its process index. */
export function tagLine(line: string, index: number): string {
  if (line.startsWith('{') && line.endsWith('}'))
    return line === '{}' ? `{"process":${index}}` : `{"process":${index},${line.slice(1)}`;
  return `process ${index}: ${line}`;
}

/** Reads `stream` to its end and writes each line, tagged, to `write` (with its newline). */
export function relayLines(stream: Readable, index: number, write: (text: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    const whole = lines.filter((l) => l !== '');
    if (whole.length > 0) write(`${whole.map((l) => tagLine(l, index)).join('\n')}\n`);
  });
  stream.on('end', () => {
    if (rest !== '') write(`${tagLine(rest, index)}\n`);
    rest = '';
  });
}
