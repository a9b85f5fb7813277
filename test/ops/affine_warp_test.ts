import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import { Rng } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';
import { Tape } from '../../src/autograd/tape.js';

/** tf.image.transform (bilinear, constant fill) of image b through row b, one image at a time (TF.js's CPU kernel reads only image 0). */
async function tfTransform(pixels: Float32Array, shape: [number, number, number], rows: number[][], fill: number): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const size = shape[0] * shape[1] * shape[2];
  const out: number[] = [];
  for (let b = 0; b < rows.length; b++) {
    const img = pixels.subarray(b * size, (b + 1) * size);
    const y = tf.tidy(() => tf.image.transform(tf.tensor4d(img, [1, ...shape]), tf.tensor2d([...rows[b]!, 0, 0], [1, 8]), 'bilinear', 'constant', fill));
    out.push(...(await y.data()));
    y.dispose();
  }
  return Float32Array.from(out);
}

/** Rotation by `deg` about the image centre, scale `s`, then a shift: what featureVis draws each step. */
function rotateScale(h: number, w: number, deg: number, s: number, dx: number, dy: number): number[] {
  const a = (deg * Math.PI) / 180;
  const [cos, sin] = [Math.cos(a) / s, Math.sin(a) / s];
  const [cx, cy] = [(w - 1) / 2, (h - 1) / 2];
  return [cos, sin, cx - cos * (cx + dx) - sin * (cy + dy), -sin, cos, cy + sin * (cx + dx) - cos * (cy + dy)];
}

describe('affineWarp', () => {
  gpuIt('equals tf.image.transform (bilinear, constant fill) with an affine map per image', async (e) => {
    const shape: [number, number, number] = [9, 11, 3];
    const rows = [[1, 0, 0, 0, 1, 0], rotateScale(9, 11, 10, 1.1, 0.5, -1), rotateScale(9, 11, -35, 0.8, 2, 1), [1, 0, -3, 0, 1, 2], [0.9, 0.15, 0.4, -0.2, 1.05, -0.3]];
    const pixels = new Rng(4).uniform(rows.length * 9 * 11 * 3, 0, 1);
    const x = e.tensor(pixels, [rows.length, ...shape]);
    const y = e.affineWarp(x, { matrices: rows.flat(), fill: 0.5 });
    const got = await y.read();
    expectClose(got, await tfTransform(pixels, shape, rows, 0.5), 'affineWarp', 1e-5);
    expect(Array.from(got.subarray(0, 297)), 'the identity copies exactly').to.deep.equal(Array.from(pixels.subarray(0, 297)));
    const one = e.affineWarp(x, { matrices: rows[1]! });
    const want = await tfTransform(pixels, shape, rows.map(() => rows[1]!), 0);
    expectClose(await one.read(), want, 'one matrix for every image', 1e-5);
    for (const t of [x, y, one]) t.dispose();
  });

  gpuIt('its gradient is the transpose of the forward: ⟨warp(x), r⟩ = ⟨x, warpᵀ(r)⟩ for every x, on the tape', async (e) => {
    const rng = new Rng(11);
    const shape = [3, 13, 12, 2];
    const rows = [rotateScale(13, 12, 9, 0.92, 1, -2), rotateScale(13, 12, -10, 1.1, -3, 0.5), [0.5, 0, 3, 0, 2.5, -4]];
    const size = 13 * 12 * 2;
    // The forward's columns by brute force on a few basis images, against the gradient kernel's rows.
    const r = e.tensor(rng.uniform(3 * size), shape);
    const tape = new Tape(e);
    const x = e.tensor(rng.uniform(3 * size), shape);
    const y = tape.affineWarp(x, { matrices: rows.flat(), fill: 0 });
    const loss = tape.sum(tape.mul(y, r));
    const grad = tape.backward(loss, [x]).get(x)!;
    const g = await grad.read();
    const rv = await r.read();
    const probes = [0, 17, 100, size + 41, size + 150, 2 * size + 3, 2 * size + 200, 3 * size - 1];
    const basis = new Float32Array(probes.length * 3 * size);
    probes.forEach((p, k) => (basis[k * 3 * size + p] = 1));
    const xs = e.tensor(basis, [probes.length * 3, 13, 12, 2]);
    const ys = e.affineWarp(xs, { matrices: probes.flatMap(() => rows.flat()), fill: 0 });
    const yv = await ys.read();
    probes.forEach((p, k) => {
      let dot = 0;
      for (let i = 0; i < 3 * size; i++) dot += yv[k * 3 * size + i]! * rv[i]!;
      expect(g[p]!, `d/dx[${p}]`).to.be.closeTo(dot, 1e-4);
    });
    tape.dispose();
    for (const t of [r, x, grad, xs, ys]) t.dispose();
  });

  gpuIt('refuses a singular map, a wrong number of numbers and a non-finite fill', async (e) => {
    const x = e.zeros([2, 4, 4, 1]);
    expectThrowsNoLeak(e, () => e.affineWarp(x, { matrices: [1, 2, 0, 2, 4, 0] }), /singular/);
    expectThrowsNoLeak(e, () => e.affineWarp(x, { matrices: [1, 0, 0, 0, 1] }), /6 numbers per image \(12\)/);
    expectThrowsNoLeak(e, () => e.affineWarp(x, { matrices: [1, 0, 0, 0, 1, 0], fill: NaN }), /fill/);
    x.dispose();
  });
});
