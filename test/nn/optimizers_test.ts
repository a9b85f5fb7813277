import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';
import { sgd, adam, type Optimizer } from '../../src/nn/optimizers.js';
import type { Engine } from '../../src/engine.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
// A conv kernel, a bias and a dense kernel (1,073 values: several workgroups, the last one partial).
const SHAPES = [[3, 3, 2, 4], [4], [37, 29]];
const STEPS = 5;

/**
 * Runs STEPS updates with our optimizer and TF.js's on the same initial params and the same
 * per-step gradients, comparing the params after every step.
 */
async function compareWithTf(e: Engine, ours: Optimizer, theirs: tf.Optimizer, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const init = SHAPES.map((s) => rng.uniform(size(s)));
  const params = SHAPES.map((s, i) => e.tensor(init[i]!, s));
  const vars = SHAPES.map((s, i) => tf.variable(tf.tensor(init[i]!, s)));
  for (let step = 0; step < STEPS; step++) {
    const gs = SHAPES.map((s) => rng.uniform(size(s), -2, 2));
    const grads = SHAPES.map((s, i) => e.tensor(gs[i]!, s));
    ours.apply(e, params, grads);
    tf.tidy(() => theirs.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(gs[i]!, SHAPES[i]) }))));
    for (let i = 0; i < SHAPES.length; i++) {
      expectClose(await params[i]!.read(), vars[i]!.dataSync(), `${ours.name} step ${step + 1} param ${i} ${JSON.stringify(SHAPES[i])}`, 1e-5);
    }
    for (const g of grads) g.dispose();
  }
  expect(ours.iterations).to.equal(STEPS);
  ours.dispose();
  theirs.dispose();
  for (const v of vars) v.dispose();
}

describe('optimizers', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('sgd matches tf.train.sgd over 5 steps', (e) => compareWithTf(e, sgd({ learningRate: 0.1 }), tf.train.sgd(0.1), 1));

  gpuIt('sgd with momentum matches tf.train.momentum over 5 steps', (e) =>
    compareWithTf(e, sgd({ learningRate: 0.05, momentum: 0.9 }), tf.train.momentum(0.05, 0.9), 2));

  gpuIt('adam with the defaults matches tf.train.adam (ε = 1e-7) over 5 steps', (e) =>
    compareWithTf(e, adam({ learningRate: 0.01 }), tf.train.adam(0.01), 3));

  gpuIt('adam with other betas and epsilon matches tf.train.adam over 5 steps', (e) =>
    compareWithTf(e, adam({ learningRate: 0.2, beta1: 0.5, beta2: 0.9, epsilon: 1e-3 }), tf.train.adam(0.2, 0.5, 0.9, 1e-3), 4));

  gpuIt('a changed learning rate applies from the next step', async (e) => {
    const opt = sgd({ learningRate: 1 });
    const p = e.tensor([1, 2], [2]);
    const g = e.tensor([1, 1], [2]);
    opt.apply(e, [p], [g]);
    opt.learningRate = 0.5;
    opt.apply(e, [p], [g]);
    expect([...(await p.read())]).to.deep.equal([-0.5, 0.5]);
  });

  gpuIt('updates in place with one dispatch per param, and keeps memory flat across steps', async (e) => {
    const rng = new Rng(5);
    const params = SHAPES.map((s) => e.tensor(rng.uniform(size(s)), s));
    const grads = SHAPES.map((s) => e.tensor(rng.uniform(size(s)), s));
    const buffers = params.map((p) => p.buffer);
    const opt = adam({ learningRate: 1e-3 });
    opt.apply(e, params, grads);
    const memory = e.memory().buffers;
    expect(memory, 'two moments per param').to.equal(4 * SHAPES.length);
    const before = e.scheduler.dispatchCount;
    for (let i = 0; i < 20; i++) opt.apply(e, params, grads);
    expect(e.scheduler.dispatchCount - before).to.equal(20 * SHAPES.length);
    expect(e.memory().buffers).to.equal(memory);
    expect(params.map((p) => p.buffer)).to.deep.equal(buffers);
    await e.sync();
    opt.dispose();
    expect(e.memory().buffers).to.equal(2 * SHAPES.length);
    const plain = sgd({ learningRate: 0.1 });
    plain.apply(e, params, grads);
    expect(e.memory().buffers, 'plain sgd keeps no state').to.equal(2 * SHAPES.length);
  });

  gpuIt('bad arguments throw errors that name the optimizer and the shapes', (e) => {
    const p = e.tensor([1, 2, 3, 4], [2, 2]);
    const g = e.tensor([1, 2, 3, 4], [4]);
    expectThrowsNoLeak(e, () => sgd({ learningRate: NaN }), /sgd: learningRate must be a finite number, got NaN/);
    expectThrowsNoLeak(e, () => sgd({ learningRate: 0.1, momentum: -1 }), /sgd: momentum must be ≥ 0/);
    expectThrowsNoLeak(e, () => adam({ learningRate: 0.1, beta1: 1 }), /adam: beta1 must be in \[0, 1\), got 1/);
    expectThrowsNoLeak(e, () => adam({ learningRate: 0.1, epsilon: -1 }), /adam: epsilon must be ≥ 0/);
    const opt = adam({ learningRate: 0.1 });
    expectThrowsNoLeak(e, () => opt.apply(e, [p], [g]), /adam: grads\[0\] \[4\] does not match params\[0\] \[2, 2\]/);
    expectThrowsNoLeak(e, () => opt.apply(e, [p], []), /adam: 1 params but 0 grads/);
    expectThrowsNoLeak(e, () => opt.apply(e, [p], [p]), /adam: grads\[0\] is params\[0\] itself/);
    const g2 = e.tensor([1, 2, 3, 4], [2, 2]);
    expectThrowsNoLeak(e, () => opt.apply(e, [p, p], [g2, g2]), /adam: params\[1\] \[2, 2\] appears twice/);
    g2.dispose();
    expectThrowsNoLeak(e, () => opt.apply(e, [p], [g2]), /adam: grads\[0\] \(shape \[2, 2\]\) was used after dispose\(\)/);
    expect(opt.iterations, 'failed calls do not count').to.equal(0);
  });
});
