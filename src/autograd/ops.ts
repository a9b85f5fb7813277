/**
 * The ops a layer may call. The engine implements them for inference; a `Tape` implements them
 * too, recording each call so that `backward()` can run the chain rule. A layer written against
 * `Ops` therefore trains and infers with the same code.
 */
import type { Tensor } from '../tensor.js';
import type { Conv2dOptions } from '../ops/conv_geometry.js';
import type { Pool2dOptions } from '../ops/pool.js';
import type { MatMulOptions } from '../ops/matmul.js';
import type { UnaryOp } from '../ops/elementwise.js';

export type Ops = {
  tensor(data: Float32Array | ArrayLike<number>, shape: readonly number[]): Tensor;
  zeros(shape: readonly number[]): Tensor;

  conv2d(x: Tensor, w: Tensor, opts?: Conv2dOptions): Tensor;
  /** `tf.depthwiseConv2d`: x [n, h, w, c], w [kh, kw, c, multiplier] → [n, oh, ow, c·multiplier]. */
  depthwiseConv2d(x: Tensor, w: Tensor, opts?: Conv2dOptions): Tensor;
  maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor;
  avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor;

  relu(x: Tensor): Tensor;
  leakyRelu(x: Tensor, alpha?: number): Tensor;
  sigmoid(x: Tensor): Tensor;
  tanh(x: Tensor): Tensor;
  unary(op: UnaryOp, x: Tensor, alpha?: number): Tensor;

  add(a: Tensor, b: Tensor): Tensor;
  sub(a: Tensor, b: Tensor): Tensor;
  mul(a: Tensor, b: Tensor): Tensor;
  matMul(a: Tensor, b: Tensor, opts?: MatMulOptions): Tensor;

  /**
   * `tf.batchNorm`: (x − mean) · scale / √(variance + ε) + offset, the statistics on the last axis;
   * a null offset adds 0, a null scale multiplies by 1, ε defaults to 0.001.
   */
  batchNorm(x: Tensor, mean: Tensor, variance: Tensor, offset?: Tensor | null, scale?: Tensor | null, epsilon?: number): Tensor;
  /** `tf.pad`: one `[before, after]` pair per dim. */
  pad(x: Tensor, paddings: readonly (readonly [number, number])[], constantValue?: number): Tensor;
  /** `tf.slice`: a size of −1 runs to the end of its dim. */
  slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor;
  concat(xs: readonly Tensor[], axis: number): Tensor;
  /** A new tensor (a copy) with the same values in another shape; one dim may be −1. */
  reshape(x: Tensor, shape: readonly number[]): Tensor;

  softmax(x: Tensor): Tensor;
  logSoftmax(x: Tensor): Tensor;
  softmaxCrossEntropy(logits: Tensor, oneHotLabels: Tensor): { loss: Tensor; dLogits: Tensor };
  sum(x: Tensor, axes?: number | readonly number[]): Tensor;
  mean(x: Tensor, axes?: number | readonly number[]): Tensor;
};
