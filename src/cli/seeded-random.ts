/**
 * A small seeded PRNG (xorshift32) for generated load: the same seed gives the same sequence, so
 * a load (review texts, images) can be produced again exactly. Not for anything secret.
 */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** One of `items`, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** Uniform on a log scale in [min, max]: as many values from 50 to 100 as from 1000 to 2000. */
  logUniform(min: number, max: number): number;
}

export function seededRandom(seed: number): SeededRandom {
  // xorshift32 must not start at 0; mix the seed so that small seeds do not start alike.
  let state = (seed ^ 0x9e3779b9) >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4_294_967_296;
  };
  for (let i = 0; i < 8; i++) next();
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    logUniform: (min: number, max: number): number =>
      Math.exp(Math.log(min) + next() * (Math.log(max) - Math.log(min))),
  };
}
