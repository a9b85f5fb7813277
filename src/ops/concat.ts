/**
 * concat (shaders/layout.wgsl, concat_part), with the semantics of `tf.concat(xs, axis)`.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor, grid1d } from './checks.js';
import { layoutShaders, MAX_LAYOUT_RANK } from './layout.js';
import type { Definitions, Grads } from './op.js';

/**
 * The tensors joined along `axis` (negative counts from the end). All must have the same rank and
 * agree on every other dim. Each input is copied by its own dispatch into its band of the output,
 * so any number of inputs works.
 * @example
 * const y = engine.concat([a, b], -1); // NHWC [1, 4, 4, 3] and [1, 4, 4, 5] → [1, 4, 4, 8]
 */
export function concat(engine: Engine, tensors: readonly Tensor[], axis: number): Tensor {
  const op = 'concat';
  if (!Array.isArray(tensors) || tensors.length === 0) fail(op, `xs must be a non-empty array of tensors, got ${Array.isArray(tensors) ? '[]' : String(tensors)}`);
  const xs: readonly Tensor[] = tensors;
  xs.forEach((t, i) => checkTensor(op, `xs[${i}]`, t));
  const first = xs[0]!;
  const rank = first.rank;
  if (rank < 1 || rank > MAX_LAYOUT_RANK) fail(op, `xs[0] has rank ${rank} (shape ${shapeStr(first.shape)}); concat needs rank 1 to ${MAX_LAYOUT_RANK}`);
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    fail(op, `axis must be an integer in [${-rank}, ${rank - 1}] for tensors of shape ${shapeStr(first.shape)}, got ${String(axis)}`);
  }
  const ax = axis < 0 ? axis + rank : axis;
  xs.forEach((t, i) => {
    if (t.rank !== rank || t.shape.some((d, k) => k !== ax && d !== first.shape[k])) {
      fail(op, `xs[${i}] ${shapeStr(t.shape)} does not match xs[0] ${shapeStr(first.shape)} on the dims other than axis ${ax}`);
    }
  });
  const outShape = [...first.shape];
  outShape[ax] = xs.reduce((s, t) => s + t.shape[ax]!, 0);
  const y = engine.empty(outShape, op);
  if (y.size === 0) return y;
  const inner = first.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const outInner = outShape[ax]! * inner;
  let offset = 0;
  for (const t of xs) {
    const inInner = t.shape[ax]! * inner;
    if (t.size > 0) {
      // The widest vector dividing this part's width, the output's and the part's place in it.
      const unit = ([4, 2, 1] as const).find((l) => inInner % l === 0 && outInner % l === 0 && offset % l === 0)!;
      engine.run({
        shader: layoutShaders[unit],
        entry: 'concat_part',
        buffers: { x: t.buffer, y: y.buffer },
        params: { size: t.size / unit, in_inner: inInner / unit, out_inner: outInner / unit, offset: offset / unit },
        workgroups: grid1d(t.size / unit, 256),
      });
    }
    offset += inInner;
  }
  return y;
}

export interface ConcatOps {
  /** `tf.concat` along `axis` (negative counts from the end). */
  concat(xs: readonly Tensor[], axis: number): Tensor;
}

export const concatOps: Definitions<ConcatOps> = {
  /** `tf.concat` along `axis` (negative counts from the end). */
  concat: {
    kind: 'differentiable',
    forward: (e: Engine, xs: readonly Tensor[], axis: number) => concat(e, xs, axis),
    inputs: (xs: readonly Tensor[]) => xs,
    /** Each input's gradient is its slab of g along the axis. */
    gradient: ({ engine, g, needs }, xs: readonly Tensor[], axis: number): Grads => {
      const ax = axis < 0 ? axis + g.rank : axis;
      let at = 0;
      return xs.map((x, i) => {
        const begin = x.shape.map((_, d) => (d === ax ? at : 0));
        at += x.shape[ax]!;
        return needs[i] ? engine.slice(g, begin, x.shape) : null;
      });
    },
  },
};
