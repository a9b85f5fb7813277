/**
 * The colour maps of shaders/colormap.wgsl written out again as the specification tests check the
 * kernel and the elements against: matplotlib's viridis and ColorBrewer's RdBu, 11 stops each,
 * interpolated linearly, rounded to bytes.
 */
export const VIRIDIS = [[68, 1, 84], [72, 36, 117], [65, 68, 135], [53, 95, 141], [42, 120, 142], [33, 145, 140], [34, 168, 132], [68, 191, 112], [122, 209, 81], [189, 223, 38], [253, 231, 37]];
export const RDBU = [[5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240], [247, 247, 247], [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43], [103, 0, 31]];

function lookup(s: number, table: number[][]): number[] {
  const t = Math.min(Math.max(s, 0), 1) * 10;
  const i = Math.min(Math.floor(t), 9);
  const f = t - i;
  return [0, 1, 2].map((k) => Math.round(table[i]![k]! + (table[i + 1]![k]! - table[i]![k]!) * f));
}

/** RGBA of value v on [lo, hi]: viridis of (v − lo)/(hi − lo), or RdBu with 0 at white. */
export function refColour(v: number, lo: number, hi: number, diverging: boolean): number[] {
  if (!Number.isFinite(v)) return [128, 128, 128, 255];
  if (diverging) {
    const m = Math.max(Math.abs(lo), Math.abs(hi));
    return [...lookup(m === 0 ? 0.5 : 0.5 + (0.5 * v) / m, RDBU), 255];
  }
  return [...lookup(hi > lo ? (v - lo) / (hi - lo) : 0, VIRIDIS), 255];
}

/** The number of bytes differing by more than 1 from the reference (float rounding on the GPU vs in JS). */
export function countOff(rgba: ArrayLike<number>, expected: number[][]): number {
  let off = 0;
  expected.forEach((e, i) => {
    if (e.some((v, k) => Math.abs(rgba[i * 4 + k]! - v) > 1)) off++;
  });
  return off;
}
