import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectShape } from '../helpers/compare.js';
import type { CoordinateTransform, NearestMode, ResizeOptions } from '../../src/ops/resize.js';

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
type Pair = [number, number];

/**
 * ONNX Resize written the way its specification reads, in float64: per axis, the original
 * coordinate of each output index, then (linear) the two neighbours with edge padding weighted by
 * the fraction, or (nearest) the rounded index clamped to the input. Interpolates along the width,
 * then the height.
 */
function onnxResize(xs: ArrayLike<number>, shape: readonly number[], o: ResizeOptions): { y: Float64Array; shape: number[] } {
  const [n, h, w, c] = shape as [number, number, number, number];
  const [oh, ow] = o.size;
  const mode = o.mode ?? 'nearest';
  const t = o.coordinateTransform ?? 'half_pixel';
  const nm = o.nearestMode ?? 'round_prefer_floor';
  const original = (x: number, len: number, out: number, scale: number): number => {
    switch (t) {
      case 'half_pixel': return (x + 0.5) / scale - 0.5;
      case 'half_pixel_symmetric': {
        const adjustment = out / (scale * len);
        return (len / 2) * (1 - adjustment) + (x + 0.5) / scale - 0.5;
      }
      case 'pytorch_half_pixel': return out > 1 ? (x + 0.5) / scale - 0.5 : 0;
      case 'align_corners': return out === 1 ? 0 : (x * (len - 1)) / (out - 1);
      case 'asymmetric': return x / scale;
      case 'tf_half_pixel_for_nn': return (x + 0.5) / scale;
    }
  };
  const nearest = (v: number): number => {
    if (nm === 'floor') return Math.floor(v);
    if (nm === 'ceil') return Math.ceil(v);
    const fl = Math.floor(v);
    if (v - fl === 0.5) return nm === 'round_prefer_floor' ? fl : fl + 1;
    return Math.round(v);
  };
  const edge = (i: number, len: number) => Math.min(Math.max(i, 0), len - 1);
  /** (index, weight) pairs along one axis for output index x. */
  const taps = (x: number, len: number, out: number, scale: number): [number, number][] => {
    const v = original(x, len, out, scale);
    if (mode === 'nearest') return [[edge(nearest(v), len), 1]];
    const fl = Math.floor(v);
    const r = v - fl;
    return [[edge(fl, len), 1 - r], [edge(fl + 1, len), r]];
  };
  const [sh, sw] = o.scales ?? [oh / h, ow / w];
  const y = new Float64Array(n * oh * ow * c);
  let k = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (const [yi, wy] of taps(i, h, oh, sh)) {
            for (const [xj, wx] of taps(j, w, ow, sw)) s += wy * wx * xs[((b * h + yi) * w + xj) * c + ch]!;
          }
          y[k++] = s;
        }
      }
    }
  }
  return { y, shape: [n, oh, ow, c] };
}

/** The gradient of a linear map y = R(x): Rᵀ dy, from the reference applied to unit vectors. */
function referenceGrad(shape: readonly number[], o: ResizeOptions, dys: ArrayLike<number>): Float64Array {
  const n = sizeOf(shape);
  const dx = new Float64Array(n);
  const unit = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    unit[i] = 1;
    const { y } = onnxResize(unit, shape, o);
    let s = 0;
    for (let k = 0; k < y.length; k++) s += y[k]! * dys[k]!;
    dx[i] = s;
    unit[i] = 0;
  }
  return dx;
}

const TRANSFORMS: CoordinateTransform[] = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
const NEAREST: NearestMode[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

interface Case {
  x: [number, number, number, number];
  o: ResizeOptions;
}

const NAMED: Case[] = [
  { x: [1, 4, 4, 3], o: { size: [8, 8], mode: 'linear' } }, // 2× upsampling, half_pixel
  { x: [2, 3, 5, 4], o: { size: [7, 4], mode: 'linear', coordinateTransform: 'align_corners' } }, // up and down, vec4
  { x: [1, 6, 6, 2], o: { size: [3, 2], mode: 'linear', coordinateTransform: 'pytorch_half_pixel' } }, // downsampling
  { x: [1, 5, 4, 1], o: { size: [1, 1], mode: 'linear', coordinateTransform: 'pytorch_half_pixel' } }, // one output pixel
  { x: [1, 4, 4, 3], o: { size: [8, 8] } }, // ONNX's default: nearest, half_pixel, round_prefer_floor
  { x: [1, 3, 3, 2], o: { size: [6, 9], coordinateTransform: 'asymmetric', nearestMode: 'floor' } }, // Upsample's nearest
  { x: [1, 5, 7, 3], o: { size: [3, 4], coordinateTransform: 'align_corners', nearestMode: 'round_prefer_ceil' } },
  { x: [1, 4, 5, 2], o: { size: [6, 8], coordinateTransform: 'tf_half_pixel_for_nn', nearestMode: 'ceil' } },
  // ONNX scales that do not give a whole size: 5 × 1.5 → 7, sampled with the scale 1.5, not 7/5.
  { x: [1, 5, 5, 2], o: { size: [7, 7], scales: [1.5, 1.5], mode: 'linear', coordinateTransform: 'half_pixel_symmetric' } },
  { x: [1, 5, 3, 1], o: { size: [7, 4], scales: [1.5, 1.5], coordinateTransform: 'asymmetric', nearestMode: 'round_prefer_floor' } },
  { x: [1, 1, 1, 4], o: { size: [3, 2], mode: 'linear' } }, // one input pixel
];

function cases(seed: number, count: number): Case[] {
  const rng = new Rng(seed);
  const out = [...NAMED];
  while (out.length < NAMED.length + count) {
    const x: Case['x'] = [rng.int(1, 2), rng.int(1, 6), rng.int(1, 6), rng.pick([1, 2, 3, 4, 8])];
    const o: ResizeOptions = {
      size: [rng.int(1, 9), rng.int(1, 9)],
      mode: rng.pick(['nearest', 'linear'] as const),
      coordinateTransform: rng.pick(TRANSFORMS),
      nearestMode: rng.pick(NEAREST),
    };
    out.push({ x, o });
  }
  return out;
}

describe('resize', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('the float64 reference agrees with tf.image.resizeBilinear and resizeNearestNeighbor where their settings match', () => {
    const rng = new Rng(100);
    for (const [shape, size] of [[[1, 4, 5, 2], [7, 3]], [[2, 3, 3, 1], [6, 6]], [[1, 6, 4, 3], [4, 9]]] as [number[], Pair][]) {
      const xs = rng.uniform(sizeOf(shape));
      const tx = tf.tensor4d(xs, shape as [number, number, number, number]);
      const pairs: [tf.Tensor, ResizeOptions][] = [
        [tf.image.resizeBilinear(tx, size), { size, mode: 'linear', coordinateTransform: 'asymmetric' }],
        [tf.image.resizeBilinear(tx, size, false, true), { size, mode: 'linear', coordinateTransform: 'half_pixel' }],
        [tf.image.resizeBilinear(tx, size, true), { size, mode: 'linear', coordinateTransform: 'align_corners' }],
        [tf.image.resizeNearestNeighbor(tx, size), { size, coordinateTransform: 'asymmetric', nearestMode: 'floor' }],
        [tf.image.resizeNearestNeighbor(tx, size, false, true), { size, coordinateTransform: 'tf_half_pixel_for_nn', nearestMode: 'floor' }],
        [tf.image.resizeNearestNeighbor(tx, size, true), { size, coordinateTransform: 'align_corners', nearestMode: 'round_prefer_ceil' }],
      ];
      for (const [want, o] of pairs) expectClose(onnxResize(xs, shape, o).y, want.dataSync(), `reference ${JSON.stringify(o)}`, 1e-6);
    }
  });

  // TF.js's CPU gradients are an oracle only in part: ResizeBilinearGrad returns shape
  // [n, w, h, c] for non-square inputs (tf.grads refuses it) and, with halfPixelCenters, is not the
  // transpose of its forward; ResizeNearestNeighborGrad is not either. The exact gradient, Rᵀ·dy
  // of the float64 reference, is checked in every setting by the next test.
  gpuIt(`matches tf.image.resizeBilinear / resizeNearestNeighbor in every TF.js setting, and resizeBilinear's tf.grads where TF.js's is right`, async (e) => {
    const rng = new Rng(101);
    let gradsCompared = 0;
    for (const [shape, size] of [[[1, 4, 5, 2], [7, 3]], [[2, 3, 3, 4], [6, 6]], [[1, 6, 4, 3], [4, 9]], [[1, 5, 5, 1], [2, 2]], [[1, 4, 4, 3], [7, 3]]] as [number[], Pair][]) {
      const xs = rng.uniform(sizeOf(shape));
      const dys = rng.uniform(shape[0]! * size[0] * size[1] * shape[3]!);
      const settings: [(t: tf.Tensor) => tf.Tensor, ResizeOptions][] = [
        [(t) => tf.image.resizeBilinear(t as tf.Tensor4D, size), { size, mode: 'linear', coordinateTransform: 'asymmetric' }],
        [(t) => tf.image.resizeBilinear(t as tf.Tensor4D, size, false, true), { size, mode: 'linear', coordinateTransform: 'half_pixel' }],
        [(t) => tf.image.resizeBilinear(t as tf.Tensor4D, size, true), { size, mode: 'linear', coordinateTransform: 'align_corners' }],
        [(t) => tf.image.resizeNearestNeighbor(t as tf.Tensor4D, size), { size, coordinateTransform: 'asymmetric', nearestMode: 'floor' }],
        [(t) => tf.image.resizeNearestNeighbor(t as tf.Tensor4D, size, false, true), { size, coordinateTransform: 'tf_half_pixel_for_nn', nearestMode: 'floor' }],
        [(t) => tf.image.resizeNearestNeighbor(t as tf.Tensor4D, size, true), { size, coordinateTransform: 'align_corners', nearestMode: 'round_prefer_ceil' }],
      ];
      const x = e.tensor(xs, shape);
      const dy = e.tensor(dys, [shape[0]!, ...size, shape[3]!]);
      for (const [f, o] of settings) {
        const what = `${JSON.stringify(shape)} ${JSON.stringify(o)}`;
        const gradOracle = shape[1] === shape[2] && o.mode === 'linear' && o.coordinateTransform !== 'half_pixel';
        const tx = tf.tensor(xs, shape);
        const ref = { y: f(tx).dataSync(), dx: gradOracle ? tf.grads(f)([tx], tf.tensor(dys, dy.shape as number[]))[0]!.dataSync() : null };
        expectClose(await e.resize(x, o).read(), ref.y, `y ${what}`);
        if (ref.dx) {
          expectClose(await e.resizeGrad(dy, shape, o).read(), ref.dx, `dx ${what}`);
          gradsCompared++;
        }
      }
    }
    expect(gradsCompared).to.equal(6);
  });

  gpuIt(`matches the ONNX formulas (every transform and nearest mode, scales) and their exact gradient on ${NAMED.length} named and 20 random cases`, async (e) => {
    const rng = new Rng(102);
    for (const c of cases(10201, 20)) {
      const what = `${JSON.stringify(c.x)} ${JSON.stringify(c.o)}`;
      const xs = rng.uniform(sizeOf(c.x));
      const ref = onnxResize(xs, c.x, c.o);
      const dys = rng.uniform(ref.y.length);
      const x = e.tensor(xs, c.x);
      const y = e.resize(x, c.o);
      expectShape(y.shape, ref.shape, what);
      expectClose(await y.read(), ref.y, `y ${what}`);
      expectClose(await e.resizeGrad(e.tensor(dys, ref.shape), c.x, c.o).read(), referenceGrad(c.x, c.o, dys), `dx ${what}`);
    }
  });

  gpuIt('nearest copies infinities and NaN through untouched; one [h, w, c] image works', async (e) => {
    const x = e.tensor([Infinity, 1, NaN, -Infinity], [1, 2, 2, 1]);
    const y = await e.resize(x, { size: [4, 4], coordinateTransform: 'asymmetric', nearestMode: 'floor' }).read();
    expect([...y].map(String)).to.deep.equal(['Infinity', 'Infinity', '1', '1', 'Infinity', 'Infinity', '1', '1', 'NaN', 'NaN', '-Infinity', '-Infinity', 'NaN', 'NaN', '-Infinity', '-Infinity']);
    const img = e.resize(e.tensor([1, 2, 3, 4], [2, 2, 1]), { size: [1, 1], mode: 'linear' });
    expectShape(img.shape, [1, 1, 1], 'one image');
    expect([...(await img.read())]).to.deep.equal([2.5]);
  });

  // TF.js interpolates as a + (b − a)·t, so ∞ next to a finite value gives ∞ − ∞ = NaN; the kernel
  // weighs (1 − t)·a + t·b, which gives ∞ (IEEE, and ONNX Runtime's form). Either way the output is
  // not finite exactly where TF.js's is not, and a NaN tap makes NaN.
  gpuIt('linear keeps NaN and ±Infinity non-finite exactly where TF.js does, and NaN taps give NaN', async (e) => {
    const xs = [NaN, 1, 2, Infinity, 0.5, -1, 3, -Infinity, 0, 4, 1, 2];
    const x = e.tensor(xs, [1, 3, 4, 1]);
    const tx = tf.tensor4d(xs, [1, 3, 4, 1]);
    for (const [ref, o] of [
      [tf.image.resizeBilinear(tx, [5, 7]), { size: [5, 7], mode: 'linear', coordinateTransform: 'asymmetric' }],
      [tf.image.resizeBilinear(tx, [5, 7], false, true), { size: [5, 7], mode: 'linear', coordinateTransform: 'half_pixel' }],
    ] as const) {
      const got = await e.resize(x, o).read();
      const want = ref.dataSync();
      const finite = (a: ArrayLike<number>) => Array.from(a, Number.isFinite);
      expect(finite(got), o.coordinateTransform).to.deep.equal(finite(want));
      expect(Number.isNaN(got[0]!), `${o.coordinateTransform}: the corner on the NaN`).to.equal(true);
      expectClose(Array.from(got).filter(Number.isFinite), Array.from(want).filter(Number.isFinite), `${o.coordinateTransform}: the finite outputs`);
    }
  });

  gpuIt('bad arguments throw errors that name the op and shapes, and the engine keeps working', async (e) => {
    const x = e.tensor(new Float32Array(12), [1, 2, 2, 3]);
    expectThrowsNoLeak(e, () => e.resize(x, { size: [0, 2] }), /resize: size must be \[height, width\] of positive integers, got \[0,2\]/);
    expectThrowsNoLeak(e, () => e.resize(x, { size: [2, 2], mode: 'cubic' as 'linear' }), /resize: mode must be 'nearest' or 'linear', got "cubic"/);
    expectThrowsNoLeak(e, () => e.resize(x, { size: [2, 2], coordinateTransform: 'tf_crop_and_resize' as 'asymmetric' }), /resize: coordinateTransform must be one of half_pixel, .*got "tf_crop_and_resize"/);
    expectThrowsNoLeak(e, () => e.resize(x, { size: [2, 2], nearestMode: 'round' as 'floor' }), /resize: nearestMode must be one of/);
    expectThrowsNoLeak(e, () => e.resize(x, { size: [2, 2], scales: [0, 1] }), /resize: scales must be \[scaleH, scaleW\] of positive numbers/);
    {
      const bad = e.tensor(new Float32Array(4), [4]);
      expectThrowsNoLeak(e, () => e.resize(bad, { size: [2, 2] }), /resize: x must have rank 4, got shape \[4\]/);
    }
    {
      const bad = e.tensor(new Float32Array(12), [1, 2, 2, 3]);
      expectThrowsNoLeak(e, () => e.resizeGrad(bad, [1, 3, 3, 3], { size: [4, 4] }), /resizeGrad: dy \[1, 2, 2, 3\] must have the resized shape \[1, 4, 4, 3\] of xShape \[1, 3, 3, 3\]/);
    }
    expectShape(e.resize(x, { size: [3, 5], mode: 'linear' }).shape, [1, 3, 5, 3], 'valid call after errors');
  });
});
