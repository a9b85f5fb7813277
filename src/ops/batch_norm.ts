/**
 * batchNorm (shaders/batch_norm.wgsl), with the semantics of
 * `tf.batchNorm(x, mean, variance, offset, scale, varianceEpsilon)` for statistics per channel of
 * the last axis.
 */
import type { Engine } from '../engine.js';
import { Tensor } from '../tensor.js';
import { laneShaders, lanesFor } from '../gpu/lanes.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor, grid1d } from './checks.js';
import source from '../../shaders/batch_norm.wgsl';

/** shaders/batch_norm.wgsl at 1, 2 and 4 channels per thread. */
const shaders = laneShaders('batch_norm', source);

/**
 * `(x − mean) · scale / sqrt(variance + epsilon) + offset`, each parameter of shape [c] (or
 * [1, …, 1, c]) applying along the last axis of x (of size c; any rank ≥ 1). A null offset adds 0
 * and a null scale multiplies by 1. epsilon defaults to tf.batchNorm's 0.001.
 * @example
 * const y = engine.batchNorm(x, movingMean, movingVariance, beta, gamma, 1e-3); // Keras BatchNormalization at inference
 */
export function batchNorm(
  engine: Engine,
  x: Tensor,
  mean: Tensor,
  variance: Tensor,
  offset: Tensor | null = null,
  scale: Tensor | null = null,
  epsilon = 0.001,
): Tensor {
  const op = 'batchNorm';
  checkTensor(op, 'x', x);
  if (x.rank < 1) fail(op, `x must have rank 1 or more (channels on the last axis), got shape ${shapeStr(x.shape)}`);
  const c = x.shape[x.rank - 1]!;
  const params = { mean, variance, offset: offset ?? null, scale: scale ?? null };
  for (const [name, t] of Object.entries(params)) {
    if (t === null && (name === 'offset' || name === 'scale')) continue;
    checkTensor(op, name, t);
    const perChannel = t.shape[t.rank - 1] === c && t.shape.slice(0, -1).every((d) => d === 1);
    if (!perChannel) fail(op, `${name} ${shapeStr(t.shape)} must have shape [${c}] to match the last axis of x ${shapeStr(x.shape)}`);
  }
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) {
    fail(op, `epsilon must be a finite non-negative number, got ${String(epsilon)}`);
  }
  const y = engine.empty(x.shape, op);
  if (y.size === 0) return y;
  const unit = lanesFor(c);
  const off = offset instanceof Tensor ? offset.buffer : mean.buffer;
  const sc = scale instanceof Tensor ? scale.buffer : mean.buffer;
  const buffers = { x: x.buffer, y: y.buffer, mean: mean.buffer, variance: variance.buffer, offset: off, scale: sc };
  engine.run({
    shader: shaders[unit], entry: 'batch_norm',
    constants: { HAS_OFFSET: offset ? 1 : 0, HAS_SCALE: scale ? 1 : 0 },
    buffers,
    params: { size: y.size / unit, channels: c / unit, epsilon },
    workgroups: grid1d(y.size / unit, 256),
  });
  return y;
}
