import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectSameNonFinite, expectShape } from '../helpers/compare.js';
import { numericGradient } from '../helpers/finite_diff.js';
import type { LrnOptions } from '../../src/ops/lrn.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

interface TfCase {
  x: number[];
  depthRadius: number;
  bias: number;
  alpha: number;
  beta: number;
}

const NAMED: TfCase[] = [
  { x: [2, 5, 5, 8], depthRadius: 2, bias: 2, alpha: 1e-4, beta: 0.75 }, // AlexNet's (TF form)
  { x: [1, 3, 4, 7], depthRadius: 5, bias: 1, alpha: 1, beta: 0.5 }, // TF's defaults, radius past the channels
  { x: [1, 2, 3, 1], depthRadius: 3, bias: 1, alpha: 0.5, beta: 0.5 }, // one channel
  { x: [2, 3, 3, 6], depthRadius: 0, bias: 0.5, alpha: 2, beta: 1 }, // radius 0: x / (bias + alpha·x²)
  { x: [3, 4, 16], depthRadius: 1, bias: 1, alpha: 0.3, beta: 0.6 }, // one image, rank 3
  { x: [1, 2, 2, 33], depthRadius: 4, bias: 1.5, alpha: 0.1, beta: 1.3 },
];

function cases(seed: number, count: number): TfCase[] {
  const rng = new Rng(seed);
  const out = NAMED.slice(0, count);
  while (out.length < count) {
    out.push({
      x: [rng.int(1, 2), rng.int(1, 4), rng.int(1, 4), rng.int(1, 12)],
      depthRadius: rng.int(0, 6),
      bias: rng.pick([0.5, 1, 2]),
      alpha: rng.pick([1e-4, 0.1, 1]),
      beta: rng.pick([0.5, 0.75, 1]),
    });
  }
  return out;
}

/** The ONNX LRN formula, literally, in float64: channels on the last axis here. */
function onnxLrn(x: Float64Array, channels: number, sizeAttr: number, alpha: number, beta: number, bias: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let p = 0; p < x.length; p += channels) {
    for (let c = 0; c < channels; c++) {
      let s = 0;
      const lo = Math.max(0, c - Math.floor((sizeAttr - 1) / 2));
      const hi = Math.min(channels - 1, c + Math.ceil((sizeAttr - 1) / 2));
      for (let i = lo; i <= hi; i++) s += x[p + i]! ** 2;
      y[p + c] = x[p + c]! / (bias + (alpha / sizeAttr) * s) ** beta;
    }
  }
  return y;
}

/** How src/ops/lrn.ts documents the ONNX attributes' mapping. */
const fromOnnx = (sizeAttr: number, alpha: number, beta: number, bias: number): LrnOptions =>
  ({ before: Math.floor((sizeAttr - 1) / 2), after: Math.ceil((sizeAttr - 1) / 2), alpha: alpha / sizeAttr, beta, bias });

describe('localResponseNormalization', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('matches tf.localResponseNormalization and its tf.grads on 16 cases (radius 0 to past the channels, one channel, rank 3)', async (e) => {
    const rng = new Rng(71);
    for (const c of cases(7101, 16)) {
      const what = JSON.stringify(c);
      const xs = rng.uniform(size(c.x), -2, 2);
      const dys = rng.uniform(size(c.x));
      const ref = tf.tidy(() => {
        const f = (a: tf.Tensor) => tf.localResponseNormalization(a as tf.Tensor4D, c.depthRadius, c.bias, c.alpha, c.beta);
        const x = tf.tensor(xs, c.x);
        const [dx] = tf.grads(f)([x], tf.tensor(dys, c.x));
        return { y: f(x).dataSync(), dx: dx!.dataSync() };
      });
      const opts = { depthRadius: c.depthRadius, bias: c.bias, alpha: c.alpha, beta: c.beta };
      const x = e.tensor(xs, c.x);
      const y = e.localResponseNormalization(x, opts);
      const dx = e.localResponseNormalizationGrad(e.tensor(dys, c.x), x, opts);
      expectShape(y.shape, c.x, what);
      expectClose(await y.read(), ref.y, `y ${what}`);
      expectClose(await dx.read(), ref.dx, `dx ${what}`);
    }
  });

  gpuIt('NaN and ±Infinity give TF.js\'s values, forward and gradient (∞ · ∞^−β is NaN, a finite x over ∞ is 0)', async (e) => {
    const xs = [NaN, 0.5, -1, 0, Infinity, 2, 0.25, -Infinity, 1, 3, -0.5, 1.5];
    const shape = [1, 1, 3, 4];
    const opts = { depthRadius: 1, bias: 1, alpha: 0.5, beta: 0.75 };
    const f = (a: tf.Tensor) => tf.localResponseNormalization(a as tf.Tensor4D, 1, 1, 0.5, 0.75);
    const x = e.tensor(xs, shape);
    const tx = tf.tensor(xs, shape);
    expectSameNonFinite(await e.localResponseNormalization(x, opts).read(), f(tx).dataSync(), 'lrn');
    const [refDx] = tf.grads(f)([tx], tf.ones(shape));
    const dx = e.localResponseNormalizationGrad(e.tensor(new Float32Array(12).fill(1), shape), x, opts);
    expectSameNonFinite(await dx.read(), refDx!.dataSync(), 'lrn gradient');
  });

  gpuIt('with before/after from ONNX attributes, equals the ONNX LRN formula (odd and even sizes)', async (e) => {
    const rng = new Rng(72);
    const onnxCases = [
      { x: [1, 3, 3, 10], size: 5, alpha: 1e-4, beta: 0.75, bias: 1 }, // AlexNet / GoogLeNet
      { x: [2, 2, 3, 7], size: 4, alpha: 0.5, beta: 0.75, bias: 2 }, // even: one more channel above
      { x: [1, 2, 2, 5], size: 2, alpha: 1, beta: 1, bias: 1 },
      { x: [1, 1, 3, 6], size: 1, alpha: 2, beta: 0.5, bias: 1 },
      { x: [1, 2, 2, 3], size: 9, alpha: 3, beta: 0.6, bias: 0.5 }, // window wider than the channels
    ];
    for (const c of onnxCases) {
      const xs = rng.uniform(size(c.x), -2, 2);
      const want = onnxLrn(Float64Array.from(xs), c.x.at(-1)!, c.size, c.alpha, c.beta, c.bias);
      const y = e.localResponseNormalization(e.tensor(xs, c.x), fromOnnx(c.size, c.alpha, c.beta, c.bias));
      expectClose(await y.read(), want, `ONNX ${JSON.stringify(c)}`);
    }
  });

  gpuIt('the gradient with unequal sides agrees with central finite differences of the float64 formula', async (e) => {
    const rng = new Rng(73);
    for (const c of [{ x: [1, 2, 2, 6], size: 4 }, { x: [2, 1, 2, 5], size: 3 }]) {
      const alpha = 0.8, beta = 0.75, bias = 1;
      const xs = rng.uniform(size(c.x), -1.5, 1.5);
      const r = rng.uniform(size(c.x));
      const dx = e.localResponseNormalizationGrad(e.tensor(r, c.x), e.tensor(xs, c.x), fromOnnx(c.size, alpha, beta, bias));
      const want = numericGradient((v) => onnxLrn(v, c.x.at(-1)!, c.size, alpha, beta, bias), xs, r);
      expectClose(await dx.read(), want, `finite-difference dx ${JSON.stringify(c)}`, 1e-4);
    }
  });

  gpuIt('bad arguments throw errors that name the op and shapes, and the engine keeps working', async (e) => {
    const x = e.tensor(new Float32Array(12), [1, 2, 2, 3]);
    expectThrowsNoLeak(e, () => e.localResponseNormalization(x, { depthRadius: -1 }), /localResponseNormalization: depthRadius must be a non-negative integer, got -1/);
    expectThrowsNoLeak(e, () => e.localResponseNormalization(x, { before: 1.5 }), /localResponseNormalization: before must be a non-negative integer, got 1.5/);
    expectThrowsNoLeak(e, () => e.localResponseNormalization(x, { beta: NaN }), /localResponseNormalization: beta must be a finite number, got NaN/);
    {
      const bad = e.tensor([1], []);
      expectThrowsNoLeak(e, () => e.localResponseNormalization(bad), /localResponseNormalization: x must have rank 1 or more .*got shape \[\]/);
    }
    {
      const bad = e.tensor(new Float32Array(6), [1, 2, 3]);
      expectThrowsNoLeak(e, () => e.localResponseNormalizationGrad(bad, x), /localResponseNormalizationGrad: dy \[1, 2, 3\] must have the shape of x \[1, 2, 2, 3\]/);
    }
    const ok = e.localResponseNormalization(e.tensor([3, 4], [1, 2]), { depthRadius: 1, alpha: 1, bias: 0, beta: 0.5 });
    expectShape(ok.shape, [1, 2], 'valid call after errors');
    expectClose(await ok.read(), [0.6, 0.8], 'x / ‖x‖');
  });
});
