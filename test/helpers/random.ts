import { SeededRandom } from '../../src/nn/random.js';

/** The engine's seeded generator with a few helpers, so every random case is the same on every run. */
export class Rng extends SeededRandom {
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  uniform(n: number, lo = -1, hi = 1): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * this.next();
    return a;
  }
}
