/**
 * transpose (shaders/layout.wgsl, window_copy with permuted strides), with the semantics of
 * `tf.transpose(x, perm)`.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor } from './checks.js';
import { MAX_LAYOUT_RANK, stridedCopy, stridesOf } from './layout.js';
import type { Definitions, Grads } from './op.js';

/**
 * x with its dims reordered: dim k of the result is dim `perm[k]` of x. `perm` defaults to the
 * dims reversed, as in tf.transpose.
 * @example
 * const nchw = engine.transpose(x, [0, 3, 1, 2]); // NHWC [1, 4, 5, 3] → [1, 3, 4, 5]
 */
export function transpose(engine: Engine, x: Tensor, perm?: readonly number[]): Tensor {
  const op = 'transpose';
  checkTensor(op, 'x', x);
  const p = checkPerm(op, x, perm);
  if (x.rank === 0) return engine.reshape(x, []);
  const strides = stridesOf(x.shape);
  return stridedCopy(engine, op, x, p.map((k) => ({ out: x.shape[k]!, in: x.shape[k]!, off: 0, stride: strides[k]! })), 0);
}

/** `perm` (or the reversed dims) once checked to be a permutation of x's dims. */
function checkPerm(op: string, x: Tensor, perm: readonly number[] | undefined): number[] {
  const rank = x.rank;
  if (rank > MAX_LAYOUT_RANK) fail(op, `x has rank ${rank} (shape ${shapeStr(x.shape)}); at most ${MAX_LAYOUT_RANK} dims are supported`);
  if (perm === undefined || perm === null) return Array.from({ length: rank }, (_, k) => rank - 1 - k);
  const ok = Array.isArray(perm) && perm.length === rank &&
    perm.every((d) => Number.isInteger(d) && d >= 0 && d < rank) && new Set(perm).size === rank;
  if (!ok) fail(op, `perm must be a permutation of 0…${rank - 1} for x ${shapeStr(x.shape)}, got ${JSON.stringify(perm)}`);
  return [...perm];
}

/** The permutation that undoes `perm`. */
export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((d, k) => (inv[d] = k));
  return inv;
}

export interface TransposeOps {
  /** `tf.transpose`: dim k of the result is dim perm[k] of x (default: the dims reversed). */
  transpose(x: Tensor, perm?: readonly number[]): Tensor;
}

export const transposeOps: Definitions<TransposeOps> = {
  /** `tf.transpose`: dim k of the result is dim perm[k] of x (default: the dims reversed). */
  transpose: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor, perm?: readonly number[]) => transpose(e, x, perm),
    inputs: (x: Tensor) => [x],
    /** The gradient of a transpose is g transposed back by the inverse permutation. */
    gradient: ({ engine, g }, x: Tensor, perm?: readonly number[]): Grads =>
      [engine.transpose(g, perm ? inversePerm(perm) : undefined)],
  },
};
