import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import { colorize, resolveMap } from '../../src/inspect/colors.js';
import { valueRanges } from '../../src/ops/colormap.js';
import { minMax, offPixels, strided } from './helpers.js';

describe('inspect: colorize', () => {
  gpuIt('draws the chosen channels as tiles whose pixels are the reference colours of the values', async (e) => {
    const rng = new Rng(8);
    const [h, w, c] = [5, 6, 4];
    const data = rng.uniform(h * w * c, 0, 2);
    const x = e.tensor(data, [1, h, w, c]);
    const channels = [3, 0, 2];
    const t = await colorize(e, x, { channels, map: 'sequential' });
    expect([t.width, t.height, t.tileWidth, t.tileHeight]).to.deep.equal([w * channels.length, h, w, h]);
    expect(t.rgba.length).to.equal(t.width * t.height * 4);
    const value = (tile: number, y: number, xx: number) => data[(y * w + xx) * c + channels[tile]!]!;
    const scale = (tile: number) => minMax(data, strided(channels[tile]!, c, data.length));
    expect(offPixels(t.rgba, t.width, channels.length, w, h, value, scale, false)).to.deep.equal([]);
    t.ranges.channels.forEach((r, ch) => expect(r).to.deep.equal(minMax(data, strided(ch, c, data.length)).map(Math.fround)));
    x.dispose();
  });

  gpuIt('takes ranges computed elsewhere and leaves them to the caller; one scale for the layer on request', async (e) => {
    const rng = new Rng(9);
    const [h, w, c] = [3, 4, 2];
    const data = rng.uniform(h * w * c, -1, 1);
    const x = e.tensor(data, [1, h, w, c]);
    const ranges = valueRanges(e, x);
    const t = await colorize(e, x, { channels: [0, 1], map: 'diverging', normalize: 'layer', ranges });
    expect((await ranges.read()).length, 'the ranges tensor is still alive').to.equal((c + 1) * 2);
    const layer = minMax(data, strided(0, 1, data.length));
    const off = offPixels(t.rgba, t.width, c, w, h, (tile, y, xx) => data[(y * w + xx) * c + tile]!, () => layer, true);
    expect(off).to.deep.equal([]);
    x.dispose();
    ranges.dispose();
  });

  gpuIt('disposes every temporary it makes', async (e) => {
    const x = e.tensor(new Float32Array(2 * 2 * 3).fill(1), [1, 2, 2, 3]);
    const before = e.memory().buffers;
    await colorize(e, x, { channels: [0, 1, 2] });
    expect(e.memory().buffers).to.equal(before);
    x.dispose();
  });

  it("resolveMap: 'auto' is diverging for a negative minimum, sequential otherwise; the others stay", () => {
    expect(resolveMap('auto', -0.01)).to.equal('diverging');
    expect(resolveMap('auto', 0)).to.equal('sequential');
    expect(resolveMap('sequential', -5)).to.equal('sequential');
    expect(resolveMap('rgb', 1)).to.equal('rgb');
  });
});
