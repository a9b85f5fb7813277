import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectShape } from '../helpers/compare.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

interface Case {
  shapes: number[][];
  axis: number;
}

const NAMED: Case[] = [
  { shapes: [[2, 4, 4, 4], [2, 4, 4, 8]], axis: -1 }, // Concatenate on channels, vec4
  { shapes: [[2, 4, 4, 3], [2, 4, 4, 5], [2, 4, 4, 1]], axis: 3 }, // odd channel counts
  { shapes: [[2, 3, 3, 6], [2, 3, 3, 2], [2, 3, 3, 4]], axis: 3 }, // even: 2 values per thread
  { shapes: [[1, 3], [4, 3], [2, 3]], axis: 0 },
  { shapes: [[2, 3, 5]], axis: 1 }, // one input: a copy
  { shapes: [[2, 0, 3], [2, 2, 3], [2, 0, 3]], axis: 1 }, // empty inputs are skipped
  { shapes: [[3, 2], [3, 0]], axis: -1 },
  { shapes: [[2, 3, 1, 2], [2, 3, 4, 2]], axis: -2 },
  { shapes: [[6], [1], [2], [3], [4], [5], [6], [7], [8], [9]], axis: 0 }, // more inputs than storage bindings
];

function cases(seed: number, count: number): Case[] {
  const rng = new Rng(seed);
  const out = NAMED.slice(0, count);
  while (out.length < count) {
    const rank = rng.int(1, 5);
    const base = Array.from({ length: rank }, () => rng.int(1, 5));
    const axis = rng.int(-rank, rank - 1);
    const ax = axis < 0 ? axis + rank : axis;
    const shapes = Array.from({ length: rng.int(1, 4) }, () => base.map((d, k) => (k === ax ? rng.int(1, 6) : d)));
    out.push({ shapes, axis });
  }
  return out;
}

describe('concat', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('matches tf.concat on 28 cases (any axis, negative axes, 1 to 10 inputs, empty inputs)', async (e) => {
    const rng = new Rng(61);
    for (const c of cases(6101, 28)) {
      const data = c.shapes.map((s) => rng.uniform(size(s)));
      const ref = tf.tidy(() => {
        const y = tf.concat(data.map((d, i) => tf.tensor(d, c.shapes[i])), c.axis);
        return { y: y.dataSync(), shape: y.shape };
      });
      const xs = data.map((d, i) => e.tensor(d, c.shapes[i]!));
      const y = e.concat(xs, c.axis);
      expectShape(y.shape, ref.shape, JSON.stringify(c));
      expectClose(await y.read(), ref.y, JSON.stringify(c), 0);
    }
  });

  gpuIt('bad arguments throw errors that name the op and shapes, and the engine keeps working', async (e) => {
    const a = e.tensor(new Float32Array(6), [2, 3]);
    const b = e.tensor(new Float32Array(8), [2, 4]);
    expectThrowsNoLeak(e, () => e.concat([a, b], 0), /concat: xs\[1\] \[2, 4\] does not match xs\[0\] \[2, 3\] on the dims other than axis 0/);
    {
      const bad = e.tensor(new Float32Array(6), [2, 3, 1]);
      expectThrowsNoLeak(e, () => e.concat([a, bad], 1), /concat: xs\[1\] \[2, 3, 1\] does not match xs\[0\] \[2, 3\]/);
    }
    expectThrowsNoLeak(e, () => e.concat([a, b], 2), /concat: axis must be an integer in \[-2, 1\] for tensors of shape \[2, 3\], got 2/);
    expectThrowsNoLeak(e, () => e.concat([a], 1.5), /concat: axis must be an integer/);
    expectThrowsNoLeak(e, () => e.concat([], 0), /concat: xs must be a non-empty array of tensors, got \[\]/);
    {
      const bad1 = e.tensor([1], []);
      const bad2 = e.tensor([2], []);
      expectThrowsNoLeak(e, () => e.concat([bad1, bad2], 0), /concat: xs\[0\] has rank 0 \(shape \[\]\); concat needs rank 1 to 8/);
    }
    expectThrowsNoLeak(e, () => e.concat([a, null as never], 1), /concat: xs\[1\] must be a Tensor, got null/);
    const ok = e.concat([e.tensor([1, 2], [2, 1]), e.tensor([3, 4], [2, 1])], -1);
    expectShape(ok.shape, [2, 2], 'valid call after errors');
    expect([...(await ok.read())]).to.deep.equal([1, 3, 2, 4]);
  });
});
