/** Burns `microseconds` of CPU on a monotonic clock, exactly like workers/spin.ts. */
function spin(microseconds) {
  if (microseconds <= 0) return;
  const end = process.hrtime.bigint() + BigInt(microseconds) * 1000n;
  while (process.hrtime.bigint() < end) {
    // busy: the point is to use the CPU
  }
}

module.exports = { spin };
