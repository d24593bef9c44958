/**
 * The standard streams a CLI sub-command writes to, and a one-line progress display that is
 * redrawn in place with `\r` when stderr is a terminal (and stays silent otherwise, so logs and
 * pipes only receive the final JSON line on stdout).
 */
import type { Writable } from 'node:stream';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  /** Aborting stops the command early; it still flushes and prints its summary. */
  signal?: AbortSignal;
}

export function defaultIo(io: Partial<CliIo> = {}): CliIo {
  return { stdout: io.stdout ?? process.stdout, stderr: io.stderr ?? process.stderr, signal: io.signal };
}

export function isTty(stream: Writable): boolean {
  return (stream as Writable & { isTTY?: boolean }).isTTY === true;
}

export interface ProgressLine {
  /** Stops refreshing and ends the line so later output starts on a fresh one. */
  stop(): void;
}

/** Redraws `render()` about four times a second on a TTY; a no-op elsewhere or when disabled. */
export function startProgress(stream: Writable, render: () => string, enabled = true): ProgressLine {
  if (!enabled || !isTty(stream)) return { stop() {} };
  let width = 0;
  const draw = () => {
    const line = render();
    // Pad with spaces so a shorter line fully covers the previous one.
    stream.write(`\r${line.padEnd(width)}`);
    width = Math.max(width, line.length);
  };
  const timer = setInterval(draw, 250);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      draw();
      stream.write('\n');
    },
  };
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
