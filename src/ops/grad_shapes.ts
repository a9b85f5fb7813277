/**
 * Shape plumbing for the gradient rules: summing a broadcast gradient back to an operand's shape,
 * spreading a reduced gradient back over the reduced dims.
 * Each helper leaves its arguments alone and returns a new tensor, or the argument itself when
 * nothing had to change (callers compare before disposing).
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * `t` (shaped like a broadcast result) summed over the dims that broadcasting stretched or
 * prepended to reach it from `shape`, then given exactly `shape` (size-1 dims put back).
 */
export function reduceTo(e: Engine, t: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(t.shape, shape)) return t;
  const lead = t.rank - shape.length;
  const axes: number[] = [];
  t.shape.forEach((d, i) => {
    const j = i - lead;
    if (j < 0 || (shape[j] === 1 && d !== 1)) axes.push(i);
  });
  let s = axes.length > 0 ? e.sum(t, axes) : t;
  if (!sameShape(s.shape, shape)) {
    const r = e.reshape(s, shape);
    if (s !== t) s.dispose();
    s = r;
  }
  return s;
}

/** As `reduceTo`, but takes ownership of `t`: disposes it when a new tensor was made. */
export function reduceToOwned(e: Engine, t: Tensor, shape: readonly number[]): Tensor {
  const r = reduceTo(e, t, shape);
  if (r !== t) t.dispose();
  return r;
}

/** The dims an `axes` argument of sum/mean names (all when omitted), as non-negative indices. */
export function normalizeAxes(rank: number, axes: number | readonly number[] | undefined): Set<number> {
  if (axes === undefined || axes === null) return new Set(Array.from({ length: rank }, (_, d) => d));
  const list = typeof axes === 'number' ? [axes] : axes;
  return new Set(list.map((a) => (a < 0 ? a + rank : a)));
}

/**
 * `g` (the result of a reduction of a tensor of `shape` over `axes`, the reduced dims removed)
 * repeated along those dims to `shape`. Broadcasting does the repeat: g with its reduced dims
 * restored as 1s plus a zero tensor holding only the reduced dims (a [1, h, w, 1] for a global
 * pool), so nothing as large as the result is ever uploaded unless every dim was reduced.
 */
export function expandTo(e: Engine, g: Tensor, shape: readonly number[], axes: Set<number>): Tensor {
  const kept = shape.map((d, i) => (axes.has(i) ? 1 : d));
  const spread = shape.map((d, i) => (axes.has(i) ? d : 1));
  const gk = sameShape(g.shape, kept) ? g : e.reshape(g, kept);
  if (spread.every((d) => d === 1)) return gk;
  const zeros = e.zeros(spread);
  const out = e.add(gk, zeros);
  zeros.dispose();
  if (gk !== g) gk.dispose();
  return out;
}
