import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectSameNonFinite, expectShape } from '../helpers/compare.js';
import { convCases, type ConvCase } from '../helpers/conv_cases.js';
import { numericGradient } from '../helpers/finite_diff.js';
import { randomWindowCase, windowReference } from '../helpers/window_reference.js';
import type { Engine } from '../../src/engine.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const describeCase = (c: ConvCase) => `x${JSON.stringify(c.x)} w${JSON.stringify(c.w)} s${c.strides} d${c.dilations} pad ${JSON.stringify(c.pad)}`;

function reference(c: ConvCase, xs: Float32Array, ws: Float32Array, dys?: Float32Array) {
  return windowReference(tf.conv2d, c, xs, ws, dys);
}

async function checkForward(e: Engine, variant: 'block' | 'vec4' | 'few' | 'tiled') {
  e.tuning.conv2d = variant;
  const rng = new Rng(7);
  for (const c of convCases(1234, 24)) {
    const xs = rng.uniform(size(c.x));
    const ws = rng.uniform(size(c.w));
    const ref = reference(c, xs, ws);
    const x = e.tensor(xs, c.x);
    const w = e.tensor(ws, c.w);
    const y = e.conv2d(x, w, { strides: c.strides, pad: c.pad, dilations: c.dilations });
    expectShape(y.shape, ref.shape, describeCase(c));
    expectClose(await y.read(), ref.y, `${variant} ${describeCase(c)}`);
    for (const t of [x, w, y]) t.dispose();
  }
}

describe('conv2d', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('the register-blocked kernel matches tf.conv2d on 24 awkward and random cases', (e) => checkForward(e, 'block'));
  gpuIt('the vec4 register-blocked kernel (channels in fours, else the scalar one) matches tf.conv2d on 24 cases', (e) => checkForward(e, 'vec4'));
  gpuIt('the workgroup-tiled kernel matches tf.conv2d on 24 awkward and random cases', (e) => checkForward(e, 'tiled'));
  gpuIt('the few-channel kernel (up to 16 output channels, else the block one) matches tf.conv2d on 24 cases', (e) => checkForward(e, 'few'));

  // 'few' takes the input gradient at stride 1 with up to 16 input channels through the forward
  // few-channel kernel on the flipped filter.
  for (const variant of ['auto', 'block', 'few'] as const) {
    gpuIt(`input and filter gradients (${variant} kernels) match tf.grads of tf.conv2d on 24 cases`, async (e) => {
      e.tuning.conv2d = variant;
      const rng = new Rng(8);
      // tf.grads of conv2d refuses dilations > 1; the finite-difference test below covers them.
      const cases = convCases(4321, 40).filter((c) => c.dilations[0] === 1 && c.dilations[1] === 1).slice(0, 24);
      expect(cases.length).to.equal(24);
      for (const c of cases) {
        const xs = rng.uniform(size(c.x));
        const ws = rng.uniform(size(c.w));
        const yShape = reference(c, xs, ws).shape;
        const dys = rng.uniform(size(yShape));
        const ref = reference(c, xs, ws, dys);
        const opts = { strides: c.strides, pad: c.pad, dilations: c.dilations };
        const x = e.tensor(xs, c.x);
        const w = e.tensor(ws, c.w);
        const dy = e.tensor(dys, yShape);
        const dx = e.conv2dGradInput(dy, w, c.x, opts);
        const dw = e.conv2dGradFilter(x, dy, c.w, opts);
        expectShape(dx.shape, c.x, describeCase(c));
        expectShape(dw.shape, c.w, describeCase(c));
        expectClose(await dx.read(), ref.dx!, `dx ${describeCase(c)}`);
        expectClose(await dw.read(), ref.dw!, `dw ${describeCase(c)}`);
        for (const t of [x, w, dy, dx, dw]) t.dispose();
      }
    });
  }

  // Rows wide enough for whole blocks of PX pixels inside the image, next to the padded ones: the
  // few-channel kernel's flat interior walk, row clipping and 5–8 pixels per thread.
  gpuIt('the few-channel kernel and its input gradient match TF.js on LeNet-sized layers', async (e) => {
    e.tuning.conv2d = 'few';
    const rng = new Rng(11);
    const cases: ConvCase[] = [
      { x: [2, 28, 28, 1], w: [5, 5, 1, 6], strides: [1, 1], dilations: [1, 1], pad: 'same' },
      { x: [2, 14, 14, 6], w: [5, 5, 6, 16], strides: [1, 1], dilations: [1, 1], pad: 'valid' },
      { x: [1, 20, 23, 3], w: [3, 3, 3, 10], strides: [1, 1], dilations: [1, 1], pad: [[2, 0], [1, 2]] },
      { x: [1, 19, 21, 2], w: [3, 3, 2, 13], strides: [1, 1], dilations: [2, 2], pad: 'same' },
    ];
    for (const c of cases) {
      // Dilated: the forward alone (the finite-difference test below covers a dilated input gradient).
      const { xs, ws, dys, yShape, dilated, ref } = randomWindowCase(tf.conv2d, c, rng);
      const opts = { strides: c.strides, pad: c.pad, dilations: c.dilations };
      const [x, w, dy] = [e.tensor(xs, c.x), e.tensor(ws, c.w), e.tensor(dys, yShape)];
      const y = e.conv2d(x, w, opts);
      const dx = e.conv2dGradInput(dy, w, c.x, opts);
      expectClose(await y.read(), ref.y, `y ${describeCase(c)}`);
      if (!dilated) expectClose(await dx.read(), ref.dx!, `dx ${describeCase(c)}`);
      for (const t of [x, w, dy, y, dx]) t.dispose();
    }
  });

  gpuIt('an input gradient through a filter with no output channels is zero (the few-channel path)', async (e) => {
    const dx = e.conv2dGradInput(e.zeros([1, 5, 5, 0]), e.zeros([3, 3, 6, 0]), [1, 5, 5, 6], { pad: 'same' });
    expectShape(dx.shape, [1, 5, 5, 6], 'dx');
    expect([...(await dx.read())]).to.deep.equal(new Array(150).fill(0));
  });

  gpuIt('the filter gradient splits long reductions and stays exact (batch 4 of 32×32)', async (e) => {
    const rng = new Rng(9);
    const c: ConvCase = { x: [4, 32, 32, 3], w: [3, 3, 3, 4], strides: [1, 1], dilations: [1, 1], pad: 'same' };
    const xs = rng.uniform(size(c.x));
    const ws = rng.uniform(size(c.w));
    const dys = rng.uniform(4 * 32 * 32 * 4);
    const ref = reference(c, xs, ws, dys);
    const dw = e.conv2dGradFilter(e.tensor(xs, c.x), e.tensor(dys, [4, 32, 32, 4]), c.w, { pad: 'same' });
    const first = await dw.read();
    expectClose(first, ref.dw!, 'dw, split-K');
    const again = e.conv2dGradFilter(e.tensor(xs, c.x), e.tensor(dys, [4, 32, 32, 4]), c.w, { pad: 'same' });
    expect([...(await again.read())], 'deterministic').to.deep.equal([...first]);
  });

  gpuIt('gradients agree with central finite differences of a float64 convolution', async (e) => {
    const rng = new Rng(10);
    const cases: ConvCase[] = [
      { x: [2, 5, 4, 2], w: [3, 2, 2, 3], strides: [2, 1], dilations: [1, 1], pad: 'same' },
      { x: [1, 6, 6, 1], w: [2, 2, 1, 2], strides: [1, 1], dilations: [2, 2], pad: [[1, 0], [0, 2]] },
    ];
    for (const c of cases) {
      const xs = rng.uniform(size(c.x));
      const ws = rng.uniform(size(c.w));
      const { shape } = reference(c, xs, ws);
      const r = rng.uniform(size(shape));
      const opts = { strides: c.strides, pad: c.pad, dilations: c.dilations };
      const dx = await e.conv2dGradInput(e.tensor(r, shape), e.tensor(ws, c.w), c.x, opts).read();
      const dw = await e.conv2dGradFilter(e.tensor(xs, c.x), e.tensor(r, shape), c.w, opts).read();
      expectClose(dx, numericGradient((v) => conv64(c, v, Float64Array.from(ws)), xs, r), `finite-difference dx ${describeCase(c)}`, 1e-3);
      expectClose(dw, numericGradient((v) => conv64(c, Float64Array.from(xs), v), ws, r), `finite-difference dw ${describeCase(c)}`, 1e-3);
    }
  });

  // Padding must contribute nothing, not 0 × whatever the kernel reads in its place: one infinite
  // value may only reach the outputs whose windows cover it (TF.js skips padded taps).
  for (const variant of ['block', 'vec4', 'few', 'tiled'] as const) {
    gpuIt(`an infinite input reaches only the outputs whose windows cover it (${variant} kernels)`, async (e) => {
      const previous = e.tuning.conv2d;
      e.tuning.conv2d = variant;
      try {
        const cases: { c: ConvCase; bad: number[] }[] = [
          { c: { x: [1, 5, 5, 1], w: [3, 3, 1, 1], strides: [1, 1], dilations: [1, 1], pad: 'same' }, bad: [0] },
          // Channels in fours, so that the vec4 kernels run.
          { c: { x: [1, 5, 5, 4], w: [3, 3, 4, 4], strides: [1, 1], dilations: [1, 1], pad: 'same' }, bad: [0, 4 * 24 + 3] },
          { c: { x: [2, 7, 6, 4], w: [3, 2, 4, 8], strides: [2, 2], dilations: [1, 1], pad: 'same' }, bad: [5, 7 * 6 * 4 + 2] },
        ];
        const rng = new Rng(11);
        for (const { c, bad } of cases) {
          const opts = { strides: c.strides, pad: c.pad, dilations: c.dilations };
          const ws = rng.uniform(size(c.w));
          // The forward pass with ±Infinity in x.
          const xs = rng.uniform(size(c.x));
          bad.forEach((i, k) => (xs[i] = k % 2 ? -Infinity : Infinity));
          const ref = reference(c, xs, ws);
          const y = e.conv2d(e.tensor(xs, c.x), e.tensor(ws, c.w), opts);
          expectSameNonFinite(await y.read(), ref.y, `conv2d ${variant} ${describeCase(c)}`);
          // The input gradient with ±Infinity in dy.
          const dys = rng.uniform(size(ref.shape));
          bad.forEach((i, k) => (dys[i % dys.length] = k % 2 ? -Infinity : Infinity));
          const refDx = reference(c, rng.uniform(size(c.x)), ws, dys).dx!;
          const dx = e.conv2dGradInput(e.tensor(dys, ref.shape), e.tensor(ws, c.w), c.x, opts);
          expectSameNonFinite(await dx.read(), refDx, `conv2dGradInput ${variant} ${describeCase(c)}`);
        }
      } finally {
        e.tuning.conv2d = previous;
      }
    });
  }

  gpuIt('bad arguments throw errors that name the op and shapes, and the engine keeps working', async (e) => {
    const x = e.tensor(new Float32Array(2 * 5 * 5 * 4), [2, 5, 5, 4]);
    const w3 = e.tensor(new Float32Array(3 * 3 * 3 * 8), [3, 3, 3, 8]);
    const w4 = e.tensor(new Float32Array(3 * 3 * 4 * 8), [3, 3, 4, 8]);
    const big = e.tensor(new Float32Array(7 * 7 * 4), [7, 7, 4, 1]);
    expectThrowsNoLeak(e, () => e.conv2d(x, w3), /conv2d: .*in-channels 3 .*channels 4.*x \[2, 5, 5, 4\].*w \[3, 3, 3, 8\]/);
    {
      const bad = e.tensor([1, 2, 3], [3]);
      expectThrowsNoLeak(e, () => e.conv2d(bad, w4), /conv2d: x must have rank 4, got shape \[3\]/);
    }
    expectThrowsNoLeak(e, () => e.conv2d(x, big, { pad: 'valid' }), /conv2d: the 7×7 window .*larger than the padded input \(5×5\) of x \[2, 5, 5, 4\]/);
    expectThrowsNoLeak(e, () => e.conv2d(x, w4, { strides: 0 }), /conv2d: strides must be a positive integer/);
    expectThrowsNoLeak(e, () => e.conv2d(x, w4, { pad: 'full' as 'same' }), /conv2d: pad must be/);
    {
      const bad = e.tensor(new Float32Array(8), [1, 2, 2, 2]);
      expectThrowsNoLeak(e, () => e.conv2dGradInput(bad, w4, [2, 5, 5, 4]), /conv2dGradInput: dy \[1, 2, 2, 2\] does not match the conv2d output shape \[2, 3, 3, 8\]/);
    }
    {
      const bad = e.tensor(new Float32Array(8), [1, 2, 2, 2]);
      expectThrowsNoLeak(e, () => e.conv2dGradFilter(x, bad, [3, 3, 4]), /conv2dGradFilter: wShape must be 4 non-negative integers, got \[3, 3, 4\]/);
    }
    expectThrowsNoLeak(e, () => e.tensor([1, 2, 3], [2, 2]), /tensor: data has 3 values but shape \[2, 2\] needs 4/);
    const before = e.memory().buffers;
    w4.dispose();
    expectThrowsNoLeak(e, () => e.conv2d(x, w4), /conv2d: w \(shape \[3, 3, 4, 8\]\) was used after dispose\(\)/);
    expect(e.memory().buffers).to.equal(before - 1);
    const ok = e.conv2d(x, e.tensor(new Float32Array(36).fill(1), [3, 3, 4, 1]), { pad: 'same' });
    expectShape(ok.shape, [2, 5, 5, 1], 'valid call after errors');
    expect((await ok.read()).every((v) => v === 0)).to.equal(true);
  });
});

/** A float64 convolution in plain loops, for finite differences. */
function conv64(c: ConvCase, x: Float64Array, w: Float64Array): Float64Array {
  const [n, h, wd, ci] = c.x;
  const [kh, kw, , co] = c.w;
  const [sh, sw] = c.strides;
  const [dh, dw] = c.dilations;
  const effH = (kh - 1) * dh + 1;
  const effW = (kw - 1) * dw + 1;
  let t = 0, l = 0, oh: number, ow: number;
  if (c.pad === 'same') {
    oh = Math.ceil(h / sh);
    ow = Math.ceil(wd / sw);
    t = Math.floor(Math.max(0, (oh - 1) * sh + effH - h) / 2);
    l = Math.floor(Math.max(0, (ow - 1) * sw + effW - wd) / 2);
  } else {
    const [[pt, pb], [pl, pr]] = c.pad as [[number, number], [number, number]];
    t = pt;
    l = pl;
    oh = Math.floor((h + pt + pb - effH) / sh) + 1;
    ow = Math.floor((wd + pl + pr - effW) / sw) + 1;
  }
  const y = new Float64Array(n * oh * ow * co);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let o = 0; o < co; o++) {
          let s = 0;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * sh - t + ky * dh;
              const ix = ox * sw - l + kx * dw;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              for (let i = 0; i < ci; i++) s += x[((b * h + iy) * wd + ix) * ci + i]! * w[((ky * kw + kx) * ci + i) * co + o]!;
            }
          y[((b * oh + oy) * ow + ox) * co + o] = s;
        }
  return y;
}
