import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectRejectsNoLeak, expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';
import { loadLayersModel } from '../../src/io/tfjs_layers/reader.js';
import { sequential } from '../../src/nn/sequential.js';
import { Model } from '../../src/nn/model.js';
import { createLayer } from '../../src/nn/layers/registry.js';
import { Tape } from '../../src/autograd/tape.js';
import type { Engine } from '../../src/engine.js';
import { randomizeWeights, saveTf } from './keras_helpers.js';

const L = tf.layers;

/** A small functional model with a residual branch. */
function residualTf(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 2], name: 'img' });
  const a = L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv_a' }).apply(input) as tf.SymbolicTensor;
  const b = L.conv2d({ filters: 3, kernelSize: 1, name: 'conv_b' }).apply(input) as tf.SymbolicTensor;
  const sum = L.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
  const drop = L.dropout({ rate: 0.3, name: 'drop' }).apply(sum) as tf.SymbolicTensor;
  const pool = L.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(drop) as tf.SymbolicTensor;
  const flat = L.flatten({ name: 'flat' }).apply(pool) as tf.SymbolicTensor;
  const out = L.dense({ units: 4, activation: 'softmax', name: 'probs' }).apply(flat) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'residual' });
}

async function loadTf(e: Engine, m: tf.LayersModel, seed: number): Promise<Model> {
  randomizeWeights(m, seed);
  const saved = await saveTf(m);
  return loadLayersModel(e, { modelJson: saved.modelJson, weights: saved.weightData });
}

describe('Model', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('run() keeps every layer output by name from one pass, and dispose() frees exactly those', async (e) => {
    const m = residualTf();
    const model = await loadTf(e, m, 1);
    expect(model.name).to.equal('residual');
    expect(model.layers.map((l) => l.name)).to.deep.equal(['img', 'conv_a', 'conv_b', 'sum', 'drop', 'pool', 'flat', 'probs']);
    expect([...model.inputShape]).to.deep.equal([6, 6, 2]);
    expect([...model.outputShape]).to.deep.equal([4]);
    expect(model.params().length).to.equal(6);
    const weightsOnly = e.memory().buffers;
    const x = e.tensor(new Rng(2).uniform(2 * 6 * 6 * 2), [2, 6, 6, 2]);
    const dispatches = e.scheduler.dispatchCount;
    const acts = model.run(x);
    const dispatched = e.scheduler.dispatchCount - dispatches;
    expect([...acts.outputs.keys()]).to.deep.equal(model.layers.map((l) => l.name));
    expect(acts.outputs.get('img')).to.equal(x);
    expect(acts.outputs.get('drop'), 'dropout at inference is the identity').to.equal(acts.outputs.get('sum'));
    expect(acts.output).to.equal(acts.outputs.get('probs'));
    expect([...acts.outputs.get('pool')!.shape]).to.deep.equal([2, 3, 3, 3]);
    // Reading every layer costs no further GPU work: the outputs were computed once.
    for (const t of acts.outputs.values()) await t.read();
    expect(e.scheduler.dispatchCount - dispatches).to.equal(dispatched);
    acts.dispose();
    expect(x.isDisposed, 'the caller keeps its input').to.equal(false);
    expect(e.memory().buffers).to.equal(weightsOnly + 1);
    model.dispose();
    x.dispose();
    expect(e.memory().buffers).to.equal(0);
    m.dispose();
  });

  gpuIt('predict() returns the output of run() and frees every intermediate as it goes', async (e) => {
    const m = residualTf();
    const model = await loadTf(e, m, 3);
    const x = e.tensor(new Rng(4).uniform(3 * 6 * 6 * 2), [3, 6, 6, 2]);
    const acts = model.run(x);
    const full = await acts.output.read();
    acts.dispose();
    const before = e.memory().buffers;
    const y = model.predict(x);
    expect(e.memory().buffers).to.equal(before + 1);
    expect([...(await y.read())]).to.deep.equal([...full]);
    const ref = tf.tidy(() => (m.predict(tf.tensor(new Rng(4).uniform(3 * 6 * 6 * 2), [3, 6, 6, 2])) as tf.Tensor).dataSync());
    expectClose(full, ref, 'predict vs tf');
    y.dispose();
    // A model of identity layers still hands back a tensor the caller owns.
    const id = sequential(e, { inputShape: [3], layers: [{ className: 'Dropout', config: { rate: 0.2 } }, { className: 'Activation', config: { activation: 'linear' } }] });
    const v = e.tensor([1, 2, 3], [1, 3]);
    const w = id.predict(v);
    expect(w).to.not.equal(v);
    w.dispose();
    expect([...(await v.read())]).to.deep.equal([1, 2, 3]);
    for (const t of [v, x]) t.dispose();
    model.dispose();
    id.dispose();
    m.dispose();
    expect(e.memory().buffers).to.equal(0);
  });

  gpuIt('logits: true leaves out the final softmax', async (e) => {
    const model = sequential(e, { inputShape: [5], layers: [{ className: 'Dense', config: { units: 4, activation: 'softmax' } }], seed: 3 });
    const x = e.tensor(new Rng(5).uniform(10), [2, 5]);
    const probs = model.run(x);
    const logits = model.run(x, { logits: true });
    const soft = e.softmax(logits.output);
    expectClose(await soft.read(), await probs.output.read(), 'softmax(logits) = probabilities');
    expect((await logits.output.read()).some((v) => v < 0)).to.equal(true);
    for (const t of [soft, x]) t.dispose();
    probs.dispose();
    logits.dispose();
    model.dispose();
  });

  gpuIt('training mode: BatchNormalization uses batch statistics and moves its averages as TF.js does', async (e) => {
    const input = tf.input({ shape: [4, 4, 3] });
    const out = L.batchNormalization({ momentum: 0.8, name: 'bn' }).apply(input) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out });
    const model = await loadTf(e, m, 7);
    const xs = new Rng(8).uniform(2 * 4 * 4 * 3, -2, 3);
    const x = e.tensor(xs, [2, 4, 4, 3]);
    const acts = model.run(x, { training: true });
    const ref = tf.tidy(() => (m.apply(tf.tensor(xs, [2, 4, 4, 3]), { training: true }) as tf.Tensor).dataSync());
    expectClose(await acts.output.read(), ref, 'batch-normalised output');
    const [, , tfMean, tfVar] = m.layers[1]!.getWeights().map((w) => w.dataSync());
    const bn = model.layer('bn');
    expectClose(await bn.weights[2]!.tensor.read(), tfMean!, 'moving mean after one step');
    expectClose(await bn.weights[3]!.tensor.read(), tfVar!, 'moving variance after one step');
    acts.dispose();
    x.dispose();
    model.dispose();
    m.dispose();
    expect(e.memory().buffers).to.equal(0);
  });

  gpuIt('training mode: Dropout drops about `rate` of the values and scales the rest', async (e) => {
    const model = sequential(e, { inputShape: [1000], layers: [{ className: 'Dropout', config: { rate: 0.25, seed: 9 } }] });
    const x = e.tensor(new Float32Array(2000).fill(1), [2, 1000]);
    const a = model.run(x, { training: true });
    const b = model.run(x, { training: true });
    const va = await a.output.read();
    const zeros = va.filter((v) => v === 0).length;
    expect(zeros).to.be.within(400, 600);
    expect(va.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6)).to.equal(true);
    expect([...(await b.output.read())], 'each step draws a new mask').to.not.deep.equal([...va]);
    a.dispose();
    b.dispose();
    x.dispose();
    model.dispose();
  });

  gpuIt('through a tape, gradients of every weight match tf.variableGrads of the same TF.js model (batch norm in training mode)', async (e) => {
    const input = tf.input({ shape: [6, 6, 2] });
    // No conv bias before the batch norm: in training mode its gradient is exactly 0 (the batch mean
    // cancels it), which leaves only rounding noise to compare.
    let y = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false }).apply(input) as tf.SymbolicTensor;
    y = L.batchNormalization({}).apply(y) as tf.SymbolicTensor;
    y = L.activation({ activation: 'relu' }).apply(y) as tf.SymbolicTensor;
    y = L.depthwiseConv2d({ kernelSize: 2, strides: 2 }).apply(y) as tf.SymbolicTensor;
    y = L.flatten().apply(y) as tf.SymbolicTensor;
    const logitsT = L.dense({ units: 3 }).apply(y) as tf.SymbolicTensor;
    const out = L.activation({ activation: 'softmax' }).apply(logitsT) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out });
    const model = await loadTf(e, m, 11);
    const logitsModel = tf.model({ inputs: input, outputs: logitsT });
    const rng = new Rng(12);
    const xs = rng.uniform(3 * 6 * 6 * 2);
    const labels = new Float32Array(9);
    [0, 2, 1].forEach((c, r) => (labels[r * 3 + c] = 1));

    // TF.js: the loss on the logits (the output before the final softmax), in training mode.
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.tensor(labels, [3, 3]), logitsModel.apply(tf.tensor(xs, [3, 6, 6, 2]), { training: true }) as tf.Tensor) as tf.Scalar);

    const x = e.tensor(xs, [3, 6, 6, 2]);
    const yT = e.tensor(labels, [3, 3]);
    const tape = new Tape(e);
    const acts = model.run(x, { ops: tape, training: true, logits: true });
    const { loss } = tape.softmaxCrossEntropy(acts.output, yT);
    const params = model.params();
    const ours = tape.backward(loss, params);
    const named = model.namedWeights().filter((w) => w.trainable);
    expect(named.length).to.equal(Object.keys(grads).length);
    for (const w of named) {
      expect(grads[w.name], `TF.js has a gradient for ${w.name}`).to.not.equal(undefined);
      expectClose(await ours.get(w.tensor)!.read(), grads[w.name]!.dataSync(), `d loss / d ${w.name}`, 1e-3);
    }
    for (const g of ours.values()) g.dispose();
    acts.dispose();
    tape.dispose();
    for (const t of [x, yT]) t.dispose();
    model.dispose();
    tf.dispose(grads);
    m.dispose();
    expect(e.memory().buffers).to.equal(0);
  });

  gpuIt('bad graphs and inputs fail with errors naming the model, the layer and the shapes', async (e) => {
    const model = sequential(e, { name: 'net', inputShape: [4, 4, 1], layers: [{ className: 'Conv2D', config: { filters: 2, kernel_size: 3 } }] });
    const wrong = e.tensor(new Float32Array(64), [2, 4, 4, 2]);
    expectThrowsNoLeak(e, () => model.run(wrong), /model 'net': the input has shape \[2, 4, 4, 2\] but the model takes \[batch, 4, 4, 1\]/);
    wrong.dispose();
    expectThrowsNoLeak(e, () => model.predict(wrong), /model 'net': the input \(shape \[2, 4, 4, 2\]\) was used after dispose\(\)/);
    model.dispose();

    const input = (name: string) => createLayer(e, 'InputLayer', { name, batch_input_shape: [null, 3] });
    const dense = (name: string) => createLayer(e, 'Dense', { name, units: 2 });
    expectThrowsNoLeak(e, () => new Model(e, { name: 'g', topology: 'functional', nodes: [{ layer: input('in'), inbound: [] }, { layer: dense('d'), inbound: ['nowhere'] }] }), /model 'g': layer 'd' takes the output of 'nowhere', which is not in the model/);
    expectThrowsNoLeak(e, () => new Model(e, { name: 'g', topology: 'functional', nodes: [{ layer: input('in'), inbound: [] }, { layer: dense('a'), inbound: ['b'] }, { layer: dense('b'), inbound: ['a'] }] }), /model 'g': the layers a, b form a cycle/);
    expectThrowsNoLeak(e, () => new Model(e, { name: 'g', topology: 'functional', nodes: [{ layer: input('in'), inbound: [] }, { layer: dense('in'), inbound: ['in'] }] }), /model 'g': two layers are named 'in'/);
    expectThrowsNoLeak(e, () => new Model(e, { name: 'g', topology: 'functional', nodes: [{ layer: input('a'), inbound: [] }, { layer: input('b'), inbound: [] }] }), /model 'g': needs exactly one input layer, found 2 \(a, b\)/);
    expectThrowsNoLeak(e, () => new Model(e, { name: 'g', topology: 'functional', nodes: [{ layer: input('in'), inbound: [] }, { layer: createLayer(e, 'Add', { name: 'add' }), inbound: ['in'] }] }), /Add 'add': takes two or more inputs, got 1/);

    // Multi-input and shared-layer models from TF.js are refused by name.
    const i1 = tf.input({ shape: [3], name: 'left' });
    const i2 = tf.input({ shape: [3], name: 'right' });
    const two = tf.model({ inputs: [i1, i2], outputs: L.add().apply([i1, i2]) as tf.SymbolicTensor });
    const sharedDense = L.dense({ units: 3, name: 'shared' });
    const s1 = sharedDense.apply(i1) as tf.SymbolicTensor;
    const shared = tf.model({ inputs: i1, outputs: sharedDense.apply(s1) as tf.SymbolicTensor });
    for (const [m, pattern] of [[two, /has 2 inputs \(left, right\); only models with one input are supported/], [shared, /layer 'shared' is applied 2 times/]] as const) {
      const saved = await saveTf(m);
      await expectRejectsNoLeak(e, () => loadLayersModel(e, { modelJson: saved.modelJson, weights: saved.weightData }), pattern);
      m.dispose();
    }
    expect(e.memory().buffers).to.equal(0);
  });
});
