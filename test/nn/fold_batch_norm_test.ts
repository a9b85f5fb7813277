// Model.predict runs a Conv2D with the BatchNormalization and Activation that alone read its output
// in one dispatch (the statistics read by the kernel as it runs). It must give what run() (every
// layer on its own) and TF.js give, before and after anything changes the weights, and fewer
// dispatches.
import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';
import { randomizeWeights, saveTf } from './keras_helpers.js';
import { loadLayersModel } from '../../src/io/tfjs_layers/reader.js';
import { sgd } from '../../src/nn/optimizers.js';
import type { Engine } from '../../src/engine.js';
import type { Model } from '../../src/nn/model.js';
import type { Tensor } from '../../src/tensor.js';

/** The result and the number of dispatches of `body`. */
function counted(e: Engine, body: () => Tensor): { y: Tensor; dispatches: number } {
  let dispatches = 0;
  const stop = e.observeDispatches(() => dispatches++);
  try {
    return { y: body(), dispatches };
  } finally {
    stop();
  }
}

/** predict()'s and run()'s outputs and dispatch counts for one input. */
async function predictAndRun(e: Engine, model: Model, x: Tensor) {
  const p = counted(e, () => model.predict(x));
  let acts: ReturnType<Model['run']> | null = null;
  const r = counted(e, () => (acts = model.run(x)).output);
  const out = { predicted: await p.y.read(), ran: await r.y.read(), fused: p.dispatches, unfused: r.dispatches };
  p.y.dispose();
  acts!.dispose();
  return out;
}

/**
 * input → conv → bn → relu ─┬→ conv → bn ─→ add → relu → conv(relu) → pool → dense(softmax)
 *                           └──────────────↗
 * plus a conv whose batch norm is read twice (by an Activation and the concatenation): the batch
 * norm fuses into the conv, the Activation must not.
 */
function residualModel(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3], name: 'input' });
  const conv = (name: string, filters: number, activation?: string) =>
    tf.layers.conv2d({ name, filters, kernelSize: 3, padding: 'same', activation: activation as any });
  const a = tf.layers.activation({ name: 'relu1', activation: 'relu' }).apply(
    tf.layers.batchNormalization({ name: 'bn1' }).apply(conv('conv1', 8).apply(input))) as tf.SymbolicTensor;
  const b = tf.layers.batchNormalization({ name: 'bn2' }).apply(conv('conv2', 8).apply(a)) as tf.SymbolicTensor;
  const sum = tf.layers.activation({ name: 'relu2', activation: 'relu' }).apply(tf.layers.add({ name: 'add' }).apply([b, a])) as tf.SymbolicTensor;
  const c = tf.layers.batchNormalization({ name: 'bn3' }).apply(conv('conv3', 4).apply(sum)) as tf.SymbolicTensor;
  const d = tf.layers.activation({ name: 'tanh3', activation: 'tanh' }).apply(c) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate({ name: 'cat' }).apply([c, d]) as tf.SymbolicTensor;
  const e = conv('conv4', 4, 'relu').apply(joined);
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(e);
  const out = tf.layers.dense({ name: 'dense', units: 3, activation: 'softmax' }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

describe('predict() folding BatchNormalization and Activation into the Conv2D before them', () => {
  gpuIt('gives what run() and TF.js give, in fewer dispatches', async (e) => {
    const theirs = residualModel();
    randomizeWeights(theirs, 21);
    const saved = await saveTf(theirs);
    const model = await loadLayersModel(e, { modelJson: saved.modelJson, weights: saved.weightData });
    const xs = new Rng(22).uniform(2 * 8 * 8 * 3);
    const x = e.tensor(xs, [2, 8, 8, 3]);
    const { predicted, ran, fused, unfused } = await predictAndRun(e, model, x);
    // conv1 takes bn1 and relu1, conv2 and conv3 their batch norms, add its relu2; bn3 has two readers, so tanh3 stays apart.
    expect(unfused - fused, `dispatches: ${unfused} unfused, ${fused} fused`).to.equal(5);
    expectClose(predicted, ran, 'predict against run', 1e-6);
    const ref = tf.tidy(() => (theirs.predict(tf.tensor4d(xs, [2, 8, 8, 3])) as tf.Tensor).dataSync() as Float32Array);
    expectClose(predicted, ref, 'predict against TF.js');
    x.dispose();
    model.dispose();
    theirs.dispose();
  });

  gpuIt('follows weights changed by fit (in place: the optimiser and the moving averages), setWeights and initialize', async (e) => {
    const theirs = residualModel();
    randomizeWeights(theirs, 23);
    const saved = await saveTf(theirs);
    theirs.dispose();
    const model = await loadLayersModel(e, { modelJson: saved.modelJson, weights: saved.weightData });
    const rng = new Rng(24);
    const x = e.tensor(rng.uniform(2 * 8 * 8 * 3), [2, 8, 8, 3]);
    const first = await predictAndRun(e, model, x);

    const labels = new Float32Array(8 * 3);
    for (let i = 0; i < 8; i++) labels[i * 3 + (i % 3)] = 1;
    await model.fit({ count: 8, xShape: [8, 8, 3], classes: 3, x: rng.uniform(8 * 8 * 8 * 3), y: labels }, { optimizer: sgd({ learningRate: 0.5 }), epochs: 1, batchSize: 4 });
    const trained = await predictAndRun(e, model, x);
    expect(Math.max(...trained.predicted.map((v, i) => Math.abs(v - first.predicted[i]!))), 'fit changed the output').to.be.greaterThan(1e-4);
    expectClose(trained.predicted, trained.ran, 'after fit', 1e-6);

    const bn = model.layer('bn1');
    const c = bn.weightSpecs()[0]!.shape[0]!;
    bn.setWeights(bn.weightSpecs().map((s) => e.tensor(rng.uniform(c, s.name.endsWith('variance') ? 0.5 : -1, s.name.endsWith('variance') ? 3 : 1), [c])));
    const set = await predictAndRun(e, model, x);
    expect(Math.max(...set.predicted.map((v, i) => Math.abs(v - trained.predicted[i]!))), 'setWeights changed the output').to.be.greaterThan(1e-4);
    expectClose(set.predicted, set.ran, 'after setWeights', 1e-6);

    model.initialize(5);
    const initialised = await predictAndRun(e, model, x);
    expectClose(initialised.predicted, initialised.ran, 'after initialize', 1e-6);
    x.dispose();
    model.dispose();
  });

  gpuIt('runs the face network in 58 fewer dispatches, with the outputs of run() and TF.js', async (e) => {
    const url = '/demo/models/face-recognition/model.json';
    const model = await loadLayersModel(e, url);
    const xs = new Rng(25).uniform(150 * 150 * 3, 0, 255);
    const x = e.tensor(xs, [1, 150, 150, 3]);
    const { predicted, ran, fused, unfused } = await predictAndRun(e, model, x);
    console.log(`face network: ${unfused} dispatches per forward pass unfused, ${fused} fused`);
    // 29 convolutions take their batch norm, 15 of them a relu as well, and the 14 residual adds their relu (120 → 62 when written).
    expect(unfused - fused, `dispatches: ${unfused} unfused, ${fused} fused`).to.be.at.least(29 + 15 + 14);
    expectClose(predicted, ran, 'predict against run', 1e-5);
    await tf.setBackend('cpu');
    const theirs = await tf.loadLayersModel(url);
    const ref = tf.tidy(() => (theirs.predict(tf.tensor4d(xs, [1, 150, 150, 3])) as tf.Tensor).dataSync() as Float32Array);
    theirs.dispose();
    expectClose(predicted, ref, 'predict against TF.js');
    x.dispose();
    model.dispose();
  });
});
