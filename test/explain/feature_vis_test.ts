import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import type { Engine } from '../../src/engine.js';
import type { Model } from '../../src/nn/model.js';
import { loadLayersModel } from '../../src/io/tfjs_layers/reader.js';
import { loadMnist } from '../../src/io/mnist.js';
import * as explain from '../../src/explain/index.js';
import { realFourierBasis } from '../../src/explain/fourier_image.js';

async function channelMeans(e: Engine, model: Model, pixels: Float32Array, count: number, channel: number): Promise<Float32Array> {
  const x = e.tensor(pixels, [count, 28, 28, 1]);
  const t = await explain.targetValues(model, x, { target: { layer: 'conv2', channel } });
  const v = await t.read();
  t.dispose();
  x.dispose();
  return v;
}

describe('explain: feature visualisation', () => {
  it('the Fourier basis is orthonormal (BᵀB = I) for odd and even sizes', () => {
    for (const n of [5, 8]) {
      const b = realFourierBasis(n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let dot = 0;
          for (let k = 0; k < n; k++) dot += b[k * n + i]! * b[k * n + j]!;
          expect(dot, `n ${n}, columns ${i} and ${j}`).to.be.closeTo(i === j ? 1 : 0, 1e-6);
        }
      }
    }
  });

  gpuIt('the optimised image drives a conv2 channel of the MNIST network above its maximum on random inputs and on real digits', async (e) => {
    const model = await loadLayersModel(e, '/demo/models/mnist/model.json');
    const digits = await loadMnist({ baseUrl: '/demo/data/mnist-subset/', split: 'test', limit: 200 });
    const random = new Rng(3).uniform(16 * 784, 0, 1);
    for (const channel of [3, 22]) {
      const before = e.memory().buffers;
      const steps: number[] = [];
      const run = explain.featureVis(model, { target: { layer: 'conv2', channel }, steps: 48, seed: 1, onStep: (s) => steps.push(s) });
      const { image, steps: taken } = await run.done;
      expect(taken).to.equal(48);
      expect(steps).to.deep.equal(Array.from({ length: 48 }, (_, i) => i + 1));
      expect(e.memory().buffers, 'only the image is left').to.equal(before + 1);
      expect(image.shape).to.deep.equal([1, 28, 28, 1]);
      const pixels = await image.read();
      image.dispose();
      expect(Math.min(...pixels)).to.be.at.least(0);
      expect(Math.max(...pixels)).to.be.at.most(1);
      const [got] = await channelMeans(e, model, pixels, 1, channel);
      const onRandom = Math.max(...(await channelMeans(e, model, random, 16, channel)));
      const onDigits = Math.max(...(await channelMeans(e, model, digits.images, 200, channel)));
      console.log(`conv2 channel ${channel}: optimised image ${got!.toFixed(3)}, best of 16 random inputs ${onRandom.toFixed(3)}, best of 200 test digits ${onDigits.toFixed(3)}`);
      expect(got!, `channel ${channel} vs random inputs`).to.be.greaterThan(onRandom);
      expect(got!, `channel ${channel} vs digits`).to.be.greaterThan(onDigits);
    }
    model.dispose();
  });

  gpuIt('a seed gives the same image twice; cancel stops early and pause holds the run', async (e) => {
    const model = await loadLayersModel(e, '/demo/models/mnist/model.json');
    const target = { layer: 'conv1', channel: 2 };
    const images: number[][] = [];
    for (let i = 0; i < 2; i++) {
      const { image } = await explain.featureVis(model, { target, steps: 6, seed: 9 }).done;
      images.push([...(await image.read())]);
      image.dispose();
    }
    expect(images[1]).to.deep.equal(images[0]);
    const other = await explain.featureVis(model, { target, steps: 6, seed: 10 }).done;
    expect([...(await other.image.read())]).to.not.deep.equal(images[0]);
    other.image.dispose();

    const before = e.memory().buffers;
    let run: explain.FeatureVisRun;
    run = explain.featureVis(model, {
      target: { layer: 'conv1' }, // the whole layer (DeepDream)
      steps: 50,
      onStep: (s) => {
        if (s === 2) run.pause();
      },
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(run.step, 'paused after step 2').to.equal(2);
    const copy = run.image()!;
    expect(copy.shape).to.deep.equal([1, 28, 28, 1]);
    copy.dispose();
    run.cancel();
    const result = await run.done;
    expect(result.steps).to.equal(2);
    result.image.dispose();
    expect(e.memory().buffers).to.equal(before);
    model.dispose();
  });
});
