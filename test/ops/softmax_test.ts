import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose, expectSameNonFinite, expectShape } from '../helpers/compare.js';

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** Label rows: one-hot, or random non-negative rows normalised to sum to 1. */
function makeLabels(rng: Rng, rows: number, len: number, soft: boolean): Float32Array {
  const out = new Float32Array(rows * len);
  for (let r = 0; r < rows; r++) {
    if (!soft) {
      out[r * len + rng.int(0, len - 1)] = 1;
      continue;
    }
    let s = 0;
    for (let j = 0; j < len; j++) s += out[r * len + j] = rng.next();
    for (let j = 0; j < len; j++) out[r * len + j]! /= s;
  }
  return out;
}

describe('softmax and logSoftmax', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('match tf.softmax and tf.logSoftmax on 24 random shapes of rank 1 to 4', async (e) => {
    const rng = new Rng(21);
    const lasts = [1, 3, 10, 257, 1000];
    for (let c = 0; c < 24; c++) {
      const last = lasts[c % lasts.length]!;
      const rank = 1 + (c % 4);
      const shape = [...Array.from({ length: rank - 1 }, () => rng.int(1, last >= 257 ? 3 : 5)), last];
      // Every fourth case uses logits of magnitude up to 80, whose exp a naive sum would overflow.
      const scale = c % 4 === 3 ? 80 : 5;
      const xs = rng.uniform(size(shape), -scale, scale);
      const x = e.tensor(xs, shape);
      const y = e.softmax(x);
      const ly = e.logSoftmax(x);
      const what = `${JSON.stringify(shape)} ±${scale}`;
      expectShape(y.shape, shape, what);
      expectShape(ly.shape, shape, what);
      expectClose(await y.read(), tf.softmax(tf.tensor(xs, shape)).dataSync(), `softmax ${what}`);
      expectClose(await ly.read(), tf.logSoftmax(tf.tensor(xs, shape)).dataSync(), `logSoftmax ${what}`);
      for (const t of [x, y, ly]) t.dispose();
    }
  });

  gpuIt('stay finite for logits far beyond exp range', async (e) => {
    const xs = [1000, 0, -1000, 88, 89, 90, -80, 80, 80];
    const x = e.tensor(xs, [3, 3]);
    expectClose(await e.softmax(x).read(), tf.softmax(tf.tensor(xs, [3, 3])).dataSync(), 'softmax');
    expectClose(await e.logSoftmax(x).read(), tf.logSoftmax(tf.tensor(xs, [3, 3])).dataSync(), 'logSoftmax');
  });

  gpuIt('cover more rows than one grid dimension holds (2-D grid)', async (e) => {
    const rng = new Rng(22);
    const shape = [70000, 2];
    const xs = rng.uniform(size(shape), -3, 3);
    const x = e.tensor(xs, shape);
    expectClose(await e.softmax(x).read(), tf.softmax(tf.tensor(xs, shape)).dataSync(), 'softmax 70000 rows');
  });

  gpuIt('a last axis of 1 gives ones and zeros; an empty tensor gives an empty one', async (e) => {
    const x = e.tensor([3, -7, 100], [3, 1]);
    expect(Array.from(await e.softmax(x).read())).to.deep.equal([1, 1, 1]);
    expect(Array.from(await e.logSoftmax(x).read())).to.deep.equal([0, 0, 0]);
    const empty = e.softmax(e.zeros([0, 4]));
    expectShape(empty.shape, [0, 4], 'empty');
  });

  gpuIt('reject scalars and disposed tensors before allocating', async (e) => {
    const s = e.tensor([1], []);
    const before = e.memory().buffers;
    expectThrowsNoLeak(e, () => e.softmax(s), /softmax: x must have rank 1 or more .*got shape \[\]/);
    expectThrowsNoLeak(e, () => e.logSoftmax(s), /logSoftmax: x must have rank 1 or more/);
    expect(e.memory().buffers).to.equal(before);
    const x = e.zeros([2, 2]);
    x.dispose();
    expectThrowsNoLeak(e, () => e.softmax(x), /softmax: x \(shape \[2, 2\]\) was used after dispose/);
  });
});

describe('softmaxCrossEntropy', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const refLoss = (labels: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, logits);

  gpuIt('loss and dLogits match tf.losses.softmaxCrossEntropy and tf.grad, one-hot and soft labels', async (e) => {
    const rng = new Rng(31);
    const lasts = [1, 3, 10, 257, 1000];
    for (let c = 0; c < 20; c++) {
      const last = lasts[c % lasts.length]!;
      const rank = c % 7 === 6 ? 1 : c % 7 === 5 ? 3 : 2;
      const lead = Array.from({ length: rank - 1 }, () => rng.int(1, last >= 257 ? 6 : 40));
      const shape = [...lead, last];
      const rows = size(lead);
      // A single class's soft label is 1 only up to rounding, and its whole gradient is that rounding.
      const soft = c % 2 === 1 && last > 1;
      const scale = c % 5 === 4 ? 80 : 4;
      const xs = rng.uniform(size(shape), -scale, scale);
      const ls = makeLabels(rng, rows, last, soft);
      const logits = e.tensor(xs, shape);
      const labels = e.tensor(ls, shape);
      const { loss, dLogits } = e.softmaxCrossEntropy(logits, labels);
      const tl = tf.tensor(ls, shape);
      const what = `${JSON.stringify(shape)} ${soft ? 'soft' : 'one-hot'} ±${scale}`;
      expectShape(loss.shape, [], `loss ${what}`);
      expectShape(dLogits.shape, shape, `dLogits ${what}`);
      expectClose(await loss.read(), refLoss(tl, tf.tensor(xs, shape)).dataSync(), `loss ${what}`);
      const refGrad = tf.grad((z: tf.Tensor) => refLoss(tl, z))(tf.tensor(xs, shape));
      expectClose(await dLogits.read(), refGrad.dataSync(), `dLogits ${what}`);
      for (const t of [logits, labels, loss, dLogits]) t.dispose();
    }
  });

  gpuIt('dLogits agrees with central finite differences of the loss', async (e) => {
    const rng = new Rng(32);
    const shape = [3, 4];
    const xs = rng.uniform(12, -2, 2);
    // Rows of the third kind do not sum to 1: dLogits is still the loss's true gradient there.
    const ls = Float32Array.from([0, 1, 0, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0, 1.5, 0.25]);
    const labels = e.tensor(ls, shape);
    const lossAt = async (v: Float32Array) => (await e.softmaxCrossEntropy(e.tensor(v, shape), labels).loss.read())[0]!;
    const { dLogits } = e.softmaxCrossEntropy(e.tensor(xs, shape), labels);
    const eps = 1e-2;
    const numeric = new Float32Array(12);
    for (let i = 0; i < 12; i++) {
      const plus = xs.slice();
      const minus = xs.slice();
      plus[i] += eps;
      minus[i] -= eps;
      numeric[i] = ((await lossAt(plus)) - (await lossAt(minus))) / (2 * eps);
    }
    expectClose(await dLogits.read(), numeric, 'dLogits vs finite differences', 1e-2);
  });

  gpuIt('reduces the row losses to the same mean on every run', async (e) => {
    const rng = new Rng(33);
    const shape = [3000, 10];
    const logits = e.tensor(rng.uniform(30000, -4, 4), shape);
    const labels = e.tensor(makeLabels(rng, 3000, 10, false), shape);
    const first = (await e.softmaxCrossEntropy(logits, labels).loss.read())[0];
    for (let i = 0; i < 3; i++) expect((await e.softmaxCrossEntropy(logits, labels).loss.read())[0]).to.equal(first);
  });

  gpuIt('rows holding NaN or ±Infinity give TF.js\'s softmax, log-softmax and loss (a NaN anywhere makes its row NaN)', async (e) => {
    // One row each: a NaN, +Infinity, two +Infinity, −Infinity among finite values, all −Infinity,
    // and a finite row to show the others do not leak into it. The row max must not drop a NaN,
    // and exp and log must keep NaN and ±Infinity (include/ieee.wgsl).
    const rows = [[NaN, 1, 2], [Infinity, 1, 2], [Infinity, Infinity, 0], [-Infinity, 1, 2], [-Infinity, -Infinity, -Infinity], [0.5, -1, 3]];
    const xs = rows.flat();
    const x = e.tensor(xs, [rows.length, 3]);
    const tx = tf.tensor(xs, [rows.length, 3]);
    expectSameNonFinite(await e.softmax(x).read(), tf.softmax(tx).dataSync(), 'softmax');
    expectSameNonFinite(await e.logSoftmax(x).read(), tf.logSoftmax(tx).dataSync(), 'logSoftmax');
    const labels = tf.oneHot(tf.tensor1d([2, 1, 0, 1, 0, 2], 'int32'), 3);
    const { loss } = e.softmaxCrossEntropy(x, e.tensor(labels.dataSync(), [rows.length, 3]));
    expectSameNonFinite(await loss.read(), tf.losses.softmaxCrossEntropy(labels, tx).dataSync(), 'softmaxCrossEntropy loss');
  });

  gpuIt('gives tf’s results for zero rows (NaN) and zero classes (0)', async (e) => {
    const noRows = e.softmaxCrossEntropy(e.zeros([0, 3]), e.zeros([0, 3]));
    expect(Number.isNaN((await noRows.loss.read())[0])).to.equal(true);
    expectShape(noRows.dLogits.shape, [0, 3], 'dLogits');
    const noClasses = e.softmaxCrossEntropy(e.zeros([2, 0]), e.zeros([2, 0]));
    expect(Array.from(await noClasses.loss.read())).to.deep.equal([0]);
  });

  gpuIt('rejects labels of another shape, scalars and disposed tensors before allocating', async (e) => {
    const logits = e.zeros([2, 3]);
    const labels = e.zeros([2, 4]);
    const s = e.tensor([1], []);
    const before = e.memory().buffers;
    expect(() => e.softmaxCrossEntropy(logits, labels)).to.throw(
      /^softmaxCrossEntropy: oneHotLabels \[2, 4\] must have the shape of logits \[2, 3\]$/,
    );
    expectThrowsNoLeak(e, () => e.softmaxCrossEntropy(s, s), /softmaxCrossEntropy: logits must have rank 1 or more/);
    expect(e.memory().buffers).to.equal(before);
    labels.dispose();
    expectThrowsNoLeak(e, () => e.softmaxCrossEntropy(logits, labels), /softmaxCrossEntropy: oneHotLabels \(shape \[2, 4\]\) was used after dispose/);
  });
});
