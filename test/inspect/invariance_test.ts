import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';
import { tinyModel } from './helpers.js';
import { TRANSFORMS, sweepValues, transformImages, warpMatrix } from '../../src/inspect/transforms.js';
import { invarianceSweep, similarityToReference } from '../../src/inspect/invariance.js';

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let [ab, aa, bb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('inspect: transformation sweeps and invariance', () => {
  it('sweepValues spaces values evenly, ends included; every transformation names its identity and range', () => {
    expect(sweepValues([-90, 90], 5)).to.deep.equal([-90, -45, 0, 45, 90]);
    expect(sweepValues([2, 3], 1)).to.deep.equal([2]);
    for (const t of Object.values(TRANSFORMS)) expect(t.range[0] <= t.identity && t.identity <= t.range[1], t.kind).to.equal(true);
  });

  gpuIt('each transformation at its identity value gives the input back', async (e) => {
    const pixels = new Rng(2).uniform(10 * 8 * 3, 0, 1);
    const x = e.tensor(pixels, [1, 10, 8, 3]);
    for (const t of Object.values(TRANSFORMS)) {
      const y = await transformImages(e, x, t.kind, [t.identity, t.identity]);
      expect(y.shape, t.kind).to.deep.equal([2, 10, 8, 3]);
      const v = await y.read();
      expectClose(v.subarray(0, pixels.length), pixels, t.kind, 1e-6);
      y.dispose();
    }
  });

  gpuIt('a quarter turn moves the right edge to the top (counter-clockwise); a shift moves right; brightness and contrast saturate at the input range', async (e) => {
    const [h, w] = [7, 7];
    const px = new Float32Array(h * w);
    px[3 * w + 6] = 1; // the middle of the right edge
    const x = e.tensor(px, [1, h, w, 1]);
    const turned = await (await transformImages(e, x, 'rotation', [90])).read();
    expect(turned.indexOf(1), 'where the dot went').to.equal(0 * w + 3);
    const shifted = await (await transformImages(e, x, 'translation', [-2 / 7])).read();
    expect(shifted.indexOf(1)).to.equal(3 * w + 4);
    const bytes = e.tensor(px.map((v) => v * 255), [1, h, w, 1]);
    const bright = await (await transformImages(e, bytes, 'brightness', [0.5], { inputRange: [0, 255] })).read();
    expect(bright[3 * w + 6]).to.equal(255);
    expect(bright[0]).to.equal(127.5);
    const flat = await (await transformImages(e, x, 'contrast', [0])).read();
    expect(new Set(flat).size, 'contrast 0 leaves only the mean').to.equal(1);
    expect(flat[0]).to.be.closeTo(1 / 49, 1e-7);
    expect(warpMatrix('brightness', 1, h, w)).to.equal(null);
    const viaOp = await e.affineWarp(x, { matrices: warpMatrix('rotation', 90, h, w)!.slice(0, 6) }).read();
    expect(Array.from(viaOp)).to.deep.equal(Array.from(turned));
  });

  gpuIt('similarityToReference is the cosine of each image’s values to the reference image’s', async (e) => {
    const v = new Rng(4).uniform(3 * 5 * 5 * 2, -1, 1);
    const t = e.tensor(v, [3, 5, 5, 2]);
    const [s] = await similarityToReference(e, [{ name: 't', className: 'X', tensor: t }], 1);
    const img = (b: number) => v.subarray(b * 50, (b + 1) * 50);
    expect(s!.similarity[1]).to.be.closeTo(1, 1e-6);
    [0, 2].forEach((b) => expect(s!.similarity[b]).to.be.closeTo(cosine(img(b), img(1)), 1e-5));
    const zeros = e.zeros([2, 4]);
    const [z] = await similarityToReference(e, [{ name: 'z', className: 'X', tensor: zeros }], 0);
    expect(z!.similarity.every(Number.isNaN), 'all-zero maps have no direction').to.equal(true);
  });

  gpuIt('invarianceSweep runs the untransformed input and the sweep as one batch; each layer’s similarity matches its maps; the identity scores 1', async (e) => {
    const model = tinyModel(e);
    const x = e.tensor(new Rng(7).uniform(8 * 8 * 3, 0, 1), [1, 8, 8, 3]);
    const values = [-90, 0, 45, 180];
    const s = await invarianceSweep(e, model, x, 'rotation', values);
    expect(s.inputs.shape).to.deep.equal([5, 8, 8, 3]);
    expect(s.outputShape).to.deep.equal([5, 3]);
    expect(s.layers.map((l) => l.name)).to.deep.equal(['conv', 'depth', 'sep', 'flat', 'probs']);
    const single = model.predict(x);
    expectClose(s.output.subarray(0, 3), await single.read(), 'image 0 is the untransformed input', 1e-5);
    for (const l of s.layers) {
      expect(l.similarity[0]).to.be.closeTo(1, 1e-6);
      expect(l.similarity[2], `${l.name} at 0°`).to.be.closeTo(1, 1e-5);
      const out = await s.activations.outputs.get(l.name)!.read();
      const n = out.length / 5;
      for (let b = 1; b < 5; b++) expect(l.similarity[b], `${l.name} image ${b}`).to.be.closeTo(cosine(out.subarray(b * n, (b + 1) * n), out.subarray(0, n)), 1e-4);
    }
    const turned = await (await transformImages(e, x, 'rotation', [45])).read();
    expectClose((await s.inputs.read()).subarray(3 * 192, 4 * 192), turned, 'image 3 is the input turned by 45°', 1e-6);
    s.dispose();
    x.dispose();
    model.dispose();
  });
});
