import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { expectThrowsNoLeak } from '../helpers/no_leak.js';
import type { Engine } from '../../src/engine.js';
import type { Model } from '../../src/nn/model.js';
import { loadLayersModel } from '../../src/io/tfjs_layers/reader.js';
import { loadMnist } from '../../src/io/mnist.js';
import * as explain from '../../src/explain/index.js';
import { realFourierBasis } from '../../src/explain/fourier_image.js';
import { gramSimilarity } from '../../src/explain/diversity.js';
import { weightsHash } from './helpers.js';

const STEPS = 24;

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

  gpuIt('for 8 conv2 channels as one batch, each optimised image drives its channel above the channel’s maximum over the 10,000 MNIST test digits', async (e) => {
    // The maxima were computed over all 10,000 test digits by `npm run check:feature-vis`
    // (test/explain/feature_vis_proof.ts), which also runs all 32 channels twice with one seed;
    // they belong to the weights whose hash they carry.
    const model = await loadLayersModel(e, '/demo/models/mnist/model.json');
    const recorded = await (await fetch('/test/explain/mnist_conv2_max.json')).json() as { weightsSha256: string; digits: number; max: number[] };
    expect(recorded.weightsSha256, 'the maxima are of these weights (else run npm run check:feature-vis)').to.equal(await weightsHash());
    expect(recorded.digits).to.equal(10000);
    const channels = [2, 7, 9, 10, 12, 13, 22, 30];
    const before = e.memory().buffers;
    const steps: number[] = [];
    const run = explain.featureVis(model, { target: channels.map((channel) => ({ layer: 'conv2', channel })), steps: STEPS, seed: 1, onStep: (s) => steps.push(s) });
    const { image, steps: taken } = await run.done;
    expect(taken).to.equal(STEPS);
    expect(steps).to.deep.equal(Array.from({ length: STEPS }, (_, i) => i + 1));
    expect(e.memory().buffers, 'only the images are left').to.equal(before + 1);
    expect(image.shape).to.deep.equal([8, 28, 28, 1]);
    const pixels = await image.read();
    image.dispose();
    expect(Math.min(...pixels)).to.be.at.least(0);
    expect(Math.max(...pixels)).to.be.at.most(1);
    const x = e.tensor(pixels, [8, 28, 28, 1]);
    const acts = model.run(x);
    const m = e.mean(acts.outputs.get('conv2')!, [1, 2]);
    const means = await m.read();
    for (const t of [m, acts, x]) t.dispose();
    channels.forEach((ch, i) => {
      const got = means[i * 32 + ch]!;
      console.log(`conv2 channel ${ch}: optimised image ${got.toFixed(3)}, best of the 10,000 test digits ${recorded.max[ch]!.toFixed(3)}`);
      expect(got, `channel ${ch}`).to.be.greaterThan(recorded.max[ch]!);
    });
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

  gpuIt('a batch of channels runs as one batch: image i drives channel i, each step one warp of all images and one pass', async (e) => {
    const model = await loadLayersModel(e, '/demo/models/mnist/model.json');
    const channels = [3, 9, 14, 22];
    const seen: string[] = [];
    const stop = e.observeDispatches((d) => seen.push(d.entry));
    const objectives: number[][] = [];
    const run = explain.featureVis(model, { target: channels.map((channel) => ({ layer: 'conv2', channel })), steps: 12, seed: 2, onStep: (_s, image, _o, per) => {
      expect(image.shape).to.deep.equal([4, 28, 28, 1]);
      objectives.push([...per]);
    } });
    const { image, objectives: last, objective } = await run.done;
    stop();
    expect(seen.filter((d) => d === 'affine_warp')).to.have.length(12, 'one warp per step for the batch');
    expect(seen.filter((d) => d === 'affine_warp_grad')).to.have.length(12);
    expect(objective).to.be.closeTo(last.reduce((a, b) => a + b) / 4, 1e-6);
    expect(objectives[11]).to.deep.equal(last);
    last.forEach((v, i) => expect(v, `channel ${channels[i]} rose`).to.be.greaterThan(objectives[0]![i]!));
    const pixels = await image.read();
    image.dispose();
    const means = await Promise.all(channels.map((ch) => channelMeans(e, model, pixels, 4, ch)));
    channels.forEach((ch, i) => {
      const others = [0, 1, 2, 3].filter((j) => j !== i).map((j) => means[i]![j]!);
      expect(means[i]![i]!, `channel ${ch}: its own image beats the others`).to.be.greaterThan(Math.max(...others));
    });
    model.dispose();
  });

  gpuIt('without transformations no warp runs; a total-variation penalty gives a smoother image; a diversity term makes a batch less alike', async (e) => {
    const model = await loadLayersModel(e, '/demo/models/mnist/model.json');
    const seen: string[] = [];
    const stop = e.observeDispatches((d) => seen.push(d.entry));
    const target = { layer: 'conv1', channel: 5 };
    const plain = await explain.featureVis(model, { target, steps: 12, seed: 4, jitter: 0, rotate: 0, scale: [1, 1] }).done;
    stop();
    expect(seen.filter((d) => d.startsWith('affine_warp'))).to.have.length(0);
    const smooth = await explain.featureVis(model, { target, steps: 12, seed: 4, jitter: 0, rotate: 0, scale: [1, 1], tv: 5 }).done;
    const tv = (p: Float32Array) => {
      let s = 0;
      for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) s += (y < 27 ? Math.abs(p[(y + 1) * 28 + x]! - p[y * 28 + x]!) : 0) + (x < 27 ? Math.abs(p[y * 28 + x + 1]! - p[y * 28 + x]!) : 0);
      return s;
    };
    const [a, b] = [tv(await plain.image.read()), tv(await smooth.image.read())];
    expect(b, `total variation ${b} with the penalty, ${a} without`).to.be.below(a);
    plain.image.dispose();
    smooth.image.dispose();
    // Three images of one channel: the diversity term makes their styles at conv2 less alike.
    const alike: number[] = [];
    for (const diversity of [0, 4]) {
      const { image } = await explain.featureVis(model, { target: [7, 7, 7].map((channel) => ({ layer: 'conv2', channel })), steps: 12, seed: 5, diversity }).done;
      const acts = model.run(image);
      const g = gramSimilarity(e, acts.outputs.get('conv2')!);
      alike.push((await g.read())[0]!);
      for (const t of [g, image]) t.dispose();
      acts.dispose();
    }
    expect(alike[1]!, `Gram similarity with the diversity term ${alike[1]}, without ${alike[0]}`).to.be.below(alike[0]!);
    expectThrowsNoLeak(e, () => explain.featureVis(model, { target, diversity: 1 }), /two or more targets/);
    expectThrowsNoLeak(e, () => explain.featureVis(model, { target, tv: -1 }), /tv must be/);
    expectThrowsNoLeak(e, () => explain.featureVis(model, { target, scale: [1.2, 0.9] }), /scale must be/);
    expectThrowsNoLeak(e, () => explain.featureVis(model, { target: { layer: 'nope', channel: 0 } }), /no layer named "nope"/);
    model.dispose();
  });

  gpuIt('dataset examples: the k digits with the largest value of each channel, at its unit, with the unit’s receptive field', async (e) => {
    const model = await loadLayersModel(e, '/demo/models/mnist/model.json');
    const digits = await loadMnist({ baseUrl: '/demo/data/mnist-subset/', split: 'test', limit: 60 });
    const x = e.tensor(digits.images, [60, 28, 28, 1]);
    const before = e.memory().buffers;
    const found = await explain.datasetExamples(model, x, { layer: 'conv2', channels: [1, 7], k: 4, batchSize: 25 });
    expect(e.memory().buffers).to.equal(before);
    const acts = model.run(x);
    const maps = await acts.outputs.get('conv2')!.read(); // [60, 8, 8, 32]
    acts.dispose();
    [1, 7].forEach((ch, ci) => {
      const peak = Array.from({ length: 60 }, (_, i) => {
        let best = -Infinity;
        let at = 0;
        for (let p = 0; p < 64; p++) if (maps[(i * 64 + p) * 32 + ch]! > best) [best, at] = [maps[(i * 64 + p) * 32 + ch]!, p];
        return { i, best, at };
      }).sort((a, b) => b.best - a.best);
      expect(found[ci]!.map((f) => f.index), `channel ${ch}`).to.deep.equal(peak.slice(0, 4).map((p) => p.i));
      found[ci]!.forEach((f, r) => {
        expect(f.value).to.be.closeTo(peak[r]!.best, 1e-5);
        expect([f.y, f.x]).to.deep.equal([Math.floor(peak[r]!.at / 8), peak[r]!.at % 8]);
        const rf = explain.receptiveField(model, 'conv2', { y: f.y, x: f.x });
        expect(f.field).to.deep.equal({ top: rf.top, left: rf.left, bottom: rf.bottom, right: rf.right });
      });
    });
    // One input, more examples than inputs: several units of it, half a field apart.
    const one = e.slice(x, [0, 0, 0, 0], [1, 28, 28, 1]);
    const [units] = await explain.datasetExamples(model, one, { layer: 'conv1', channels: [0], k: 3 });
    expect(units).to.have.length(3);
    for (const u of units!) expect(u.index).to.equal(0);
    for (let i = 1; i < 3; i++) expect(units![i]!.value).to.be.at.most(units![i - 1]!.value);
    one.dispose();
    x.dispose();
    model.dispose();
  });
});
