/**
 * resize and its gradient (shaders/resize.wgsl) over NHWC images, with the semantics of ONNX's
 * Resize (and Upsample) in 'nearest' and 'linear' modes, every coordinate transformation and
 * nearest rounding rule; `tf.image.resizeBilinear` and `tf.image.resizeNearestNeighbor` are
 * particular settings (see ResizeOptions). The host computes each axis's source indices and
 * weights once per call, in double precision, as TF.js does; the kernels only gather.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { laneShaders, lanesFor } from '../gpu/lanes.js';
import { fail, shapeStr } from '../errors.js';
import { checkShapeArg, checkTensor, grid1d } from './checks.js';
import type { Definitions, Grads } from './op.js';
import { isImage, onImages } from './single_image.js';
import source from '../../shaders/resize.wgsl';

/** shaders/resize.wgsl at 1, 2 and 4 channels per thread. */
const shaders = laneShaders('resize', source);

/** ONNX's `coordinate_transformation_mode`: where output index o samples the input. */
export type CoordinateTransform =
  'half_pixel' | 'half_pixel_symmetric' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_half_pixel_for_nn';

/** ONNX's `nearest_mode`: how a fractional source index rounds. */
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

/**
 * The output size and how it samples the input. Defaults are ONNX's (nearest, half_pixel,
 * round_prefer_floor). TF.js's kernels are: `resizeBilinear(x, size)`: linear, asymmetric;
 * with halfPixelCenters: linear, half_pixel; with alignCorners: linear, align_corners.
 * `resizeNearestNeighbor(x, size)`: nearest, asymmetric, floor; with halfPixelCenters: nearest,
 * tf_half_pixel_for_nn, floor; with alignCorners: nearest, align_corners, round_prefer_ceil.
 */
export interface ResizeOptions {
  /** [height, width] of the output. */
  size: readonly [number, number];
  /** Default 'nearest'; 'linear' is bilinear over height and width. */
  mode?: 'nearest' | 'linear';
  /** Default 'half_pixel'. */
  coordinateTransform?: CoordinateTransform;
  /** For 'nearest' (default 'round_prefer_floor'). */
  nearestMode?: NearestMode;
  /**
   * [scaleH, scaleW] as ONNX's `scales` input gives them, used by the coordinate transformations
   * in place of size / input size (they differ when the scaled size is not a whole number).
   */
  scales?: readonly [number, number];
}

const TRANSFORMS: readonly CoordinateTransform[] = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
const NEAREST_MODES: readonly NearestMode[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

interface Resize {
  outH: number;
  outW: number;
  linear: boolean;
  transform: CoordinateTransform;
  nearest: NearestMode;
  scales: [number, number] | null;
}

function options(op: string, opts: ResizeOptions): Resize {
  if (typeof opts !== 'object' || opts === null) fail(op, `options must be an object with size, got ${String(opts)}`);
  const size = opts.size;
  if (!Array.isArray(size) || size.length !== 2 || size.some((d) => !Number.isInteger(d) || d < 1)) {
    fail(op, `size must be [height, width] of positive integers, got ${JSON.stringify(size)}`);
  }
  const mode = opts.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'linear') fail(op, `mode must be 'nearest' or 'linear', got ${JSON.stringify(mode)}`);
  const transform = opts.coordinateTransform ?? 'half_pixel';
  if (!TRANSFORMS.includes(transform)) fail(op, `coordinateTransform must be one of ${TRANSFORMS.join(', ')}; got ${JSON.stringify(transform)}`);
  const nearest = opts.nearestMode ?? 'round_prefer_floor';
  if (!NEAREST_MODES.includes(nearest)) fail(op, `nearestMode must be one of ${NEAREST_MODES.join(', ')}; got ${JSON.stringify(nearest)}`);
  const scales = opts.scales ?? null;
  if (scales !== null && (!Array.isArray(scales) || scales.length !== 2 || scales.some((s) => typeof s !== 'number' || !Number.isFinite(s) || s <= 0))) {
    fail(op, `scales must be [scaleH, scaleW] of positive numbers, got ${JSON.stringify(scales)}`);
  }
  return { outH: size[0]!, outW: size[1]!, linear: mode === 'linear', transform, nearest, scales: scales ? [scales[0]!, scales[1]!] : null };
}

/** Where output index o samples an axis of `len` inputs resized to `out` (ONNX's formulas). */
function sourceCoordinate(t: CoordinateTransform, o: number, len: number, out: number, scale: number | null): number {
  // Without given scales, o·(len / out) rather than o / (out / len): TF.js's arithmetic, so exact ties agree with it.
  const div = (v: number) => (scale === null ? v * (len / out) : v / scale);
  switch (t) {
    case 'half_pixel': return div(o + 0.5) - 0.5;
    case 'half_pixel_symmetric': {
      const s = scale ?? out / len;
      const offset = (len / 2) * (1 - out / (s * len));
      return offset + div(o + 0.5) - 0.5;
    }
    case 'pytorch_half_pixel': return out > 1 ? div(o + 0.5) - 0.5 : 0;
    case 'align_corners': return out === 1 ? 0 : (o * (len - 1)) / (out - 1);
    case 'asymmetric': return div(o);
    case 'tf_half_pixel_for_nn': return div(o + 0.5);
  }
}

function round(mode: NearestMode, v: number): number {
  switch (mode) {
    case 'round_prefer_floor': return Math.ceil(v - 0.5);
    case 'round_prefer_ceil': return Math.floor(v + 0.5);
    case 'floor': return Math.floor(v);
    case 'ceil': return Math.ceil(v);
  }
}

/**
 * One axis's table: per output index (i0, i1, f), then per input index the range [first, end) of
 * output indices whose weight on it may be nonzero.
 */
function axisTable(r: Resize, len: number, out: number, scale: number | null): { taps: number[]; ranges: number[] } {
  const clamp = (i: number) => Math.min(Math.max(i, 0), len - 1);
  const taps: number[] = [];
  const first = new Array<number>(len).fill(out);
  const end = new Array<number>(len).fill(0);
  for (let o = 0; o < out; o++) {
    const v = sourceCoordinate(r.transform, o, len, out, scale);
    let i0: number, i1: number, f: number;
    if (r.linear) {
      const fl = Math.floor(v);
      i0 = clamp(fl);
      i1 = clamp(fl + 1);
      f = v - fl;
    } else {
      i0 = i1 = clamp(round(r.nearest, v));
      f = 0;
    }
    taps.push(i0, i1, f);
    for (const i of [i0, i1]) {
      first[i] = Math.min(first[i]!, o);
      end[i] = Math.max(end[i]!, o + 1);
    }
  }
  const ranges: number[] = [];
  for (let i = 0; i < len; i++) ranges.push(Math.min(first[i]!, end[i]!), end[i]!);
  return { taps, ranges };
}

function tableFor(engine: Engine, r: Resize, inH: number, inW: number): Tensor {
  const rows = axisTable(r, inH, r.outH, r.scales?.[0] ?? null);
  const cols = axisTable(r, inW, r.outW, r.scales?.[1] ?? null);
  const data = [...rows.taps, ...cols.taps, ...rows.ranges, ...cols.ranges];
  return engine.tensor(data, [data.length]);
}

function launch(engine: Engine, op: string, entry: string, src: Tensor, outShape: number[], r: Resize, inH: number, inW: number): Tensor {
  const y = engine.empty(outShape, op);
  if (y.size === 0) return y;
  const c = outShape[3]!;
  const l = lanesFor(c);
  const table = tableFor(engine, r, inH, inW);
  engine.run({
    shader: shaders[l], entry, constants: { LINEAR: r.linear ? 1 : 0 },
    buffers: { x: src.buffer, y: y.buffer, table: table.buffer },
    params: { size: y.size / l, chunks: c / l, in_h: inH, in_w: inW, out_h: r.outH, out_w: r.outW },
    workgroups: grid1d(y.size / l, 256),
  });
  // Safe before the GPU has run: work recorded later, which could reuse the buffer, runs later.
  table.dispose();
  return y;
}

/**
 * x [n, h, w, c] resized to [n, size[0], size[1], c].
 * @example
 * const up = engine.resize(x, { size: [2 * h, 2 * w], mode: 'linear', coordinateTransform: 'half_pixel' });
 */
export function resize(engine: Engine, x: Tensor, opts: ResizeOptions): Tensor {
  const op = 'resize';
  checkTensor(op, 'x', x, 4);
  const r = options(op, opts);
  const [n, h, w, c] = x.shape as [number, number, number, number];
  if (h < 1 || w < 1) fail(op, `x ${shapeStr(x.shape)} has no pixels to sample`);
  return launch(engine, op, 'resize', x, [n, r.outH, r.outW, c], r, h, w);
}

/** The gradient of `resize(x, opts)` with respect to x, given dy and x's shape. */
export function resizeGrad(engine: Engine, dy: Tensor, xShape: readonly number[], opts: ResizeOptions): Tensor {
  const op = 'resizeGrad';
  checkTensor(op, 'dy', dy, 4);
  checkShapeArg(op, 'xShape', xShape, 4);
  const r = options(op, opts);
  const [n, h, w, c] = xShape as [number, number, number, number];
  const want = [n, r.outH, r.outW, c];
  if (dy.shape.some((d, i) => d !== want[i])) fail(op, `dy ${shapeStr(dy.shape)} must have the resized shape ${shapeStr(want)} of xShape ${shapeStr(xShape)}`);
  if (h < 1 || w < 1) fail(op, `xShape ${shapeStr(xShape)} has no pixels`);
  return launch(engine, op, 'resize_grad', dy, [...xShape], r, h, w);
}

export interface ResizeOps {
  /** ONNX Resize (nearest or linear) over x [n, h, w, c] (or one image [h, w, c]). */
  resize(x: Tensor, opts: ResizeOptions): Tensor;
}

export interface ResizeGradKernels {
  /** The gradient of resize with respect to x, given dy and x's shape. */
  resizeGrad(dy: Tensor, xShape: readonly number[], opts: ResizeOptions): Tensor;
}

export const resizeOps: Definitions<ResizeOps, ResizeGradKernels> = {
  /** ONNX Resize (nearest or linear) over x [n, h, w, c] (or one image [h, w, c]). */
  resize: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor, opts: ResizeOptions) => (isImage(x) ? onImages(e, [x], ([x4]) => resize(e, x4!, opts)) : resize(e, x, opts)),
    inputs: (x: Tensor) => [x],
    gradient: ({ engine, g }, x: Tensor, opts: ResizeOptions): Grads => [engine.resizeGrad(g, x.shape, opts)],
  },
  resizeGrad: { kind: 'plain', forward: (e, dy: Tensor, xShape: readonly number[], opts: ResizeOptions) =>
    isImage(dy) && xShape?.length === 3 ? onImages(e, [dy], ([dy4]) => resizeGrad(e, dy4!, [1, ...xShape], opts)) : resizeGrad(e, dy, xShape, opts) },
};
