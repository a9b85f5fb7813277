import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectSameNonFinite, expectShape } from '../helpers/compare.js';
import type { Engine } from '../../src/engine.js';

type Op = 'sum' | 'mean';
type Axes = number | number[] | undefined;

/** Random axes in one of the forms callers use: all, one number, a shuffled mix of signs, none. */
function randomAxes(rng: Rng, rank: number): Axes {
  const form = rng.int(0, 5);
  if (form === 0) return undefined;
  if (form === 1 && rank > 0) return rng.int(-rank, rank - 1);
  const dims = Array.from({ length: rank }, (_, d) => d).filter(() => rng.next() < 0.5);
  for (let i = dims.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [dims[i], dims[j]] = [dims[j]!, dims[i]!];
  }
  return dims.map((d) => (rng.next() < 0.5 ? d - rank : d));
}

async function check(e: Engine, op: Op, values: Float32Array, shape: number[], axes: Axes): Promise<void> {
  const x = e.tensor(values, shape);
  const before = e.memory().buffers;
  const y = e[op](x, axes);
  expect(e.memory().buffers, 'intermediates disposed').to.equal(before + 1);
  const ref = tf[op](tf.tensor(values, shape), axes);
  const what = `${op} ${JSON.stringify(shape)} axes ${JSON.stringify(axes)}`;
  expectShape(y.shape, ref.shape, what);
  expectClose(await y.read(), ref.dataSync(), what);
  x.dispose();
  y.dispose();
  ref.dispose();
}

describe('reduce sum, mean', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const op of ['sum', 'mean'] as const) {
    gpuIt(`${op} matches TensorFlow.js on 24 random shapes and axes`, async (e) => {
      const rng = new Rng(op === 'sum' ? 11 : 12);
      for (let c = 0; c < 24; c++) {
        const shape = Array.from({ length: rng.int(0, 5) }, () => rng.int(1, 6));
        await check(e, op, rng.uniform(shape.reduce((p, d) => p * d, 1), -2, 2), shape, randomAxes(rng, shape.length));
      }
    });

    gpuIt(`${op} over non-adjacent, negative, all and no axes`, async (e) => {
      const rng = new Rng(op === 'sum' ? 21 : 22);
      const cases: [number[], Axes][] = [
        [[3, 4, 5, 6], [0, 2]],
        [[3, 4, 5, 6], [-1, 1]],
        [[2, 3, 4, 5, 2], [0, 2, 4]],
        [[2, 3, 4, 5, 2], [3, -5, 1]],
        [[4, 1, 5, 1, 3], [1, 3]], // only dims of size 1: a copy
        [[4, 1, 5], [0, 1]],
        [[3, 4], []],
        [[3, 4], [0, 1]],
        [[3, 4], undefined],
        [[], undefined],
        [[], []],
        [[7], 0],
        [[7], -1],
      ];
      for (const [shape, axes] of cases) await check(e, op, rng.uniform(shape.reduce((p, d) => p * d, 1)), shape, axes);
    });

    gpuIt(`${op} of long runs goes through partial passes and keeps its accuracy`, async (e) => {
      const rng = new Rng(op === 'sum' ? 31 : 32);
      const cases: [number[], Axes, number, number][] = [
        [[100_000], undefined, -1, 1],
        [[100_000], undefined, 0, 1], // no cancellation: a stricter test of the chunked sum
        [[3, 40_000], 1, -1, 1], // long rows: one workgroup per chunk
        [[30_000, 3], 0, 0, 1], // long columns, few of them
        [[8, 300, 16], [0, 2], -1, 1],
        [[20, 30, 40, 5], [0, 2], -1, 1],
        [[16, 9, 9, 32], [1, 2], 0, 1], // global average pooling over NHWC
      ];
      for (const [shape, axes, lo, hi] of cases) await check(e, op, rng.uniform(shape.reduce((p, d) => p * d, 1), lo, hi), shape, axes);
    });
  }

  gpuIt('the full sum of a large tensor is the same on every run', async (e) => {
    const x = e.tensor(new Rng(5).uniform(200_000), [200_000]);
    const first = await e.sum(x).read();
    const second = await e.sum(x).read();
    expect(second[0]).to.equal(first[0]);
  });

  gpuIt('every output is written when there are more than 65,535 workgroups of them', async (e) => {
    const n = 65_535 * 256 + 1000;
    const values = new Float32Array(n).map((_, i) => i % 1000);
    const y = await e.mean(e.tensor(values, [n, 1]), 1).read();
    const wrong = y.findIndex((v, i) => v !== values[i]);
    expect(wrong, `first wrong output (of ${n})`).to.equal(-1);
  });

  gpuIt('NaN and ±Infinity reach sum and mean as in TF.js (∞ − ∞ is NaN)', async (e) => {
    const xs = [NaN, 1, 2, Infinity, 1, 2, Infinity, -Infinity, 3, -Infinity, 5, 6];
    const x = e.tensor(xs, [4, 3]);
    const tx = tf.tensor(xs, [4, 3]);
    for (const axes of [1, 0]) {
      expectSameNonFinite(await e.sum(x, axes).read(), tf.sum(tx, axes).dataSync(), `sum over ${axes}`);
      expectSameNonFinite(await e.mean(x, axes).read(), tf.mean(tx, axes).dataSync(), `mean over ${axes}`);
    }
  });

  gpuIt('empty reductions give zeros for sum and mean, as tfjs does', async (e) => {
    const x = e.tensor([], [0, 3]);
    for (const op of ['sum', 'mean'] as const) {
      const y = e[op](x, 0);
      expectShape(y.shape, [3], op);
      expect(Array.from(await y.read())).to.deep.equal([0, 0, 0]);
      expect(Array.from(await e[op](x).read())).to.deep.equal([0]);
      expectShape(e[op](e.tensor([], [3, 0]), 0).shape, [0], `${op} to empty`);
    }
  });

  gpuIt('bad axes name the op, the axes and the shape, and allocate nothing', async (e) => {
    const x = e.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const before = e.memory().buffers;
    expectThrowsNoLeak(e, () => e.sum(x, 2), /sum: axis 2 is out of range for x of shape \[2, 3\].*\[-2, 2\)/);
    expectThrowsNoLeak(e, () => e.mean(x, [0, -3]), /mean: axis -3 is out of range for x of shape \[2, 3\]/);
    expectThrowsNoLeak(e, () => e.sum(x, [1, -1]), /sum: axis -1 repeats dim 1 in axes \[1, -1\] for x of shape \[2, 3\]/);
    expectThrowsNoLeak(e, () => e.sum(x, 0.5), /sum: axis 0.5 is out of range/);
    {
      const bad = e.tensor([1], []);
      expectThrowsNoLeak(e, () => e.mean(bad, 0), /mean: axis 0 is out of range for x of shape \[\].*a scalar has no axes/);
    }
    expect(e.memory().buffers).to.equal(before + 1);
    expect(Array.from(await e.sum(x, 0).read())).to.deep.equal([5, 7, 9]);
  });

  gpuIt('a disposed input is named, and a valid call works afterwards', async (e) => {
    const x = e.tensor([1, 2, 3, 4], [2, 2]);
    x.dispose();
    expectThrowsNoLeak(e, () => e.sum(x), /sum: x \(shape \[2, 2\]\) was used after dispose\(\)/);
    expectThrowsNoLeak(e, () => e.mean(x, 0), /mean: x \(shape \[2, 2\]\) was used after dispose\(\)/);
    const z = e.tensor([1, 2, 3, 4], [2, 2]);
    expect(Array.from(await e.mean(z, 1).read())).to.deep.equal([1.5, 3.5]);
  });
});
