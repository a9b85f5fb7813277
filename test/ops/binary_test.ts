import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectSameNonFinite, expectShape } from '../helpers/compare.js';
import type { Engine } from '../../src/engine.js';
import { binary } from '../../src/ops/binary.js';

type Op = 'add' | 'sub' | 'mul';
const OPS: Op[] = ['add', 'sub', 'mul'];

/** Fixed shapes that reach each kernel path: same shape, runs (bias), both-sided and strided. */
const FIXED: [number[], number[]][] = [
  [[2, 3, 4], [2, 3, 4]],
  [[2, 4, 4, 5], [5]], // bias onto NHWC: a trailing-suffix run
  [[2, 5, 3, 3], [5, 1, 1]], // bias onto NCHW: a run in the middle
  [[5], [2, 4, 4, 5]], // the broadcast side first
  [[3, 1, 5], [4, 1]], // both sides broadcast
  [[], [3, 2]], // rank 0
  [[2, 3], []],
  [[], []],
  [[1], [1, 1, 1]],
  [[2, 1, 3, 1, 2], [1, 4, 1, 2, 1]], // rank 5, alternating
  [[2, 1, 2, 1, 2, 1, 2, 1], [1, 2, 1, 2, 1, 2, 1, 2]], // eight dims that cannot merge
  [[1, 3, 1, 4], [2, 1, 5, 1]],
  [[3, 4, 1], [1, 4, 6]],
  [[6, 1, 7], [6, 2, 7]],
];

function randomPair(rng: Rng): [number[], number[]] {
  const out = Array.from({ length: rng.int(0, 5) }, () => rng.int(1, 4));
  const side = () => {
    const s = out.slice(rng.int(0, out.length));
    return s.map((d) => (rng.next() < 0.35 ? 1 : d));
  };
  return [side(), side()];
}

async function check(e: Engine, rng: Rng, op: Op, aShape: number[], bShape: number[]): Promise<void> {
  const av = rng.uniform(aShape.reduce((p, d) => p * d, 1), -3, 3);
  const bv = rng.uniform(bShape.reduce((p, d) => p * d, 1), -3, 3);
  const a = e.tensor(av, aShape);
  const b = e.tensor(bv, bShape);
  const y = e[op](a, b);
  const ref = tf[op](tf.tensor(av, aShape), tf.tensor(bv, bShape));
  const what = `${op} ${JSON.stringify(aShape)} ${JSON.stringify(bShape)}`;
  expectShape(y.shape, ref.shape, what);
  expectClose(await y.read(), ref.dataSync(), what);
  for (const t of [a, b, y]) t.dispose();
  ref.dispose();
}

describe('binary add, sub, mul', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const op of OPS) {
    gpuIt(`${op} matches TensorFlow.js on the fixed broadcast cases and 20 random ones`, async (e) => {
      const rng = new Rng(op.length * 7 + op.charCodeAt(0));
      for (const [aShape, bShape] of FIXED) await check(e, rng, op, aShape, bShape);
      for (let c = 0; c < 20; c++) await check(e, rng, op, ...randomPair(rng));
    });
  }

  gpuIt('add with a relu or relu6 applied as it writes (inference) equals tf.relu(tf.add) and tf.relu6(tf.add) on every kernel path, NaN and ±Infinity included', async (e) => {
    const rng = new Rng(41);
    for (const [aShape, bShape] of [[[2, 3, 4], [2, 3, 4]], [[2, 4, 4, 5], [5]], [[3, 1, 5], [4, 1]]] as [number[], number[]][]) {
      const av = rng.uniform(aShape.reduce((p, d) => p * d, 1), -8, 8);
      const bv = rng.uniform(bShape.reduce((p, d) => p * d, 1), -8, 8);
      av[0] = NaN;
      av[1] = Infinity;
      av[2] = -Infinity;
      for (const act of ['relu', 'relu6'] as const) {
        const a = e.tensor(av, aShape);
        const b = e.tensor(bv, bShape);
        const y = binary(e, 'add', a, b, act);
        const ref = tf[act](tf.add(tf.tensor(av, aShape), tf.tensor(bv, bShape)));
        const what = `add + ${act} ${JSON.stringify(aShape)} ${JSON.stringify(bShape)}`;
        const got = await y.read();
        const want = ref.dataSync() as Float32Array;
        expectShape(y.shape, ref.shape, what);
        expect(Number.isNaN(got[0]), `${what}: NaN stays NaN`).to.equal(true);
        expectSameNonFinite(got, want, what);
        for (const t of [a, b, y]) t.dispose();
        ref.dispose();
      }
    }
    expect(() => binary(e, 'add', e.tensor([1], [1]), e.tensor([1], [1]), 'constructor' as 'relu')).to.throw(/activation 'constructor' is not one of linear, relu, relu6/);
  });

  gpuIt('a tensor combined with itself reads one buffer twice', async (e) => {
    const x = e.tensor([1, -2, 3], [3]);
    expect(Array.from(await e.mul(x, x).read())).to.deep.equal([1, 4, 9]);
    expect(Array.from(await e.sub(x, x).read())).to.deep.equal([0, 0, 0]);
  });

  gpuIt('every output is written when there are more than 65,535 workgroups of them', async (e) => {
    const n = 65_535 * 256 + 1000;
    const values = new Float32Array(n).map((_, i) => i % 1000);
    const y = await e.add(e.tensor(values, [n]), e.tensor([1], [])).read();
    const wrong = y.findIndex((v, i) => v !== values[i]! + 1);
    expect(wrong, `first wrong output (of ${n})`).to.equal(-1);
  });

  gpuIt('empty tensors broadcast to an empty result', async (e) => {
    const y = e.add(e.tensor([], [0, 3]), e.tensor([1, 2, 3], [3]));
    expectShape(y.shape, [0, 3], 'empty');
    expect((await y.read()).length).to.equal(0);
    expectShape(e.mul(e.tensor([1, 2, 3], [1, 3]), e.tensor([], [0, 1])).shape, [0, 3], 'empty both sides');
  });

  gpuIt('incompatible shapes name the op and both shapes, and allocate nothing', async (e) => {
    const a = e.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = e.tensor([1, 2, 3, 4], [4]);
    const before = e.memory().buffers;
    expectThrowsNoLeak(e, () => e.add(a, b), /add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
    {
      const bad1 = e.tensor([1, 2, 3, 4, 5, 6], [2, 3, 1]);
      const bad2 = e.tensor([1, 2, 3, 4], [4, 1]);
      expectThrowsNoLeak(e, () => e.mul(bad1, bad2), /mul: shapes \[2, 3, 1\] and \[4, 1\] cannot be broadcast \(a's dim 1 is 3, b's dim 0 is 4\)/);
    }
    expect(e.memory().buffers).to.equal(before + 2);
    const c = e.tensor([10, 20, 30], [3]);
    expect(Array.from(await e.sub(a, c).read())).to.deep.equal([-9, -18, -27, -6, -15, -24]);
  });

  gpuIt('a disposed input is named, and a valid call works afterwards', async (e) => {
    const a = e.tensor([1, 2], [2]);
    const b = e.tensor([3, 4], [2]);
    b.dispose();
    expectThrowsNoLeak(e, () => e.add(a, b), /add: b \(shape \[2\]\) was used after dispose\(\)/);
    expectThrowsNoLeak(e, () => e.mul(b, a), /mul: a \(shape \[2\]\) was used after dispose\(\)/);
    const c = e.tensor([5, 6], [2]);
    expect(Array.from(await e.add(a, c).read())).to.deep.equal([6, 8]);
  });
});
