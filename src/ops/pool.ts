/**
 * 2-D max and average pooling over NHWC tensors and their gradients (shaders/pool.wgsl,
 * shaders/pool_grad.wgsl), with the semantics of TensorFlow.js's `tf.maxPool` and `tf.avgPool`,
 * plus ONNX's MaxPool and AveragePool options (ceil mode, dilations, padding in the average).
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { laneShaders, lanesFor, type Lanes } from '../gpu/lanes.js';
import { fail, shapeStr } from '../errors.js';
import { checkShapeArg, checkTensor, grid1d } from './checks.js';
import { windowGeometry, windowParams, type Padding, type WindowGeometry } from './conv_geometry.js';
import type { Definitions, Grads } from './op.js';
import { isImage, onImages } from './single_image.js';
import forwardSource from '../../shaders/pool.wgsl';
import gradSource from '../../shaders/pool_grad.wgsl';

const forwardShaders = laneShaders('pool', forwardSource);
const gradShaders = laneShaders('pool_grad', gradSource);

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
  /** Every dil-th pixel in the window (default 1; ONNX's MaxPool and AveragePool `dilations`). */
  dilations?: number | readonly [number, number];
  /**
   * Round the output size up, not down (ONNX's `ceil_mode`), with explicit or numeric `pad`: one
   * more window along an axis where the last would otherwise leave inputs out, running past the
   * padding's end, unless it would start in the end padding. 'same' and 'valid' sizes are unchanged.
   */
  ceilMode?: boolean;
  /**
   * avgPool2d only: divide by the window's size inside the padded input, explicit padding
   * counted as zeros (ONNX's `count_include_pad`), not by its in-bounds count (the default, as
   * TF.js). A ceil-mode window running past the padding still counts only what lies inside it.
   */
  countIncludePad?: boolean;
}

type PoolKind = 'max' | 'avg';

/**
 * Channels per thread: the widest of 4, 2, 1 dividing the channels, unless the engine's
 * `tuning.pool` forces 'scalar' (tests run both).
 */
function lanes(engine: Engine, g: WindowGeometry): Lanes {
  return engine.tuning.pool === 'scalar' ? 1 : lanesFor(g.channels);
}

/** A pool's window geometry and whether its average counts the padding. */
interface PoolGeometry extends WindowGeometry {
  countIncludePad: boolean;
}

/** Uniforms of a pool kernel at `l` channels per thread, `vectors` threads. */
function poolParams(g: PoolGeometry, l: Lanes, vectors: number): Record<string, number> {
  return {
    ...windowParams(g), chunks: g.channels / l, size: vectors,
    pad_bottom: g.padBottom, pad_right: g.padRight, count_include_pad: g.countIncludePad ? 1 : 0,
  };
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
  const l = lanes(engine, g);
  if (!overlapping(g)) {
    gradKernel(engine, g, l, 'max_pool_grad_scatter', { x: x.buffer, dy: dy.buffer, dx: dx.buffer }, dy, dx);
    return dx;
  }
  const argmax = engine.empty(dy.shape, `${op} argmax`);
  engine.run({
    shader: forwardShaders[l], entry: 'max_pool_argmax',
    buffers: { x: x.buffer, argmax: argmax.buffer },
    params: poolParams(g, l, dy.size / l),
    workgroups: grid1d(dy.size / l, 256),
  });
  gradKernel(engine, g, l, 'max_pool_grad_argmax', { dy: dy.buffer, dx: dx.buffer, argmax: argmax.buffer }, dy, dx);
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
  const entry = overlapping(g) ? 'avg_pool_grad' : 'avg_pool_grad_scatter';
  gradKernel(engine, g, lanes(engine, g), entry, { dy: dy.buffer, dx: dx.buffer }, dy, dx);
  return dx;
}

/**
 * One pool_grad.wgsl kernel: a _scatter entry runs a thread per vector of dy (one per window) and
 * needs dx cleared where some pixel lies in no window; a gather runs a thread per vector of dx.
 */
function gradKernel(engine: Engine, g: PoolGeometry, l: Lanes, entry: string, buffers: Record<string, GPUBuffer>, dy: Tensor, dx: Tensor): void {
  const scatter = entry.endsWith('_scatter');
  if (scatter && !coversInput(g)) engine.scheduler.clear(dx.buffer, dx.size * 4);
  const threads = (scatter ? dy.size : dx.size) / l;
  engine.run({ shader: gradShaders[l], entry, buffers, params: poolParams(g, l, threads), workgroups: grid1d(threads, 256) });
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
  const l = lanes(engine, g);
  engine.run({
    shader: forwardShaders[l], entry: `${kind}_pool`,
    buffers: { x: x.buffer, y: y.buffer },
    params: poolParams(g, l, y.size / l),
    workgroups: grid1d(y.size / l, 256),
  });
  return y;
}

/** Whether some pixel lies in the span of two windows (then gradients gather; else each window scatters its own). */
function overlapping(g: WindowGeometry): boolean {
  return g.strideH < (g.kH - 1) * g.dilH + 1 || g.strideW < (g.kW - 1) * g.dilW + 1;
}

/** Whether every input pixel is a tap of some window (else the scatter kernels leave gaps to clear). */
function coversInput(g: WindowGeometry): boolean {
  // Without dilation the windows span [−pad, out·k − pad) along each axis; dilated ones leave gaps.
  const dense = (k: number, dil: number) => dil === 1 || k === 1;
  return dense(g.kH, g.dilH) && dense(g.kW, g.dilW) &&
    g.strideH === g.kH && g.strideW === g.kW && g.outH * g.kH - g.padTop >= g.inH && g.outW * g.kW - g.padLeft >= g.inW;
}

/** A 1×1 window whose output has the input's shape: TensorFlow.js's pools short-circuit to a copy. */
function isIdentity(g: WindowGeometry): boolean {
  return g.kH === 1 && g.kW === 1 && g.outH === g.inH && g.outW === g.inW;
}

function geometry(op: string, xShape: readonly number[], opts: Pool2dOptions): PoolGeometry {
  if (typeof opts !== 'object' || opts === null) fail(op, `options must be an object with filterSize, got ${String(opts)}`);
  const [kH, kW] = filterSize(op, opts.filterSize);
  const g = windowGeometry(op, xShape, kH, kW, { strides: opts.strides ?? [kH, kW], pad: opts.pad ?? 'valid', dilations: opts.dilations ?? 1 });
  for (const flag of ['ceilMode', 'countIncludePad'] as const) {
    if (opts[flag] !== undefined && typeof opts[flag] !== 'boolean') fail(op, `${flag} must be true or false, got ${String(opts[flag])}`);
  }
  if (opts.countIncludePad && op.startsWith('max')) fail(op, 'countIncludePad applies to avgPool2d only');
  const explicit = typeof opts.pad === 'number' || Array.isArray(opts.pad);
  if (opts.ceilMode && explicit) {
    g.outH = ceilSize(g.inH, g.kH, g.dilH, g.strideH, g.padTop, g.padBottom);
    g.outW = ceilSize(g.inW, g.kW, g.dilW, g.strideW, g.padLeft, g.padRight);
  }
  return { ...g, countIncludePad: opts.countIncludePad === true };
}

/**
 * The output length along an axis in ceil mode: the last window may run past the end padding, but
 * is dropped when it would start inside it (ONNX's MaxPool rule, as PyTorch's).
 */
function ceilSize(len: number, k: number, dil: number, stride: number, before: number, after: number): number {
  const span = (k - 1) * dil + 1;
  let out = Math.ceil((len + before + after - span) / stride) + 1;
  if ((out - 1) * stride >= len + before) out--;
  return out;
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

export interface PoolOps {
  /** `tf.maxPool` over x [n, h, w, c] (or one image [h, w, c]). */
  maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor;
  /** `tf.avgPool` over x [n, h, w, c] (or one image [h, w, c]). */
  avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor;
}

export interface PoolGradKernels {
  maxPool2dGrad(dy: Tensor, x: Tensor, opts: Pool2dOptions): Tensor;
  avgPool2dGrad(dy: Tensor, xShape: readonly number[], opts: Pool2dOptions): Tensor;
}

export const poolOps: Definitions<PoolOps, PoolGradKernels> = {
  /** `tf.maxPool` over x [n, h, w, c] (or one image [h, w, c]). */
  maxPool2d: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor, opts: Pool2dOptions) => (isImage(x) ? onImages(e, [x], ([x4]) => maxPool2d(e, x4!, opts)) : maxPool2d(e, x, opts)),
    inputs: (x: Tensor) => [x],
    gradient: ({ engine, g }, x: Tensor, opts: Pool2dOptions): Grads => [engine.maxPool2dGrad(g, x, opts)],
  },
  /** `tf.avgPool` over x [n, h, w, c] (or one image [h, w, c]). */
  avgPool2d: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor, opts: Pool2dOptions) => (isImage(x) ? onImages(e, [x], ([x4]) => avgPool2d(e, x4!, opts)) : avgPool2d(e, x, opts)),
    inputs: (x: Tensor) => [x],
    gradient: ({ engine, g }, x: Tensor, opts: Pool2dOptions): Grads => [engine.avgPool2dGrad(g, x.shape, opts)],
  },
  maxPool2dGrad: { kind: 'plain', forward: (e, dy: Tensor, x: Tensor, opts: Pool2dOptions) =>
    isImage(dy) && isImage(x) ? onImages(e, [dy, x], ([dy4, x4]) => maxPool2dGrad(e, dy4!, x4!, opts)) : maxPool2dGrad(e, dy, x, opts) },
  avgPool2dGrad: { kind: 'plain', forward: (e, dy: Tensor, xShape: readonly number[], opts: Pool2dOptions) =>
    isImage(dy) && xShape?.length === 3 ? onImages(e, [dy], ([dy4]) => avgPool2dGrad(e, dy4!, [1, ...xShape], opts)) : avgPool2dGrad(e, dy, xShape, opts) },
};
