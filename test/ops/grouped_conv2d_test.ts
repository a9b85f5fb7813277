import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectShape } from '../helpers/compare.js';
import { tfPad } from '../helpers/conv_cases.js';
import type { Padding } from '../../src/ops/conv_geometry.js';
import type { Engine } from '../../src/engine.js';

/**
 * Grouped convolution (conv2d's `groups`) against an oracle built from TF.js's own conv2d: x and w
 * sliced per group along their channel axes, one tf.conv2d per group, and the results joined with
 * tf.concat; gradients by tf.grads through that composition.
 */
interface GroupCase {
  x: [number, number, number, number];
  /** [kh, kw, c / groups, c'] */
  w: [number, number, number, number];
  groups: number;
  strides: [number, number];
  dilations: [number, number];
  pad: Padding;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const describeCase = (c: GroupCase) => `x${JSON.stringify(c.x)} w${JSON.stringify(c.w)} groups ${c.groups} s${c.strides} d${c.dilations} pad ${JSON.stringify(c.pad)}`;

const NAMED: GroupCase[] = [
  // AlexNet's conv2 at small scale: 2 groups, channels per group in fours (the vec4 kernels).
  { x: [1, 9, 9, 8], w: [5, 5, 4, 8], groups: 2, strides: [1, 1], dilations: [1, 1], pad: [[2, 2], [2, 2]] },
  // Odd channels per group: 3 in, 5 out.
  { x: [2, 7, 6, 9], w: [3, 3, 3, 15], groups: 3, strides: [2, 1], dilations: [1, 1], pad: 'same' },
  // Depthwise as ONNX writes it: groups = c = c'.
  { x: [1, 6, 7, 6], w: [3, 3, 1, 6], groups: 6, strides: [1, 1], dilations: [1, 1], pad: 'same' },
  // Depthwise with multiplier 2 (groups = c, c' = 2c), strided.
  { x: [2, 8, 8, 4], w: [3, 3, 1, 8], groups: 4, strides: [2, 2], dilations: [1, 1], pad: 'valid' },
  // ShuffleNet-style 1×1 grouped conv, groups in fours.
  { x: [1, 5, 5, 16], w: [1, 1, 4, 12], groups: 4, strides: [1, 1], dilations: [1, 1], pad: 'valid' },
  // One output channel per group, two inputs.
  { x: [1, 6, 5, 6], w: [2, 2, 2, 3], groups: 3, strides: [1, 1], dilations: [1, 1], pad: [[1, 0], [0, 1]] },
  // Dilated.
  { x: [1, 9, 9, 4], w: [3, 3, 2, 6], groups: 2, strides: [1, 1], dilations: [2, 2], pad: 'same' },
  // Channels per group past one 64-wide tile (tiled: two tiles per group).
  { x: [1, 3, 3, 4], w: [1, 1, 2, 132], groups: 2, strides: [1, 1], dilations: [1, 1], pad: 'valid' },
  // Wide rows with stride 1 (the contiguous-row path is for one group only).
  { x: [1, 3, 12, 8], w: [1, 3, 2, 8], groups: 4, strides: [1, 1], dilations: [1, 1], pad: 'valid' },
  // groups = 1 through the same option.
  { x: [1, 5, 5, 3], w: [3, 3, 3, 4], groups: 1, strides: [1, 1], dilations: [1, 1], pad: 'same' },
];

function cases(seed: number, count: number): GroupCase[] {
  const rng = new Rng(seed);
  const out = NAMED.slice(0, count);
  while (out.length < count) {
    const groups = rng.pick([2, 2, 3, 4]);
    const cig = rng.pick([1, 2, 3, 4]);
    const cog = rng.pick([1, 2, 4, 5]);
    const stride = rng.pick([1, 1, 2]);
    const c: GroupCase = {
      x: [rng.int(1, 2), rng.int(3, 9), rng.int(3, 9), groups * cig],
      w: [rng.int(1, 3), rng.int(1, 3), cig, groups * cog],
      groups,
      strides: [stride, rng.pick([stride, 1])],
      dilations: [1, 1],
      pad: rng.pick<Padding>(['same', 'valid', 1]),
    };
    out.push(c);
  }
  return out;
}

/** The grouped convolution from TF.js ops, with tf.grads when dy is given. */
function reference(c: GroupCase, xs: Float32Array, ws: Float32Array, dys?: Float32Array) {
  tf.engine().startScope();
  try {
    const cig = c.w[2];
    const cog = c.w[3] / c.groups;
    const f = (x: tf.Tensor4D, w: tf.Tensor4D) => {
      const parts: tf.Tensor4D[] = [];
      for (let g = 0; g < c.groups; g++) {
        const xg = tf.slice(x, [0, 0, 0, g * cig], [-1, -1, -1, cig]);
        const wg = tf.slice(w, [0, 0, 0, g * cog], [-1, -1, -1, cog]);
        parts.push(tf.conv2d(xg, wg, c.strides, tfPad(c.pad) as 'same', 'NHWC', c.dilations));
      }
      return tf.concat(parts, 3);
    };
    const x = tf.tensor4d(xs, c.x);
    const w = tf.tensor4d(ws, c.w);
    const y = f(x, w);
    if (!dys) return { y: y.dataSync(), shape: y.shape as number[], dx: null, dw: null };
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a as tf.Tensor4D, b as tf.Tensor4D))([x, w], tf.tensor(dys, y.shape));
    return { y: y.dataSync(), shape: y.shape as number[], dx: dx!.dataSync(), dw: dw!.dataSync() };
  } finally {
    tf.engine().endScope();
  }
}

const optsOf = (c: GroupCase) => ({ strides: c.strides, pad: c.pad, dilations: c.dilations, groups: c.groups });

async function checkForward(e: Engine, variant: 'auto' | 'block' | 'vec4' | 'tiled') {
  e.tuning.conv2d = variant;
  const rng = new Rng(21);
  for (const c of cases(2101, 18)) {
    const xs = rng.uniform(size(c.x));
    const ws = rng.uniform(size(c.w));
    const ref = reference(c, xs, ws);
    const x = e.tensor(xs, c.x);
    const w = e.tensor(ws, c.w);
    const y = e.conv2d(x, w, optsOf(c));
    expectShape(y.shape, ref.shape, describeCase(c));
    expectClose(await y.read(), ref.y, `${variant} ${describeCase(c)}`);
    for (const t of [x, w, y]) t.dispose();
  }
}

describe('grouped conv2d', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const variant of ['auto', 'block', 'vec4', 'tiled'] as const) {
    gpuIt(`the ${variant} kernels match per-group tf.conv2d joined by tf.concat on 18 cases`, (e) => checkForward(e, variant));
  }

  for (const variant of ['auto', 'block', 'vec4'] as const) {
    gpuIt(`input and filter gradients (${variant} kernels) match tf.grads of the per-group composition on 14 cases`, async (e) => {
      e.tuning.conv2d = variant;
      const rng = new Rng(22);
      // tf.grads of conv2d refuses dilations > 1.
      const all = cases(2201, 18).filter((c) => c.dilations[0] === 1).slice(0, 14);
      for (const c of all) {
        const xs = rng.uniform(size(c.x));
        const ws = rng.uniform(size(c.w));
        const yShape = reference(c, xs, ws).shape;
        const dys = rng.uniform(size(yShape));
        const ref = reference(c, xs, ws, dys);
        const x = e.tensor(xs, c.x);
        const w = e.tensor(ws, c.w);
        const dy = e.tensor(dys, yShape);
        const dx = e.conv2dGradInput(dy, w, c.x, optsOf(c));
        const dw = e.conv2dGradFilter(x, dy, c.w, optsOf(c));
        expectShape(dx.shape, c.x, describeCase(c));
        expectShape(dw.shape, c.w, describeCase(c));
        expectClose(await dx.read(), ref.dx!, `dx ${variant} ${describeCase(c)}`);
        expectClose(await dw.read(), ref.dw!, `dw ${variant} ${describeCase(c)}`);
        for (const t of [x, w, dy, dx, dw]) t.dispose();
      }
    });
  }

  for (const variant of ['auto', 'block', 'vec4', 'tiled'] as const) {
    gpuIt(`the fused bias and activation apply per output channel with groups (${variant})`, async (e) => {
      e.tuning.conv2d = variant;
      const rng = new Rng(23);
      for (const c of [NAMED[0]!, NAMED[1]!, NAMED[2]!]) {
        const xs = rng.uniform(size(c.x));
        const ws = rng.uniform(size(c.w));
        const bs = rng.uniform(c.w[3]);
        const ref = reference(c, xs, ws);
        const want = tf.tidy(() => tf.relu6(tf.add(tf.mul(tf.tensor(ref.y, ref.shape), 4), tf.tensor(bs))).dataSync());
        // Scaled by 4 in the kernel's place: w × 4 reaches relu6's upper clamp.
        const w4 = ws.map((v) => 4 * v);
        const y = e.conv2d(e.tensor(xs, c.x), e.tensor(w4, c.w), { ...optsOf(c), bias: e.tensor(bs, [c.w[3]]), activation: 'relu6' });
        expectClose(await y.read(), want, `fused ${variant} ${describeCase(c)}`);
      }
    });
  }

  gpuIt('depthwise groups (groups = c) run on the depthwise kernels unless a conv2d variant is forced', async (e) => {
    const c = NAMED[2]!;
    const x = e.tensor(new Rng(24).uniform(size(c.x)), c.x);
    const w = e.tensor(new Rng(25).uniform(size(c.w)), c.w);
    const shaders: string[] = [];
    const stop = e.observeDispatches((d) => shaders.push(d.shader));
    e.conv2d(x, w, optsOf(c));
    e.tuning.conv2d = 'block';
    e.conv2d(x, w, optsOf(c));
    stop();
    expect(shaders.filter((s) => s !== 'copy')).to.deep.equal(['depthwise_conv2d', 'conv2d']);
  });

  gpuIt('bad groups throw errors that name the op and shapes, and the engine keeps working', async (e) => {
    const x = e.tensor(new Float32Array(2 * 5 * 5 * 6), [2, 5, 5, 6]);
    const w = e.tensor(new Float32Array(3 * 3 * 3 * 4), [3, 3, 3, 4]);
    expectThrowsNoLeak(e, () => e.conv2d(x, w, { groups: 3 }), /conv2d: with 3 groups the input's channels 6 must be 3 × the filter's in-channels 3 .*x \[2, 5, 5, 6\], w \[3, 3, 3, 4\]/);
    {
      const bad = e.tensor(new Float32Array(3 * 3 * 3 * 5), [3, 3, 3, 5]);
      expectThrowsNoLeak(e, () => e.conv2d(x, bad, { groups: 2 }), /conv2d: with 2 groups .*out-channels 5 a multiple of 2/);
    }
    expectThrowsNoLeak(e, () => e.conv2d(x, w, { groups: 0 }), /conv2d: groups must be a positive integer, got 0/);
    expectThrowsNoLeak(e, () => e.conv2d(x, w, { groups: 1.5 }), /conv2d: groups must be a positive integer, got 1.5/);
    {
      const bad = e.tensor(new Float32Array(2 * 3 * 3 * 4), [2, 3, 3, 4]);
      expectThrowsNoLeak(e, () => e.conv2dGradInput(bad, w, [2, 5, 5, 9], { groups: 2 }), /conv2dGradInput: with 2 groups the input's channels 9/);
    }
    {
      const bad = e.tensor(new Float32Array(8), [1, 2, 2, 2]);
      expectThrowsNoLeak(e, () => e.conv2dGradFilter(x, bad, [3, 3, 3, 4], { groups: 2 }), /conv2dGradFilter: dy \[1, 2, 2, 2\] does not match the conv2d output shape \[2, 3, 3, 4\]/);
    }
    const ok = e.conv2d(x, w, { groups: 2 });
    expectShape(ok.shape, [2, 3, 3, 4], 'valid call after errors');
  });
});
