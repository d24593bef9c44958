/**
 * Progress lines of a benchmark run on stdout, stamped with the time since it started.
 */
export function createProgressLog(started = Date.now()): (message: string) => void {
  return (message) => {
    const s = Math.round((Date.now() - started) / 1000);
    const stamp = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    process.stdout.write(`[${stamp}] ${message}\n`);
  };
}
