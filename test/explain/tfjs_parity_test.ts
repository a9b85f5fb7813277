import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { gpuIt } from '../helpers/gpu.js';
import { loadLayersModel } from '../../src/io/tfjs_layers/reader.js';
import { loadMnist } from '../../src/io/mnist.js';
import * as explain from '../../src/explain/index.js';
import type { Target } from '../../src/explain/target.js';
import { Rng } from '../helpers/random.js';
import { relError } from './helpers.js';

// The shipped digit network, loaded by our reader and by tfjs-layers from the same files; the
// gradients TF.js computes with tf.grad are the reference.
const MODEL = '/demo/models/mnist/model.json';
const REFERENCE = [0.1, 0.9, 0.2, 0.05, 0.3, 0.1, 0.6, 0.2, 0.4, 0.05];

/** Every layer of the tfjs-layers model up to `last`, with the final softmax left out (logits). */
function tfForward(model: tf.LayersModel, x: tf.Tensor, last?: string): tf.Tensor {
  let h = x;
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    if (layer === model.layers[model.layers.length - 1] && !last) {
      const [kernel, bias] = layer.getWeights();
      return tf.add(tf.matMul(h as tf.Tensor2D, kernel as tf.Tensor2D), bias!);
    }
    h = layer.apply(h) as tf.Tensor;
    if (layer.name === last) return h;
  }
  return h;
}

function read(t: tf.Tensor): Float32Array {
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

/** The same targets, summed over the batch, computed by TF.js from a layer's output or the logits. */
function tfTarget(model: tf.LayersModel, x: tf.Tensor, target: Target): tf.Scalar {
  if ('class' in target) {
    const logits = tfForward(model, x);
    const classes = Array.isArray(target.class) ? target.class : Array(x.shape[0]).fill(target.class);
    return tf.sum(tf.mul(logits, tf.oneHot(classes, logits.shape[1]!)));
  }
  if ('layer' in target) {
    const a = tfForward(model, x, target.layer);
    const c = a.shape[a.rank - 1]!;
    const mask = tf.reshape(tf.oneHot([target.channel], c), [c]);
    const perImage = a.rank === 4 ? tf.mean(a, [1, 2]) : a;
    return tf.sum(tf.mul(perImage, mask));
  }
  const out = model.apply(x) as tf.Tensor;
  const ref = tf.tensor1d(Float32Array.from(target.embedding as ArrayLike<number>));
  const dot = tf.sum(tf.mul(out, ref), 1);
  const norms = tf.mul(tf.sqrt(tf.add(tf.sum(tf.square(out), 1), 1e-12)), tf.norm(ref));
  return tf.sum(tf.div(dot, norms));
}

describe('explain: saliency and Grad-CAM against TensorFlow.js on the shipped MNIST network', () => {
  let tfModel: tf.LayersModel;
  let digits: Float32Array;
  let labels: number[];

  before(async () => {
    await tf.setBackend('cpu');
    tfModel = await tf.loadLayersModel(MODEL);
    const test = await loadMnist({ baseUrl: '/demo/data/mnist-subset/', split: 'test', limit: 2 });
    digits = test.images.slice(0, 2 * 784);
    labels = [...test.labels.slice(0, 2)];
  });

  const targets = (): [string, Target][] => [
    ['each digit’s own class logit', { class: labels }],
    ['the mean of channel 5 of conv2', { layer: 'conv2', channel: 5 }],
    ['the cosine similarity of the output to a reference', { embedding: REFERENCE }],
  ];

  gpuIt('saliency equals tf.grad of the same target (relative error ≤ 1e-4)', async (e) => {
    const model = await loadLayersModel(e, MODEL);
    const x = e.tensor(digits, [2, 28, 28, 1]);
    for (const [what, target] of targets()) {
      const before = e.memory().buffers;
      const g = await explain.saliency(model, x, { target });
      expect(e.memory().buffers, `${what}: only the result is left`).to.equal(before + 1);
      expect(g.shape).to.deep.equal([2, 28, 28, 1]);
      const got = await g.read();
      g.dispose();
      const want = read(tf.tidy(() => tf.grad((xt: tf.Tensor) => tfTarget(tfModel, xt, target))(tf.tensor4d(digits, [2, 28, 28, 1]))));
      expect(Math.max(...want.map(Math.abs)), `${what}: a gradient that is not all zeros`).to.be.greaterThan(0);
      const err = relError(got, want);
      console.log(`${what}: relative error ${err.toExponential(2)}`);
      expect(err, what).to.be.at.most(1e-4);
    }
    // A reference embedding on the GPU gives the map of the same values from the CPU (normalised there by rsqrt, so to rounding).
    const [fromArray, fromTensor] = [REFERENCE, e.tensor(REFERENCE, [10])];
    const maps: Float32Array[] = [];
    for (const embedding of [fromArray, fromTensor]) {
      const g = await explain.saliency(model, x, { target: { embedding } });
      maps.push(await g.read());
      g.dispose();
    }
    expect(relError(maps[1]!, maps[0]!)).to.be.at.most(1e-6);
    fromTensor.dispose();
    x.dispose();
    model.dispose();
  });

  gpuIt('Grad-CAM equals ReLU(Σ α_c A_c) from tf.grad at the last convolution layer (relative error ≤ 1e-4)', async (e) => {
    const model = await loadLayersModel(e, MODEL);
    const x = e.tensor(digits, [2, 28, 28, 1]);
    const camTargets: [string, Target][] = [targets()[0]!, ['unit 7 of dense1', { layer: 'dense1', channel: 7 }]];
    for (const [what, target] of camTargets) {
      const before = e.memory().buffers;
      const cam = await explain.gradCam(model, x, { target }); // the default layer: conv2
      expect(e.memory().buffers, `${what}: only the result is left`).to.equal(before + 1);
      expect(cam.shape).to.deep.equal([2, 8, 8]);
      const got = await cam.read();
      cam.dispose();
      const want = read(tf.tidy(() => {
        const xt = tf.tensor4d(digits, [2, 28, 28, 1]);
        const a = tfForward(tfModel, xt, 'conv2');
        // The rest of the network from conv2's output on.
        const rest = (at: tf.Tensor) => {
          let h = at;
          const layers = tfModel.layers;
          for (const layer of layers.slice(layers.findIndex((l) => l.name === 'conv2') + 1)) {
            if ('layer' in target && layer.name === target.layer) {
              h = layer.apply(h) as tf.Tensor;
              return tf.sum(tf.mul(h, tf.reshape(tf.oneHot([target.channel], h.shape[1]!), [h.shape[1]!])));
            }
            if (layer === layers[layers.length - 1]) {
              const [kernel, bias] = layer.getWeights();
              h = tf.add(tf.matMul(h as tf.Tensor2D, kernel as tf.Tensor2D), bias!);
              return tf.sum(tf.mul(h, tf.oneHot(labels, 10)));
            }
            h = layer.apply(h) as tf.Tensor;
          }
          throw new Error('unreachable');
        };
        const da = tf.grad(rest)(a);
        const alpha = tf.mean(da, [1, 2], true);
        return tf.relu(tf.sum(tf.mul(a, alpha), -1));
      }));
      expect(Math.max(...want), `${what}: a map that is not all zeros`).to.be.greaterThan(0);
      const err = relError(got, want);
      console.log(`${what}: relative error ${err.toExponential(2)}`);
      expect(err, what).to.be.at.most(1e-4);
    }
    x.dispose();
    model.dispose();
  });
});

// The face network (a residual graph: batch norms, adds, strided shortcuts with zero channels
// concatenated, zero padding, global pooling, a 128-d embedding), loaded both ways from the same
// files. It takes 150×150 only: its shortcuts line up at 147 to 150 pixels and no smaller size.
const FACE = '/demo/models/face-recognition/model.json';

/**
 * The 150×150 face crop the article uses, as RGB in 0..255, plus uniform noise of ±2 levels. Where
 * two inputs of one 3×3 max-pool window after conv1 agree to within rounding, which of them gets the
 * gradient is decided by rounding (each side right for its own values): the photo has flat patches
 * that tie exactly, the noise breaks them, and this seed leaves no window closer than 8e-6, against
 * rounding differences near 1e-6 (the test checks the gap on TF.js's values).
 */
async function noisyFace(): Promise<Float32Array> {
  const blob = await (await fetch('/demo/images/astronaut-face.png')).blob();
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const noise = new Rng(15).uniform((rgba.length / 4) * 3, -2, 2);
  return noise.map((v, i) => v + rgba[Math.floor(i / 3) * 4 + (i % 3)]!);
}

/** The smallest margin by which a 3×3 stride-2 max pool's winner beats its runner-up (or the ReLU's kink at 0) in pre-ReLU maps x [1, h, w, c]. */
function poolMargin(x: tf.Tensor): number {
  const [, h, w, c] = x.shape as number[];
  const v = x.dataSync();
  let margin = Infinity;
  for (let oy = 0; oy + 3 <= h!; oy += 2) for (let ox = 0; ox + 3 <= w!; ox += 2) for (let ch = 0; ch < c!; ch++) {
    let [first, second] = [-Infinity, -Infinity];
    for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      const a = v[((oy + ky) * w! + ox + kx) * c! + ch]!;
      if (a > first) [first, second] = [a, first];
      else if (a > second) second = a;
    }
    margin = Math.min(margin, first <= 0 ? -first : first - Math.max(second, 0));
  }
  return margin;
}

/**
 * Every layer of a tfjs-layers functional model on x, in the model's (topological) order, each fed
 * its inbound layers' outputs, up to `last`. `nudge` is added to one layer's output, so that the
 * gradient with respect to it (at zero) is the gradient with respect to that layer's output.
 */
function tfGraph(model: tf.LayersModel, x: tf.Tensor, last: string, nudge: { layer: string; d: tf.Tensor }): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const layer of model.layers) {
    const inputs = layer.inboundNodes[0]!.inboundLayers.map((l) => out.get(l.name)!);
    let y = inputs.length === 0 ? x : (layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as tf.Tensor);
    if (layer.name === nudge.layer) y = tf.add(y, nudge.d);
    out.set(layer.name, y);
    if (layer.name === last) break;
  }
  return out;
}

describe('explain: saliency and Grad-CAM against TensorFlow.js on the face network', () => {
  let tfModel: tf.LayersModel;
  let face: Float32Array;
  // A reference embedding: a fixed direction in the 128-d space (the target is its cosine similarity).
  const reference = Array.from({ length: 128 }, (_, i) => Math.sin(1 + 7 * i));
  // Each target with the layer Grad-CAM weights: for the embedding the last convolution's finished
  // output (res5d_relu, what the attribution element uses), for a channel a layer before it.
  const cases: { what: string; target: Target; last: string; cam: string }[] = [
    { what: 'the mean of channel 9 of res2c_relu', target: { layer: 'res2c_relu', channel: 9 }, last: 'res2c_relu', cam: 'res2a_relu' },
    { what: 'the cosine similarity of the embedding to a reference', target: { embedding: reference }, last: 'embedding', cam: 'res5d_relu' },
  ];

  before(async () => {
    await tf.setBackend('cpu');
    tfModel = await tf.loadLayersModel(FACE);
    face = await noisyFace();
  });

  gpuIt('saliency and Grad-CAM equal tf.grad of the same target for a channel and an embedding target (relative error ≤ 1e-4)', async (e) => {
    const model = await loadLayersModel(e, FACE);
    const x = e.tensor(face, [1, 150, 150, 3]);
    for (const { what, target, last, cam: camLayer } of cases) {
      let t0 = performance.now();
      const g = await explain.saliency(model, x, { target });
      const cam = await explain.gradCam(model, x, { target, layer: camLayer });
      const [gotSaliency, gotCam] = [await g.read(), await cam.read()];
      for (const t of [g, cam]) t.dispose();
      const ours = performance.now() - t0;
      // One backward pass of TF.js gives both: the gradient with respect to the input and to the layer's output.
      t0 = performance.now();
      let margin = 0;
      const [wantSaliency, wantCam] = tf.tidy(() => {
        const xt = tf.tensor4d(face, [1, 150, 150, 3]);
        let a: tf.Tensor | null = null;
        let preRelu: tf.Tensor | null = null;
        const [dx, da] = tf.grads((xi: tf.Tensor, d: tf.Tensor) => {
          const outs = tfGraph(tfModel, xi, last, { layer: camLayer, d });
          a = tf.keep(outs.get(camLayer)!);
          preRelu = tf.keep(outs.get('conv1_scale')!);
          const y = outs.get(last)!;
          if ('layer' in target) return tf.sum(tf.mul(tf.mean(y, [1, 2]), tf.reshape(tf.oneHot([target.channel], y.shape[3]!), [y.shape[3]!])));
          const ref = tf.tensor1d(reference);
          const dot = tf.sum(tf.mul(y, ref), 1);
          return tf.sum(tf.div(dot, tf.mul(tf.sqrt(tf.add(tf.sum(tf.square(y), 1), 1e-12)), tf.norm(ref))));
        })([xt, tf.zeros(tfModel.getLayer(camLayer).outputShape.map((d) => d ?? 1) as number[])]);
        margin = poolMargin(preRelu!);
        const alpha = tf.mean(da!, [1, 2], true);
        return [dx!, tf.relu(tf.sum(tf.mul(a!, alpha), -1))];
      }).map(read);
      const theirs = performance.now() - t0;
      expect(margin, 'pool1 has no window whose maximum is tied to within rounding').to.be.at.least(5e-6);
      expect(Math.max(...wantSaliency!.map(Math.abs)), `${what}: a gradient that is not all zeros`).to.be.greaterThan(0);
      expect(Math.max(...wantCam!), `${what}: a map that is not all zeros`).to.be.greaterThan(0);
      const errs = [relError(gotSaliency, wantSaliency!), relError(gotCam, wantCam!)];
      console.log(`face, ${what}: relative error saliency ${errs[0]!.toExponential(2)}, Grad-CAM at ${camLayer} ${errs[1]!.toExponential(2)} (ours ${ours.toFixed(0)} ms, TF.js CPU ${theirs.toFixed(0)} ms; pool1 margin ${margin.toExponential(2)})`);
      expect(errs[0], `${what}: saliency`).to.be.at.most(1e-4);
      expect(errs[1], `${what}: Grad-CAM`).to.be.at.most(1e-4);
    }
    x.dispose();
    model.dispose();
  });
});
