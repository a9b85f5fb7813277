import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import { drawFeatureMaps } from '../../src/inspect/feature_maps.js';
import { readChannel } from '../../src/inspect/channel.js';
import { minMax, offPixels, strided, tinyModel } from './helpers.js';

describe('inspect: feature maps', () => {
  gpuIt('each tile is the layer’s output, as the model computed it, in the reference colours', async (e) => {
    const model = tinyModel(e);
    const x = e.tensor(new Rng(2).uniform(8 * 8 * 3, 0, 1), [1, 8, 8, 3]);
    const acts = model.run(x);
    const want = { conv: [0, 3], depth: [5, 1, 2], probs: [0] } as Record<string, number[]>;
    const requests = Object.entries(want).map(([name, channels]) => ({ name, className: model.layer(name).className, tensor: acts.outputs.get(name)!, channels }));
    const maps = await drawFeatureMaps(e, requests);
    expect(maps.map((m) => m.name)).to.deep.equal(['conv', 'depth', 'probs']);
    for (const m of maps) {
      const out = acts.outputs.get(m.name)!;
      const values = await out.read();
      const c = out.shape[out.rank - 1]!;
      expect(m.shape).to.deep.equal([...out.shape]);
      expect([m.min, m.max], `${m.name} range`).to.deep.equal(minMax(values, strided(0, 1, values.length)).map(Math.fround));
      if (m.vector) {
        expect([m.tileWidth, m.tileHeight, m.channelCount]).to.deep.equal([c, 1, 1]);
      } else {
        expect([m.tileHeight, m.tileWidth, m.channelCount]).to.deep.equal(out.shape.slice(1));
        m.channels.forEach((ch, t) => expect(m.channelRanges[t], `${m.name} channel ${ch}`).to.deep.equal(minMax(values, strided(ch, c, values.length)).map(Math.fround)));
      }
      expect(m.map, m.name).to.equal(m.min < 0 ? 'diverging' : 'sequential');
      const value = (t: number, y: number, xx: number) => (m.vector ? values[xx]! : values[(y * m.tileWidth + xx) * c + m.channels[t]!]!);
      expect(offPixels(m.rgba, m.width, m.channels.length, m.tileWidth, m.tileHeight, value, m.scale, m.map === 'diverging'), m.name).to.deep.equal([]);
    }
    expect(maps.find((m) => m.name === 'depth')!.map, 'a linear depthwise layer has both signs').to.equal('diverging');
    acts.dispose();
    x.dispose();
    model.dispose();
  });

  gpuIt("'global' puts every layer drawn on one scale, the range over all of them", async (e) => {
    const model = tinyModel(e, 5);
    const x = e.tensor(new Rng(6).uniform(8 * 8 * 3, 0, 1), [1, 8, 8, 3]);
    const acts = model.run(x);
    const requests = ['conv', 'depth'].map((name) => ({ name, className: 'x', tensor: acts.outputs.get(name)!, channels: [0, 1] }));
    const maps = await drawFeatureMaps(e, requests, { normalize: 'global', map: 'sequential' });
    const lo = Math.min(...maps.map((m) => m.min));
    const hi = Math.max(...maps.map((m) => m.max));
    for (const m of maps) for (const t of [0, 1]) expect(m.scale(t), `${m.name} tile ${t}`).to.deep.equal([lo, hi]);
    acts.dispose();
    x.dispose();
    model.dispose();
  });

  gpuIt('readChannel gives one channel of the output, exactly the values the whole read-back holds', async (e) => {
    const model = tinyModel(e, 7);
    const x = e.tensor(new Rng(7).uniform(8 * 8 * 3, 0, 1), [1, 8, 8, 3]);
    const acts = model.run(x);
    const out = acts.outputs.get('depth')!; // [1, 6, 6, 8]
    const all = await out.read();
    const [, h, w, c] = out.shape as [number, number, number, number];
    const v = await readChannel(e, out, 5);
    expect(v.length).to.equal(h * w);
    for (let i = 0; i < h * w; i++) if (v[i] !== all[i * c + 5]) expect(v[i], `pixel ${i}`).to.equal(all[i * c + 5]);
    acts.dispose();
    x.dispose();
    model.dispose();
  });
});
