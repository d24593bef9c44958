/**
 * A small seeded PRNG (xorshift32) for property-style tests: the same seed replays the same
 * sequence, so a failing seed named in a test's error can be rerun on its own. Shifts and xor
 * only: Math.imul and Math.floor are ~100x slower inside jest's vm context than in plain Node.
 */
export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[];
}

export function seededRandom(seed: number): Prng {
  // xorshift32 must not start at 0; mix the seed so small seeds do not start alike.
  let state = (seed ^ 0x9e3779b9) >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  for (let i = 0; i < 8; i++) next();
  const int = (min: number, max: number): number => {
    const r = next() * (max - min + 1);
    return min + (r - (r % 1));
  };
  return {
    next,
    int,
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(0, i);
        const tmp = items[i]!;
        items[i] = items[j]!;
        items[j] = tmp;
      }
      return items;
    },
  };
}
