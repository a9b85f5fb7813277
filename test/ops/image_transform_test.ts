import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';
import { adjustImages, blurImages } from '../../src/ops/image_transform.js';
import { CnnError } from '../../src/errors.js';

/** A Gaussian blur written out: rows then columns, taps to ⌈3σ⌉, edge pixel repeated, weights summing to 1. */
function blurReference(x: Float32Array, [h, w, c]: [number, number, number], sigma: number): Float32Array {
  if (sigma <= 0) return Float32Array.from(x);
  const r = Math.ceil(3 * sigma);
  const taps = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const total = taps.reduce((a, b) => a + b, 0);
  const pass = (src: Float32Array, alongRows: boolean) => {
    const dst = new Float32Array(src.length);
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++)
        for (let k = 0; k < c; k++) {
          let s = 0;
          for (let d = -r; d <= r; d++) {
            const yy = alongRows ? y : Math.min(h - 1, Math.max(0, y + d));
            const xc = alongRows ? Math.min(w - 1, Math.max(0, xx + d)) : xx;
            s += taps[d + r]! * src[(yy * w + xc) * c + k]!;
          }
          dst[(y * w + xx) * c + k] = s / total;
        }
    return dst;
  };
  return pass(pass(x, true), false);
}

describe('image transforms (adjustImages, blurImages)', () => {
  gpuIt('adjustImages: gain and offset held within the range; noise is one standard-normal pattern scaled per image', async (e) => {
    const n = 40 * 40;
    const pixels = new Rng(1).uniform(n, 0.3, 0.7);
    const x = e.tensor(pixels, [1, 40, 40, 1]);
    const p = e.tensor([1, 0, 0, 2, -0.5, 0, 1, 0.2, 0, 1, 0, 0.05, 1, 0, 0.1, 3, 0, 0], [6, 3]);
    const y = await adjustImages(e, x, p, { range: [0, 1], seed: 7 }).read();
    const img = (b: number) => y.subarray(b * n, (b + 1) * n);
    expect(Array.from(img(0))).to.deep.equal(Array.from(pixels), 'gain 1, offset 0, no noise: a copy');
    expectClose(img(1), pixels.map((v) => Math.min(1, Math.max(0, 2 * v - 0.5))), 'contrast-like gain and offset', 1e-6);
    expectClose(img(2), pixels.map((v) => Math.min(1, v + 0.2)), 'brightness', 1e-6);
    expectClose(img(5), pixels.map((v) => Math.min(1, 3 * v)), 'clipped at white', 1e-6);
    const noise = (b: number, amp: number) => Array.from(img(b), (v, i) => (v - pixels[i]!) / amp);
    const n1 = noise(3, 0.05);
    const n2 = noise(4, 0.1);
    const mean = n1.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(n1.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    expect(Math.abs(mean), 'noise mean').to.be.below(0.1);
    expect(Math.abs(sd - 1), 'noise standard deviation').to.be.below(0.1);
    const differ = n1.filter((v, i) => Math.abs(v - n2[i]!) > 1e-3).length;
    // Images 3 and 4 share the pattern except where 0.1 × n pushed a pixel past [0, 1].
    expect(differ, 'pixels whose noise pattern differs between amplitudes').to.be.below(n * 0.02);
    const again = await adjustImages(e, x, p, { range: [0, 1], seed: 7 }).read();
    expect(Array.from(again)).to.deep.equal(Array.from(y), 'the same seed gives the same noise');
    const other = await adjustImages(e, x, p, { range: [0, 1], seed: 8 }).read();
    expect(Array.from(other.subarray(3 * n, 4 * n))).to.not.deep.equal(Array.from(img(3)), 'another seed gives other noise');
  });

  gpuIt('adjustImages keeps NaN (as tf.clipByValue does) and holds ±Infinity to the range', async (e) => {
    const x = e.tensor([NaN, Infinity, -Infinity, 0.5], [1, 2, 2, 1]);
    const y = await adjustImages(e, x, e.tensor([2, 0.1, 0], [1, 3]), { range: [0, 1] }).read();
    expect(Array.from(y).map(String)).to.deep.equal(['NaN', '1', '0', '1']);
  });

  gpuIt('blurImages equals a written-out separable Gaussian per image (σ 0 copies)', async (e) => {
    const shape: [number, number, number] = [12, 10, 2];
    const pixels = new Rng(3).uniform(12 * 10 * 2, 0, 1);
    const sigmas = [0, 0.6, 1.5, 3];
    const y = await blurImages(e, e.tensor(pixels, [1, ...shape]), e.tensor(sigmas, [4])).read();
    const size = pixels.length;
    sigmas.forEach((s, b) => expectClose(y.subarray(b * size, (b + 1) * size), blurReference(pixels, shape, s), `σ ${s}`, 1e-5));
  });

  gpuIt('bad arguments are CnnErrors naming the op and the shapes', async (e) => {
    const x = e.tensor(new Float32Array(2 * 4 * 4), [2, 4, 4, 1]);
    expect(() => adjustImages(e, x, e.tensor(new Float32Array(9), [3, 3]))).to.throw(CnnError, /adjustImages.*\[2, 4, 4, 1\].*3/);
    expect(() => adjustImages(e, x, e.tensor(new Float32Array(12), [2, 6]))).to.throw(CnnError, /params must have shape \[batch, 3\]/);
    expect(() => adjustImages(e, x, e.tensor(new Float32Array(6), [2, 3]), { range: [1, 0] })).to.throw(CnnError, /range/);
    expect(() => blurImages(e, e.tensor(new Float32Array(16), [4, 4]), e.tensor([1], [1]))).to.throw(CnnError, /blurImages.*rank 4/);
  });
});
