import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectShape } from '../helpers/compare.js';
import { Tape } from '../../src/autograd/tape.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

interface Case {
  x: number[];
  perm?: number[];
}

const NAMED: Case[] = [
  { x: [2, 4, 5, 3], perm: [0, 3, 1, 2] }, // NHWC → NCHW
  { x: [2, 3, 4, 5], perm: [0, 2, 3, 1] }, // NCHW → NHWC
  { x: [2, 3, 4, 8], perm: [1, 0, 2, 3] }, // innermost dim kept, in fours: vec4
  { x: [3, 6, 2], perm: [1, 0, 2] }, // innermost dim kept, in twos
  { x: [2, 3, 4, 5] }, // default: reversed
  { x: [7, 9], perm: [1, 0] },
  { x: [5], perm: [0] },
  { x: [3, 4, 5], perm: [0, 1, 2] }, // identity: one folded dim
  { x: [1, 3, 1, 4], perm: [3, 2, 1, 0] }, // size-1 dims
  { x: [2, 3, 2, 3, 2, 3], perm: [5, 3, 1, 4, 2, 0] }, // rank 6
  { x: [2, 2, 3, 2, 2, 3], perm: [0, 1, 4, 5, 2, 3] }, // rank 6, neighbours stay together
  { x: [4, 0, 3], perm: [2, 0, 1] }, // empty
  { x: [], perm: [] }, // scalar
];

function cases(seed: number, count: number): Case[] {
  const rng = new Rng(seed);
  const out = NAMED.slice(0, count);
  while (out.length < count) {
    const rank = rng.int(1, 6);
    const x = Array.from({ length: rank }, () => rng.int(1, 5));
    const perm = Array.from({ length: rank }, (_, k) => k);
    for (let i = rank - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    out.push({ x, perm });
  }
  return out;
}

describe('transpose', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('matches tf.transpose exactly on 30 cases (ranks 0 to 6, default perm, size-1 and empty dims)', async (e) => {
    const rng = new Rng(61);
    for (const c of cases(6101, 30)) {
      const xs = rng.uniform(size(c.x));
      const ref = tf.tidy(() => {
        const y = tf.transpose(tf.tensor(xs, c.x), c.perm);
        return { y: y.dataSync(), shape: y.shape };
      });
      const x = e.tensor(xs, c.x);
      const y = e.transpose(x, c.perm);
      expectShape(y.shape, ref.shape, JSON.stringify(c));
      expectClose(await y.read(), ref.y, JSON.stringify(c), 0);
      x.dispose();
      y.dispose();
    }
    expect(e.memory().buffers).to.equal(0);
  });

  gpuIt('its gradient is the upstream gradient transposed back (tf.grads)', async (e) => {
    const rng = new Rng(62);
    const shape = [2, 3, 4, 5];
    const perm = [2, 0, 3, 1];
    const xs = rng.uniform(size(shape));
    const gs = rng.uniform(size(shape));
    const ref = tf.tidy(() => {
      const yShape = perm.map((k) => shape[k]!);
      const [dx] = tf.grads((a: tf.Tensor) => tf.transpose(a, perm))([tf.tensor(xs, shape)], tf.tensor(gs, yShape));
      return dx!.dataSync();
    });
    const tape = new Tape(e);
    const x = e.tensor(xs, shape);
    const y = tape.transpose(x, perm);
    const r = e.tensor(gs, y.shape);
    const grads = tape.backward(tape.sum(tape.mul(y, r)), [x]);
    expectClose(await grads.get(x)!.read(), ref, 'dx', 1e-6);
    tape.dispose();
  });

  gpuIt('bad arguments throw errors that name the op and shapes, and the engine keeps working', async (e) => {
    const x = e.tensor(new Float32Array(24), [2, 3, 4]);
    expectThrowsNoLeak(e, () => e.transpose(x, [0, 1]), /transpose: perm must be a permutation of 0…2 for x \[2, 3, 4\], got \[0,1\]/);
    expectThrowsNoLeak(e, () => e.transpose(x, [0, 1, 1]), /transpose: perm must be a permutation/);
    expectThrowsNoLeak(e, () => e.transpose(x, [0, 1, 3]), /transpose: perm must be a permutation/);
    {
      const bad = e.tensor(new Float32Array(512), [2, 2, 2, 2, 2, 2, 2, 2, 2]);
      expectThrowsNoLeak(e, () => e.transpose(bad), /transpose: x has rank 9/);
    }
    const ok = e.transpose(e.tensor([1, 2, 3, 4, 5, 6], [2, 3]));
    expectShape(ok.shape, [3, 2], 'valid call after errors');
    expect([...(await ok.read())]).to.deep.equal([1, 4, 2, 5, 3, 6]);
  });
});
