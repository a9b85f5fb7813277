/**
 * affineWarp and its gradient (shaders/affine_warp.wgsl): NHWC images resampled bilinearly through
 * an affine map of pixel coordinates, each image through its own, with a constant fill outside the
 * image. With c0 = c1 = 0 it is `tf.image.transform(x, [a0, a1, a2, b0, b1, b2, 0, 0], 'bilinear',
 * 'constant', fill)`. Differentiable with respect to the images (the maps are constants), so a
 * random rotation, scale and shift can stand between a parameterised image and a network, as
 * feature visualisation's transformation robustness needs.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { Shader } from '../gpu/shader.js';
import { fail, shapeStr } from '../errors.js';
import { checkShapeArg, checkTensor, grid1d } from './checks.js';
import type { Definitions, Grads } from './op.js';
import { isImage, onImages } from './single_image.js';
import source from '../../shaders/affine_warp.wgsl';

const shader = new Shader('affine_warp', source);

export interface AffineWarpOptions {
  /**
   * Six numbers per image [a0, a1, a2, b0, b1, b2], one after another (or six for all of them):
   * output pixel (x, y) reads the input at (a0·x + a1·y + a2, b0·x + b1·y + b2), pixel (0, 0) at 0.
   * [1, 0, 0, 0, 1, 0] is the identity; [1, 0, dx, 0, 1, dy] shifts the picture by (−dx, −dy).
   */
  matrices: ArrayLike<number>;
  /** What points outside the image read (default 0). */
  fill?: number;
}

/** The per-row table the kernels read: the map, its inverse and the gradient's search half-extents. */
function table(op: string, opts: AffineWarpOptions, n: number): { data: Float32Array; rows: number; fill: number } {
  if (typeof opts !== 'object' || opts === null) fail(op, `options must be an object with matrices, got ${String(opts)}`);
  const m = opts.matrices;
  const len = m?.length;
  if (typeof len !== 'number' || (len !== 6 && len !== 6 * n)) fail(op, `matrices must hold 6 numbers per image (${6 * n}) or 6 for all, got ${len === undefined ? String(m) : len}`);
  const fill = opts.fill ?? 0;
  if (typeof fill !== 'number' || !Number.isFinite(fill)) fail(op, `fill must be a finite number, got ${String(fill)}`);
  const rows = len / 6;
  const data = new Float32Array(rows * 12);
  for (let r = 0; r < rows; r++) {
    const [a0, a1, a2, b0, b1, b2] = Array.from({ length: 6 }, (_, k) => Number(m[r * 6 + k]));
    if (![a0, a1, a2, b0, b1, b2].every(Number.isFinite)) fail(op, `matrix ${r} must be finite numbers, got ${Array.from({ length: 6 }, (_, k) => m[r * 6 + k]).join(', ')}`);
    const det = a0! * b1! - a1! * b0!;
    if (!(Math.abs(det) > 1e-12)) fail(op, `matrix ${r} [${a0}, ${a1}; ${b0}, ${b1}] is singular: it maps the image onto a line`);
    const [i00, i01, i10, i11] = [b1! / det, -a1! / det, -b0! / det, a0! / det];
    data.set([a0!, a1!, a2!, b0!, b1!, b2!, i00, i01, i10, i11, Math.abs(i00) + Math.abs(i01), Math.abs(i10) + Math.abs(i11)], r * 12);
  }
  return { data, rows, fill };
}

function launch(engine: Engine, op: string, entry: string, src: Tensor, opts: AffineWarpOptions): Tensor {
  const [n, h, w, c] = src.shape as [number, number, number, number];
  const t = table(op, opts, n);
  const y = engine.empty(src.shape, op);
  if (y.size === 0) return y;
  const m = engine.tensor(t.data, [t.data.length]);
  engine.run({
    shader,
    entry,
    buffers: { x: src.buffer, y: y.buffer, m: m.buffer },
    params: { size: y.size, height: h, width: w, channels: c, rows: t.rows, fill: t.fill },
    workgroups: grid1d(y.size, 256),
  });
  // Safe before the GPU has run: work recorded later, which could reuse the buffer, runs later.
  m.dispose();
  return y;
}

/**
 * x [n, h, w, c] with image b resampled through matrix b: output pixel (x, y) reads image b at
 * (a0·x + a1·y + a2, b0·x + b1·y + b2), bilinearly, `fill` outside.
 * @example
 * // turned by θ about the centre (cx, cy): output o reads c + R(−θ)(o − c)
 * const [cos, sin] = [Math.cos(θ), Math.sin(θ)];
 * const y = engine.affineWarp(x, { matrices: [cos, sin, cx - cos * cx - sin * cy, -sin, cos, cy + sin * cx - cos * cy], fill: 0.5 });
 */
export function affineWarp(engine: Engine, x: Tensor, opts: AffineWarpOptions): Tensor {
  const op = 'affineWarp';
  checkTensor(op, 'x', x, 4);
  return launch(engine, op, 'affine_warp', x, opts);
}

/** The gradient of `affineWarp(x, opts)` with respect to x, given dy and x's shape (the same). */
export function affineWarpGrad(engine: Engine, dy: Tensor, xShape: readonly number[], opts: AffineWarpOptions): Tensor {
  const op = 'affineWarpGrad';
  checkTensor(op, 'dy', dy, 4);
  checkShapeArg(op, 'xShape', xShape, 4);
  if (dy.shape.some((d, i) => d !== xShape[i])) fail(op, `dy ${shapeStr(dy.shape)} must have the shape of x ${shapeStr(xShape)}`);
  return launch(engine, op, 'affine_warp_grad', dy, opts);
}

export interface AffineWarpOps {
  /** Bilinear resampling of x [n, h, w, c] (or one image [h, w, c]) through an affine map per image, `fill` outside. */
  affineWarp(x: Tensor, opts: AffineWarpOptions): Tensor;
}

export interface AffineWarpGradKernels {
  /** The gradient of affineWarp with respect to x, given dy and x's shape. */
  affineWarpGrad(dy: Tensor, xShape: readonly number[], opts: AffineWarpOptions): Tensor;
}

export const affineWarpOps: Definitions<AffineWarpOps, AffineWarpGradKernels> = {
  /** Bilinear resampling of x [n, h, w, c] (or one image [h, w, c]) through an affine map per image, `fill` outside. */
  affineWarp: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor, opts: AffineWarpOptions) => (isImage(x) ? onImages(e, [x], ([x4]) => affineWarp(e, x4!, opts)) : affineWarp(e, x, opts)),
    inputs: (x: Tensor) => [x],
    gradient: ({ engine, g }, x: Tensor, opts: AffineWarpOptions): Grads => [engine.affineWarpGrad(g, x.shape, opts)],
  },
  affineWarpGrad: { kind: 'plain', forward: (e, dy: Tensor, xShape: readonly number[], opts: AffineWarpOptions) =>
    isImage(dy) && xShape?.length === 3 ? onImages(e, [dy], ([dy4]) => affineWarpGrad(e, dy4!, [1, ...xShape], opts)) : affineWarpGrad(e, dy, xShape, opts) },
};
