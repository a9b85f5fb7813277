import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectShape } from '../helpers/compare.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

describe('clip', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('matches tf.clipByValue and its tf.grads exactly (sizes in fours, twos and odd; infinite bounds; equal bounds)', async (e) => {
    const rng = new Rng(81);
    const cases: [number[], number, number][] = [
      [[2, 3, 4, 4], -0.5, 0.5],
      [[3, 2], 0, 6],
      [[7], -0.25, -0.25],
      [[1, 5, 3], -Infinity, 0.3],
      [[2, 9], -0.1, Infinity],
      [[0, 4], -1, 1],
      [[], -0.2, 0.2],
    ];
    for (const [shape, lo, hi] of cases) {
      const xs = rng.uniform(size(shape));
      if (xs.length > 2) {
        // Exactly on the bounds, where the gradient's rule is decided.
        if (Number.isFinite(lo)) xs[0] = lo;
        if (Number.isFinite(hi)) xs[1] = hi;
      }
      const dys = rng.uniform(size(shape));
      const ref = tf.tidy(() => {
        const f = (a: tf.Tensor) => tf.clipByValue(a, lo, hi);
        const y = f(tf.tensor(xs, shape)).dataSync();
        // With equal bounds TF.js fills the constant without x, so tf.grads finds no path: 0.
        if (lo === hi) return { y, dx: new Float32Array(xs.length) };
        const [dx] = tf.grads(f)([tf.tensor(xs, shape)], tf.tensor(dys, shape));
        return { y, dx: dx!.dataSync() };
      });
      const x = e.tensor(xs, shape);
      const y = e.clip(x, lo, hi);
      const dx = e.clipGrad(e.tensor(dys, shape), x, lo, hi);
      expectShape(y.shape, shape, `${JSON.stringify(shape)} [${lo}, ${hi}]`);
      expect([...(await y.read())], `y ${JSON.stringify(shape)} [${lo}, ${hi}]`).to.deep.equal([...ref.y]);
      expect([...(await dx.read())], `dx ${JSON.stringify(shape)} [${lo}, ${hi}]`).to.deep.equal([...ref.dx]);
    }
  });

  gpuIt('NaN passes through the forward and gets no gradient, as in TF.js; ±Infinity is clipped', async (e) => {
    const x = e.tensor([NaN, Infinity, -Infinity, 0.5], [4]);
    expect([...(await e.clip(x, -1, 1).read())]).to.deep.equal([NaN, 1, -1, 0.5]);
    expect([...(await e.clipGrad(e.tensor([1, 1, 1, 1], [4]), x, -1, 1).read())]).to.deep.equal([0, 0, 0, 1]);
  });

  gpuIt('bad arguments throw errors that name the op and shapes, and the engine keeps working', async (e) => {
    const x = e.tensor([1, 2, 3], [3]);
    expectThrowsNoLeak(e, () => e.clip(x, 2, 1), /clip: min 2 must not exceed max 1/);
    expectThrowsNoLeak(e, () => e.clip(x, NaN, 1), /clip: min must be a number \(±Infinity for no bound\), got NaN/);
    {
      const bad = e.tensor([1, 2], [2]);
      expectThrowsNoLeak(e, () => e.clipGrad(bad, x, 0, 1), /clipGrad: dy \[2\] must have the shape of x \[3\]/);
    }
    expect([...(await e.clip(x, 1.5, 2.5).read())]).to.deep.equal([1.5, 2, 2.5]);
  });
});
