/**
 * localResponseNormalization and its gradient (shaders/lrn.wgsl), with the semantics of
 * `tf.localResponseNormalization(x, depthRadius, bias, alpha, beta)` over the last axis, and
 * explicit window sides so ONNX's LRN (an even `size` included) is exact too.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { Shader } from '../gpu/shader.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor, grid1d } from './checks.js';
import type { Definitions, Grads } from './op.js';
import source from '../../shaders/lrn.wgsl';

const shader = new Shader('lrn', source);

/**
 * Channel c of each pixel is divided by `(bias + alpha · Σ x_j²) ^ beta`, the sum over channels
 * j from c − before to c + after (clipped to the channels).
 *
 * TensorFlow's `tf.localResponseNormalization(x, r, bias, alpha, beta)` is `{depthRadius: r, bias,
 * alpha, beta}`. ONNX's `LRN(size, alpha, beta, bias)` is `{before: floor((size − 1) / 2), after:
 * ceil((size − 1) / 2), alpha: alpha / size, beta, bias}`: ONNX divides alpha by the window size,
 * and for an even size its window reaches one channel further up than down.
 */
export interface LrnOptions {
  /** Channels on each side of c (default 5, as in TensorFlow); `before` and `after` override it per side. */
  depthRadius?: number;
  /** Channels below c in the window (default depthRadius). */
  before?: number;
  /** Channels above c in the window (default depthRadius). */
  after?: number;
  /** Default 1. */
  bias?: number;
  /** The scale of the sum of squares (default 1; not divided by the window size). */
  alpha?: number;
  /** The exponent (default 0.5). */
  beta?: number;
}

interface Lrn {
  before: number;
  after: number;
  bias: number;
  alpha: number;
  beta: number;
}

function options(op: string, opts: LrnOptions | undefined): Lrn {
  const o = opts ?? {};
  if (typeof o !== 'object') fail(op, `options must be an object, got ${String(o)}`);
  const side = (name: string, v: unknown): number => {
    if (!Number.isInteger(v) || (v as number) < 0) fail(op, `${name} must be a non-negative integer, got ${String(v)}`);
    return v as number;
  };
  const radius = side('depthRadius', o.depthRadius ?? 5);
  const num = (name: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(op, `${name} must be a finite number, got ${String(v)}`);
    return v;
  };
  return {
    before: side('before', o.before ?? radius),
    after: side('after', o.after ?? radius),
    bias: num('bias', o.bias ?? 1),
    alpha: num('alpha', o.alpha ?? 1),
    beta: num('beta', o.beta ?? 0.5),
  };
}

function checkX(op: string, name: string, x: Tensor): void {
  checkTensor(op, name, x);
  if (x.rank < 1) fail(op, `${name} must have rank 1 or more (channels on the last axis), got shape ${shapeStr(x.shape)}`);
}

function lrnParams(x: Tensor, o: Lrn): Record<string, number> {
  return { size: x.size, channels: x.shape[x.rank - 1]!, ...o };
}

/**
 * Local response normalisation across the channels (the last axis) of x, any rank ≥ 1.
 * @example
 * const y = engine.localResponseNormalization(x, { depthRadius: 2, bias: 2, alpha: 1e-4, beta: 0.75 }); // AlexNet's, TF style
 */
export function localResponseNormalization(engine: Engine, x: Tensor, opts?: LrnOptions): Tensor {
  const op = 'localResponseNormalization';
  checkX(op, 'x', x);
  const o = options(op, opts);
  const y = engine.empty(x.shape, op);
  if (y.size === 0) return y;
  engine.run({ shader, entry: 'lrn', buffers: { x: x.buffer, y: y.buffer }, params: lrnParams(x, o), workgroups: grid1d(x.size, 256) });
  return y;
}

/** The gradient of `localResponseNormalization(x, opts)` with respect to x, given dy. */
export function localResponseNormalizationGrad(engine: Engine, dy: Tensor, x: Tensor, opts?: LrnOptions): Tensor {
  const op = 'localResponseNormalizationGrad';
  checkX(op, 'dy', dy);
  checkX(op, 'x', x);
  if (dy.rank !== x.rank || dy.shape.some((d, i) => d !== x.shape[i])) {
    fail(op, `dy ${shapeStr(dy.shape)} must have the shape of x ${shapeStr(x.shape)}`);
  }
  const o = options(op, opts);
  const dx = engine.empty(x.shape, op);
  if (dx.size === 0) return dx;
  const terms = engine.empty(x.shape, `${op} terms`);
  const params = lrnParams(x, o);
  const workgroups = grid1d(x.size, 256);
  engine.run({ shader, entry: 'lrn_grad_terms', buffers: { x: x.buffer, dy: dy.buffer, terms: terms.buffer }, params, workgroups });
  engine.run({ shader, entry: 'lrn_grad', buffers: { x: x.buffer, dy: dy.buffer, terms: terms.buffer, y: dx.buffer }, params, workgroups });
  terms.dispose();
  return dx;
}

export interface LrnOps {
  /** `tf.localResponseNormalization` over the last axis; `before`/`after` give ONNX's windows exactly. */
  localResponseNormalization(x: Tensor, opts?: LrnOptions): Tensor;
}

export interface LrnGradKernels {
  /** The gradient of localResponseNormalization with respect to x. */
  localResponseNormalizationGrad(dy: Tensor, x: Tensor, opts?: LrnOptions): Tensor;
}

export const lrnOps: Definitions<LrnOps, LrnGradKernels> = {
  /** `tf.localResponseNormalization` over the last axis; `before`/`after` give ONNX's windows exactly. */
  localResponseNormalization: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor, opts?: LrnOptions) => localResponseNormalization(e, x, opts),
    inputs: (x: Tensor) => [x],
    gradient: ({ engine, g }, x: Tensor, opts?: LrnOptions): Grads => [engine.localResponseNormalizationGrad(g, x, opts)],
  },
  localResponseNormalizationGrad: {
    kind: 'plain',
    forward: (e, dy: Tensor, x: Tensor, opts?: LrnOptions) => localResponseNormalizationGrad(e, dy, x, opts),
  },
};
