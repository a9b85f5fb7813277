import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectShape } from '../helpers/compare.js';
import { numericGradient } from '../helpers/finite_diff.js';
import { randomWindowCase, windowReference } from '../helpers/window_reference.js';
import type { Padding } from '../../src/ops/conv_geometry.js';

type Pair = [number, number];
interface Case {
  x: [number, number, number, number];
  /** [kh, kw, c, mult] */
  w: [number, number, number, number];
  strides: Pair;
  dilations: Pair;
  pad: Padding;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const label = (c: Case) => `x${JSON.stringify(c.x)} w${JSON.stringify(c.w)} s${c.strides} d${c.dilations} pad ${JSON.stringify(c.pad)}`;
const opts = (c: Case) => ({ strides: c.strides, pad: c.pad, dilations: c.dilations });

// Each named case aims at one path of the kernels: vec4 views (mult 1, channels in fours) or
// gathers, the sliding window (stride = dilation) or not, partial channel groups, edge pixels.
const NAMED: Case[] = [
  { x: [2, 9, 9, 8], w: [3, 3, 8, 1], strides: [1, 1], dilations: [1, 1], pad: 'same' }, // MobileNet-style, vec4 + slide
  { x: [1, 7, 7, 3], w: [7, 7, 3, 1], strides: [1, 1], dilations: [1, 1], pad: 'valid' }, // 7×7, one output pixel
  { x: [2, 8, 7, 5], w: [1, 1, 5, 2], strides: [1, 1], dilations: [1, 1], pad: 'valid' }, // 1×1, mult 2
  { x: [1, 10, 9, 4], w: [4, 4, 4, 1], strides: [2, 2], dilations: [1, 1], pad: 'same' }, // even filter, stride 2
  { x: [2, 11, 10, 6], w: [3, 3, 6, 2], strides: [1, 1], dilations: [2, 2], pad: 'same' }, // dilation 2
  { x: [1, 9, 8, 3], w: [3, 2, 3, 3], strides: [1, 2], dilations: [1, 1], pad: [[2, 0], [1, 3]] }, // asymmetric, mult 3
  { x: [3, 6, 6, 16], w: [5, 5, 16, 1], strides: [1, 1], dilations: [1, 1], pad: 2 },
  { x: [1, 5, 5, 4], w: [5, 5, 4, 4], strides: [1, 1], dilations: [1, 1], pad: 'valid' }, // one pixel, mult 4
  { x: [2, 9, 9, 12], w: [3, 3, 12, 1], strides: [2, 2], dilations: [1, 1], pad: 'valid' },
  { x: [1, 1, 1, 3], w: [1, 1, 3, 2], strides: [1, 1], dilations: [1, 1], pad: 'valid' },
  { x: [2, 13, 6, 8], w: [2, 2, 8, 2], strides: [2, 2], dilations: [1, 1], pad: 'same' },
  { x: [1, 6, 13, 7], w: [3, 5, 7, 1], strides: [1, 3], dilations: [1, 1], pad: [[1, 1], [0, 4]] },
];

function fits(c: Case): boolean {
  if (c.pad === 'same') return true;
  const effH = (c.w[0] - 1) * c.dilations[0] + 1;
  const effW = (c.w[1] - 1) * c.dilations[1] + 1;
  const [ph, pw] = typeof c.pad === 'number' ? [2 * c.pad, 2 * c.pad] : Array.isArray(c.pad) ? [c.pad[0]![0] + c.pad[0]![1], c.pad[1]![0] + c.pad[1]![1]] : [0, 0];
  return effH <= c.x[1] + ph && effW <= c.x[2] + pw;
}

/** The named cases, then random ones; TF.js refuses stride > 1 together with dilation > 1. */
function cases(seed: number, count: number, dilated = true): Case[] {
  const out = NAMED.filter((c) => dilated || c.dilations[0] === 1).slice(0, count);
  const rng = new Rng(seed);
  while (out.length < count) {
    const stride = rng.pick([1, 1, 2, 3]);
    const dil = dilated && stride === 1 ? rng.pick([1, 1, 2]) : 1;
    const kind = rng.pick(['same', 'valid', 'number', 'explicit'] as const);
    const c: Case = {
      x: [rng.int(1, 3), rng.int(1, 12), rng.int(1, 12), rng.pick([1, 2, 3, 4, 5, 8, 12])],
      w: [rng.int(1, 5), rng.int(1, 5), 0, rng.pick([1, 1, 2, 3])],
      strides: [stride, rng.pick([stride, 1])],
      dilations: [dil, dil],
      pad: kind === 'same' || kind === 'valid' ? kind : kind === 'number' ? rng.int(0, 2) : [[rng.int(0, 3), rng.int(0, 3)], [rng.int(0, 3), rng.int(0, 3)]],
    };
    c.w[2] = c.x[3];
    if (kind === 'number') {
      // TF.js sizes a numeric pad's output width from the filter height and row stride; square
      // windows and strides keep that quirk (which windowGeometry reproduces) out of the way.
      c.w[1] = c.w[0];
      c.strides[1] = c.strides[0];
    }
    if (fits(c)) out.push(c);
  }
  return out;
}

function reference(c: Case, xs: Float32Array, ws: Float32Array, dys?: Float32Array) {
  return windowReference(tf.depthwiseConv2d, c, xs, ws, dys);
}

describe('depthwiseConv2d', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('matches tf.depthwiseConv2d on 28 awkward and random cases', async (e) => {
    const rng = new Rng(21);
    for (const c of cases(2101, 28)) {
      const xs = rng.uniform(size(c.x));
      const ws = rng.uniform(size(c.w));
      const ref = reference(c, xs, ws);
      const x = e.tensor(xs, c.x);
      const w = e.tensor(ws, c.w);
      const y = e.depthwiseConv2d(x, w, opts(c));
      expectShape(y.shape, ref.shape, label(c));
      expectClose(await y.read(), ref.y, label(c));
      for (const t of [x, w, y]) t.dispose();
    }
  });

  gpuIt('input and filter gradients match tf.grads of tf.depthwiseConv2d on 24 cases', async (e) => {
    // tf.grads of depthwiseConv2d refuses dilations > 1; the finite-difference test covers them.
    const rng = new Rng(22);
    for (const c of cases(2202, 24, false)) {
      const xs = rng.uniform(size(c.x));
      const ws = rng.uniform(size(c.w));
      const yShape = reference(c, xs, ws).shape;
      const dys = rng.uniform(size(yShape));
      const ref = reference(c, xs, ws, dys);
      const x = e.tensor(xs, c.x);
      const w = e.tensor(ws, c.w);
      const dy = e.tensor(dys, yShape);
      const dx = e.depthwiseConv2dGradInput(dy, w, c.x, opts(c));
      const dw = e.depthwiseConv2dGradFilter(x, dy, c.w, opts(c));
      expectShape(dx.shape, c.x, label(c));
      expectShape(dw.shape, c.w, label(c));
      expectClose(await dx.read(), ref.dx!, `dx ${label(c)}`);
      expectClose(await dw.read(), ref.dw!, `dw ${label(c)}`);
      for (const t of [x, w, dy, dx, dw]) t.dispose();
    }
  });

  for (const variant of ['wide', 'block'] as const) {
    gpuIt(`the ${variant} kernels match tf.depthwiseConv2d and tf.grads on 16 cases with channels in sixteens`, async (e) => {
      e.tuning.depthwise = variant;
      const rng = new Rng(23);
      // Channels 16–48 and mult 1, the one-pixel × 16-channel kernels' domain, across strides,
      // dilations and pads; dilated cases check the forward only (tf.grads refuses them).
      const list = cases(2303, 16 + NAMED.length).slice(NAMED.length).map((c): Case => {
        const ch = rng.pick([16, 32, 48]);
        return { ...c, x: [c.x[0], c.x[1], c.x[2], ch], w: [c.w[0], c.w[1], ch, 1] };
      });
      for (const c of list) {
        const { xs, ws, dys, yShape, dilated, ref } = randomWindowCase(tf.depthwiseConv2d, c, rng);
        const [x, w, dy] = [e.tensor(xs, c.x), e.tensor(ws, c.w), e.tensor(dys, yShape)];
        const y = e.depthwiseConv2d(x, w, opts(c));
        expectClose(await y.read(), ref.y, `${variant} y ${label(c)}`);
        const dx = e.depthwiseConv2dGradInput(dy, w, c.x, opts(c));
        if (!dilated) expectClose(await dx.read(), ref.dx!, `${variant} dx ${label(c)}`);
        for (const t of [x, w, dy, y, dx]) t.dispose();
      }
    });
  }

  gpuIt('the filter gradient splits long reductions and is bit-identical from run to run (batch 4 of 32×32)', async (e) => {
    const rng = new Rng(23);
    for (const c of [
      { x: [4, 32, 32, 8], w: [3, 3, 8, 1], strides: [1, 1], dilations: [1, 1], pad: 'same' },
      { x: [2, 24, 24, 3], w: [5, 5, 3, 2], strides: [2, 2], dilations: [1, 1], pad: 'valid' },
    ] as Case[]) {
      const xs = rng.uniform(size(c.x));
      const ws = rng.uniform(size(c.w));
      const yShape = reference(c, xs, ws).shape;
      const dys = rng.uniform(size(yShape));
      const ref = reference(c, xs, ws, dys);
      const x = e.tensor(xs, c.x);
      const dy = e.tensor(dys, yShape);
      const first = await e.depthwiseConv2dGradFilter(x, dy, c.w, opts(c)).read();
      expectClose(first, ref.dw!, `dw split-K ${label(c)}`);
      const again = await e.depthwiseConv2dGradFilter(x, dy, c.w, opts(c)).read();
      expect([...again], `deterministic ${label(c)}`).to.deep.equal([...first]);
    }
  });

  gpuIt('forward and gradients agree with a float64 reference and its central finite differences (dilations, stride = dilation)', async (e) => {
    const rng = new Rng(24);
    const fd: Case[] = [
      { x: [2, 7, 6, 3], w: [3, 3, 3, 2], strides: [1, 1], dilations: [2, 2], pad: 'same' },
      { x: [1, 9, 9, 4], w: [3, 2, 4, 1], strides: [2, 2], dilations: [2, 2], pad: [[1, 0], [2, 1]] }, // TF.js refuses this one
      { x: [1, 6, 7, 4], w: [2, 3, 4, 1], strides: [1, 2], dilations: [1, 1], pad: 'same' },
    ];
    for (const c of fd) {
      const xs = rng.uniform(size(c.x));
      const ws = rng.uniform(size(c.w));
      const ref = depthwise64(c, Float64Array.from(xs), Float64Array.from(ws));
      const y = await e.depthwiseConv2d(e.tensor(xs, c.x), e.tensor(ws, c.w), opts(c)).read();
      expectClose(y, ref.y, `float64 forward ${label(c)}`);
      const r = rng.uniform(ref.y.length);
      const dx = await e.depthwiseConv2dGradInput(e.tensor(r, ref.shape), e.tensor(ws, c.w), c.x, opts(c)).read();
      const dw = await e.depthwiseConv2dGradFilter(e.tensor(xs, c.x), e.tensor(r, ref.shape), c.w, opts(c)).read();
      expectClose(dx, numericGradient((v) => depthwise64(c, v, Float64Array.from(ws)).y, xs, r), `finite-difference dx ${label(c)}`, 1e-3);
      expectClose(dw, numericGradient((v) => depthwise64(c, Float64Array.from(xs), v).y, ws, r), `finite-difference dw ${label(c)}`, 1e-3);
    }
  });

  gpuIt('an empty batch or a multiplier of 0 gives empty outputs and zero gradients', async (e) => {
    const w = e.tensor(new Float32Array(3 * 3 * 4 * 2).fill(1), [3, 3, 4, 2]);
    const x0 = e.zeros([0, 5, 5, 4]);
    expectShape(e.depthwiseConv2d(x0, w, { pad: 'same' }).shape, [0, 5, 5, 8], 'empty batch');
    const dw = e.depthwiseConv2dGradFilter(x0, e.zeros([0, 5, 5, 8]), [3, 3, 4, 2], { pad: 'same' });
    expect((await dw.read()).every((v) => v === 0), 'no pixels: dw = 0').to.equal(true);
    const x = e.tensor(new Float32Array(5 * 5 * 4).fill(1), [1, 5, 5, 4]);
    const none = e.zeros([3, 3, 4, 0]);
    expectShape(e.depthwiseConv2d(x, none).shape, [1, 3, 3, 0], 'multiplier 0');
    const dx = e.depthwiseConv2dGradInput(e.zeros([1, 3, 3, 0]), none, [1, 5, 5, 4]);
    expect((await dx.read()).every((v) => v === 0), 'no outputs: dx = 0').to.equal(true);
  });

  gpuIt('bad arguments throw errors that name the op and shapes, and the engine keeps working', async (e) => {
    const x = e.tensor(new Float32Array(2 * 5 * 5 * 4), [2, 5, 5, 4]);
    const w3 = e.tensor(new Float32Array(3 * 3 * 3 * 2), [3, 3, 3, 2]);
    const w = e.tensor(new Float32Array(3 * 3 * 4 * 2).fill(1), [3, 3, 4, 2]);
    expectThrowsNoLeak(e, () => e.depthwiseConv2d(x, w3), /depthwiseConv2d: the filter's channels 3 differ from the input's channels 4 \(x \[2, 5, 5, 4\], w \[3, 3, 3, 2\]/);
    {
      const bad = e.tensor([1, 2, 3], [3]);
      expectThrowsNoLeak(e, () => e.depthwiseConv2d(bad, w), /depthwiseConv2d: x must have rank 4, got shape \[3\]/);
    }
    {
      const bad = e.tensor(new Float32Array(36), [3, 3, 4]);
      expectThrowsNoLeak(e, () => e.depthwiseConv2d(x, bad), /depthwiseConv2d: w must have rank 4, got shape \[3, 3, 4\]/);
    }
    {
      const bad = e.tensor(new Float32Array(7 * 7 * 4), [7, 7, 4, 1]);
      expectThrowsNoLeak(e, () => e.depthwiseConv2d(x, bad), /depthwiseConv2d: the 7×7 window .*larger than the padded input \(5×5\) of x \[2, 5, 5, 4\]/);
    }
    expectThrowsNoLeak(e, () => e.depthwiseConv2d(x, w, { strides: [1, 0] }), /depthwiseConv2d: strides must be a positive integer/);
    {
      const bad = e.tensor(new Float32Array(8), [1, 2, 2, 2]);
      expectThrowsNoLeak(e, () => e.depthwiseConv2dGradInput(bad, w, [2, 5, 5, 4]), /depthwiseConv2dGradInput: dy \[1, 2, 2, 2\] does not match the depthwiseConv2d output shape \[2, 3, 3, 8\]/);
    }
    {
      const bad = e.tensor(new Float32Array(8), [1, 2, 2, 2]);
      expectThrowsNoLeak(e, () => e.depthwiseConv2dGradFilter(x, bad, [3, 3, 4]), /depthwiseConv2dGradFilter: wShape must be 4 non-negative integers, got \[3, 3, 4\]/);
    }
    w3.dispose();
    expectThrowsNoLeak(e, () => e.depthwiseConv2d(x, w3), /depthwiseConv2d: w \(shape \[3, 3, 3, 2\]\) was used after dispose\(\)/);
    const ok = e.depthwiseConv2d(e.tensor(new Float32Array(2 * 5 * 5 * 4).fill(1), [2, 5, 5, 4]), w, { pad: 'same' });
    expectShape(ok.shape, [2, 5, 5, 8], 'valid call after errors');
    const v = await ok.read();
    expect([v[0], v[(2 * 5 + 2) * 8]], 'corner sees 4 taps, centre 9').to.deep.equal([4, 9]);
  });
});

/** Depthwise convolution in float64 plain loops ('same' or explicit pads), for finite differences. */
function depthwise64(c: Case, x: Float64Array, w: Float64Array): { y: Float64Array; shape: number[] } {
  const [n, h, wd, ch] = c.x;
  const [kh, kw, , mult] = c.w;
  const [sh, sw] = c.strides;
  const [dh, dw] = c.dilations;
  const effH = (kh - 1) * dh + 1;
  const effW = (kw - 1) * dw + 1;
  let t: number, l: number, oh: number, ow: number;
  if (c.pad === 'same') {
    oh = Math.ceil(h / sh);
    ow = Math.ceil(wd / sw);
    t = Math.floor(Math.max(0, (oh - 1) * sh + effH - h) / 2);
    l = Math.floor(Math.max(0, (ow - 1) * sw + effW - wd) / 2);
  } else {
    const [[pt, pb], [pl, pr]] = c.pad as [Pair, Pair];
    [t, l] = [pt, pl];
    oh = Math.floor((h + pt + pb - effH) / sh) + 1;
    ow = Math.floor((wd + pl + pr - effW) / sw) + 1;
  }
  const oc = ch * mult;
  const y = new Float64Array(n * oh * ow * oc);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let o = 0; o < oc; o++) {
          let s = 0;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * sh - t + ky * dh;
              const ix = ox * sw - l + kx * dw;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              s += x[((b * h + iy) * wd + ix) * ch + Math.floor(o / mult)]! * w[(ky * kw + kx) * oc + o]!;
            }
          y[((b * oh + oy) * ow + ox) * oc + o] = s;
        }
  return { y, shape: [n, oh, ow, oc] };
}
