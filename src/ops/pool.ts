/**
 * 2-D max and average pooling over NHWC tensors and their gradients (shaders/pool.wgsl,
 * shaders/pool_grad.wgsl), with the semantics of TensorFlow.js's `tf.maxPool` and `tf.avgPool`.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { Shader } from '../gpu/shader.js';
import { fail, shapeStr } from '../errors.js';
import { checkShapeArg, checkTensor, grid1d } from './checks.js';
import { windowGeometry, windowParams, type Padding, type WindowGeometry } from './conv_geometry.js';
import forwardSource from '../../shaders/pool.wgsl';
import gradSource from '../../shaders/pool_grad.wgsl';

const forwardShader = new Shader('pool', forwardSource);
const gradShader = new Shader('pool_grad', gradSource);

export interface Pool2dOptions {
  /** Window height and width (one number for a square window). */
  filterSize: number | readonly [number, number];
  /**
   * Step between windows; defaults to `filterSize` (non-overlapping windows, as Keras's
   * `MaxPooling2D` does when its strides are left out; `tf.maxPool` itself has no default).
   */
  strides?: number | readonly [number, number];
  /** 'valid' (the default), 'same', a number for every side, or `[[top, bottom], [left, right]]`. */
  pad?: Padding;
}

type PoolKind = 'max' | 'avg';

/**
 * Whether the 4-channels-per-thread kernels (the shaders' _vec4 entry points) apply: channels a
 * multiple of 4 and something to compute, unless the engine's `tuning.pool` forces 'scalar'.
 */
function useVec4(engine: Engine, g: WindowGeometry, size: number): boolean {
  return engine.tuning.pool !== 'scalar' && g.channels % 4 === 0 && size > 0;
}

/**
 * Max pooling: each output is the largest in-bounds input of its window; padding never wins.
 * @example
 * const y = engine.maxPool2d(x, { filterSize: 2, strides: 2 }); // [n, h, w, c] → [n, h/2, w/2, c]
 */
export function maxPool2d(engine: Engine, x: Tensor, opts: Pool2dOptions): Tensor {
  return pool(engine, 'max', x, opts);
}

/**
 * Average pooling: each output is the mean of the in-bounds inputs of its window, so windows
 * overlapping 'same' padding average fewer values rather than counting zeros.
 * @example
 * const y = engine.avgPool2d(x, { filterSize: 3, strides: 1, pad: 'same' });
 */
export function avgPool2d(engine: Engine, x: Tensor, opts: Pool2dOptions): Tensor {
  return pool(engine, 'avg', x, opts);
}

/**
 * Gradient of `maxPool2d` with respect to `x`: each window's `dy` goes to the window's first
 * maximum in row-major order, as TensorFlow.js's CPU backend does for ties. NaN and −∞ inputs never
 * receive any, even where the forward copied them through a shape-keeping 1×1 window, as in TF.js.
 */
export function maxPool2dGrad(engine: Engine, dy: Tensor, x: Tensor, opts: Pool2dOptions): Tensor {
  const op = 'maxPool2dGrad';
  checkTensor(op, 'dy', dy, 4);
  checkTensor(op, 'x', x, 4);
  const g = geometry(op, x.shape, opts);
  checkDy(op, dy, g, `x ${shapeStr(x.shape)}`);
  const dx = engine.empty(x.shape, op);
  const params = { ...windowParams(g), channels: g.channels, size: dx.size };
  if (g.strideH >= g.kH && g.strideW >= g.kW) {
    // Each pixel lies in at most one window: rescanning it costs less than a second pass.
    if (useVec4(engine, g, dx.size)) {
      engine.run({
        shader: gradShader, entry: 'max_pool_grad_vec4',
        buffers: { x4: x.buffer, dy4: dy.buffer, dx4: dx.buffer },
        params: { ...params, size: dx.size / 4 },
        workgroups: grid1d(dx.size / 4, 256),
      });
      return dx;
    }
    engine.run({ shader: gradShader, entry: 'max_pool_grad', buffers: { x: x.buffer, dy: dy.buffer, dx: dx.buffer }, params, workgroups: grid1d(dx.size, 256) });
    return dx;
  }
  const argmax = engine.empty(dy.shape, `${op} argmax`);
  engine.run({
    shader: forwardShader, entry: 'max_pool_argmax',
    buffers: { x: x.buffer, argmax: argmax.buffer },
    params: { ...params, size: dy.size },
    workgroups: grid1d(dy.size, 256),
  });
  engine.run({ shader: gradShader, entry: 'max_pool_grad_argmax', buffers: { dy: dy.buffer, dx: dx.buffer, argmax: argmax.buffer }, params, workgroups: grid1d(dx.size, 256) });
  argmax.dispose();
  return dx;
}

/**
 * Gradient of `avgPool2d` with respect to its input of shape `xShape`: each in-bounds element of
 * a window receives `dy / n`, n being that window's in-bounds count. This is the true gradient of
 * `avgPool2d`; TensorFlow.js's CPU kernel divides by the full window size even where a 'same'
 * window overlaps padding, so the two differ exactly there.
 */
export function avgPool2dGrad(engine: Engine, dy: Tensor, xShape: readonly number[], opts: Pool2dOptions): Tensor {
  const op = 'avgPool2dGrad';
  checkTensor(op, 'dy', dy, 4);
  checkShapeArg(op, 'xShape', xShape, 4);
  const g = geometry(op, xShape, opts);
  checkDy(op, dy, g, `xShape ${shapeStr(xShape)}`);
  const dx = engine.empty(xShape, op);
  if (isIdentity(g)) {
    // The forward copied x, so the gradient is dy itself.
    engine.scheduler.copy(dy.buffer, dx.buffer, dx.size * 4);
    return dx;
  }
  const vec4 = useVec4(engine, g, dx.size);
  const threads = vec4 ? dx.size / 4 : dx.size;
  engine.run({
    shader: gradShader, entry: vec4 ? 'avg_pool_grad_vec4' : 'avg_pool_grad',
    buffers: vec4 ? { dy4: dy.buffer, dx4: dx.buffer } : { dy: dy.buffer, dx: dx.buffer },
    params: { ...windowParams(g), channels: g.channels, size: threads },
    workgroups: grid1d(threads, 256),
  });
  return dx;
}

function pool(engine: Engine, kind: PoolKind, x: Tensor, opts: Pool2dOptions): Tensor {
  const op = kind === 'max' ? 'maxPool2d' : 'avgPool2d';
  checkTensor(op, 'x', x, 4);
  const g = geometry(op, x.shape, opts);
  const y = engine.empty([g.batch, g.outH, g.outW, g.channels], op);
  if (isIdentity(g)) {
    // TensorFlow.js returns x itself here, even where a window would hold only padding or a NaN.
    engine.scheduler.copy(x.buffer, y.buffer, y.size * 4);
    return y;
  }
  const vec4 = useVec4(engine, g, y.size);
  const threads = vec4 ? y.size / 4 : y.size;
  engine.run({
    shader: forwardShader, entry: `${kind}_pool${vec4 ? '_vec4' : ''}`,
    buffers: vec4 ? { x4: x.buffer, y4: y.buffer } : { x: x.buffer, y: y.buffer },
    params: { ...windowParams(g), channels: g.channels, size: threads },
    workgroups: grid1d(threads, 256),
  });
  return y;
}

/** A 1×1 window whose output has the input's shape: TensorFlow.js's pools short-circuit to a copy. */
function isIdentity(g: WindowGeometry): boolean {
  return g.kH === 1 && g.kW === 1 && g.outH === g.inH && g.outW === g.inW;
}

function geometry(op: string, xShape: readonly number[], opts: Pool2dOptions): WindowGeometry {
  if (typeof opts !== 'object' || opts === null) fail(op, `options must be an object with filterSize, got ${String(opts)}`);
  const [kH, kW] = filterSize(op, opts.filterSize);
  return windowGeometry(op, xShape, kH, kW, { strides: opts.strides ?? [kH, kW], pad: opts.pad ?? 'valid', dilations: 1 });
}

function filterSize(op: string, f: unknown): [number, number] {
  const p = typeof f === 'number' ? [f, f] : f;
  if (!Array.isArray(p) || p.length !== 2 || p.some((n) => !Number.isInteger(n) || n < 1)) {
    fail(op, `filterSize must be a positive integer or [height, width] of them, got ${JSON.stringify(f)}`);
  }
  return [p[0] as number, p[1] as number];
}

function checkDy(op: string, dy: Tensor, g: WindowGeometry, source: string): void {
  const want = [g.batch, g.outH, g.outW, g.channels];
  if (dy.shape.some((d, i) => d !== want[i])) {
    fail(op, `dy ${shapeStr(dy.shape)} must have the pooled output shape ${shapeStr(want)} of ${source}`);
  }
}
