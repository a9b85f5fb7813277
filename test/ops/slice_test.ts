import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectShape } from '../helpers/compare.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

interface Case {
  x: number[];
  begin: number[];
  size: number[];
}

const NAMED: Case[] = [
  { x: [2, 6, 6, 8], begin: [0, 1, 1, 0], size: [-1, 4, 4, -1] }, // Cropping2D, vec4
  { x: [2, 6, 6, 8], begin: [0, 0, 0, 4], size: [-1, -1, -1, 4] }, // half the channels, vec4
  { x: [3, 5, 7], begin: [1, 0, 0], size: [1, -1, -1] }, // one batch row: a contiguous run
  { x: [3, 5, 7], begin: [2, 4, 6], size: [1, 1, 1] }, // one element
  { x: [9], begin: [3], size: [-1] },
  { x: [4, 5], begin: [1], size: [2] }, // shorter begin and size, as tf.slice allows
  { x: [4, 5], begin: [4, 0], size: [0, -1] }, // empty
  { x: [2, 3, 2, 3, 2, 3], begin: [1, 0, 1, 1, 0, 2], size: [1, 3, -1, 2, 2, 1] }, // rank 6
];

function cases(seed: number, count: number): Case[] {
  const rng = new Rng(seed);
  const out = NAMED.slice(0, count);
  while (out.length < count) {
    const rank = rng.int(1, 6);
    const x = Array.from({ length: rank }, () => rng.int(1, 6));
    const begin = x.map((d) => rng.int(0, d - 1));
    const sz = x.map((d, k) => (rng.next() < 0.3 ? -1 : rng.int(0, d - begin[k]!)));
    out.push({ x, begin, size: sz });
  }
  return out;
}

describe('slice', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('matches tf.slice on 28 cases (ranks 1 to 6, size -1, shorter begin and size, empty results)', async (e) => {
    const rng = new Rng(51);
    for (const c of cases(5101, 28)) {
      const xs = rng.uniform(size(c.x));
      const ref = tf.tidy(() => {
        const y = tf.slice(tf.tensor(xs, c.x), c.begin, c.size);
        return { y: y.dataSync(), shape: y.shape };
      });
      const y = e.slice(e.tensor(xs, c.x), c.begin, c.size);
      expectShape(y.shape, ref.shape, JSON.stringify(c));
      expectClose(await y.read(), ref.y, JSON.stringify(c), 0);
    }
  });

  gpuIt('bad arguments throw errors that name the op and shapes, and the engine keeps working', async (e) => {
    const x = e.tensor(new Float32Array(12), [3, 4]);
    expectThrowsNoLeak(e, () => e.slice(x, [1, 2], [2, 3]), /slice: begin \[1, 2\] with size \[2, 3\] runs past dim 1 \(4\) of x \[3, 4\]/);
    expectThrowsNoLeak(e, () => e.slice(x, [4, 0], [-1, -1]), /slice: begin \[4, 0\] with size \[-1, 4\] runs past dim 0 \(3\) of x \[3, 4\]/);
    expectThrowsNoLeak(e, () => e.slice(x, [-1, 0], [1, 1]), /slice: begin must be at most 2 non-negative integers for x \[3, 4\], got \[-1,0\]/);
    expectThrowsNoLeak(e, () => e.slice(x, [0, 0], [1, -2]), /slice: size must be at most 2 non-negative integers or -1 for x \[3, 4\], got \[1,-2\]/);
    expectThrowsNoLeak(e, () => e.slice(x, [0, 0, 0], [1]), /slice: begin must be at most 2/);
    {
      const bad = e.tensor([1], []);
      expectThrowsNoLeak(e, () => e.slice(bad, [], []), /slice: x must have rank 1 or more, got a scalar/);
    }
    const ok = e.slice(e.tensor([1, 2, 3, 4, 5, 6], [2, 3]), [1, 1], [1, -1]);
    expectShape(ok.shape, [1, 2], 'valid call after errors');
    expect([...(await ok.read())]).to.deep.equal([5, 6]);
  });
});
