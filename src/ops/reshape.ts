/**
 * reshape, with the semantics of `tf.reshape(x, shape)`, as a copy: the result owns a new buffer
 * (a GPU buffer-to-buffer copy, no shader), so disposing either tensor never affects the other.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor } from './checks.js';
import type { Definitions, Grads } from './op.js';

/**
 * x's values (row-major order unchanged) in a new tensor of `shape`; one dim may be -1 and is
 * inferred from x's size.
 * @example
 * const flat = engine.reshape(x, [x.shape[0], -1]); // [n, h, w, c] → [n, h·w·c]
 */
export function reshape(engine: Engine, x: Tensor, shape: readonly number[]): Tensor {
  const op = 'reshape';
  checkTensor(op, 'x', x);
  const out = inferShape(op, x, shape);
  const y = engine.empty(out, op);
  engine.scheduler.copy(x.buffer, y.buffer, y.size * 4);
  return y;
}

/** `shape` with its -1 (if any) filled in, or a failure naming x's shape and the requested one. */
export function inferShape(op: string, x: Tensor, shape: readonly number[]): number[] {
  const given = Array.isArray(shape) ? shapeStr(shape) : String(shape);
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < -1)) {
    fail(op, `shape must be an array of non-negative integers with at most one -1, got ${given}`);
  }
  const holes = shape.filter((d) => d === -1).length;
  if (holes > 1) fail(op, `shape ${given} has ${holes} dims of -1; at most one can be inferred`);
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  if (holes === 1) {
    if (known === 0 || x.size % known !== 0) {
      fail(op, `cannot infer the -1 in ${given}: x ${shapeStr(x.shape)} has ${x.size} values, not a multiple of ${known}`);
    }
    return shape.map((d) => (d === -1 ? x.size / known : d));
  }
  if (known !== x.size) fail(op, `x ${shapeStr(x.shape)} has ${x.size} values but shape ${given} needs ${known}`);
  return [...shape];
}

export interface ReshapeOps {
  /** A new tensor (its own buffer) with x's values in `shape`; one dim may be −1. */
  reshape(x: Tensor, shape: readonly number[]): Tensor;
}

export const reshapeOps: Definitions<ReshapeOps> = {
  /** A new tensor (its own buffer) with x's values in `shape`; one dim may be −1. */
  reshape: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor, shape: readonly number[]) => reshape(e, x, shape),
    inputs: (x: Tensor) => [x],
    gradient: ({ engine, g }, x: Tensor): Grads => [engine.reshape(g, x.shape)],
  },
};
