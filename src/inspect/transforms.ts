/**
 * A transformation swept over a range, as one batch on the GPU: rotation, scale, translation,
 * brightness, contrast, blur and noise of one input image, each value of the sweep one image of
 * the batch (the engine's affineWarp resamples, src/ops/image_transform.ts changes light, blur and
 * noise). What `<cnn-invariance>` feeds a network
 * to show what it is, and is not, invariant to.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { CnnError, shapeStr } from '../errors.js';
import { adjustImages, blurImages } from '../ops/image_transform.js';

export type TransformKind = 'rotation' | 'scale' | 'translation' | 'brightness' | 'contrast' | 'blur' | 'noise';

/** What a transformation's parameter means: its value that changes nothing, a sweep range that shows something, and its unit. */
export interface TransformInfo {
  kind: TransformKind;
  /** The parameter value that leaves the image as it is. */
  identity: number;
  /** A default sweep range [from, to]. */
  range: [number, number];
  /** The unit in words ('°', '×', 'px'…), for axis labels. */
  unit: string;
}

/**
 * The transformations and their parameters: rotation in degrees counter-clockwise about the centre;
 * scale as a zoom factor about the centre; translation as a horizontal shift in fractions of the
 * width (positive: right); brightness as an offset in fractions of the input range; contrast as a
 * gain about the image's mean; blur as a Gaussian's σ in pixels; noise as the σ of added Gaussian
 * noise in fractions of the input range.
 */
export const TRANSFORMS: Readonly<Record<TransformKind, Readonly<TransformInfo>>> = {
  rotation: { kind: 'rotation', identity: 0, range: [-180, 180], unit: '°' },
  scale: { kind: 'scale', identity: 1, range: [0.5, 2], unit: '×' },
  translation: { kind: 'translation', identity: 0, range: [-0.5, 0.5], unit: '× width' },
  brightness: { kind: 'brightness', identity: 0, range: [-0.8, 0.8], unit: '× range' },
  contrast: { kind: 'contrast', identity: 1, range: [0, 2], unit: '×' },
  blur: { kind: 'blur', identity: 0, range: [0, 4], unit: 'px σ' },
  noise: { kind: 'noise', identity: 0, range: [0, 0.5], unit: '× range σ' },
};

export function isTransformKind(v: unknown): v is TransformKind {
  return typeof v === 'string' && Object.hasOwn(TRANSFORMS, v);
}

/**
 * `steps` values evenly spaced over [from, to] (both ends included).
 * @example
 * sweepValues([-90, 90], 5) // [-90, -45, 0, 45, 90]
 */
export function sweepValues([from, to]: readonly [number, number], steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new CnnError('sweepValues', `steps must be a positive integer, got ${steps}`);
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new CnnError('sweepValues', `the range must be two finite numbers, got [${from}, ${to}]`);
  if (steps === 1) return [from];
  return Array.from({ length: steps }, (_, i) => from + ((to - from) * i) / (steps - 1));
}

export interface TransformOptions {
  /** The values black and white pixels have in x ([0, 1] by default; [0, 255] for byte models). */
  inputRange?: readonly [number, number];
  /** Seed of the noise pattern (the same pattern at every amplitude). */
  seed?: number;
}

/**
 * The 8-number map (tf.image.transform's layout; the last two are 0, so its first six are
 * affineWarp's matrix) of a geometric transformation with parameter `v` for an h × w image, or null
 * for a photometric one.
 * @example
 * warpMatrix('rotation', 90, 28, 28) // [0, -1, 27, 1, 0, 0, 0, 0]: output (x, y) reads input (27 − y, x), a quarter turn counter-clockwise
 */
export function warpMatrix(kind: TransformKind, v: number, h: number, w: number): number[] | null {
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  switch (kind) {
    case 'rotation': {
      // Output point o reads input c + R(o − c): with y pointing down, the picture turns counter-clockwise by v.
      const a = (v * Math.PI) / 180;
      const [cos, sin] = [Math.cos(a), Math.sin(a)];
      return [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy, 0, 0];
    }
    case 'scale':
      // A zoom by v about the centre: output o reads input c + (o − c) / v.
      return [1 / v, 0, cx - cx / v, 0, 1 / v, cy - cy / v, 0, 0];
    case 'translation':
      return [1, 0, -v * w, 0, 1, 0, 0, 0];
    default:
      return null;
  }
}

/**
 * x ([1, h, w, c]) transformed by `kind` at each of `values`: a [values.length, h, w, c] tensor the
 * caller owns, computed on the GPU in a dispatch or two. Geometric transformations fill what
 * comes in from outside the image with black (the low end of `inputRange`).
 * @example
 * const x = engine.tensor(pixels, [1, 28, 28, 1]);
 * const turned = await transformImages(engine, x, 'rotation', sweepValues([-90, 90], 7)); // [7, 28, 28, 1]
 */
export async function transformImages(engine: Engine, x: Tensor, kind: TransformKind, values: readonly number[], opts: TransformOptions = {}): Promise<Tensor> {
  const op = 'transformImages';
  if (!isTransformKind(kind)) throw new CnnError(op, `kind must be one of ${Object.keys(TRANSFORMS).join(', ')}, got ${JSON.stringify(kind)}`);
  if (x.rank !== 4 || x.shape[0] !== 1) throw new CnnError(op, `x must be one image [1, h, w, c], got ${shapeStr(x.shape)}`);
  if (!Array.isArray(values) || values.length === 0 || values.some((v) => !Number.isFinite(v))) {
    throw new CnnError(op, `values must be a non-empty array of finite numbers, got ${JSON.stringify(values)}`);
  }
  if (kind === 'scale' && values.some((v) => v <= 0)) throw new CnnError(op, `scale factors must be positive, got ${values.join(', ')}`);
  if ((kind === 'blur' || kind === 'noise') && values.some((v) => v < 0)) throw new CnnError(op, `${kind} amounts must be ≥ 0, got ${values.join(', ')}`);
  const [lo, hi] = opts.inputRange ?? [0, 1];
  const [, h, w] = x.shape as [number, number, number, number];
  const n = values.length;
  let params: Tensor;
  if (kind === 'rotation' || kind === 'scale' || kind === 'translation') {
    // affineWarp maps image b through matrix b: the batch holds one copy of x per value.
    const copies = n === 1 ? x : engine.concat(Array.from({ length: n }, () => x), 0);
    try {
      return engine.affineWarp(copies, { matrices: values.flatMap((v) => warpMatrix(kind, v, h, w)!.slice(0, 6)), fill: lo });
    } finally {
      if (copies !== x) copies.dispose();
    }
  }
  if (kind === 'blur') {
    params = engine.tensor(values, [n]);
    try {
      return blurImages(engine, x, params);
    } finally {
      params.dispose();
    }
  }
  const span = hi - lo;
  let rows: number[][];
  if (kind === 'contrast') {
    // A gain about the image's mean (tf.image.adjustContrast's level, over all channels): the mean stays, the differences scale.
    const m = engine.mean(x);
    let mean: number;
    try {
      mean = (await m.read())[0]!;
    } finally {
      m.dispose();
    }
    rows = values.map((v) => [v, (1 - v) * mean, 0]);
  } else if (kind === 'brightness') {
    rows = values.map((v) => [1, v * span, 0]);
  } else {
    rows = values.map((v) => [1, 0, v * span]);
  }
  params = engine.tensor(rows.flat(), [n, 3]);
  try {
    return adjustImages(engine, x, params, { range: [Math.min(lo, hi), Math.max(lo, hi)], seed: opts.seed ?? 1 });
  } finally {
    params.dispose();
  }
}
