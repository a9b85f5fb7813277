import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';
import { loadLayersModel } from '../../src/io/tfjs_layers/reader.js';
import { sequential } from '../../src/nn/sequential.js';
import type { Engine } from '../../src/engine.js';
import { expectSameOutputs, randomizeWeights, saveTf } from './keras_helpers.js';

const L = tf.layers;

/** Saves a TF.js model, loads it with our loader, and compares every layer's output. */
async function checkModel(e: Engine, model: tf.LayersModel, seed: number, batch = 2): Promise<string[]> {
  randomizeWeights(model, seed);
  const saved = await saveTf(model);
  const ours = await loadLayersModel(e, { modelJson: saved.modelJson, weights: saved.weightData });
  try {
    return await expectSameOutputs(e, ours, model, batch, seed + 1);
  } finally {
    ours.dispose();
    model.dispose();
  }
}

function seq(inputShape: number[], layers: tf.layers.Layer[]): tf.LayersModel {
  const input = tf.input({ shape: inputShape });
  let y: tf.SymbolicTensor = input;
  for (const l of layers) y = l.apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

describe('layers', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  gpuIt('a functional model with every layer type matches TF.js layer by layer', async (e) => {
    const input = tf.input({ shape: [8, 8, 3], name: 'image' });
    const scaled = L.rescaling({ scale: 0.5, offset: -0.25 }).apply(input) as tf.SymbolicTensor;
    const padded = L.zeroPadding2d({ padding: [[1, 0], [2, 1]] }).apply(scaled) as tf.SymbolicTensor;
    const conv = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(padded) as tf.SymbolicTensor;
    const depth = L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }).apply(padded) as tf.SymbolicTensor;
    const sep = L.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(padded) as tf.SymbolicTensor;
    const bn = L.batchNormalization({}).apply(sep) as tf.SymbolicTensor;
    const sum = L.add().apply([conv, bn]) as tf.SymbolicTensor;
    const cat = L.concatenate({ axis: -1 }).apply([sum, depth]) as tf.SymbolicTensor;
    let y = L.maxPooling2d({ poolSize: 2 }).apply(cat) as tf.SymbolicTensor;
    y = L.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }).apply(y) as tf.SymbolicTensor;
    y = L.reLU({ maxValue: 6 }).apply(y) as tf.SymbolicTensor;
    y = L.leakyReLU({ alpha: 0.1 }).apply(y) as tf.SymbolicTensor;
    y = L.activation({ activation: 'relu6' }).apply(y) as tf.SymbolicTensor;
    y = L.dropout({ rate: 0.5 }).apply(y) as tf.SymbolicTensor;
    const gap = L.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
    const gmp = L.globalMaxPooling2d({}).apply(y) as tf.SymbolicTensor;
    y = L.reshape({ targetShape: [20, 10] }).apply(y) as tf.SymbolicTensor;
    y = L.flatten().apply(y) as tf.SymbolicTensor;
    y = L.dense({ units: 5, activation: 'tanh' }).apply(y) as tf.SymbolicTensor;
    y = L.concatenate().apply([y, gap, gmp]) as tf.SymbolicTensor;
    const out = L.dense({ units: 3, activation: 'softmax' }).apply(y) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const names = await checkModel(e, model, 1);
    const classes = new Set(names.map((n) => n.replace(/_[A-Za-z0-9]+$/, '')));
    for (const c of ['rescaling', 'zero_padding2d', 'conv2d', 'depthwise_conv2d', 'separable_conv2d', 'batch_normalization', 'add', 'concatenate',
      'max_pooling2d', 'average_pooling2d', 're_lu', 'leaky_re_lu', 'activation', 'dropout', 'global_average_pooling2d', 'global_max_pooling2d',
      'reshape', 'flatten', 'dense']) {
      expect(classes.has(c), `layer kind ${c} was compared`).to.equal(true);
    }
  });

  gpuIt('convolutions with strides, valid padding, dilation and depth multipliers match TF.js', async (e) => {
    await checkModel(e, seq([11, 10, 3], [
      L.conv2d({ filters: 5, kernelSize: [3, 2], strides: 2, padding: 'valid', activation: 'sigmoid' }),
      L.conv2d({ filters: 4, kernelSize: 3, dilationRate: 2, padding: 'same', useBias: false }),
      L.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 3, strides: 2, padding: 'valid', activation: 'relu' }),
    ]), 10);
    await checkModel(e, seq([9, 9, 2], [
      L.separableConv2d({ filters: 3, kernelSize: 3, depthMultiplier: 2, dilationRate: 2, padding: 'same', activation: 'tanh' }),
      L.separableConv2d({ filters: 6, kernelSize: 2, strides: 2, padding: 'valid', useBias: false }),
      L.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }),
    ]), 11);
  });

  gpuIt('pooling with overlapping, same-padded windows and odd sizes matches TF.js', async (e) => {
    await checkModel(e, seq([9, 7, 3], [
      L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
      L.averagePooling2d({ poolSize: [2, 3], strides: 1, padding: 'valid' }),
      L.zeroPadding2d({ padding: 2 }),
      L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
      L.zeroPadding2d({ padding: [1, 0] }),
      L.maxPooling2d({}),
      L.globalMaxPooling2d({}),
    ]), 20);
  });

  gpuIt('batch norm without center or scale, Dense on 4-D inputs, activations and reshapes match TF.js', async (e) => {
    await checkModel(e, seq([4, 5, 3], [
      L.batchNormalization({ center: false, epsilon: 0.01 }),
      L.batchNormalization({ scale: false }),
      L.dense({ units: 6, activation: 'relu' }),
      L.reLU({ maxValue: 0.7 }),
      L.leakyReLU({}),
      L.activation({ activation: 'sigmoid' }),
      // TF.js cannot infer a -1 dim symbolically, so only layers that need the last dim follow it.
      L.reshape({ targetShape: [-1, 3] }),
      L.dense({ units: 4, useBias: false, activation: 'softmax' }),
      L.reshape({ targetShape: [160] }),
      L.activation({ activation: 'linear' }),
      L.dense({ units: 2, activation: 'tanh' }),
    ]), 30, 3);
  });

  gpuIt('Add and Concatenate take three inputs, and Concatenate any axis', async (e) => {
    const input = tf.input({ shape: [4, 4, 2] });
    const a = L.conv2d({ filters: 3, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
    const b = L.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
    const c = L.activation({ activation: 'tanh' }).apply(a) as tf.SymbolicTensor;
    const sum = L.add().apply([a, b, c]) as tf.SymbolicTensor;
    const rows = L.concatenate({ axis: 1 }).apply([sum, a, b]) as tf.SymbolicTensor;
    const cols = L.concatenate({ axis: 2 }).apply([rows, rows]) as tf.SymbolicTensor;
    await checkModel(e, tf.model({ inputs: input, outputs: cols }), 40);
  });

  gpuIt("Keras-only options: ReLU's negative_slope, global pooling keepdims, Rescaling without offset", async (e) => {
    const model = sequential(e, {
      inputShape: [3, 4, 2],
      layers: [
        { className: 'Rescaling', config: { scale: 3 } },
        { className: 'ReLU', config: { negative_slope: 0.25 } },
        { className: 'GlobalAveragePooling2D', config: { keepdims: true } },
      ],
    });
    const xs = new Rng(50).uniform(24);
    const x = e.tensor(xs, [1, 3, 4, 2]);
    const acts = model.run(x);
    const ref = tf.tidy(() => {
      const r = tf.leakyRelu(tf.mul(tf.tensor(xs, [1, 3, 4, 2]), 3), 0.25);
      return { relu: r.dataSync(), pool: tf.mean(r, [1, 2], true).dataSync() };
    });
    expectClose(await acts.outputs.get('re_lu')!.read(), ref.relu, 're_lu negative_slope');
    expect([...acts.output.shape]).to.deep.equal([1, 1, 1, 2]);
    expectClose(await acts.output.read(), ref.pool, 'keepdims pool');
    acts.dispose();
    x.dispose();
    model.dispose();
  });

  gpuIt('configs that cannot run are refused with errors naming the layer and the field', (e) => {
    const build = (className: string, config: Record<string, unknown>, inputShape = [6, 6, 2]) =>
      () => sequential(e, { inputShape, layers: [{ className, config: { name: 'bad', ...config } }] });
    expectThrowsNoLeak(e, build('Conv2D', { filters: 2, kernel_size: 3, data_format: 'channels_first' }), /Conv2D 'bad': data_format 'channels_first' is not supported: only channels_last/);
    expectThrowsNoLeak(e, build('Conv2D', { filters: 2, kernel_size: 3, activation: 'elu' }), /Conv2D 'bad'.*activation "elu" is not supported/);
    expectThrowsNoLeak(e, build('Conv2D', { filters: 2, kernel_size: 0 }), /Conv2D 'bad': kernel_size must be a positive integer or two of them, got 0/);
    expectThrowsNoLeak(e, build('Conv2D', { kernel_size: 3 }), /Conv2D 'bad': filters must be an integer ≥ 1, got undefined/);
    expectThrowsNoLeak(e, build('Conv2D', { filters: 2, kernel_size: 7 }), /Conv2D 'bad': the 7×7 window .* larger than the padded input \(6×6\)/);
    expectThrowsNoLeak(e, build('MaxPooling2D', { padding: 'causal' }), /MaxPooling2D 'bad': padding 'causal' is not supported/);
    expectThrowsNoLeak(e, build('BatchNormalization', { axis: 1 }), /BatchNormalization 'bad': axis 1 is not supported: only the last axis/);
    expectThrowsNoLeak(e, build('Reshape', { target_shape: [5, -1] }), /Reshape 'bad': cannot reshape \[batch, 6, 6, 2\] \(72 values per example\) to target_shape \[5, -1\]/);
    expectThrowsNoLeak(e, build('Dense', { units: 3 }, []), /InputLayer.*input shape must be known positive sizes/);
    expectThrowsNoLeak(e, build('Conv3D', { filters: 2 }), /layer 'bad' has the unsupported class "Conv3D"/);
    expectThrowsNoLeak(e, build('GlobalMaxPooling2D', {}, [4, 3]), /GlobalMaxPooling2D 'bad': expects inputs of rank 4/);
    // Refused weights stay the caller's, and the layer keeps its own.
    const m = sequential(e, { inputShape: [4], layers: [{ className: 'Dense', config: { name: 'd', units: 2 } }] });
    const wrong = [e.zeros([3, 2]), e.zeros([2])];
    expectThrowsNoLeak(e, () => m.layer('d').setWeights(wrong), /Dense 'd': weight 'd\/kernel' must have shape \[4, 2\], got \[3, 2\]/);
    expect(wrong.every((t) => !t.isDisposed) && m.params().every((t) => !t.isDisposed)).to.equal(true);
    for (const t of wrong) t.dispose();
    m.dispose();
    expect(e.memory().buffers).to.equal(0);
  });
});
