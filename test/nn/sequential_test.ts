import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { sequential, snakeCase } from '../../src/nn/sequential.js';
import { fans } from '../../src/nn/initializers.js';

const stats = (v: Float32Array) => {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { mean, std: Math.sqrt(variance), min: Math.min(...v), max: Math.max(...v) };
};

describe('sequential', () => {
  gpuIt('names layers and weights as Keras does and builds every output shape', (e) => {
    const model = sequential(e, {
      inputShape: [12, 12, 1],
      layers: [
        { className: 'Conv2D', config: { filters: 4, kernel_size: 3, activation: 'relu' } },
        { className: 'Conv2D', config: { filters: 6, kernel_size: [3, 3], strides: 2, padding: 'same' } },
        { className: 'BatchNormalization' },
        { className: 'ReLU', config: { max_value: 6 } },
        { className: 'MaxPooling2D', config: { pool_size: 2 } },
        { className: 'Flatten' },
        { className: 'Dropout', config: { rate: 0.5 } },
        { className: 'Dense', config: { units: 10, activation: 'softmax', name: 'logits' } },
      ],
    });
    expect(model.layers.map((l) => l.name)).to.deep.equal(['conv2d_input', 'conv2d', 'conv2d_1', 'batch_normalization', 're_lu', 'max_pooling2d', 'flatten', 'dropout', 'logits']);
    expect(model.layers.map((l) => l.outputShape)).to.deep.equal([[12, 12, 1], [10, 10, 4], [5, 5, 6], [5, 5, 6], [5, 5, 6], [2, 2, 6], [24], [24], [10]]);
    expect(model.namedWeights().map((w) => `${w.name} ${w.tensor.shape.join('x')}${w.trainable ? '' : ' (frozen)'}`)).to.deep.equal([
      'conv2d/kernel 3x3x1x4', 'conv2d/bias 4', 'conv2d_1/kernel 3x3x4x6', 'conv2d_1/bias 6',
      'batch_normalization/gamma 6', 'batch_normalization/beta 6',
      'batch_normalization/moving_mean 6 (frozen)', 'batch_normalization/moving_variance 6 (frozen)',
      'logits/kernel 24x10', 'logits/bias 10',
    ]);
    expect(model.params().length).to.equal(8);
    const frozen = sequential(e, { inputShape: [3], layers: [{ className: 'Dense', config: { units: 2, trainable: false } }, { className: 'Dense', config: { units: 2 } }] });
    expect(frozen.params().map((p) => [...p.shape])).to.deep.equal([[2, 2], [2]]);
    frozen.dispose();
    expect(model.layer('conv2d').config).to.include({ filters: 4, padding: 'valid', activation: 'relu', use_bias: true, data_format: 'channels_last' });
    expect(model.layer('conv2d').config.kernel_size).to.deep.equal([3, 3]);
    expect(['Conv2D', 'DepthwiseConv2D', 'MaxPooling2D', 'BatchNormalization', 'ReLU', 'LeakyReLU', 'GlobalAveragePooling2D', 'ZeroPadding2D'].map(snakeCase))
      .to.deep.equal(['conv2d', 'depthwise_conv2d', 'max_pooling2d', 'batch_normalization', 're_lu', 'leaky_re_lu', 'global_average_pooling2d', 'zero_padding2d']);
    model.dispose();
    expect(e.memory().buffers).to.equal(0);
  });

  gpuIt('initialises glorot_uniform kernels, he_normal on request, zeros, ones and batch-norm statistics', async (e) => {
    const model = sequential(e, {
      inputShape: [6, 6, 16],
      layers: [
        { className: 'Conv2D', config: { filters: 32, kernel_size: 3, name: 'glorot' } },
        { className: 'Conv2D', config: { filters: 32, kernel_size: 3, kernel_initializer: 'he_normal', bias_initializer: 'ones', name: 'he' } },
        { className: 'BatchNormalization', config: { name: 'bn' } },
      ],
      seed: 5,
    });
    const [gk, gb, hk, hb, gamma, beta, mean, variance] = await Promise.all(model.namedWeights().map((w) => w.tensor.read()));
    const { fanIn, fanOut } = fans([3, 3, 16, 32]);
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const g = stats(gk!);
    expect(g.min).to.be.at.least(-limit);
    expect(g.max).to.be.at.most(limit);
    expect(g.std).to.be.closeTo(limit / Math.sqrt(3), 0.05 * limit);
    expect(Math.abs(g.mean)).to.be.below(0.05 * limit);
    const heStd = Math.sqrt(2 / fans([3, 3, 32, 32]).fanIn);
    const h = stats(hk!);
    expect(h.std).to.be.closeTo(heStd, 0.05 * heStd);
    expect(Math.max(-h.min, h.max), 'truncated at two standard deviations').to.be.at.most((2 * heStd) / 0.8796256610342398 + 1e-6);
    expect([...gb!].every((v) => v === 0)).to.equal(true);
    expect([...hb!].every((v) => v === 1)).to.equal(true);
    expect([...gamma!, ...variance!].every((v) => v === 1)).to.equal(true);
    expect([...beta!, ...mean!].every((v) => v === 0)).to.equal(true);
    expect(model.layer('he').config.kernel_initializer).to.deep.equal({ class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'truncated_normal', seed: null } });
    model.dispose();
  });

  gpuIt('is deterministic for a seed and differs between seeds', async (e) => {
    const build = (seed: number) => sequential(e, { inputShape: [8], layers: [{ className: 'Dense', config: { units: 4 } }, { className: 'Dense', config: { units: 3 } }], seed });
    const [a, b, c] = [build(1), build(1), build(2)];
    const read = (m: typeof a) => Promise.all(m.params().map(async (p) => [...(await p.read())]));
    const [va, vb, vc] = await Promise.all([read(a), read(b), read(c)]);
    expect(va).to.deep.equal(vb);
    expect(va[0]).to.not.deep.equal(vc[0]);
    expect(va[0]).to.not.deep.equal(va[2], 'two layers draw different values');
    for (const m of [a, b, c]) m.dispose();
  });

  gpuIt('refuses bad specs with errors naming the layer', (e) => {
    expectThrowsNoLeak(e, () => sequential(e, { inputShape: [4], layers: [] }), /model 'sequential': needs at least one layer/);
    expectThrowsNoLeak(e, () => sequential(e, { inputShape: [4], layers: [{ className: 'Dense', config: { units: 2, kernel_initializer: 'orthogonal' } }] }), /Dense 'dense': kernel_initializer: the initializer 'orthogonal' is not supported/);
    expectThrowsNoLeak(e, () => sequential(e, { inputShape: [4], layers: [{ className: 'Dense', config: { units: 2, name: 'x' } }, { className: 'Dense', config: { units: 2, name: 'x' } }] }), /two layers are named 'x'/);
    // Failing at the second layer, after the first has made its weights.
    expectThrowsNoLeak(e, () => sequential(e, { inputShape: [4], layers: [{ className: 'Dense', config: { units: 2 } }, { className: 'Dense', config: { units: 2, kernel_initializer: 'orthogonal' } }] }), /Dense 'dense_1': kernel_initializer: the initializer 'orthogonal' is not supported/);
    expect(e.memory().buffers).to.equal(0);
  });
});
