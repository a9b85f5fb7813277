// conv2d's batch-norm epilogue (shaders/include/epilogue_bn.wgsl): conv → + bias → inference batch
// normalisation → activation in one dispatch must equal the conv2d and batchNorm ops run one after
// the other (and TF.js), on every forward kernel, with and without gamma and beta.
import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';
import { Tape } from '../../src/autograd/tape.js';
import type { Conv2dVariant } from '../../src/ops/conv2d.js';

describe('conv2d with a batch-norm epilogue', () => {
  for (const variant of ['block', 'vec4', 'tiled'] as Conv2dVariant[]) {
    gpuIt(`equals conv2d then batchNorm then relu, and TF.js, on the ${variant} kernel`, async (e) => {
      e.tuning.conv2d = variant;
      const rng = new Rng(11);
      // 6 output channels: not a multiple of 4, so the last block of the register kernels is partial.
      for (const [ci, co, affine] of [[4, 8, true], [3, 6, false]] as const) {
        const xs = rng.uniform(2 * 7 * 7 * ci, -2, 2);
        const ws = rng.uniform(3 * 3 * ci * co);
        const bs = rng.uniform(co);
        const ms = rng.uniform(co);
        const vs = rng.uniform(co, 0.5, 1.5);
        const gs = rng.uniform(co, 0.5, 2);
        const os = rng.uniform(co);
        const x = e.tensor(xs, [2, 7, 7, ci]);
        const w = e.tensor(ws, [3, 3, ci, co]);
        const [b, mean, variance, gamma, beta] = [bs, ms, vs, gs, os].map((v) => e.tensor(v, [co]));
        const scale = affine ? gamma! : null;
        const offset = affine ? beta! : null;
        const seen: string[] = [];
        const stop = e.observeDispatches((d) => seen.push(d.shader));
        const fused = e.conv2d(x, w, { pad: 'same', bias: b, activation: 'relu', batchNorm: { mean: mean!, variance: variance!, scale, offset, epsilon: 1e-3 } });
        stop();
        expect(seen, 'one dispatch').to.deep.equal(['conv2d']);
        const c = e.conv2d(x, w, { pad: 'same', bias: b });
        const n = e.batchNorm(c, mean!, variance!, offset, scale, 1e-3);
        const unfused = e.relu(n);
        const got = await fused.read();
        expectClose(got, await unfused.read(), `${variant} ${ci}→${co} against the unfused ops`, 1e-6);
        const ref = tf.tidy(() => {
          const conv = tf.add(tf.conv2d(tf.tensor4d(xs, [2, 7, 7, ci]), tf.tensor4d(ws, [3, 3, ci, co]), 1, 'same'), tf.tensor1d(bs));
          const bn = tf.batchNorm(conv, tf.tensor1d(ms), tf.tensor1d(vs), affine ? tf.tensor1d(os) : undefined, affine ? tf.tensor1d(gs) : undefined, 1e-3);
          return tf.relu(bn).dataSync() as Float32Array;
        });
        expectClose(got, ref, `${variant} ${ci}→${co} against TF.js`);
        for (const t of [x, w, b, mean, variance, gamma, beta, fused, c, n, unfused]) t!.dispose();
      }
    });
  }

  gpuIt('reads the statistics when it runs: a variance written in place changes the next result', async (e) => {
    const rng = new Rng(12);
    const x = e.tensor(rng.uniform(1 * 5 * 5 * 4), [1, 5, 5, 4]);
    const w = e.tensor(rng.uniform(3 * 3 * 4 * 4), [3, 3, 4, 4]);
    const mean = e.tensor(rng.uniform(4), [4]);
    const variance = e.tensor(new Float32Array([1, 1, 1, 1]), [4]);
    const before = e.conv2d(x, w, { batchNorm: { mean, variance } });
    // As BatchNormalization's moving averages and the optimisers write: into the tensor's own buffer, in stream order.
    const fours = e.tensor(new Float32Array([4, 4, 4, 4]), [4]);
    e.scheduler.copy(fours.buffer, variance.buffer, 16);
    const after = e.conv2d(x, w, { batchNorm: { mean, variance } });
    const [a, b] = [await before.read(), await after.read()];
    // (v − m)/√(1 + ε), then (v − m)/√(4 + ε).
    expectClose(b, Array.from(a, (v) => v * Math.sqrt(1.001 / 4.001)), 'after the write');
    for (const t of [x, w, mean, variance, fours, before, after]) t.dispose();
  });

  gpuIt('is refused on a tape, which has no gradient for it, and for statistics of the wrong size', (e) => {
    const x = e.zeros([1, 4, 4, 2]);
    const w = e.zeros([1, 1, 2, 3]);
    const mean = e.zeros([3]);
    const short = e.zeros([2]);
    const tape = new Tape(e);
    expect(() => tape.conv2d(x, w, { batchNorm: { mean, variance: mean } })).to.throw(/no gradient/);
    expect(() => e.conv2d(x, w, { batchNorm: { mean, variance: short } })).to.throw(/batchNorm\.variance \[2\] must hold one value per output channel \(3\)/);
    expect(() => e.conv2d(x, w, { batchNorm: { mean, variance: mean, epsilon: 0 } })).to.throw(/epsilon must be a positive/);
    tape.dispose();
    for (const t of [x, w, mean, short]) t.dispose();
  });
});
