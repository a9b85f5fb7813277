/**
 * Sum and mean over any set of axes (shaders/reduce.wgsl), as `tf.sum` and `tf.mean` with
 * keepDims false. Dims of size 1 are dropped and neighbouring dims that are both reduced or both
 * kept are merged, which leaves kept and reduced runs alternating; each reduced run then takes one
 * or more [outer, r, inner] passes, the longest run first so that later passes read less. A run
 * too long for the threads it would get is split into chunks summed by a partial pass first.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { Shader } from '../gpu/shader.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor, grid1d } from './checks.js';
import type { Definitions, Grads } from './op.js';
import { expandTo, normalizeAxes } from './grad_shapes.js';
import source from '../../shaders/reduce.wgsl';

const shader = new Shader('reduce', source);

export type ReduceOp = 'sum' | 'mean';

const WORKGROUP = 256;
/**
 * Rows at least this long get a whole workgroup each (reduce_rows), but only when there are at
 * most ROWS_MAX of them: with more, one thread per row (and chunking) already fills the GPU, and
 * workgroup barriers cost far more than they save on software adapters such as SwiftShader.
 */
const ROW_MIN = 256;
const ROWS_MAX = 256;
/** A partial pass is worth its extra dispatch only when each chunk still has this many values. */
const ROW_CHUNK_MIN = 4096;
const COLUMN_CHUNK_MIN = 256;
/** Enough workgroups / threads to keep a large GPU busy; beyond that chunking only adds passes. */
const TARGET_GROUPS = 2048;
const TARGET_THREADS = 65536;

interface Pass {
  entry: 'reduce_rows' | 'reduce_columns';
  outer: number;
  r: number;
  inner: number;
  chunks: number;
  chunkLen: number;
}

/**
 * The sum or mean of `x` over `axes` (all of them when omitted; negative axes count from the end).
 * The reduced dims are removed from the shape; an empty `axes` array returns a copy.
 * @example
 * const x = engine.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
 * await reduce(engine, 'sum', x, 1).read(); // Float32Array [6, 15]
 * await reduce(engine, 'mean', x).read();   // Float32Array [3.5]
 */
export function reduce(engine: Engine, op: ReduceOp, x: Tensor, axes?: number | readonly number[]): Tensor {
  if (op !== 'sum' && op !== 'mean') fail('reduce', `unknown op '${String(op)}'`);
  checkTensor(op, 'x', x);
  const reduced = reducedAxes(op, x.shape, axes);
  const outShape = x.shape.filter((_, d) => !reduced.has(d));
  const count = x.shape.reduce((p, d, i) => (reduced.has(i) ? p * d : p), 1);
  const outSize = outShape.reduce((p, d) => p * d, 1);
  if (outSize === 0) return engine.empty(outShape, op);
  // An empty reduction sums to 0 (and tfjs's mean, dividing before summing, gives 0 too, not NaN).
  const passes = count === 0 ? [columns(outSize, 0, 1)] : planPasses(x.shape, reduced);

  let src = x;
  passes.forEach((p, k) => {
    const last = k === passes.length - 1;
    const outputs = p.outer * p.chunks * p.inner;
    const dst = last ? engine.empty(outShape, op) : engine.empty([outputs], `${op} partial`);
    engine.run({
      shader,
      entry: p.entry,
      buffers: { x: src.buffer, y: dst.buffer },
      // Only the first pass reads x itself; later ones sum values already divided.
      params: { outputs, r: p.r, inner: p.inner, chunks: p.chunks, chunk_len: p.chunkLen, divisor: op === 'mean' && k === 0 ? count : 1 },
      workgroups: p.entry === 'reduce_rows' ? grid1d(outputs, 1) : grid1d(outputs, WORKGROUP),
    });
    if (src !== x) src.dispose();
    src = dst;
  });
  return src;
}

/** Validates `axes` as tfjs's parseAxisParam does, and also rejects an axis given twice. */
function reducedAxes(op: string, shape: readonly number[], axes: number | readonly number[] | undefined | null): Set<number> {
  const rank = shape.length;
  if (axes === undefined || axes === null) return new Set(shape.map((_, d) => d));
  const list: readonly unknown[] = typeof axes === 'number' ? [axes] : Array.isArray(axes) ? axes : [axes];
  const out = new Set<number>();
  for (const a of list) {
    if (typeof a !== 'number' || !Number.isInteger(a) || a < -rank || a >= rank) {
      const range = rank === 0 ? 'a scalar has no axes' : `each must be an integer in [${-rank}, ${rank})`;
      fail(op, `axis ${String(a)} is out of range for x of shape ${shapeStr(shape)} (axes ${fmtAxes(axes)}; ${range})`);
    }
    const d = a < 0 ? a + rank : a;
    if (out.has(d)) fail(op, `axis ${a} repeats dim ${d} in axes ${fmtAxes(axes)} for x of shape ${shapeStr(shape)}`);
    out.add(d);
  }
  return out;
}

function fmtAxes(axes: unknown): string {
  return Array.isArray(axes) ? `[${axes.map(String).join(', ')}]` : String(axes);
}

/** The passes when neither x nor the result is empty; a single copy pass when nothing of size > 1 is reduced. */
function planPasses(shape: readonly number[], reduced: Set<number>): Pass[] {
  // Alternating kept / reduced runs, outermost first.
  const runs: { size: number; reduced: boolean }[] = [];
  shape.forEach((size, d) => {
    if (size === 1) return;
    const prev = runs[runs.length - 1];
    if (prev && prev.reduced === reduced.has(d)) prev.size *= size;
    else runs.push({ size, reduced: reduced.has(d) });
  });
  const passes: Pass[] = [];
  for (;;) {
    let at = -1;
    runs.forEach((run, i) => {
      if (run.reduced && (at < 0 || run.size > runs[at]!.size)) at = i;
    });
    if (at < 0) break;
    const outer = runs.slice(0, at).reduce((p, run) => p * run.size, 1);
    const inner = runs.slice(at + 1).reduce((p, run) => p * run.size, 1);
    passes.push(...chunkedPasses(outer, runs[at]!.size, inner));
    const before = runs[at - 1];
    const after = runs[at + 1];
    if (before && after && !before.reduced && !after.reduced) {
      before.size *= after.size;
      runs.splice(at, 2);
    } else {
      runs.splice(at, 1);
    }
  }
  if (passes.length === 0) {
    // Nothing to sum (no axes, or only dims of size 1): one pass with r = 1 makes the copy.
    const size = shape.reduce((p, d) => p * d, 1);
    passes.push(columns(size, 1, 1));
  }
  return passes;
}

/** [outer, r, inner] → [outer, inner], through partial passes while r is long for the threads. */
function chunkedPasses(outer: number, r: number, inner: number): Pass[] {
  const passes: Pass[] = [];
  for (;;) {
    const rows = inner === 1 && r >= ROW_MIN && outer <= ROWS_MAX;
    const lanes = rows ? outer : outer * inner;
    const minLen = rows ? ROW_CHUNK_MIN : COLUMN_CHUNK_MIN;
    const target = rows ? TARGET_GROUPS : TARGET_THREADS;
    let chunks = Math.max(1, Math.min(Math.floor(r / minLen), Math.ceil(target / lanes)));
    const chunkLen = Math.ceil(r / chunks);
    chunks = Math.ceil(r / chunkLen);
    passes.push({ entry: rows ? 'reduce_rows' : 'reduce_columns', outer, r, inner, chunks, chunkLen });
    if (chunks === 1) return passes;
    r = chunks;
  }
}

function columns(outer: number, r: number, inner: number): Pass {
  return { entry: 'reduce_columns', outer, r, inner, chunks: 1, chunkLen: r };
}

type Axes = number | readonly number[] | undefined;

export interface ReduceOps {
  /** `tf.sum` over `axes` (all when omitted; an empty list copies). */
  sum(x: Tensor, axes?: number | readonly number[]): Tensor;
  /** `tf.mean` over `axes` (all when omitted). */
  mean(x: Tensor, axes?: number | readonly number[]): Tensor;
}

export const reduceOps: Definitions<ReduceOps> = {
  /** `tf.sum` over `axes` (all when omitted). */
  sum: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor, axes?: Axes) => reduce(e, 'sum', x, axes),
    inputs: (x: Tensor) => [x],
    gradient: ({ engine, g }, x: Tensor, axes?: Axes): Grads => [expandTo(engine, g, x.shape, normalizeAxes(x.rank, axes))],
  },
  /** `tf.mean` over `axes` (all when omitted). */
  mean: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor, axes?: Axes) => reduce(e, 'mean', x, axes),
    inputs: (x: Tensor) => [x],
    gradient: ({ engine, g }, x: Tensor, axes?: Axes): Grads => {
      const dims = normalizeAxes(x.rank, axes);
      const count = x.shape.reduce((p, d, i) => (dims.has(i) ? p * d : p), 1);
      // Scale before spreading: g is the smaller tensor.
      const gs = engine.mul(g, 1 / count);
      const out = expandTo(engine, gs, x.shape, dims);
      if (out !== gs) gs.dispose();
      return [out];
    },
  },
};
