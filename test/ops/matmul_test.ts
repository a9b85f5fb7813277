import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectShape } from '../helpers/compare.js';
import type { Engine } from '../../src/engine.js';

/** Stored shapes of a and b for op(a) [m, k] and op(b) [k, n]. */
function storedShapes(m: number, k: number, n: number, tA: boolean, tB: boolean): [number[], number[]] {
  return [tA ? [k, m] : [m, k], tB ? [n, k] : [k, n]];
}

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

describe('matMul', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const variant of ['tiled', 'regs', 'wide'] as const) {
    gpuIt(`the ${variant} kernel matches tf.matMul on 44 shapes, all four transpose combinations`, async (e) => {
      e.tuning.matMul = variant;
      const rng = new Rng(7);
      const fixed: [number, number, number][] = [
        [1, 1, 1], [1, 5, 1], [5, 1, 7], [1, 129, 3], [3, 2, 1], [67, 129, 33], [32, 800, 10],
        [64, 16, 64], [65, 17, 65], [63, 15, 63], [128, 33, 130], [7, 64, 129],
        // n % 4 == 0 (the wide kernel where B is not transposed: m = 1, 2 and ≥ 3 take 1, 2 and 4 rows per thread; n = 4 … 136 covers last partial sets of 16 columns and last partial row blocks).
        [1, 129, 4], [1, 300, 128], [1, 300, 132], [1, 70, 136], [1, 33, 20], [2, 5, 8], [5, 7, 12], [6, 1, 16], [1, 1, 4], [1, 0, 8], [1, 9, 24], [1, 17, 40],
        [2, 40, 36], [7, 9, 20], [3, 64, 68], [9, 5, 4],
      ];
      const cases: [number, number, number, boolean, boolean][] = [];
      fixed.forEach(([m, k, n], i) => cases.push([m, k, n, (i & 1) === 1, (i & 2) === 2]));
      for (let c = 0; c < 16; c++) cases.push([rng.int(1, 90), rng.int(1, 90), rng.int(1, 90), (c & 1) === 1, (c & 2) === 2]);
      for (const [m, k, n, tA, tB] of cases) {
        const [sa, sb] = storedShapes(m, k, n, tA, tB);
        const av = rng.uniform(size(sa));
        const bv = rng.uniform(size(sb));
        const a = e.tensor(av, sa);
        const b = e.tensor(bv, sb);
        const c = e.matMul(a, b, { transposeA: tA, transposeB: tB });
        const what = `a ${JSON.stringify(sa)} b ${JSON.stringify(sb)} tA=${tA} tB=${tB}`;
        expectShape(c.shape, [m, n], what);
        expectClose(await c.read(), tf.matMul(tf.tensor(av, sa), tf.tensor(bv, sb), tA, tB).dataSync(), what);
        for (const t of [a, b, c]) t.dispose();
      }
    });
    }

    gpuIt('gives zeros for K = 0 and an empty result for M = 0', async (e) => {
      e.tuning.matMul = 'regs';
      expect(Array.from(await e.matMul(e.zeros([2, 0]), e.zeros([0, 3])).read())).to.deep.equal([0, 0, 0, 0, 0, 0]);
      e.tuning.matMul = 'tiled';
      const c = e.matMul(e.zeros([2, 0]), e.zeros([0, 3]));
      expectShape(c.shape, [2, 3], 'K = 0');
      expect(Array.from(await c.read())).to.deep.equal([0, 0, 0, 0, 0, 0]);
      const d = e.matMul(e.zeros([0, 4]), e.zeros([4, 3]));
      expectShape(d.shape, [0, 3], 'M = 0');
      expect((await d.read()).length).to.equal(0);
    });

    gpuIt('transposed products give the gradients tf.grads finds, for all four transpose combinations', async (e) => {
      const rng = new Rng(11);
      for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const [m, k, n] = [rng.int(1, 40), rng.int(1, 40), rng.int(1, 40)];
        const [sa, sb] = storedShapes(m, k, n, tA, tB);
        const av = rng.uniform(size(sa));
        const bv = rng.uniform(size(sb));
        const gv = rng.uniform(m * n);
        const [a, b, g] = [e.tensor(av, sa), e.tensor(bv, sb), e.tensor(gv, [m, n])];
        // For C = op(A)·op(B): each gradient is one product of g with the other operand.
        const da =
          !tA && !tB ? e.matMul(g, b, { transposeB: true })
          : tA && !tB ? e.matMul(b, g, { transposeB: true })
          : !tA && tB ? e.matMul(g, b)
          : e.matMul(b, g, { transposeA: true, transposeB: true });
        const db =
          !tA && !tB ? e.matMul(a, g, { transposeA: true })
          : tA && !tB ? e.matMul(a, g)
          : !tA && tB ? e.matMul(g, a, { transposeA: true })
          : e.matMul(g, a, { transposeA: true, transposeB: true });
        const [refA, refB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, tA, tB))(
          [tf.tensor(av, sa), tf.tensor(bv, sb)],
          tf.tensor(gv, [m, n]),
        );
        const what = `tA=${tA} tB=${tB} m=${m} k=${k} n=${n}`;
        expectShape(da.shape, sa, `dA ${what}`);
        expectShape(db.shape, sb, `dB ${what}`);
        expectClose(await da.read(), refA!.dataSync(), `dA ${what}`);
        expectClose(await db.read(), refB!.dataSync(), `dB ${what}`);
      }
    });

    gpuIt('dA = dC·Bᵀ and dB = Aᵀ·dC agree with central finite differences', async (e) => {
      const rng = new Rng(13);
      const [m, k, n] = [2, 3, 2];
      const av = rng.uniform(m * k);
      const bv = rng.uniform(k * n);
      const gv = rng.uniform(m * n);
      // L(A, B) = Σ g ⊙ (A·B), so dL/dC = g.
      const lossAt = async (x: Float32Array, y: Float32Array) => {
        const c = await e.matMul(e.tensor(x, [m, k]), e.tensor(y, [k, n])).read();
        return c.reduce((s, v, i) => s + v * gv[i]!, 0);
      };
      const g = e.tensor(gv, [m, n]);
      const da = await e.matMul(g, e.tensor(bv, [k, n]), { transposeB: true }).read();
      const db = await e.matMul(e.tensor(av, [m, k]), g, { transposeA: true }).read();
      const eps = 1e-2;
      const numeric = async (which: 'a' | 'b') => {
        const base = which === 'a' ? av : bv;
        const out = new Float32Array(base.length);
        for (let i = 0; i < base.length; i++) {
          const plus = base.slice();
          const minus = base.slice();
          plus[i] += eps;
          minus[i] -= eps;
          const lp = which === 'a' ? await lossAt(plus, bv) : await lossAt(av, plus);
          const lm = which === 'a' ? await lossAt(minus, bv) : await lossAt(av, minus);
          out[i] = (lp - lm) / (2 * eps);
        }
        return out;
      };
      expectClose(da, await numeric('a'), 'dA vs finite differences', 1e-2);
      expectClose(db, await numeric('b'), 'dB vs finite differences', 1e-2);
    });

    gpuIt('rejects ranks other than 2, naming both shapes, before allocating', async (e) => {
      const a3 = e.zeros([2, 3, 4]);
      const b2 = e.zeros([4, 5]);
      const a1 = e.zeros([4]);
      const before = e.memory().buffers;
      expectThrowsNoLeak(e, () => e.matMul(a3, b2), /matMul: a \[2, 3, 4\] and b \[4, 5\] must both have rank 2/);
      expectThrowsNoLeak(e, () => e.matMul(b2, a1), /matMul: a \[4, 5\] and b \[4\] must both have rank 2/);
      expect(e.memory().buffers).to.equal(before);
    });

    gpuIt('rejects mismatched inner dimensions, naming shapes and sizes', async (e) => {
      const a = e.zeros([2, 3]);
      const b = e.zeros([4, 5]);
      const before = e.memory().buffers;
      expectThrowsNoLeak(e, () => e.matMul(a, b), /^matMul: inner dimensions of a \[2, 3\] and b \[4, 5\] differ: 3 vs 4$/);
      expectThrowsNoLeak(e, () => e.matMul(a, b, { transposeA: true }), /a \[2, 3\] \(transposeA\) and b \[4, 5\] differ: 2 vs 4/);
      expectThrowsNoLeak(e, () => e.matMul(a, b, { transposeB: true }), /a \[2, 3\] and b \[4, 5\] \(transposeB\) differ: 3 vs 5/);
      expect(e.memory().buffers).to.equal(before);
      // The transposes that make it valid do work.
      expectShape(e.matMul(e.zeros([3, 2]), e.zeros([3, 4]), { transposeA: true }).shape, [2, 4], 'aᵀ·b');
    });

    gpuIt('rejects disposed tensors and non-boolean flags', async (e: Engine) => {
      const a = e.zeros([2, 2]);
      const b = e.zeros([2, 2]);
      b.dispose();
      expectThrowsNoLeak(e, () => e.matMul(a, b), /matMul: b \(shape \[2, 2\]\) was used after dispose/);
      const opts = { transposeA: 1 } as unknown as { transposeA: boolean };
      expectThrowsNoLeak(e, () => e.matMul(a, a, opts), /matMul: transposeA must be a boolean, got 1/);
    });
  });
