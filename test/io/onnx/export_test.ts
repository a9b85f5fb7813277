/**
 * saveOnnxModel: models built and trained by the engine, written as ONNX, run in ONNX Runtime Web
 * (the oracle, in the same page) and read back by loadOnnxModel, with the engine's outputs.
 */
import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../../helpers/gpu.js';
import type { Engine } from '../../../src/engine.js';
import { CnnError } from '../../../src/errors.js';
import { saveOnnxModel, type OnnxSaveOptions } from '../../../src/io/onnx/export.js';
import { decodeModel } from '../../../src/io/onnx/schema.js';
import { loadOnnxModel } from '../../../src/io/onnx/loader.js';
import { Model, type ModelNode } from '../../../src/nn/model.js';
import { createLayer } from '../../../src/nn/layers/registry.js';
import { sequential, type LayerSpec } from '../../../src/nn/sequential.js';
import { sgd } from '../../../src/nn/optimizers.js';
import type { LayerConfig } from '../../../src/nn/layer.js';
import { SeededRandom } from '../../../src/nn/random.js';
import { FIXTURES, nchwToNhwc, nhwcToNchw, randomInput, relError, runOrt } from './ort_oracle.js';

const TOL = 1e-4;

/** A functional model from [name, class, config, inbound names] rows; the first row is the input. */
function functional(e: Engine, inputShape: number[], rows: [string, string, LayerConfig, string[]][], seed = 1): Model {
  const nodes: ModelNode[] = [{ layer: createLayer(e, 'InputLayer', { name: 'image', batch_input_shape: [null, ...inputShape] }), inbound: [] }];
  for (const [name, cls, config, inbound] of rows) nodes.push({ layer: createLayer(e, cls, { ...config, name }), inbound });
  const model = new Model(e, { name: 'graph', topology: 'functional', nodes });
  model.initialize(seed);
  return model;
}

/** Random moving statistics, scale and shift for every BatchNormalization (fresh ones hold zeros and ones). */
function randomizeBatchNorm(e: Engine, model: Model, seed = 3): void {
  const rng = new SeededRandom(seed);
  for (const l of model.layers.filter((x) => x.className === 'BatchNormalization')) {
    const tensors = l.weightSpecs().map((s) => {
      const v = Float32Array.from({ length: s.shape[0]! }, () => (s.name.endsWith('variance') ? 0.5 + rng.next() : rng.next() * 2 - 1));
      return e.tensor(v, s.shape);
    });
    l.setWeights(tensors);
  }
}

/**
 * Saves the model, runs the file in ONNX Runtime (NCHW input) and through loadOnnxModel (NHWC) on
 * the same random batch, and expects both to give model.predict's output.
 */
async function expectSameOutputs(e: Engine, model: Model, batch = 2, opts: OnnxSaveOptions = {}): Promise<Uint8Array> {
  const saved = await saveOnnxModel(model, opts);
  const shape = [batch, ...model.inputShape];
  const x = randomInput(shape, 7);
  const xt = e.tensor(x, shape);
  const y = model.predict(xt);
  const ours = await y.read();
  const outShape = [...y.shape];
  y.dispose();

  const image = shape.length === 4;
  const nchw = image && (opts.inputLayout ?? 'nchw') === 'nchw';
  const [n, h, w, c] = shape as [number, number, number, number];
  const ort = await runOrt(saved.bytes, nchw ? nhwcToNchw(x, [n, c, h, w]) : x, nchw ? [n, c, h, w] : shape);
  const out = ort.get(opts.outputName ?? 'output')!;
  expect(out, 'the ONNX output').to.not.equal(undefined);
  const back = outShape.length === 4 && nchw ? nchwToNhwc(out.data, out.dims) : out.data;
  expect(out.dims.reduce((a, b) => a * b, 1)).to.equal(ours.length);
  expect(relError(back, ours), 'ONNX Runtime vs model.predict').to.be.at.most(TOL);

  if (!nchw && image) {
    xt.dispose();
    return saved.bytes;
  }
  const loaded = await loadOnnxModel(e, saved.bytes);
  const z = loaded.predict(xt);
  expect([...z.shape]).to.deep.equal(outShape);
  expect(relError(await z.read(), ours), 'loadOnnxModel vs model.predict').to.be.at.most(TOL);
  z.dispose();
  loaded.dispose();
  xt.dispose();
  return saved.bytes;
}

describe('saveOnnxModel', () => {
  gpuIt('a LeNet-style network trained a few steps with fit runs in ONNX Runtime with the same outputs', async (e) => {
    const layers: LayerSpec[] = [
      { className: 'Conv2D', config: { filters: 6, kernel_size: 5, padding: 'same', activation: 'relu' } },
      { className: 'MaxPooling2D', config: { pool_size: 2 } },
      { className: 'Conv2D', config: { filters: 8, kernel_size: 3, activation: 'relu' } },
      { className: 'AveragePooling2D', config: { pool_size: 2 } },
      { className: 'Flatten' },
      { className: 'Dense', config: { units: 24, activation: 'relu' } },
      { className: 'Dropout', config: { rate: 0.25 } },
      { className: 'Dense', config: { units: 10, activation: 'softmax' } },
    ];
    const model = sequential(e, { inputShape: [16, 16, 1], layers, seed: 2, name: 'lenet' });
    const count = 48;
    const rng = new SeededRandom(5);
    const y = new Float32Array(count * 10);
    for (let i = 0; i < count; i++) y[i * 10 + Math.floor(rng.next() * 10)] = 1;
    const data = { count, xShape: [16, 16, 1], classes: 10, x: randomInput([count, 16, 16, 1], 4), y };
    const before = await model.params()[0]!.read();
    const optimizer = sgd({ learningRate: 0.1 });
    await model.fit(data, { optimizer, epochs: 1, batchSize: 16, seed: 1 });
    optimizer.dispose();
    expect(relError(await model.params()[0]!.read(), before), 'training moved the weights').to.be.greaterThan(1e-3);

    const bytes = await expectSameOutputs(e, model, 3);
    const proto = decodeModel(bytes);
    expect(proto.producerName).to.equal('cnn-webgpu');
    expect(proto.opsets.get('')).to.equal(13);
    expect(proto.graph!.inputs[0]!.shape).to.deep.equal(['N', 1, 16, 16]);
    expect(proto.graph!.outputs[0]!.shape).to.deep.equal(['N', 10]);
    expect(proto.graph!.nodes.map((n) => n.opType)).to.deep.equal(['Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'AveragePool', 'Flatten', 'Gemm', 'Relu', 'Gemm', 'Softmax']);
    const saved = await saveOnnxModel(model);
    expect(saved.fileName).to.equal('lenet.onnx');
    expect(saved.blob().size).to.equal(saved.bytes.byteLength);
    model.dispose();
  });

  gpuIt('a functional model with Add, Concatenate (on channels and on features) and a flattened branch', async (e) => {
    const model = functional(e, [8, 8, 3], [
      ['conv_a', 'Conv2D', { filters: 4, kernel_size: 3, padding: 'same', activation: 'relu' }, ['image']],
      ['conv_b', 'Conv2D', { filters: 4, kernel_size: 1, use_bias: false }, ['image']],
      ['sum', 'Add', {}, ['conv_a', 'conv_b']],
      ['cat', 'Concatenate', { axis: -1 }, ['sum', 'image']],
      ['cat_h', 'Concatenate', { axis: 1 }, ['cat', 'cat']],
      ['pool', 'MaxPooling2D', { pool_size: 2, strides: 2, padding: 'same' }, ['cat_h']],
      ['flat', 'Flatten', {}, ['pool']],
      ['gap', 'GlobalAveragePooling2D', {}, ['cat']],
      ['flat_sum', 'Add', {}, ['flat', 'flat']],
      ['features', 'Concatenate', {}, ['flat_sum', 'gap']],
      ['probs', 'Dense', { units: 5, activation: 'softmax' }, ['features']],
    ]);
    await expectSameOutputs(e, model, 2);
    model.dispose();
  });

  gpuIt('depthwise and separable convolutions, padding and pools with asymmetric same padding, a 4-D output', async (e) => {
    const model = sequential(e, {
      inputShape: [9, 11, 3],
      seed: 4,
      layers: [
        { className: 'ZeroPadding2D', config: { padding: [[1, 0], [2, 1]] } },
        { className: 'DepthwiseConv2D', config: { kernel_size: 3, depth_multiplier: 2, strides: 2, padding: 'same', activation: 'relu6' } },
        { className: 'SeparableConv2D', config: { filters: 5, kernel_size: 3, padding: 'same', dilation_rate: 2, activation: 'tanh' } },
        { className: 'SeparableConv2D', config: { filters: 4, kernel_size: [2, 3], depth_multiplier: 2, use_bias: false } },
        { className: 'AveragePooling2D', config: { pool_size: 3, strides: 2, padding: 'same' } },
        { className: 'DepthwiseConv2D', config: { kernel_size: 1, use_bias: true } },
      ],
    });
    await expectSameOutputs(e, model, 2);
    // The same model with an NHWC input (and output) in the file.
    await expectSameOutputs(e, model, 2, { inputLayout: 'nhwc' });
    model.dispose();
  });

  gpuIt('batch normalisation on feature maps, on features and on a flattened map, with and without scale and centre', async (e) => {
    const model = functional(e, [6, 6, 2], [
      ['conv', 'Conv2D', { filters: 3, kernel_size: 3 }, ['image']],
      ['bn_map', 'BatchNormalization', { epsilon: 1e-3 }, ['conv']],
      ['bn_plain', 'BatchNormalization', { center: false, scale: false }, ['bn_map']],
      ['flat', 'Flatten', {}, ['bn_plain']],
      ['bn_flat', 'BatchNormalization', {}, ['flat']],
      ['dense', 'Dense', { units: 7 }, ['bn_flat']],
      ['bn_feat', 'BatchNormalization', { scale: false }, ['dense']],
    ]);
    randomizeBatchNorm(e, model);
    await expectSameOutputs(e, model, 3);
    model.dispose();
  });

  gpuIt('every activation, ReLU and LeakyReLU settings, Rescaling, Reshape and Dense on any rank', async (e) => {
    const model = sequential(e, {
      inputShape: [4, 6, 3],
      seed: 6,
      layers: [
        { className: 'Rescaling', config: { scale: 2, offset: -0.5 } },
        { className: 'Dense', config: { units: 5, activation: 'leaky_relu' } },
        { className: 'Activation', config: { activation: 'relu6' } },
        { className: 'Conv2D', config: { filters: 6, kernel_size: 1, activation: 'sigmoid' } },
        { className: 'ReLU', config: { max_value: 0.7 } },
        { className: 'Conv2D', config: { filters: 6, kernel_size: 3, padding: 'same', activation: 'linear' } },
        { className: 'ReLU', config: { negative_slope: 0.1 } },
        { className: 'LeakyReLU', config: { alpha: 0.25 } },
        { className: 'Activation', config: { activation: 'tanh' } },
        { className: 'Activation', config: { activation: 'softmax' } },
        { className: 'Reshape', config: { target_shape: [6, -1] } },
        { className: 'Dense', config: { units: 4, activation: 'relu' } },
        { className: 'Activation', config: { activation: 'sigmoid' } },
        { className: 'Reshape', config: { target_shape: [2, 3, 4] } },
        { className: 'Activation', config: { activation: 'leaky_relu' } },
        { className: 'Flatten' },
        { className: 'ReLU' },
        { className: 'Dense', config: { units: 6, activation: 'softmax' } },
      ],
    });
    await expectSameOutputs(e, model, 2);
    model.dispose();
  });

  gpuIt('a model on feature vectors, and one whose output is a flattened feature map', async (e) => {
    const vectors = sequential(e, { inputShape: [6], seed: 2, layers: [{ className: 'Dense', config: { units: 4, activation: 'tanh' } }, { className: 'Dense', config: { units: 3 } }] });
    await expectSameOutputs(e, vectors, 2);
    vectors.dispose();
    const flat = sequential(e, { inputShape: [5, 5, 2], seed: 3, layers: [{ className: 'Conv2D', config: { filters: 3, kernel_size: 2 } }, { className: 'Flatten' }, { className: 'Dropout', config: { rate: 0.1 } }] });
    await expectSameOutputs(e, flat, 2);
    flat.dispose();
  });

  gpuIt('refuses a layer that has no ONNX form with a CnnError naming it', async (e) => {
    const imported = await loadOnnxModel(e, `${FIXTURES}tiny_cnn.onnx`);
    let err: unknown;
    await saveOnnxModel(imported).catch((x: unknown) => (err = x));
    expect(err).to.be.instanceOf(CnnError);
    expect((err as Error).message).to.match(/saveOnnxModel: layer '.+' of class Onnx\w+ cannot be written as ONNX \(supported: InputLayer, Conv2D/);
    imported.dispose();
  });
});
