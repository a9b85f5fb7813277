import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectSameNonFinite, expectShape } from '../helpers/compare.js';
import { Tape } from '../../src/autograd/tape.js';
import type { Activation } from '../../src/ops/epilogue.js';
import type { Engine } from '../../src/engine.js';
import type { Tensor } from '../../src/tensor.js';

const ACTIVATIONS: Activation[] = ['linear', 'relu', 'relu6', 'leakyRelu', 'sigmoid', 'tanh'];
const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** The oracle: TF.js's unfused ops (tf.fused has no tanh). */
function activate(y: tf.Tensor, act: Activation, alpha: number): tf.Tensor {
  switch (act) {
    case 'relu': return tf.relu(y);
    case 'relu6': return tf.relu6(y);
    case 'leakyRelu': return tf.leakyRelu(y, alpha);
    case 'sigmoid': return tf.sigmoid(y);
    case 'tanh': return tf.tanh(y);
    default: return y;
  }
}

/** Values spread wide enough to reach relu6's upper clamp. */
function values(rng: Rng, n: number, spread = 4): Float32Array {
  return rng.uniform(n, -spread, spread);
}

async function countDispatches(e: Engine, run: () => Tensor): Promise<{ y: Tensor; entries: string[] }> {
  const entries: string[] = [];
  const stop = e.observeDispatches((d) => entries.push(`${d.shader}.${d.entry}`));
  try {
    return { y: run(), entries };
  } finally {
    stop();
  }
}

describe('fused epilogues (bias and activation in the op\'s own dispatch)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const variant of ['block', 'vec4', 'tiled'] as const) {
    gpuIt(`conv2d (${variant}) with bias and each activation matches tf.conv2d + bias + activation, in one dispatch`, async (e) => {
      e.tuning.conv2d = variant;
      const rng = new Rng(11);
      const shapes: [number[], number[], object][] = [
        [[2, 6, 7, 4], [3, 3, 4, 8], { pad: 'same' }],
        [[1, 9, 5, 3], [2, 3, 3, 5], { pad: 'valid', strides: [2, 1] }],
        [[1, 5, 5, 8], [3, 3, 8, 4], { pad: 1, dilations: 2 }],
      ];
      for (const act of ACTIVATIONS) {
        for (const [xs, ws, geo] of shapes) {
          const alpha = act === 'leakyRelu' ? rng.pick([0.2, -0.5]) : 0.2;
          const xv = values(rng, size(xs));
          const wv = rng.uniform(size(ws));
          const bv = values(rng, ws[3]!);
          const [x, w, b] = [e.tensor(xv, xs), e.tensor(wv, ws), e.tensor(bv, [ws[3]!])];
          const { y, entries } = await countDispatches(e, () => e.conv2d(x, w, { ...geo, bias: b, activation: act, leakyreluAlpha: alpha }));
          const what = `${act} x ${JSON.stringify(xs)} w ${JSON.stringify(ws)} ${JSON.stringify(geo)}`;
          expect(entries, what).to.have.length(1);
          const g = geo as { pad: 'same' | 'valid' | number; strides?: [number, number]; dilations?: number };
          const ref = activate(tf.add(tf.conv2d(tf.tensor4d(xv, xs as never), tf.tensor4d(wv, ws as never), g.strides ?? 1, g.pad as never, 'NHWC', g.dilations ?? 1), tf.tensor1d(bv)), act, alpha);
          expectShape(y.shape, ref.shape, what);
          expectClose(await y.read(), ref.dataSync(), what);
          for (const t of [x, w, b, y]) t.dispose();
        }
      }
    });
  }

  for (const variant of ['block', 'wide'] as const) {
    gpuIt(`depthwiseConv2d (${variant}) with bias and each activation matches tf.depthwiseConv2d + bias + activation`, async (e) => {
      e.tuning.depthwise = variant;
      const rng = new Rng(12);
      const shapes: [number[], number[]][] = [[[1, 6, 5, 16], [3, 3, 16, 1]], [[2, 4, 4, 3], [2, 2, 3, 2]]];
      for (const act of ACTIVATIONS) {
        for (const [xs, ws] of shapes) {
          const xv = values(rng, size(xs));
          const wv = rng.uniform(size(ws));
          const outC = ws[2]! * ws[3]!;
          const bv = values(rng, outC);
          const [x, w, b] = [e.tensor(xv, xs), e.tensor(wv, ws), e.tensor(bv, [outC])];
          const { y, entries } = await countDispatches(e, () => e.depthwiseConv2d(x, w, { pad: 'same', bias: b, activation: act }));
          const what = `${act} x ${JSON.stringify(xs)} w ${JSON.stringify(ws)}`;
          expect(entries, what).to.have.length(1);
          const ref = activate(tf.add(tf.depthwiseConv2d(tf.tensor4d(xv, xs as never), tf.tensor4d(wv, ws as never), 1, 'same'), tf.tensor1d(bv)), act, 0.2);
          expectClose(await y.read(), ref.dataSync(), what);
          for (const t of [x, w, b, y]) t.dispose();
        }
      }
    });
  }

  for (const variant of ['tiled', 'regs', 'wide'] as const) {
    gpuIt(`matMul (${variant}) with bias and each activation matches tf.matMul + bias + activation`, async (e) => {
      e.tuning.matMul = variant;
      const rng = new Rng(13);
      for (const act of ACTIVATIONS) {
        for (const [m, k, n, tB] of [[3, 7, 8, false], [5, 9, 13, true], [1, 30, 20, false], [70, 5, 66, false]] as [number, number, number, boolean][]) {
          const av = rng.uniform(m * k);
          const bv = values(rng, k * n);
          const scalarBias = n === 13;
          const biasV = values(rng, scalarBias ? 1 : n);
          const [a, b, bias] = [e.tensor(av, [m, k]), e.tensor(bv, tB ? [n, k] : [k, n]), e.tensor(biasV, [biasV.length])];
          const { y, entries } = await countDispatches(e, () => e.matMul(a, b, { transposeB: tB, bias, activation: act }));
          const what = `${act} ${m}×${k}·${k}×${n}${tB ? ' (transposeB)' : ''}${scalarBias ? ', one bias value' : ''}`;
          expect(entries, what).to.have.length(1);
          const ref = activate(tf.add(tf.matMul(tf.tensor2d(av, [m, k]), tf.tensor2d(bv, tB ? [n, k] : [k, n]), false, tB), tf.tensor1d(biasV)), act, 0.2);
          expectClose(await y.read(), ref.dataSync(), what);
          for (const t of [a, b, bias, y]) t.dispose();
        }
      }
    });
  }

  gpuIt('NaN and ±Infinity pass through the fused bias and every activation of each kernel as through TF.js\'s unfused ops', async (e) => {
    // Eight pixels of four channels: one holding a NaN, one +Infinity, one −Infinity, the rest
    // finite; weights are positive, so each special value reaches every output of its pixel
    // unmixed (relu must give NaN, +Infinity and 0 for them).
    const rng = new Rng(13);
    const xv = values(rng, 32);
    [xv[1], xv[8], xv[18]] = [NaN, Infinity, -Infinity];
    const wv = rng.uniform(16, 0.1, 1);
    const bv = values(rng, 4);
    const [x, b] = [e.tensor(xv, [1, 2, 4, 4]), e.tensor(bv, [4])];
    const [tx, tb] = [tf.tensor4d(xv, [1, 2, 4, 4]), tf.tensor1d(bv)];
    const kernels = [
      ['conv2d', ['block', 'vec4', 'tiled']], ['depthwiseConv2d', ['block', 'wide']], ['matMul', ['tiled', 'regs', 'wide']],
    ] as const;
    for (const act of ACTIVATIONS) {
      for (const [op, variants] of kernels) {
        const w = op === 'depthwiseConv2d' ? e.tensor(wv.subarray(0, 4), [1, 1, 4, 1]) : e.tensor(wv, op === 'conv2d' ? [1, 1, 4, 4] : [4, 4]);
        const pre = op === 'conv2d' ? tf.conv2d(tx, tf.tensor4d(wv, [1, 1, 4, 4]), 1, 'valid')
          : op === 'depthwiseConv2d' ? tf.depthwiseConv2d(tx, tf.tensor4d(wv.subarray(0, 4), [1, 1, 4, 1]), 1, 'valid')
          : tf.matMul(tf.reshape(tx, [8, 4]), tf.tensor2d(wv, [4, 4]));
        const ref = activate(tf.add(pre, tb), act, 0.2).dataSync();
        for (const variant of variants) {
          (e.tuning as Record<string, string>)[op === 'depthwiseConv2d' ? 'depthwise' : op] = variant;
          const opts = { bias: b, activation: act };
          const y = op === 'conv2d' ? e.conv2d(x, w, opts) : op === 'depthwiseConv2d' ? e.depthwiseConv2d(x, w, opts) : e.matMul(e.reshape(x, [8, 4]), w, opts);
          expectSameNonFinite(await y.read(), ref, `${op} (${variant}) ${act}`);
          y.dispose();
        }
        w.dispose();
      }
    }
    Object.assign(e.tuning, { conv2d: 'auto', depthwise: 'auto', matMul: 'auto' });
  });

  gpuIt('the tape\'s gradients through a fused conv2d and matMul equal tf.grads of the unfused ops, for every activation', async (e) => {
    const rng = new Rng(14);
    for (const act of ACTIVATIONS) {
      for (const alpha of act === 'leakyRelu' ? [0.2, -0.5] : [0.2]) {
        const xs = [2, 5, 4, 3];
        const ws = [3, 3, 3, 4];
        const xv = values(rng, size(xs), 2);
        const wv = rng.uniform(size(ws));
        const bv = values(rng, 4, 1);
        const wdv = rng.uniform(24 * 3);
        const bdv = values(rng, 3, 1);
        const r = rng.uniform(2 * 3);
        const tape = new Tape(e);
        const [x, w, b, wd, bd] = [e.tensor(xv, xs), e.tensor(wv, ws), e.tensor(bv, [4]), e.tensor(wdv, [24, 3]), e.tensor(bdv, [3])];
        const conv = tape.conv2d(x, w, { pad: 'valid', bias: b, activation: act, leakyreluAlpha: alpha }); // [2, 3, 2, 4]
        const flat = tape.reshape(conv, [2, 24]);
        const dense = tape.matMul(flat, wd, { bias: bd, activation: act, leakyreluAlpha: alpha });
        const rT = e.tensor(r, [2, 3]);
        const loss = tape.sum(tape.mul(dense, rT));
        const grads = tape.backward(loss, [x, w, b, wd, bd]);
        const f = (tx: tf.Tensor, tw: tf.Tensor, tb: tf.Tensor, twd: tf.Tensor, tbd: tf.Tensor) => {
          const c = activate(tf.add(tf.conv2d(tx as tf.Tensor4D, tw as tf.Tensor4D, 1, 'valid'), tb), act, alpha);
          const d = activate(tf.add(tf.matMul(tf.reshape(c, [2, 24]), twd as tf.Tensor2D), tbd), act, alpha);
          return tf.sum(tf.mul(d, tf.tensor2d(r, [2, 3])));
        };
        const want = tf.grads(f as never)([tf.tensor4d(xv, xs as never), tf.tensor4d(wv, ws as never), tf.tensor1d(bv), tf.tensor2d(wdv, [24, 3]), tf.tensor1d(bdv)]);
        const names = ['x', 'w', 'conv bias', 'dense w', 'dense bias'];
        const params = [x, w, b, wd, bd];
        for (let i = 0; i < params.length; i++) expectClose(await grads.get(params[i]!)!.read(), want[i]!.dataSync(), `${act} (alpha ${alpha}) d/d${names[i]}`, 1e-3);
        tape.dispose();
        for (const t of [x, w, b, wd, bd, rT, ...grads.values()]) t.dispose();
        expect(e.memory().buffers, `${act}: every buffer freed`).to.equal(0);
      }
    }
  });

  gpuIt('rejects a bias of the wrong size and an unknown activation, naming them', async (e) => {
    const x = e.zeros([1, 4, 4, 2]);
    const w = e.zeros([3, 3, 2, 3]);
    const b = e.zeros([2]);
    expectThrowsNoLeak(e, () => e.conv2d(x, w, { bias: b }), /bias \[2\] must have one value per output channel \(3\)/);
    expectThrowsNoLeak(e, () => e.conv2d(x, w, { activation: 'elu' as never }), /activation 'elu'/);
    {
      const bad1 = e.zeros([2, 3]);
      const bad2 = e.zeros([3, 4]);
      expectThrowsNoLeak(e, () => e.matMul(bad1, bad2, { bias: b }), /matMul: bias \[2\]/);
    }
    expect(e.memory().buffers, 'nothing allocated by a rejected call').to.equal(5);
  });
});
