import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import { valueRanges, combineRanges, colormap, channelValues, readRgba, tensorView, type ColorMap } from '../../src/ops/colormap.js';
import type { Engine } from '../../src/engine.js';
import { refColour } from '../components/colour_ref.js';

/** Every byte within 1 of the reference (float rounding on the GPU vs. in JS). */
function expectPixel(rgba: Uint8ClampedArray, at: number, expected: number[], what: string): void {
  const got = [...rgba.subarray(at * 4, at * 4 + 4)];
  const off = got.some((g, k) => Math.abs(g - expected[k]!) > 1);
  if (off) expect(got, `${what}: pixel ${at}`).to.deep.equal(expected);
}

function channelMinMax(data: Float32Array, c: number, ch: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = ch; i < data.length; i += c) {
    if (!Number.isFinite(data[i]!)) continue;
    lo = Math.min(lo, data[i]!);
    hi = Math.max(hi, data[i]!);
  }
  return [lo, hi];
}

async function drawAndCompare(e: Engine, data: Float32Array, shape: number[], channels: number[], map: ColorMap, normalize: 'channel' | 'layer') {
  const [, h, w, c] = shape as [number, number, number, number];
  const x = e.tensor(data, shape);
  const ranges = valueRanges(e, x);
  const img = colormap(e, x, ranges, { channels, map, normalize });
  expect([img.width, img.height]).to.deep.equal([w * channels.length, h]);
  const rgba = await readRgba(img);
  const layer = channelMinMax(data, 1, 0);
  const diverging = map === 'diverging' || (map === 'auto' && layer[0] < 0);
  channels.forEach((ch, t) => {
    const [lo, hi] = normalize === 'layer' ? layer : channelMinMax(data, c, ch);
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const v = data[(y * w + xx) * c + ch]!;
        expectPixel(rgba, y * img.width + t * w + xx, refColour(v, lo, hi, diverging), `${map}/${normalize} channel ${ch} (${y}, ${xx})`);
      }
    }
  });
  for (const t of [x, ranges, img.pixels]) t.dispose();
}

describe('colormap', () => {
  gpuIt('valueRanges gives each channel’s min and max and the whole tensor’s, skipping NaN and ±Inf', async (e) => {
    const rng = new Rng(21);
    const [rows, c] = [300, 5];
    const data = rng.uniform(rows * c, -3, 2);
    data[7] = NaN;
    data[12] = Infinity;
    data[23] = -Infinity;
    for (let r = 0; r < rows; r++) data[r * c + 4] = NaN; // channel 4: nothing finite
    const x = e.tensor(data, [2, 10, 15, c]);
    const got = await valueRanges(e, x).read();
    expect(got.length).to.equal((c + 1) * 2);
    for (let ch = 0; ch < 4; ch++) expect([got[ch * 2], got[ch * 2 + 1]], `channel ${ch}`).to.deep.equal(channelMinMax(data, c, ch).map(Math.fround));
    expect(got[8]!, 'empty channel: an empty interval').to.be.greaterThan(got[9]!);
    expect([got[10], got[11]], 'whole tensor').to.deep.equal(channelMinMax(data, 1, 0).map(Math.fround));
  });

  gpuIt('combineRanges gathers each tensor’s whole range and the range over all of them', async (e) => {
    const a = e.tensor([1, 2, 3, 4], [2, 2]);
    const b = e.tensor([-5, 0.5, 7], [3]);
    const ra = valueRanges(e, a);
    const rb = valueRanges(e, b);
    const all = combineRanges(e, [ra, rb]);
    expect([...(await all.read())]).to.deep.equal([1, 4, -5, 7, -5, 7]);
  });

  gpuIt('sequential, per channel: every pixel is viridis of (v − min) / (max − min) of its channel', async (e) => {
    const rng = new Rng(22);
    await drawAndCompare(e, rng.uniform(7 * 9 * 6, 0, 5), [1, 7, 9, 6], [0, 3, 5, 1], 'sequential', 'channel');
  });

  gpuIt('auto picks the diverging map for signed layers; 0 is white, −max blue, +max red, per layer', async (e) => {
    const rng = new Rng(23);
    const data = rng.uniform(6 * 5 * 4, -2, 1);
    await drawAndCompare(e, data, [1, 6, 5, 4], [0, 1, 2, 3], 'auto', 'layer');
    const x = e.tensor([0, -2, 1, 2], [1, 1, 4, 1]);
    const ranges = valueRanges(e, x);
    const rgba = await readRgba(colormap(e, x, ranges, { channels: [0], map: 'auto' }));
    expect([...rgba.subarray(0, 4)], '0 → white').to.deep.equal([247, 247, 247, 255]);
    expect([...rgba.subarray(4, 8)], '−max → dark blue').to.deep.equal([5, 48, 97, 255]);
    expect([...rgba.subarray(12, 16)], '+max → dark red').to.deep.equal([103, 0, 31, 255]);
  });

  gpuIt('auto picks viridis for non-negative layers, with its end colours at min and max', async (e) => {
    const x = e.tensor([0, 3, 1.5, 3], [1, 2, 2, 1]);
    const rgba = await readRgba(colormap(e, x, valueRanges(e, x), { channels: [0] }));
    expect([...rgba.subarray(0, 4)]).to.deep.equal([68, 1, 84, 255]);
    expect([...rgba.subarray(4, 8)]).to.deep.equal([253, 231, 37, 255]);
    expect([...rgba.subarray(8, 12)]).to.deep.equal([33, 145, 140, 255]);
  });

  gpuIt('a global range from combineRanges scales two layers alike', async (e) => {
    const a = e.tensor([0, 1, 2, 3], [1, 2, 2, 1]);
    const b = e.tensor([0, 6, 6, 6], [1, 2, 2, 1]);
    const ra = valueRanges(e, a);
    const rb = valueRanges(e, b);
    const all = combineRanges(e, [ra, rb]);
    const img = colormap(e, a, ra, { channels: [0], map: 'sequential', normalize: { ranges: all, row: 2 } });
    const rgba = await readRgba(img);
    expectPixel(rgba, 3, refColour(3, 0, 6, false), 'a at 3 of [0, 6]');
    expectPixel(rgba, 0, refColour(0, 0, 6, false), 'a at 0 of [0, 6]');
  });

  gpuIt('lays tiles out in rows of `columns` with transparent gaps and empty cells', async (e) => {
    const x = e.tensor(new Float32Array(2 * 2 * 3).map((_, i) => i), [1, 2, 2, 3]);
    const img = colormap(e, x, valueRanges(e, x), { channels: [2, 0, 1], columns: 2, gap: 1 });
    expect([img.width, img.height]).to.deep.equal([5, 5]);
    const rgba = await readRgba(img);
    const alpha = (px: number, py: number) => rgba[(py * 5 + px) * 4 + 3];
    expect(alpha(2, 0), 'gap column').to.equal(0);
    expect(alpha(0, 2), 'gap row').to.equal(0);
    expect(alpha(3, 3), 'the empty fourth cell').to.equal(0);
    expect(alpha(4, 1), 'tile 2').to.equal(255);
    expect(alpha(1, 4), 'tile 3').to.equal(255);
  });

  gpuIt('draws rank-2 outputs (a dense layer) as one 1 × k tile on the layer’s range', async (e) => {
    const x = e.tensor([0, 1, 2, 4], [1, 4]);
    const r = valueRanges(e, x);
    const img = colormap(e, x, r, { channels: [0] });
    expect([img.width, img.height]).to.deep.equal([4, 1]);
    const rgba = await readRgba(img);
    [0, 1, 2, 4].forEach((v, i) => expectPixel(rgba, i, refColour(v, 0, 4, false), `unit ${i}`));
  });

  gpuIt('draws first-layer filters (hwio, 3 input channels) in colour, grey at 0, per filter', async (e) => {
    const [kh, kw, ci, co] = [2, 2, 3, 2];
    const rng = new Rng(24);
    const w = rng.uniform(kh * kw * ci * co, -1, 1);
    w[0] = 0; // tap (0,0), red, filter 0
    const t = e.tensor(w, [kh, kw, ci, co]);
    const img = colormap(e, t, valueRanges(e, t), { channels: [0, 1], view: 'hwio', map: 'rgb' });
    expect([img.width, img.height]).to.deep.equal([4, 2]);
    const rgba = await readRgba(img);
    for (let o = 0; o < co; o++) {
      const [lo, hi] = channelMinMax(w, co, o);
      const m = Math.max(-lo, hi);
      for (let y = 0; y < kh; y++) {
        for (let xx = 0; xx < kw; xx++) {
          const expected = [0, 1, 2].map((k) => Math.round((0.5 + (0.5 * w[((y * kw + xx) * ci + k) * co + o]!) / m) * 255));
          expectPixel(rgba, y * img.width + o * kw + xx, [...expected, 255], `filter ${o} tap (${y}, ${xx})`);
        }
      }
    }
    expect(rgba[0], 'weight 0 is mid-grey').to.be.within(127, 128);
  });

  gpuIt('channelValues returns exactly one channel’s values', async (e) => {
    const rng = new Rng(25);
    const data = rng.uniform(2 * 3 * 4 * 5);
    const x = e.tensor(data, [2, 3, 4, 5]);
    const got = await channelValues(e, x, 3, { batch: 1 }).read();
    const expected = new Float32Array(12).map((_, i) => data[60 + i * 5 + 3]!);
    expect([...got]).to.deep.equal([...expected]);
    expect(tensorView([3, 3, 2, 4], 'hwio', 1)).to.include({ height: 3, width: 3, channels: 4, base: 4, strideY: 24, strideX: 8, strideK: 4 });
  });

  gpuIt('rejects bad channels, views, maps and ranges with messages naming them', async (e) => {
    const x = e.tensor(new Float32Array(8), [1, 2, 2, 2]);
    const r = valueRanges(e, x);
    const cases: [() => unknown, RegExp][] = [
      [() => colormap(e, x, r, { channels: [2] }), /colormap: channel 2 is out of range: x \[1, 2, 2, 2\] has 2 channels/],
      [() => colormap(e, x, r, { channels: [] }), /channels must be a non-empty array/],
      [() => colormap(e, x, r, { channels: [0], map: 'rgb' }), /map 'rgb' draws filters with 3 input channels/],
      [() => colormap(e, x, r, { channels: [0], map: 'jet' as ColorMap }), /map must be one of/],
      [() => colormap(e, x, r, { channels: [0], map: 'constructor' as ColorMap }), /map must be one of/],
      [() => colormap(e, x, x, { channels: [0] }), /ranges has shape \[1, 2, 2, 2\]|ranges must have rank 2/],
      [() => colormap(e, x, r, { channels: [0], columns: 0 }), /columns must be a positive integer/],
      [() => colormap(e, x, r, { channels: [0], normalize: { ranges: r, row: 9 } }), /normalize.row 9 is not a row/],
      [() => colormap(e, e.tensor([1], [1, 1, 1, 1, 1]), r, { channels: [0] }), /rank 1 to 4/],
      [() => valueRanges(e, e.zeros([0, 3])), /valueRanges: x \[0, 3\] is empty/],
    ];
    for (const [f, re] of cases) expect(f).to.throw(re);
  });
});
