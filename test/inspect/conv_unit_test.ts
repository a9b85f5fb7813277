import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import { sequential } from '../../src/nn/sequential.js';
import type { Engine } from '../../src/engine.js';
import { explainUnit, explainableLayers, readUnitSource, windowTaps } from '../../src/inspect/conv_unit.js';
import { CnnError } from '../../src/errors.js';

/**
 * 11×11×3 → conv (3×3, stride 2, 'same': padded on the bottom and right) → dil (3×3, dilation 2,
 * 'same', relu) → depth (depthwise 3×3 ×2, 'valid', tanh) → max (3×3 pool, stride 2, 'same') → avg
 * (2×2 pool, stride 1, 'same') → flat → hidden (dense, relu) → probs (dense, softmax).
 */
function windowModel(e: Engine) {
  return sequential(e, {
    inputShape: [11, 11, 3],
    seed: 11,
    name: 'windows',
    layers: [
      { className: 'Conv2D', config: { name: 'conv', filters: 4, kernel_size: 3, strides: 2, padding: 'same', activation: 'linear' } },
      { className: 'Conv2D', config: { name: 'dil', filters: 3, kernel_size: 3, dilation_rate: 2, padding: 'same', activation: 'relu', bias_initializer: 'ones' } },
      { className: 'DepthwiseConv2D', config: { name: 'depth', kernel_size: 3, depth_multiplier: 2, padding: 'valid', activation: 'tanh' } },
      { className: 'MaxPooling2D', config: { name: 'max', pool_size: 2, strides: 2, padding: 'same' } },
      { className: 'AveragePooling2D', config: { name: 'avg', pool_size: 2, strides: 1, padding: 'same' } },
      { className: 'Flatten', config: { name: 'flat' } },
      { className: 'Dense', config: { name: 'hidden', units: 5, activation: 'relu' } },
      { className: 'Dense', config: { name: 'probs', units: 4, activation: 'softmax' } },
    ],
  });
}

describe('inspect: one unit’s arithmetic (readUnitSource, explainUnit)', () => {
  gpuIt('every unit of every channel of conv, dilated, depthwise, pool and dense layers equals the engine’s output to float32 rounding', async (e) => {
    const model = windowModel(e);
    const x = e.tensor(new Rng(5).uniform(11 * 11 * 3, 0, 1), [1, 11, 11, 3]);
    const acts = model.run(x);
    expect(explainableLayers(model).map((l) => l.name)).to.deep.equal(['conv', 'dil', 'depth', 'max', 'avg', 'hidden', 'probs']);
    let checked = 0;
    for (const l of explainableLayers(model)) {
      const out = acts.outputs.get(l.name)!;
      const channels = out.shape[out.rank - 1]!;
      const [oh, ow] = out.rank === 4 ? [out.shape[1]!, out.shape[2]!] : [1, 1];
      const all = await out.read();
      for (let c = 0; c < channels; c++) {
        const src = await readUnitSource(e, model, acts, l.name, c);
        for (let y = 0; y < oh; y++) {
          for (let xx = 0; xx < ow; xx++) {
            const u = explainUnit(src, y, xx);
            const engine = all[out.rank === 4 ? (y * ow + xx) * channels + c : c]!;
            expect(u.engineValue, `${l.name} (${y}, ${xx}) channel ${c}: the engine value read`).to.equal(engine);
            expect(Math.abs(u.value - engine), `${l.name} (${y}, ${xx}) channel ${c}: ${u.value} vs ${engine}, tolerance ${u.tolerance}`).to.be.at.most(u.tolerance);
            checked++;
          }
        }
      }
    }
    expect(checked).to.be.greaterThan(300);
    acts.dispose();
    x.dispose();
    model.dispose();
  });

  gpuIt('a convolution unit: all input channels, weights × values, the padded taps, the bias and the activation', async (e) => {
    const model = windowModel(e);
    const x = e.tensor(new Rng(6).uniform(11 * 11 * 3, 0, 1), [1, 11, 11, 3]);
    const acts = model.run(x);
    // conv: 11 → 6 with stride 2 'same' pads one cell on each side: the last unit's window overhangs by a row and a column.
    const conv = explainUnit(await readUnitSource(e, model, acts, 'conv', 2), 5, 5);
    expect(conv.terms.map((t) => t.channel)).to.deep.equal([0, 1, 2]);
    expect(conv.taps.filter((t) => t.padded).map((t) => [t.ky, t.kx])).to.deep.equal([[0, 2], [1, 2], [2, 0], [2, 1], [2, 2]]);
    for (const t of conv.terms) {
      conv.taps.forEach((tap, i) => {
        if (tap.padded) expect(t.values[i], 'a padded cell reads 0').to.equal(0);
        expect(t.products![i]).to.equal(Math.fround(t.values[i]! * t.weights![i]!));
      });
    }
    expect(conv.preActivation).to.be.closeTo(conv.sum + (conv.bias ?? 0), 1e-6);
    // dil: a dilated window reads every other cell, and adds its bias of 1 before the relu.
    const dil = explainUnit(await readUnitSource(e, model, acts, 'dil', 0), 2, 3);
    expect(dil.taps.map((t) => [t.iy, t.ix])).to.deep.equal([[0, 1], [0, 3], [0, 5], [2, 1], [2, 3], [2, 5], [4, 1], [4, 3], [4, 5]]);
    expect(dil.bias).to.equal(1);
    expect(dil.value).to.equal(Math.max(0, dil.preActivation));
    // depth: channel 3 with multiplier 2 reads input channel 1 alone.
    const depth = explainUnit(await readUnitSource(e, model, acts, 'depth', 3), 1, 1);
    expect(depth.terms.map((t) => t.channel)).to.deep.equal([1]);
    expect(depth.value).to.be.closeTo(Math.tanh(depth.preActivation), 1e-6);
    acts.dispose();
    x.dispose();
    model.dispose();
  });

  gpuIt('pools name the input that won or average the cells inside the input; dense units list their largest contributions; softmax shows every logit', async (e) => {
    const model = windowModel(e);
    const x = e.tensor(new Rng(8).uniform(11 * 11 * 3, 0, 1), [1, 11, 11, 3]);
    const acts = model.run(x);
    const max = explainUnit(await readUnitSource(e, model, acts, 'max', 1), 0, 0);
    const values = max.terms[0]!.values;
    expect(max.winner!.tap).to.equal(values.indexOf(Math.max(...values.filter((v) => !Number.isNaN(v)))));
    expect(max.value).to.equal(max.engineValue);
    const avgSrc = await readUnitSource(e, model, acts, 'avg', 0);
    const [ah, aw] = avgSrc.outputShape as [number, number];
    const corner = explainUnit(avgSrc, ah - 1, aw - 1);
    expect(corner.taps.filter((t) => t.padded)).to.have.length(3, "the last unit of a stride-1 'same' 2×2 pool overhangs by one row and column");
    expect(corner.termCount).to.equal(1);
    expect(corner.value).to.equal(corner.terms[0]!.values[0]);
    const hidden = explainUnit(await readUnitSource(e, model, acts, 'hidden', 2), 0, 0);
    expect(hidden.termCount).to.equal(acts.outputs.get('flat')!.shape[1]);
    const mags = hidden.top.map((t) => Math.abs(t.product));
    expect(mags).to.deep.equal([...mags].sort((a, b) => b - a));
    const probs = explainUnit(await readUnitSource(e, model, acts, 'probs', 1), 0, 0);
    expect(probs.logits).to.have.length(4);
    expect(probs.logits![1]).to.be.closeTo(probs.preActivation, 1e-5);
    expect(Math.abs(probs.value - probs.engineValue)).to.be.at.most(probs.tolerance);
    acts.dispose();
    x.dispose();
    model.dispose();
  });

  gpuIt('a layer without per-unit arithmetic, a channel or a unit out of range: CnnErrors naming them', async (e) => {
    const model = windowModel(e);
    const x = e.tensor(new Float32Array(11 * 11 * 3), [1, 11, 11, 3]);
    const acts = model.run(x);
    let err: unknown = null;
    await readUnitSource(e, model, acts, 'flat', 0).catch((er: unknown) => (err = er));
    expect(err).to.be.instanceOf(CnnError);
    expect(String((err as Error).message)).to.include("'flat'").and.include('conv, dil, depth');
    err = null;
    await readUnitSource(e, model, acts, 'conv', 4).catch((er: unknown) => (err = er));
    expect(String((err as Error).message)).to.include('channel 4 is out of range').and.include('4 channels');
    const src = await readUnitSource(e, model, acts, 'conv', 0);
    expect(() => explainUnit(src, 6, 0)).to.throw(CnnError, /outside/);
    acts.dispose();
    x.dispose();
    model.dispose();
  });

  it('windowTaps: strides, padding and dilation place the taps', () => {
    const g = { batch: 1, inH: 5, inW: 5, channels: 1, outH: 3, outW: 3, kH: 2, kW: 2, strideH: 2, strideW: 2, dilH: 1, dilW: 2, padTop: 1, padLeft: 0, padBottom: 0, padRight: 1 };
    expect(windowTaps(g, 0, 2).map((t) => [t.iy, t.ix, t.padded])).to.deep.equal([[-1, 4, true], [-1, 6, true], [0, 4, false], [0, 6, true]]);
  });
});
