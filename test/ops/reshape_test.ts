import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectShape } from '../helpers/compare.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** A random factorisation of `n` into `rank` dims, with one of them sometimes replaced by -1. */
function target(rng: Rng, n: number): number[] {
  const dims: number[] = [];
  let rest = n;
  const rank = rng.int(1, 5);
  for (let k = 0; k < rank - 1; k++) {
    const divisors = Array.from({ length: rest }, (_, i) => i + 1).filter((d) => rest % d === 0);
    const d = rng.pick(divisors);
    dims.push(d);
    rest /= d;
  }
  dims.push(rest);
  if (rng.next() < 0.5) dims[rng.int(0, dims.length - 1)] = -1;
  return dims;
}

describe('reshape', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('matches tf.reshape on 24 cases (with and without -1) and copies the values', async (e) => {
    const rng = new Rng(71);
    const fixed: [number[], number[]][] = [
      [[2, 4, 4, 3], [2, -1]], // Flatten
      [[6], [1, 2, 3]],
      [[2, 3], [3, 2]],
      [[1, 1, 5], [-1]],
      [[0, 3], [3, 0]],
      [[0, 3], [-1, 3]],
    ];
    const cases = [...fixed];
    while (cases.length < 24) {
      const from = Array.from({ length: rng.int(1, 4) }, () => rng.int(1, 6));
      cases.push([from, target(rng, size(from))]);
    }
    for (const [from, to] of cases) {
      const xs = rng.uniform(size(from));
      const ref = tf.tidy(() => tf.reshape(tf.tensor(xs, from), to).shape);
      const x = e.tensor(xs, from);
      const y = e.reshape(x, to);
      const what = `${JSON.stringify(from)} → ${JSON.stringify(to)}`;
      expectShape(y.shape, ref, what);
      expect(y.buffer, `${what}: a new buffer`).to.not.equal(x.buffer);
      expect([...(await y.read())], what).to.deep.equal([...xs]);
    }
  });

  gpuIt('the result and the input stay valid when the other is disposed', async (e) => {
    const x = e.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = e.reshape(x, [3, -1]);
    x.dispose();
    // The freed buffer is reused by the next tensor; y must not see its contents.
    const z = e.tensor([9, 9, 9, 9, 9, 9], [6]);
    expect([...(await y.read())]).to.deep.equal([1, 2, 3, 4, 5, 6]);
    const w = e.reshape(y, [6]);
    y.dispose();
    expect([...(await w.read())]).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect([...(await z.read())]).to.deep.equal([9, 9, 9, 9, 9, 9]);
  });

  gpuIt('bad arguments throw errors that name the op and shapes, and the engine keeps working', async (e) => {
    const x = e.tensor(new Float32Array(12), [3, 4]);
    expectThrowsNoLeak(e, () => e.reshape(x, [5, 2]), /reshape: x \[3, 4\] has 12 values but shape \[5, 2\] needs 10/);
    expectThrowsNoLeak(e, () => e.reshape(x, [-1, 5]), /reshape: cannot infer the -1 in \[-1, 5\]: x \[3, 4\] has 12 values, not a multiple of 5/);
    expectThrowsNoLeak(e, () => e.reshape(x, [-1, -1]), /reshape: shape \[-1, -1\] has 2 dims of -1; at most one can be inferred/);
    expectThrowsNoLeak(e, () => e.reshape(x, [2, -2]), /reshape: shape must be an array of non-negative integers with at most one -1, got \[2, -2\]/);
    {
      const bad = e.zeros([0, 4]);
      expectThrowsNoLeak(e, () => e.reshape(bad, [0, -1]), /reshape: cannot infer the -1 in \[0, -1\]/);
    }
    x.dispose();
    expectThrowsNoLeak(e, () => e.reshape(x, [12]), /reshape: x \(shape \[3, 4\]\) was used after dispose\(\)/);
    const ok = e.reshape(e.tensor([1, 2, 3, 4], [2, 2]), [4]);
    expect([...(await ok.read())], 'valid call after errors').to.deep.equal([1, 2, 3, 4]);
  });
});
