import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectShape } from '../helpers/compare.js';

type Pairs = [number, number][];
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

interface Case {
  x: number[];
  paddings: Pairs;
  value: number;
}

const NAMED: Case[] = [
  { x: [2, 5, 5, 8], paddings: [[0, 0], [1, 2], [2, 1], [0, 0]], value: 0 }, // ZeroPadding2D, vec4
  { x: [1, 4, 6, 3], paddings: [[0, 0], [3, 0], [0, 3], [0, 0]], value: -1.5 },
  { x: [5], paddings: [[2, 3]], value: 7 },
  { x: [3, 4], paddings: [[0, 0], [0, 0]], value: 1 }, // nothing to pad
  { x: [2, 0, 3], paddings: [[1, 0], [1, 1], [0, 2]], value: 4 }, // empty x: all constant
  { x: [1, 2, 1, 3, 2, 2], paddings: [[1, 0], [0, 1], [2, 0], [0, 0], [1, 1], [0, 0]], value: 0.5 }, // rank 6
  { x: [2, 1, 2, 1, 2, 1, 2], paddings: [[0, 1], [1, 0], [0, 0], [0, 1], [0, 0], [1, 1], [0, 0]], value: 2 }, // rank 7
  { x: [2, 3, 3, 4], paddings: [[1, 1], [0, 0], [0, 0], [4, 4]], value: 0 }, // channels and batch, vec4
  { x: [2, 4, 4, 6], paddings: [[0, 0], [1, 1], [2, 0], [0, 0]], value: -1 }, // 6 channels: 2 values per thread
];

function cases(seed: number, count: number): Case[] {
  const rng = new Rng(seed);
  const out = NAMED.slice(0, count);
  while (out.length < count) {
    const rank = rng.int(1, 6);
    const x = Array.from({ length: rank }, () => rng.int(1, 5));
    const paddings = x.map((): [number, number] => (rng.next() < 0.4 ? [0, 0] : [rng.int(0, 3), rng.int(0, 3)]));
    out.push({ x, paddings, value: rng.pick([0, 0, 1, -2.5]) });
  }
  return out;
}

describe('pad', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('matches tf.pad on 28 cases (ranks 1 to 7, constant values, empty inputs)', async (e) => {
    const rng = new Rng(41);
    for (const c of cases(4101, 28)) {
      const xs = rng.uniform(size(c.x));
      const ref = tf.tidy(() => {
        const y = tf.pad(tf.tensor(xs, c.x), c.paddings, c.value);
        return { y: y.dataSync(), shape: y.shape };
      });
      const y = e.pad(e.tensor(xs, c.x), c.paddings, c.value);
      expectShape(y.shape, ref.shape, JSON.stringify(c));
      expectClose(await y.read(), ref.y, JSON.stringify(c), 0);
    }
  });

  gpuIt('bad arguments throw errors that name the op and shapes, and the engine keeps working', async (e) => {
    const x = e.tensor(new Float32Array(6), [2, 3]);
    expectThrowsNoLeak(e, () => e.pad(x, [[1, 1]]), /pad: paddings must be 2 pairs \[before, after\] of non-negative integers, one per dim of x \[2, 3\]; got \[\[1,1\]\]/);
    expectThrowsNoLeak(e, () => e.pad(x, [[1, 1], [0, -1]]), /pad: paddings must be 2 pairs .*got \[\[1,1\],\[0,-1\]\]/);
    expectThrowsNoLeak(e, () => e.pad(x, [[1, 1], [0, 1.5]]), /pad: paddings must be 2 pairs/);
    {
      const bad = e.tensor([1], []);
      expectThrowsNoLeak(e, () => e.pad(bad, []), /pad: x must have rank 1 or more, got a scalar/);
    }
    {
      const bad = e.zeros([1, 1, 1, 1, 1, 1, 1, 1, 1]);
      expectThrowsNoLeak(e, () => e.pad(bad, []), /pad: x has rank 9 .*at most 8 dims/);
    }
    const ok = e.pad(e.tensor([1, 2], [2]), [[1, 2]], 9);
    expect([...(await ok.read())], 'valid call after errors').to.deep.equal([9, 1, 2, 9, 9]);
  });
});
