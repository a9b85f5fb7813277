import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectSameNonFinite, expectShape } from '../helpers/compare.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

interface Case {
  x: number[];
  offset: boolean;
  scale: boolean;
  epsilon: number;
  /** Parameters shaped [1, …, 1, c] like x instead of [c]. */
  fullRank: boolean;
}

const NAMED: Case[] = [
  { x: [2, 5, 5, 8], offset: true, scale: true, epsilon: 1e-3, fullRank: false }, // vec4
  { x: [3, 4, 7, 3], offset: true, scale: true, epsilon: 1e-5, fullRank: false },
  { x: [2, 3, 3, 6], offset: true, scale: false, epsilon: 1e-3, fullRank: false }, // 2 channels per thread
  { x: [7], offset: false, scale: false, epsilon: 0.001, fullRank: false }, // rank 1
  { x: [4, 6], offset: true, scale: false, epsilon: 0.1, fullRank: false },
  { x: [2, 3, 4, 5, 4], offset: false, scale: true, epsilon: 0, fullRank: false }, // rank 5
  { x: [1, 2, 2, 12], offset: true, scale: true, epsilon: 1e-3, fullRank: true },
];

function cases(seed: number, count: number): Case[] {
  const rng = new Rng(seed);
  const out = NAMED.slice(0, count);
  while (out.length < count) {
    const rank = rng.int(1, 5);
    const x = Array.from({ length: rank }, () => rng.int(1, 6));
    x[rank - 1] = rng.pick([1, 2, 3, 4, 5, 8, 12]);
    out.push({ x, offset: rng.next() < 0.7, scale: rng.next() < 0.7, epsilon: rng.pick([0.001, 1e-5, 0.01]), fullRank: rng.next() < 0.2 });
  }
  return out;
}

describe('batchNorm', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('matches tf.batchNorm on 24 cases (ranks 1 to 5, with and without offset and scale)', async (e) => {
    const rng = new Rng(31);
    for (const c of cases(3101, 24)) {
      const ch = c.x[c.x.length - 1]!;
      const pShape = c.fullRank ? [...c.x.map(() => 1).slice(1), ch] : [ch];
      const xs = rng.uniform(size(c.x), -3, 3);
      const [ms, vs, os, ss] = [rng.uniform(ch), rng.uniform(ch, 0.1, 2), rng.uniform(ch), rng.uniform(ch, 0.5, 2)];
      const ref = tf.tidy(() =>
        tf.batchNorm(tf.tensor(xs, c.x), tf.tensor(ms, pShape), tf.tensor(vs, pShape), c.offset ? tf.tensor(os, pShape) : undefined, c.scale ? tf.tensor(ss, pShape) : undefined, c.epsilon).dataSync(),
      );
      const what = JSON.stringify(c);
      const y = e.batchNorm(e.tensor(xs, c.x), e.tensor(ms, pShape), e.tensor(vs, pShape), c.offset ? e.tensor(os, pShape) : null, c.scale ? e.tensor(ss, pShape) : null, c.epsilon);
      expectShape(y.shape, c.x, what);
      expectClose(await y.read(), ref, what);
    }
  });

  gpuIt('epsilon defaults to 0.001 as in tf.batchNorm', async (e) => {
    const y = await e.batchNorm(e.tensor([1, 2], [1, 2]), e.tensor([0, 0], [2]), e.tensor([1, 0.999], [2])).read();
    expectClose(y, [1 / Math.sqrt(1.001), 2], 'default epsilon');
  });

  gpuIt('NaN and ±Infinity in x and the statistics give TF.js\'s values', async (e) => {
    const xs = [NaN, 1, Infinity, -Infinity, 2, 0.5, 3, -1];
    const stats = { mean: [0, 0.5, NaN, 1], variance: [1, Infinity, 1, 0.5], offset: [0.1, 0, 0, -Infinity], scale: [2, 1, 1, 1] };
    const x = e.tensor(xs, [2, 4]);
    const [m, v, o, s] = Object.values(stats).map((a) => e.tensor(a, [4]));
    const ref = tf.batchNorm(tf.tensor(xs, [2, 4]), stats.mean, stats.variance, stats.offset, stats.scale, 0.001);
    expectSameNonFinite(await e.batchNorm(x, m!, v!, o, s, 0.001).read(), ref.dataSync(), 'batchNorm');
  });

  gpuIt('bad arguments throw errors that name the op and shapes, and the engine keeps working', async (e) => {
    const x = e.tensor(new Float32Array(2 * 3 * 4), [2, 3, 4]);
    const p4 = e.tensor([0, 0, 0, 0], [4]);
    const p3 = e.tensor([0, 0, 0], [3]);
    expectThrowsNoLeak(e, () => e.batchNorm(x, p3, p4), /batchNorm: mean \[3\] must have shape \[4\] to match the last axis of x \[2, 3, 4\]/);
    {
      const bad = e.tensor([1, 1, 1, 1], [2, 2]);
      expectThrowsNoLeak(e, () => e.batchNorm(x, p4, p4, null, bad), /batchNorm: scale \[2, 2\] must have shape \[4\] to match the last axis of x \[2, 3, 4\]/);
    }
    expectThrowsNoLeak(e, () => e.batchNorm(x, p4, p4, p3), /batchNorm: offset \[3\] must have shape \[4\]/);
    {
      const bad = e.tensor([1], []);
      expectThrowsNoLeak(e, () => e.batchNorm(bad, p4, p4), /batchNorm: x must have rank 1 or more .*got shape \[\]/);
    }
    expectThrowsNoLeak(e, () => e.batchNorm(x, p4, p4, null, null, -1), /batchNorm: epsilon must be a finite non-negative number, got -1/);
    expectThrowsNoLeak(e, () => e.batchNorm(x, p4, null as never), /batchNorm: variance must be a Tensor, got null/);
    const ok = e.batchNorm(e.tensor([3, 5, 7, 9], [1, 4]), e.tensor([1, 1, 1, 1], [4]), e.tensor([4, 4, 4, 4], [4]), e.tensor([1, 1, 1, 1], [4]), null, 0);
    expect([...(await ok.read())], 'valid call after errors').to.deep.equal([2, 3, 4, 5]);
  });
});
