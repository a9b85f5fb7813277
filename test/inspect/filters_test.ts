import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { CnnError } from '../../src/errors.js';
import { layerKernel, convLayers, filterLayer, drawFilters } from '../../src/inspect/filters.js';
import { minMax, offPixels, strided, tinyModel } from './helpers.js';

describe('inspect: filters', () => {
  gpuIt('layerKernel is the conv kernel, the depthwise kernel of depthwise and separable layers, and null elsewhere', (e) => {
    const model = tinyModel(e);
    const weights = new Map(model.namedWeights().map((w) => [w.name, w.tensor]));
    expect(layerKernel(model.layer('conv'))).to.equal(weights.get('conv/kernel'));
    expect(layerKernel(model.layer('depth'))).to.equal(weights.get('depth/depthwise_kernel'));
    expect(layerKernel(model.layer('sep'))).to.equal(weights.get('sep/depthwise_kernel'));
    for (const name of ['flat', 'probs']) expect(layerKernel(model.layer(name)), name).to.equal(null);
    expect(convLayers(model).map((l) => l.name)).to.deep.equal(['conv', 'depth', 'sep']);
    model.dispose();
  });

  gpuIt('filterLayer picks the first convolution layer or the one named, and names the convolution layers when there is none', (e) => {
    const model = tinyModel(e);
    expect(filterLayer(model).name).to.equal('conv');
    expect(filterLayer(model, 'sep').name).to.equal('sep');
    expect(() => filterLayer(model, 'nope')).to.throw(CnnError, "no layer named 'nope'; the convolution layers are: conv, depth, sep");
    model.dispose();
  });

  gpuIt('draws filters on three input channels as red, green and blue around grey 0', async (e) => {
    const model = tinyModel(e);
    const f = await drawFilters(e, model.layer('conv'));
    const w = await layerKernel(model.layer('conv'))!.read(); // [3, 3, 3, 4]
    const [kh, kw, ci, co] = [3, 3, 3, 4];
    expect(f).to.include({ layer: 'conv', className: 'Conv2D', filters: co, rgb: true, width: kw * co, height: kh });
    expect(f.shape).to.deep.equal([kh, kw, ci, co]);
    let off = 0;
    for (let o = 0; o < co; o++) {
      const [lo, hi] = minMax(w, strided(o, co, w.length));
      expect(f.ranges[o], `filter ${o}`).to.deep.equal([lo, hi]);
      const m = Math.max(Math.abs(lo), Math.abs(hi));
      for (let p = 0; p < kh * kw; p++) {
        const at = (Math.floor(p / kw) * f.width + o * kw + (p % kw)) * 4;
        for (let k = 0; k < 3; k++) if (Math.abs(f.rgba[at + k]! - Math.round((0.5 + (0.5 * w[(p * ci + k) * co + o]!) / m) * 255)) > 1) off++;
        if (f.rgba[at + 3] !== 255) off++;
      }
    }
    expect(off).to.equal(0);
    model.dispose();
  });

  gpuIt('draws one input channel of a depthwise kernel on the diverging map, each filter or the layer on one scale', async (e) => {
    const model = tinyModel(e);
    const w = await layerKernel(model.layer('depth'))!.read(); // [3, 3, 4, 2]
    const [kh, kw, ci, co] = [3, 3, 4, 2];
    for (const normalize of ['channel', 'layer'] as const) {
      const f = await drawFilters(e, model.layer('depth'), { inChannel: 2, normalize });
      expect(f.rgb).to.equal(false);
      expect([f.min, f.max]).to.deep.equal(minMax(w, strided(0, 1, w.length)));
      const scale = (o: number) => (normalize === 'layer' ? [f.min, f.max] : minMax(w, strided(o, co, w.length))) as [number, number];
      const value = (o: number, y: number, x: number) => w[((y * kw + x) * ci + 2) * co + o]!;
      expect(offPixels(f.rgba, f.width, co, kw, kh, value, scale, true), normalize).to.deep.equal([]);
    }
    model.dispose();
  });

  gpuIt('draws at most maxFilters, and refuses a layer without filters with a CnnError', async (e) => {
    const model = tinyModel(e);
    const f = await drawFilters(e, model.layer('conv'), { maxFilters: 2 });
    expect([f.filters, f.width, f.ranges.length]).to.deep.equal([2, 6, 2]);
    let err: unknown = null;
    await drawFilters(e, model.layer('probs')).catch((x: unknown) => (err = x));
    expect(err).to.be.instanceOf(CnnError);
    expect((err as CnnError).message).to.include("layer 'probs' (Dense) has no 4-D kernel to draw");
    model.dispose();
  });
});
