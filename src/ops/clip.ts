/**
 * clip and its gradient (shaders/clip.wgsl), with the semantics of
 * `tf.clipByValue(x, clipValueMin, clipValueMax)`.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { laneShaders, lanesFor } from '../gpu/lanes.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor, grid1d } from './checks.js';
import type { Definitions, Grads } from './op.js';
import source from '../../shaders/clip.wgsl';

/** shaders/clip.wgsl at 1, 2 and 4 elements per thread. */
const shaders = laneShaders('clip', source);

function checkBounds(op: string, min: number, max: number): void {
  for (const [name, v] of [['min', min], ['max', max]] as const) {
    if (typeof v !== 'number' || Number.isNaN(v)) fail(op, `${name} must be a number (±Infinity for no bound), got ${String(v)}`);
  }
  if (min > max) fail(op, `min ${min} must not exceed max ${max}`);
}

function launch(engine: Engine, op: string, entry: string, x: Tensor, dy: Tensor | null, min: number, max: number): Tensor {
  const y = engine.empty(x.shape, op);
  if (y.size === 0) return y;
  const l = lanesFor(x.size);
  const buffers: Record<string, GPUBuffer> = { x: x.buffer, y: y.buffer };
  if (dy) buffers.dy = dy.buffer;
  engine.run({ shader: shaders[l], entry, buffers, params: { size: x.size / l, lo: min, hi: max }, workgroups: grid1d(x.size / l, 256) });
  return y;
}

/**
 * x with every value below `min` raised to it and every value above `max` lowered to it; NaN
 * stays NaN. Either bound may be infinite (ONNX's Clip with one bound; ReLU6 is clip(x, 0, 6)).
 * @example
 * const y = engine.clip(x, -1, 1);
 */
export function clip(engine: Engine, x: Tensor, min: number, max: number): Tensor {
  const op = 'clip';
  checkTensor(op, 'x', x);
  checkBounds(op, min, max);
  return launch(engine, op, 'clip', x, null, min, max);
}

/**
 * The gradient of `clip(x, min, max)`: dy where min ≤ x ≤ max (the bounds included, as in TF.js),
 * else 0; all 0 when min = max (the forward is then a constant, which TF.js fills without x).
 */
export function clipGrad(engine: Engine, dy: Tensor, x: Tensor, min: number, max: number): Tensor {
  const op = 'clipGrad';
  checkTensor(op, 'dy', dy);
  checkTensor(op, 'x', x);
  if (dy.rank !== x.rank || dy.shape.some((d, i) => d !== x.shape[i])) {
    fail(op, `dy ${shapeStr(dy.shape)} must have the shape of x ${shapeStr(x.shape)}`);
  }
  checkBounds(op, min, max);
  if (min === max) return engine.zeros(x.shape);
  return launch(engine, op, 'clip_grad', x, dy, min, max);
}

export interface ClipOps {
  /** `tf.clipByValue`: x held within [min, max]. */
  clip(x: Tensor, min: number, max: number): Tensor;
}

export interface ClipGradKernels {
  /** The gradient of clip with respect to x. */
  clipGrad(dy: Tensor, x: Tensor, min: number, max: number): Tensor;
}

export const clipOps: Definitions<ClipOps, ClipGradKernels> = {
  /** `tf.clipByValue`: x held within [min, max]. */
  clip: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor, min: number, max: number) => clip(e, x, min, max),
    inputs: (x: Tensor) => [x],
    gradient: ({ engine, g }, x: Tensor, min: number, max: number): Grads => [engine.clipGrad(g, x, min, max)],
  },
  clipGrad: { kind: 'plain', forward: (e, dy: Tensor, x: Tensor, min: number, max: number) => clipGrad(e, dy, x, min, max) },
};
