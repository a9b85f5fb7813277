import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { loadLayersModel } from '../../src/io/tfjs_layers/reader.js';
import { loadMnist } from '../../src/io/mnist.js';
import * as explain from '../../src/explain/index.js';
import type { Target } from '../../src/explain/target.js';
import { relError } from './helpers.js';

// The shipped digit network, loaded by our reader and by tfjs-layers from the same files; the
// gradients TF.js computes with tf.grad are the reference.
const MODEL = '/demo/models/mnist/model.json';
const REFERENCE = [0.1, 0.9, 0.2, 0.05, 0.3, 0.1, 0.6, 0.2, 0.4, 0.05];

/** Every layer of the tfjs-layers model up to `last`, with the final softmax left out (logits). */
function tfForward(model: tf.LayersModel, x: tf.Tensor, last?: string): tf.Tensor {
  let h = x;
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    if (layer === model.layers[model.layers.length - 1] && !last) {
      const [kernel, bias] = layer.getWeights();
      return tf.add(tf.matMul(h as tf.Tensor2D, kernel as tf.Tensor2D), bias!);
    }
    h = layer.apply(h) as tf.Tensor;
    if (layer.name === last) return h;
  }
  return h;
}

function read(t: tf.Tensor): Float32Array {
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

/** The same targets, summed over the batch, computed by TF.js from a layer's output or the logits. */
function tfTarget(model: tf.LayersModel, x: tf.Tensor, target: Target): tf.Scalar {
  if ('class' in target) {
    const logits = tfForward(model, x);
    const classes = Array.isArray(target.class) ? target.class : Array(x.shape[0]).fill(target.class);
    return tf.sum(tf.mul(logits, tf.oneHot(classes, logits.shape[1]!)));
  }
  if ('layer' in target) {
    const a = tfForward(model, x, target.layer);
    const c = a.shape[a.rank - 1]!;
    const mask = tf.reshape(tf.oneHot([target.channel], c), [c]);
    const perImage = a.rank === 4 ? tf.mean(a, [1, 2]) : a;
    return tf.sum(tf.mul(perImage, mask));
  }
  const out = model.apply(x) as tf.Tensor;
  const ref = tf.tensor1d(Float32Array.from(target.embedding as ArrayLike<number>));
  const dot = tf.sum(tf.mul(out, ref), 1);
  const norms = tf.mul(tf.sqrt(tf.add(tf.sum(tf.square(out), 1), 1e-12)), tf.norm(ref));
  return tf.sum(tf.div(dot, norms));
}

describe('explain: saliency and Grad-CAM against TensorFlow.js on the shipped MNIST network', () => {
  let tfModel: tf.LayersModel;
  let digits: Float32Array;
  let labels: number[];

  before(async () => {
    await tf.setBackend('cpu');
    tfModel = await tf.loadLayersModel(MODEL);
    const test = await loadMnist({ baseUrl: '/demo/data/mnist-subset/', split: 'test', limit: 2 });
    digits = test.images.slice(0, 2 * 784);
    labels = [...test.labels.slice(0, 2)];
  });

  const targets = (): [string, Target][] => [
    ['each digit’s own class logit', { class: labels }],
    ['the mean of channel 5 of conv2', { layer: 'conv2', channel: 5 }],
    ['the cosine similarity of the output to a reference', { embedding: REFERENCE }],
  ];

  gpuIt('saliency equals tf.grad of the same target (relative error ≤ 1e-4)', async (e) => {
    const model = await loadLayersModel(e, MODEL);
    const x = e.tensor(digits, [2, 28, 28, 1]);
    for (const [what, target] of targets()) {
      const before = e.memory().buffers;
      const g = await explain.saliency(model, x, { target });
      expect(e.memory().buffers, `${what}: only the result is left`).to.equal(before + 1);
      expect(g.shape).to.deep.equal([2, 28, 28, 1]);
      const got = await g.read();
      g.dispose();
      const want = read(tf.tidy(() => tf.grad((xt: tf.Tensor) => tfTarget(tfModel, xt, target))(tf.tensor4d(digits, [2, 28, 28, 1]))));
      expect(Math.max(...want.map(Math.abs)), `${what}: a gradient that is not all zeros`).to.be.greaterThan(0);
      const err = relError(got, want);
      console.log(`${what}: relative error ${err.toExponential(2)}`);
      expect(err, what).to.be.at.most(1e-4);
    }
    // A reference embedding on the GPU gives the map of the same values from the CPU (normalised there by rsqrt, so to rounding).
    const [fromArray, fromTensor] = [REFERENCE, e.tensor(REFERENCE, [10])];
    const maps: Float32Array[] = [];
    for (const embedding of [fromArray, fromTensor]) {
      const g = await explain.saliency(model, x, { target: { embedding } });
      maps.push(await g.read());
      g.dispose();
    }
    expect(relError(maps[1]!, maps[0]!)).to.be.at.most(1e-6);
    fromTensor.dispose();
    x.dispose();
    model.dispose();
  });

  gpuIt('Grad-CAM equals ReLU(Σ α_c A_c) from tf.grad at the last convolution layer (relative error ≤ 1e-4)', async (e) => {
    const model = await loadLayersModel(e, MODEL);
    const x = e.tensor(digits, [2, 28, 28, 1]);
    const camTargets: [string, Target][] = [targets()[0]!, ['unit 7 of dense1', { layer: 'dense1', channel: 7 }]];
    for (const [what, target] of camTargets) {
      const before = e.memory().buffers;
      const cam = await explain.gradCam(model, x, { target }); // the default layer: conv2
      expect(e.memory().buffers, `${what}: only the result is left`).to.equal(before + 1);
      expect(cam.shape).to.deep.equal([2, 8, 8]);
      const got = await cam.read();
      cam.dispose();
      const want = read(tf.tidy(() => {
        const xt = tf.tensor4d(digits, [2, 28, 28, 1]);
        const a = tfForward(tfModel, xt, 'conv2');
        // The rest of the network from conv2's output on.
        const rest = (at: tf.Tensor) => {
          let h = at;
          const layers = tfModel.layers;
          for (const layer of layers.slice(layers.findIndex((l) => l.name === 'conv2') + 1)) {
            if ('layer' in target && layer.name === target.layer) {
              h = layer.apply(h) as tf.Tensor;
              return tf.sum(tf.mul(h, tf.reshape(tf.oneHot([target.channel], h.shape[1]!), [h.shape[1]!])));
            }
            if (layer === layers[layers.length - 1]) {
              const [kernel, bias] = layer.getWeights();
              h = tf.add(tf.matMul(h as tf.Tensor2D, kernel as tf.Tensor2D), bias!);
              return tf.sum(tf.mul(h, tf.oneHot(labels, 10)));
            }
            h = layer.apply(h) as tf.Tensor;
          }
          throw new Error('unreachable');
        };
        const da = tf.grad(rest)(a);
        const alpha = tf.mean(da, [1, 2], true);
        return tf.relu(tf.sum(tf.mul(a, alpha), -1));
      }));
      expect(Math.max(...want), `${what}: a map that is not all zeros`).to.be.greaterThan(0);
      const err = relError(got, want);
      console.log(`${what}: relative error ${err.toExponential(2)}`);
      expect(err, what).to.be.at.most(1e-4);
    }
    x.dispose();
    model.dispose();
  });
});
