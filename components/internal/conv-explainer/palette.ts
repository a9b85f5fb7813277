/**
 * Colours for values drawn on the CPU (numbers already read back): the same two maps as
 * shaders/colormap.wgsl (viridis for values that are never negative, ColorBrewer's RdBu centred on
 * 0 for signed ones) and a grey ramp for inputs, so a patch looks like the picture it is cut from.
 */
const VIRIDIS = [[68, 1, 84], [72, 36, 117], [65, 68, 135], [53, 95, 141], [42, 120, 142], [33, 145, 140], [34, 168, 132], [68, 191, 112], [122, 209, 81], [189, 223, 38], [253, 231, 37]];
const RDBU = [[5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240], [247, 247, 247], [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43], [103, 0, 31]];

export type Rgb = [number, number, number];

function lookup(s: number, table: number[][]): Rgb {
  const t = Math.min(Math.max(Number.isFinite(s) ? s : 0.5, 0), 1) * 10;
  const i = Math.min(Math.floor(t), 9);
  const f = t - i;
  return [0, 1, 2].map((k) => Math.round(table[i]![k]! + (table[i + 1]![k]! - table[i]![k]!) * f)) as Rgb;
}

/** v on the diverging map, white at 0, full colour at ±limit. */
export function diverging(v: number, limit: number): Rgb {
  return lookup(limit > 0 ? 0.5 + (0.5 * v) / limit : 0.5, RDBU);
}

/** v on viridis over [lo, hi]. */
export function sequential(v: number, lo: number, hi: number): Rgb {
  return lookup(hi > lo ? (v - lo) / (hi - lo) : 0, VIRIDIS);
}

/** v as a grey from black (lo) to white (hi). */
export function grey(v: number, lo: number, hi: number): Rgb {
  const g = Math.round(255 * Math.min(1, Math.max(0, hi > lo ? (v - lo) / (hi - lo) : 0)));
  return [g, g, g];
}

/** The colour for a map's values: viridis when none is negative, else diverging. */
export function mapColour(v: number, lo: number, hi: number): Rgb {
  return lo < 0 ? diverging(v, Math.max(Math.abs(lo), Math.abs(hi))) : sequential(v, lo, hi);
}

export function css([r, g, b]: Rgb, alpha = 1): string {
  return alpha === 1 ? `rgb(${r} ${g} ${b})` : `rgb(${r} ${g} ${b} / ${alpha})`;
}

/** Black or white text, whichever reads on `bg`. */
export function ink([r, g, b]: Rgb): string {
  return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? '#111' : '#fff';
}

/** [min, max] of the finite values (0, 0 when there are none). */
export function rangeOf(values: ArrayLike<number>, start = 0, step = 1): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = start; i < values.length; i += step) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return hi < lo ? [0, 0] : [lo, hi];
}
