/**
 * slice (shaders/layout.wgsl, window_copy), with the semantics of `tf.slice(x, begin, size)`.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor } from './checks.js';
import { checkLayoutRank, windowCopy } from './layout.js';
import type { Definitions, Grads } from './op.js';

/**
 * The block of x starting at `begin` with extent `size` per dim; a size of -1 takes the rest of
 * that dim. As in tf.slice, `begin` and `size` may be shorter than x's rank (the missing dims start
 * at 0 and are taken whole).
 * @example
 * const y = engine.slice(x, [0, 1, 1, 0], [-1, 2, 2, -1]); // NHWC [1, 4, 4, 3] → [1, 2, 2, 3]
 */
export function slice(engine: Engine, x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  const op = 'slice';
  checkTensor(op, 'x', x);
  checkLayoutRank(op, x);
  const rank = x.rank;
  const where = `for x ${shapeStr(x.shape)}`;
  if (!Array.isArray(begin) || begin.length > rank || begin.some((b) => !Number.isInteger(b) || b < 0)) {
    fail(op, `begin must be at most ${rank} non-negative integers ${where}, got ${JSON.stringify(begin)}`);
  }
  if (!Array.isArray(size) || size.length > rank || size.some((s) => !Number.isInteger(s) || s < -1)) {
    fail(op, `size must be at most ${rank} non-negative integers or -1 ${where}, got ${JSON.stringify(size)}`);
  }
  const b = x.shape.map((_, k) => begin[k] ?? 0);
  const s = x.shape.map((d, k) => {
    const v = size[k] ?? -1;
    return v === -1 ? d - b[k]! : v;
  });
  x.shape.forEach((d, k) => {
    if (b[k]! > d || b[k]! + s[k]! > d) {
      fail(op, `begin ${shapeStr(b)} with size ${shapeStr(s)} runs past dim ${k} (${d}) of x ${shapeStr(x.shape)}`);
    }
  });
  return windowCopy(engine, op, x, s, b, 0);
}

export interface SliceOps {
  /** `tf.slice`: a size of −1 runs to the end of its dim. */
  slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor;
}

export const sliceOps: Definitions<SliceOps> = {
  /** `tf.slice`: a size of −1 runs to the end of its dim. */
  slice: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor, begin: readonly number[], size: readonly number[]) => slice(e, x, begin, size),
    inputs: (x: Tensor) => [x],
    /** The gradient of a slice is g padded with zeros back to x's shape. */
    gradient: ({ engine, g }, x: Tensor, begin: readonly number[]): Grads => {
      const paddings = x.shape.map((d, i): [number, number] => {
        const b = begin[i] ?? 0;
        return [b, d - b - g.shape[i]!];
      });
      return [engine.pad(g, paddings, 0)];
    },
  },
};
