/**
 * pad with a constant (shaders/layout.wgsl, window_copy), with the semantics of
 * `tf.pad(x, paddings, constantValue)`.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor } from './checks.js';
import { checkLayoutRank, windowCopy } from './layout.js';
import type { Definitions, Grads } from './op.js';

/**
 * x with `paddings[k] = [before, after]` elements of `constantValue` added around dim k.
 * @example
 * const y = engine.pad(x, [[0, 0], [1, 1], [2, 2], [0, 0]]); // NHWC [1, 4, 4, 3] → [1, 6, 8, 3]
 */
export function pad(engine: Engine, x: Tensor, paddings: readonly (readonly [number, number])[], constantValue = 0): Tensor {
  const op = 'pad';
  checkTensor(op, 'x', x);
  checkLayoutRank(op, x);
  const ok =
    Array.isArray(paddings) && paddings.length === x.rank &&
    paddings.every((p) => Array.isArray(p) && p.length === 2 && p.every((n) => Number.isInteger(n) && n >= 0));
  if (!ok) {
    fail(op, `paddings must be ${x.rank} pairs [before, after] of non-negative integers, one per dim of x ${shapeStr(x.shape)}; got ${JSON.stringify(paddings)}`);
  }
  if (typeof constantValue !== 'number') fail(op, `constantValue must be a number, got ${typeof constantValue}`);
  const outShape = x.shape.map((d, k) => paddings[k]![0] + d + paddings[k]![1]);
  return windowCopy(engine, op, x, outShape, paddings.map((p) => -p[0]), constantValue);
}

type Paddings = readonly (readonly [number, number])[];

export interface PadOps {
  /** `tf.pad`: one `[before, after]` pair per dim. */
  pad(x: Tensor, paddings: readonly (readonly [number, number])[], constantValue?: number): Tensor;
}

export const padOps: Definitions<PadOps> = {
  /** `tf.pad`: one `[before, after]` pair per dim. */
  pad: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor, paddings: Paddings, constantValue = 0) => pad(e, x, paddings, constantValue),
    inputs: (x: Tensor) => [x],
    /** The gradient of a pad is the slice of g where x sits. */
    gradient: ({ engine, g }, x: Tensor, paddings: Paddings): Grads => [engine.slice(g, paddings.map((p) => p[0]), x.shape)],
  },
};
