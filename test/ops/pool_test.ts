import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectShape } from '../helpers/compare.js';
import type { Engine } from '../../src/engine.js';
import type { Pool2dOptions } from '../../src/ops/pool.js';

type Pair = [number, number];
type Pad = 'same' | 'valid' | number | [Pair, Pair];
interface Case {
  shape: [number, number, number, number];
  filter: Pair;
  strides: Pair;
  pad: Pad;
}
type TfPad = Parameters<typeof tf.maxPool>[3];

const opts = (c: Case): Pool2dOptions => ({ filterSize: c.filter, strides: c.strides, pad: c.pad });
const tfPad = (p: Pad): TfPad => (Array.isArray(p) ? [[0, 0], p[0], p[1], [0, 0]] : p) as TfPad;
const label = (c: Case): string => JSON.stringify(c);
const sizeOf = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

// Named cases cover each feature on purpose; random ones fill the space between them.
const NAMED: Case[] = [
  { shape: [2, 5, 7, 3], filter: [2, 2], strides: [2, 2], pad: 'valid' },
  { shape: [1, 9, 9, 5], filter: [3, 3], strides: [1, 1], pad: 'same' }, // overlapping windows
  { shape: [3, 4, 6, 2], filter: [2, 3], strides: [1, 2], pad: 'same' }, // even filter height
  { shape: [1, 6, 7, 5], filter: [4, 4], strides: [2, 2], pad: 'same' }, // even filter, odd sizes
  { shape: [2, 6, 5, 3], filter: [1, 1], strides: [1, 1], pad: 'valid' }, // TF.js copies x here
  { shape: [1, 7, 5, 2], filter: [1, 1], strides: [2, 2], pad: 'same' },
  { shape: [1, 11, 9, 3], filter: [5, 5], strides: [4, 4], pad: 'same' },
  { shape: [1, 13, 11, 2], filter: [7, 7], strides: [3, 2], pad: 'same' },
  { shape: [1, 7, 6, 3], filter: [3, 3], strides: [2, 2], pad: [[1, 2], [0, 2]] }, // asymmetric
  { shape: [2, 5, 6, 3], filter: [3, 3], strides: [2, 2], pad: 1 },
  { shape: [2, 3, 3, 7], filter: [3, 3], strides: [3, 3], pad: 'valid' }, // one output pixel
  { shape: [1, 7, 7, 1], filter: [7, 7], strides: [1, 1], pad: 'valid' }, // one output pixel
  { shape: [1, 9, 8, 2], filter: [3, 2], strides: [4, 4], pad: [[2, 0], [1, 1]] },
  // channels % 4 == 0: the 4-channels-per-thread kernels, against the same oracle.
  { shape: [2, 6, 6, 4], filter: [2, 2], strides: [2, 2], pad: 'valid' },
  { shape: [1, 9, 9, 8], filter: [3, 3], strides: [1, 1], pad: 'same' }, // overlapping windows
  { shape: [1, 7, 6, 4], filter: [3, 3], strides: [2, 2], pad: [[1, 2], [0, 2]] }, // asymmetric
  { shape: [1, 9, 8, 8], filter: [3, 2], strides: [4, 4], pad: [[2, 0], [1, 1]] },
  { shape: [2, 5, 6, 12], filter: [3, 3], strides: [3, 3], pad: 'same' },
  { shape: [1, 4, 3, 4], filter: [1, 1], strides: [1, 1], pad: 'valid' }, // TF.js copies x here
  // channels % 2 == 0: two channels per thread.
  { shape: [2, 7, 9, 6], filter: [2, 2], strides: [2, 2], pad: 'valid' }, // a row and column in no window
  { shape: [1, 8, 8, 10], filter: [2, 2], strides: [3, 3], pad: 'valid' }, // gaps between windows
  { shape: [1, 9, 9, 2], filter: [3, 3], strides: [2, 2], pad: 'same' }, // overlapping windows
];

/** Every oracle comparison runs on both: 'auto' takes 4 or 2 channels per thread where they divide the channels, 'scalar' 1. */
const PATHS = ['auto', 'scalar'] as const;

function randomCase(rng: Rng): Case {
  for (;;) {
    const shape: Case['shape'] = [rng.int(1, 3), rng.int(1, 10), rng.int(1, 10), rng.pick([1, 2, 3, 4, 5, 6, 7, 8])];
    const filter: Pair = [rng.int(1, 5), rng.int(1, 5)];
    const strides: Pair = [rng.int(1, 4), rng.int(1, 4)];
    const kind = rng.pick(['same', 'valid', 'explicit', 'number'] as const);
    let pad: Pad = kind === 'same' ? 'same' : 'valid';
    if (kind === 'number') {
      // TF.js sizes the output width of a numeric pad from the filter height and row stride;
      // square windows and strides keep that quirk out of the comparison.
      filter[1] = filter[0];
      strides[1] = strides[0];
      pad = rng.int(0, filter[0] - 1);
    } else if (kind === 'explicit') {
      // Pads smaller than the window keep every window partly inside x (see the −∞/NaN test).
      pad = [[rng.int(0, filter[0] - 1), rng.int(0, filter[0] - 1)], [rng.int(0, filter[1] - 1), rng.int(0, filter[1] - 1)]];
    }
    const [padH, padW] = typeof pad === 'number' ? [2 * pad, 2 * pad] : Array.isArray(pad) ? [pad[0][0] + pad[0][1], pad[1][0] + pad[1][1]] : [0, 0];
    if (pad !== 'same' && (filter[0] > shape[1] + padH || filter[1] > shape[2] + padW)) continue;
    return { shape, filter, strides, pad };
  }
}

function cases(seed: number): Case[] {
  const rng = new Rng(seed);
  return [...NAMED, ...Array.from({ length: 20 }, () => randomCase(rng))];
}

/** Inputs for case `i`: every other case is drawn from {0, 1, 2} so windows hold ties. */
function inputs(rng: Rng, c: Case, i: number): Float32Array {
  const n = sizeOf(c.shape);
  if (i % 2 === 0) return rng.uniform(n, -3, 3);
  return Float32Array.from({ length: n }, () => rng.int(0, 2));
}

/** The output shape TF.js gives, so the dy fed to both sides has the same shape. */
function outShape(c: Case): number[] {
  return tf.maxPool(tf.zeros(c.shape) as tf.Tensor4D, c.filter, c.strides, tfPad(c.pad)).shape;
}

/**
 * The true gradient of average pooling, from an independent formulation TF.js differentiates
 * exactly: the window sum (a depthwise convolution with ones) divided by the in-bounds count.
 */
function trueAvgGrad(c: Case, xs: Float32Array, dys: Float32Array, yShape: number[]): Float32Array {
  return tf.tidy(() => {
    const [, h, w, ch] = c.shape;
    const ones = tf.ones([c.filter[0], c.filter[1], ch, 1]) as tf.Tensor4D;
    const count = tf.conv2d(tf.ones([1, h, w, 1]) as tf.Tensor4D, tf.ones([c.filter[0], c.filter[1], 1, 1]) as tf.Tensor4D, c.strides, tfPad(c.pad));
    const mean = (x: tf.Tensor) => tf.div(tf.depthwiseConv2d(x as tf.Tensor4D, ones, c.strides, tfPad(c.pad)), count);
    const [dx] = tf.grads(mean)([tf.tensor(xs, c.shape)], tf.tensor(dys, yShape));
    return dx!.dataSync() as Float32Array;
  });
}

/**
 * Whether some window of `c` covers padding. TF.js's CPU AvgPoolGrad divides by the full window
 * size there even though its forward divides by the in-bounds count, so its gradient is not the
 * gradient of its own avgPool; tf.grad(tf.avgPool) serves as an oracle only where no window does.
 */
function windowsTouchPadding(c: Case, yShape: number[]): boolean {
  const touches = (len: number, k: number, s: number, out: number, before: number) =>
    before > 0 || (out - 1) * s - before + k > len;
  const [top, left] = c.pad === 'same' || c.pad === 'valid'
    ? samePads(c)
    : typeof c.pad === 'number' ? [c.pad, c.pad] : [c.pad[0][0], c.pad[1][0]];
  return touches(c.shape[1], c.filter[0], c.strides[0], yShape[1]!, top) || touches(c.shape[2], c.filter[1], c.strides[1], yShape[2]!, left);
}

function samePads(c: Case): Pair {
  if (c.pad === 'valid') return [0, 0];
  const along = (len: number, k: number, s: number) => Math.max(0, (Math.ceil(len / s) - 1) * s + k - len);
  return [Math.floor(along(c.shape[1], c.filter[0], c.strides[0]) / 2), Math.floor(along(c.shape[2], c.filter[1], c.strides[1]) / 2)];
}

/**
 * Central differences of L(x) = Σ dy · pool(x), all perturbations in one batched forward pass:
 * image 2k holds x + eps at element k, image 2k + 1 holds x − eps there.
 */
async function finiteDifferences(e: Engine, kind: 'max' | 'avg', c: Case, xs: Float32Array, dys: Float32Array, eps: number): Promise<Float32Array> {
  const n = xs.length;
  const batch = new Float32Array(2 * n * n);
  for (let k = 0; k < n; k++) {
    batch.set(xs, 2 * k * n);
    batch.set(xs, (2 * k + 1) * n);
    batch[2 * k * n + k] += eps;
    batch[(2 * k + 1) * n + k] -= eps;
  }
  const x = e.tensor(batch, [2 * n, ...c.shape.slice(1)]);
  const y = kind === 'max' ? e.maxPool2d(x, opts(c)) : e.avgPool2d(x, opts(c));
  const ys = await y.read();
  const m = dys.length;
  const grad = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    let plus = 0;
    let minus = 0;
    for (let j = 0; j < m; j++) {
      plus += dys[j]! * ys[2 * k * m + j]!;
      minus += dys[j]! * ys[(2 * k + 1) * m + j]!;
    }
    grad[k] = (plus - minus) / (2 * eps);
  }
  x.dispose();
  y.dispose();
  return grad;
}

describe('pooling', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt(`maxPool2d and maxPool2dGrad match TensorFlow.js on ${NAMED.length} named and 20 random cases, ties included, on both paths`, async (e) => {
    for (const path of PATHS) {
      e.tuning.pool = path;
      const rng = new Rng(7);
      for (const [i, c] of cases(1234).entries()) {
        const xs = inputs(rng, c, i);
        const yShape = outShape(c);
        const dys = rng.uniform(sizeOf(yShape));
        const tx = tf.tensor(xs, c.shape) as tf.Tensor4D;
        const ref = tf.maxPool(tx, c.filter, c.strides, tfPad(c.pad));
        const [refDx] = tf.grads((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, c.filter, c.strides, tfPad(c.pad)))([tx], tf.tensor(dys, yShape));
        const x = e.tensor(xs, c.shape);
        const dy = e.tensor(dys, yShape);
        const y = e.maxPool2d(x, opts(c));
        const dx = e.maxPool2dGrad(dy, x, opts(c));
        expectShape(y.shape, yShape, label(c));
        expectClose(await y.read(), ref.dataSync(), `maxPool2d ${path} ${label(c)}`);
        expectClose(await dx.read(), refDx!.dataSync(), `maxPool2dGrad ${path} ${label(c)}`);
        for (const t of [x, dy, y, dx]) t.dispose();
      }
    }
    e.tuning.pool = 'auto';
  });

  gpuIt(`avgPool2d and avgPool2dGrad match TensorFlow.js on ${NAMED.length} named and 20 random cases, on both paths`, async (e) => {
    let comparedWithTfGrad = 0;
    for (const path of PATHS) {
      e.tuning.pool = path;
      const rng = new Rng(8);
      for (const [i, c] of cases(5678).entries()) {
        const xs = inputs(rng, c, i);
        const yShape = outShape(c);
        const dys = rng.uniform(sizeOf(yShape));
        const tx = tf.tensor(xs, c.shape) as tf.Tensor4D;
        const x = e.tensor(xs, c.shape);
        const dy = e.tensor(dys, yShape);
        const y = e.avgPool2d(x, opts(c));
        const dx = e.avgPool2dGrad(dy, c.shape, opts(c));
        expectShape(y.shape, yShape, label(c));
        expectClose(await y.read(), tf.avgPool(tx, c.filter, c.strides, tfPad(c.pad)).dataSync(), `avgPool2d ${path} ${label(c)}`);
        const got = await dx.read();
        expectClose(got, trueAvgGrad(c, xs, dys, yShape), `avgPool2dGrad ${path} ${label(c)}`);
        if (!windowsTouchPadding(c, yShape)) {
          const [refDx] = tf.grads((t: tf.Tensor) => tf.avgPool(t as tf.Tensor4D, c.filter, c.strides, tfPad(c.pad)))([tx], tf.tensor(dys, yShape));
          expectClose(got, refDx!.dataSync(), `avgPool2dGrad vs tf.grad ${path} ${label(c)}`);
          comparedWithTfGrad++;
        }
        for (const t of [x, dy, y, dx]) t.dispose();
      }
    }
    e.tuning.pool = 'auto';
    expect(comparedWithTfGrad).to.be.at.least(12);
  });

  gpuIt('strides default to the filter size and pad to valid', async (e) => {
    const rng = new Rng(3);
    const xs = rng.uniform(2 * 6 * 6 * 3);
    const x = e.tensor(xs, [2, 6, 6, 3]);
    const tx = tf.tensor(xs, [2, 6, 6, 3]) as tf.Tensor4D;
    const y = e.maxPool2d(x, { filterSize: [3, 2] });
    expectShape(y.shape, [2, 2, 3, 3], 'default strides');
    expectClose(await y.read(), tf.maxPool(tx, [3, 2], [3, 2], 'valid').dataSync(), 'default strides');
    expectClose(await e.avgPool2d(x, { filterSize: 2 }).read(), tf.avgPool(tx, 2, 2, 'valid').dataSync(), 'default strides');
  });

  const FD_CASES: Case[] = [
    { shape: [1, 4, 5, 2], filter: [2, 2], strides: [1, 1], pad: 'valid' },
    { shape: [1, 5, 4, 2], filter: [3, 2], strides: [2, 1], pad: 'same' },
    { shape: [1, 4, 4, 1], filter: [4, 4], strides: [1, 1], pad: 'same' },
    { shape: [1, 5, 5, 1], filter: [3, 3], strides: [2, 2], pad: [[2, 0], [1, 2]] },
    { shape: [1, 3, 4, 2], filter: [2, 2], strides: [2, 2], pad: 1 },
    { shape: [1, 4, 4, 4], filter: [2, 2], strides: [2, 2], pad: 'valid' }, // vec4 kernels
    { shape: [1, 3, 4, 4], filter: [2, 3], strides: [2, 2], pad: 'same' },
  ];

  for (const kind of ['max', 'avg'] as const) {
    gpuIt(`${kind}Pool2dGrad agrees with central finite differences, padding included, on both paths`, async (e) => {
      for (const path of PATHS) {
        e.tuning.pool = path;
        const rng = new Rng(kind === 'max' ? 11 : 12);
        for (const c of FD_CASES) {
          const n = sizeOf(c.shape);
          // Distinct values 0.1 apart, so a ±eps step never reorders a window's maximum.
          const order = Array.from({ length: n }, (_, i) => i).sort(() => rng.next() - 0.5);
          const xs = Float32Array.from(order, (v) => 0.1 * v - 1);
          const x = e.tensor(xs, c.shape);
          const y = kind === 'max' ? e.maxPool2d(x, opts(c)) : e.avgPool2d(x, opts(c));
          const dys = rng.uniform(y.size);
          const dy = e.tensor(dys, y.shape);
          const dx = kind === 'max' ? e.maxPool2dGrad(dy, x, opts(c)) : e.avgPool2dGrad(dy, c.shape, opts(c));
          const fd = await finiteDifferences(e, kind, c, xs, dys, 1e-2);
          expectClose(await dx.read(), fd, `${kind}Pool2dGrad vs finite differences ${path} ${label(c)}`, 1e-2);
          for (const t of [x, y, dy, dx]) t.dispose();
        }
      }
      e.tuning.pool = 'auto';
    });
  }

  // TF.js's CPU max pool skips NaN (it takes a value only when strictly greater), which would hide
  // a NaN from the trainer's non-finite check; here, as in ONNX's MaxPool and PyTorch, a window
  // holding NaN gives NaN, and its gradient goes to the window's first NaN.
  gpuIt('max of a window holding NaN is NaN, and windows wholly in padding give −∞ (max) and NaN (avg), as TF.js', async (e) => {
    const xs = [1, NaN, 3, 2];
    const x = e.tensor(xs, [1, 2, 2, 1]);
    const tx = tf.tensor(xs, [1, 2, 2, 1]) as tf.Tensor4D;
    expect([...(await e.maxPool2d(x, { filterSize: 2, strides: 1 }).read())]).to.deep.equal([NaN]);
    expect([...(await e.maxPool2dGrad(e.tensor([5], [1, 1, 1, 1]), x, { filterSize: 2 }).read())]).to.deep.equal([0, 5, 0, 0]);
    // A 1×1 window keeping the shape is a copy, as in TF.js, NaN and all.
    const copy = await e.maxPool2d(x, { filterSize: 1, strides: 1 }).read();
    expect([...copy].map(String)).to.deep.equal([...tf.maxPool(tx, 1, 1, 'valid').dataSync()].map(String));
    const dx = await e.maxPool2dGrad(e.tensor([1, 1, 1, 1], [1, 2, 2, 1]), x, { filterSize: 1, strides: 1 }).read();
    expect([...dx]).to.deep.equal([1, 1, 1, 1]);

    const finite = e.tensor([1, 2, 3, 4], [1, 2, 2, 1]);
    const tFinite = tf.tensor([1, 2, 3, 4], [1, 2, 2, 1]) as tf.Tensor4D;
    const pad: Pad = [[3, 0], [0, 0]];
    const maxRef = [...tf.maxPool(tFinite, 2, 1, tfPad(pad)).dataSync()].map(String);
    const avgRef = [...tf.avgPool(tFinite, 2, 1, tfPad(pad)).dataSync()].map(String);
    expect(maxRef).to.deep.equal(['-Infinity', '-Infinity', '2', '4']);
    expect([...(await e.maxPool2d(finite, { filterSize: 2, strides: 1, pad }).read())].map(String)).to.deep.equal(maxRef);
    expect([...(await e.avgPool2d(finite, { filterSize: 2, strides: 1, pad }).read())].map(String)).to.deep.equal(avgRef);
  });

  gpuIt('the vec4 kernels keep NaN, −∞ and all-padding windows lane by lane (NaN wins a max window, unlike TF.js)', async (e) => {
    // 4 channels: lane 0 finite with ties, lane 1 holds a NaN, lane 2 a −∞, lane 3 all NaN.
    // TF.js's max skips NaN (see above), giving 4 for lane 1 and −∞ for lane 3; its answer with NaN
    // in those lanes is the oracle.
    const xs = [1, NaN, -Infinity, NaN, 3, 2, 5, NaN, 3, 4, -Infinity, NaN, 0, NaN, 1, NaN];
    const shape: Case['shape'] = [1, 2, 2, 4];
    const tx = tf.tensor(xs, shape) as tf.Tensor4D;
    const x = e.tensor(xs, shape);
    const str = (a: ArrayLike<number>) => Array.from(a, String);
    for (const path of PATHS) {
      e.tuning.pool = path;
      const maxRef = str(tf.maxPool(tx, 2, 2, 'valid').dataSync());
      maxRef[1] = maxRef[3] = 'NaN';
      expect(str(await e.maxPool2d(x, { filterSize: 2 }).read()), path).to.deep.equal(maxRef);
      // Lane 0's tie (3 at (0, 1) and (1, 0)) goes to the first; lanes 1 and 3 to their first NaN;
      // −∞ receives nothing.
      const dx = await e.maxPool2dGrad(e.tensor([1, 2, 3, 4], [1, 1, 1, 4]), x, { filterSize: 2 }).read();
      expect([...dx], path).to.deep.equal([0, 2, 0, 4, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      const pad: Pad = [[3, 0], [0, 0]];
      for (const kind of ['max', 'avg'] as const) {
        const got = kind === 'max' ? e.maxPool2d(x, { filterSize: 2, strides: 1, pad }) : e.avgPool2d(x, { filterSize: 2, strides: 1, pad });
        const ref = str((kind === 'max' ? tf.maxPool(tx, 2, 1, tfPad(pad)) : tf.avgPool(tx, 2, 1, tfPad(pad))).dataSync());
        // Output rows 2 and 3 reach the input, and so the NaN of lanes 1 and 3.
        if (kind === 'max') ref[2 * 4 + 1] = ref[3 * 4 + 1] = ref[2 * 4 + 3] = ref[3 * 4 + 3] = 'NaN';
        expect(str(await got.read()), `${kind} ${path}`).to.deep.equal(ref);
      }
    }
    e.tuning.pool = 'auto';
  });

  gpuIt('an empty batch gives an empty output of the pooled shape', async (e) => {
    const x = e.tensor([], [0, 4, 5, 3]);
    const y = e.maxPool2d(x, { filterSize: 2, strides: 2 });
    expectShape(y.shape, [0, 2, 2, 3], 'empty batch');
    expect((await y.read()).length).to.equal(0);
    expectShape(e.avgPool2dGrad(y, [0, 4, 5, 3], { filterSize: 2 }).shape, [0, 4, 5, 3], 'empty batch grad');
  });

  gpuIt('outputs and gradients beyond 65,535 workgroups use the second grid dimension', async (e) => {
    // 4100 × 4099 outputs need more than 65,535 × 256 threads, so the grid spills into y.
    const [h, w] = [4100, 4100];
    const xs = new Float32Array(h * w);
    for (let i = 0; i < xs.length; i++) xs[i] = (i * 7919) % 1013;
    const x = e.tensor(xs, [1, h, w, 1]);
    const o: Pool2dOptions = { filterSize: [1, 2], strides: 1 };
    const y = await e.maxPool2d(x, o).read();
    const want = new Float32Array(h * (w - 1));
    for (let r = 0; r < h; r++) for (let c = 0; c < w - 1; c++) want[r * (w - 1) + c] = Math.max(xs[r * w + c]!, xs[r * w + c + 1]!);
    expectClose(y, want, 'maxPool2d on a 2-D grid');
    const dx = await e.avgPool2dGrad(e.tensor(new Float32Array(h * (w - 1)).fill(2), [1, h, w - 1, 1]), [1, h, w, 1], o).read();
    // Inner columns sit in two windows of two, edge columns in one.
    const expectDx = Float32Array.from({ length: h * w }, (_, i) => (i % w === 0 || i % w === w - 1 ? 1 : 2));
    expectClose(dx, expectDx, 'avgPool2dGrad on a 2-D grid');
  });

  gpuIt('bad arguments throw naming the op and shapes, before allocating, and the engine keeps working', async (e) => {
    const x = e.tensor(new Float32Array(16), [1, 4, 4, 1]);
    const x3 = e.tensor(new Float32Array(32), [4, 4, 2]);
    const x2 = e.tensor(new Float32Array(8), [4, 2]);
    const dyBad = e.tensor(new Float32Array(9), [1, 3, 3, 1]);
    const before = e.memory().buffers;
    const o: Pool2dOptions = { filterSize: 2, strides: 2 };
    // One [h, w, c] image is valid (test/ops/single_image_test.ts); rank 2 is not.
    expectThrowsNoLeak(e, () => e.maxPool2d(x2, o), /maxPool2d: x must have rank 4, got shape \[4, 2\]/);
    expectThrowsNoLeak(e, () => e.avgPool2d(x2, o), /avgPool2d: x must have rank 4, got shape \[4, 2\]/);
    expectThrowsNoLeak(e, () => e.maxPool2d(x, { filterSize: 5, strides: 1 }), /maxPool2d: the 5×5 window .*larger than the padded input \(4×4\) of x \[1, 4, 4, 1\]/);
    expectThrowsNoLeak(e, () => e.avgPool2d(x, { filterSize: [2, 6], strides: 1, pad: [[0, 0], [1, 0]] }), /avgPool2d: the 2×6 window .*\(4×5\) of x \[1, 4, 4, 1\]/);
    expectThrowsNoLeak(e, () => e.maxPool2d(x, { filterSize: 0 }), /maxPool2d: filterSize must be a positive integer .*got 0/);
    expectThrowsNoLeak(e, () => e.maxPool2d(x, { filterSize: [2, 1.5] }), /maxPool2d: filterSize .*\[2,1.5\]/);
    expectThrowsNoLeak(e, () => e.avgPool2d(x, { filterSize: 2, strides: 0 }), /avgPool2d: strides must be a positive integer/);
    expectThrowsNoLeak(e, () => e.maxPool2dGrad(dyBad, x, o), /maxPool2dGrad: dy \[1, 3, 3, 1\] must have the pooled output shape \[1, 2, 2, 1\] of x \[1, 4, 4, 1\]/);
    expectThrowsNoLeak(e, () => e.avgPool2dGrad(dyBad, [1, 4, 4, 1], o), /avgPool2dGrad: dy \[1, 3, 3, 1\] must have the pooled output shape \[1, 2, 2, 1\] of xShape \[1, 4, 4, 1\]/);
    expectThrowsNoLeak(e, () => e.avgPool2dGrad(dyBad, [1, 4, 4], o), /avgPool2dGrad: xShape must be 4 non-negative integers, got \[1, 4, 4\]/);
    expectThrowsNoLeak(e, () => e.maxPool2dGrad(x3, x, o), /maxPool2dGrad: dy must have rank 4, got shape \[4, 4, 2\]/);
    x3.dispose();
    expectThrowsNoLeak(e, () => e.avgPool2d(x3, o), /avgPool2d: x \(shape \[4, 4, 2\]\) was used after dispose\(\)/);
    expectThrowsNoLeak(e, () => e.maxPool2dGrad(dyBad, x3, o), /maxPool2dGrad: x \(shape \[4, 4, 2\]\) was used after dispose\(\)/);
    expect(e.memory().buffers).to.equal(before - 1);

    const y = e.maxPool2d(e.tensor([1, 5, 2, 0], [1, 2, 2, 1]), { filterSize: 2 });
    expect([...(await y.read())]).to.deep.equal([5]);
    const dx = e.maxPool2dGrad(e.tensor([3], [1, 1, 1, 1]), e.tensor([1, 5, 2, 5], [1, 2, 2, 1]), { filterSize: 2 });
    expect([...(await dx.read())]).to.deep.equal([0, 3, 0, 0]);
  });
});
