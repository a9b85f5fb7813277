/** The TF.js result of a filter op (tf.conv2d or tf.depthwiseConv2d) on a case, with tf.grads when dy is given. */
import * as tf from './tf_oracle.js';
import { tfPad, type ConvCase } from './conv_cases.js';
import type { Rng } from './random.js';

type FilterOp = typeof tf.conv2d | typeof tf.depthwiseConv2d;

export function windowReference(op: FilterOp, c: ConvCase, xs: Float32Array, ws: Float32Array, dys?: Float32Array) {
  tf.engine().startScope();
  try {
    const x = tf.tensor4d(xs, c.x);
    const w = tf.tensor4d(ws, c.w);
    const f = (a: tf.Tensor4D, b: tf.Tensor4D) => op(a, b, c.strides, tfPad(c.pad) as 'same', 'NHWC', c.dilations) as tf.Tensor4D;
    const y = f(x, w);
    if (!dys) return { y: y.dataSync(), shape: y.shape, dx: null, dw: null };
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a as tf.Tensor4D, b as tf.Tensor4D))([x, w], tf.tensor(dys, y.shape));
    return { y: y.dataSync(), shape: y.shape, dx: dx!.dataSync(), dw: dw!.dataSync() };
  } finally {
    tf.engine().endScope();
  }
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Random x, w and dy for a case (drawn from rng in that order, dy in the output's shape) and their
 * reference: with tf.grads where TF.js allows it, the forward alone where the case is dilated
 * (tf.grads refuses dilations > 1; `dilated` says which).
 */
export function randomWindowCase(op: FilterOp, c: ConvCase, rng: Rng) {
  const xs = rng.uniform(size(c.x));
  const ws = rng.uniform(size(c.w));
  const yShape = windowReference(op, c, xs, ws).shape;
  const dys = rng.uniform(size(yShape));
  const dilated = c.dilations[0] > 1;
  return { xs, ws, dys, yShape, dilated, ref: windowReference(op, c, xs, ws, dilated ? undefined : dys) };
}
