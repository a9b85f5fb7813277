/**
 * The explanation rows in TensorFlow.js: the same model.json through tfjs-layers, each layer applied
 * in the graph's order, and the same gradients through tf.grad / optimizer.minimize (see
 * ExplainSpec for what each row computes). The feature-visualisation step builds the image from the
 * same Fourier basis, frequency scale and colour matrix as explain.featureVis, from the same
 * starting coefficients.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import { SeededRandom } from '../../src/nn/random.js';
import { colourMatrix, frequencyScale, realFourierBasis } from '../../src/explain/fourier_image.js';
import { FEATURE_VIS_SEED } from './ours_explain.js';
import type { CaseInputs, ExplainSpec, PreparedCase } from '../types.js';

type Tf = typeof TF;

/**
 * The model's layers on x up to `last` (default: all), each fed its inbound layers' outputs (x for
 * the input); with `logits`, the output Dense layer without its softmax.
 */
function forward(tf: Tf, model: TFL.LayersModel, x: TF.Tensor, last: string | null, logits: boolean): TF.Tensor {
  const out = new Map<string, TF.Tensor>();
  const final = model.layers[model.layers.length - 1]!;
  let y = x;
  for (const layer of model.layers) {
    const inputs = layer.inboundNodes[0]!.inboundLayers.map((l) => out.get(l.name) ?? x);
    if (inputs.length === 0) y = x;
    else if (layer === final && logits) {
      const [kernel, bias] = layer.getWeights();
      y = tf.add(tf.matMul(inputs[0] as TF.Tensor2D, kernel as TF.Tensor2D), bias!);
    } else y = layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as TF.Tensor;
    out.set(layer.name, y);
    if (layer.name === last) return y;
  }
  return y;
}

export async function prepareTfExplain(
  tf: Tf, layers: Pick<typeof TFL, 'loadLayersModel'>, url: string, spec: ExplainSpec, inputs: CaseInputs, use: () => void,
): Promise<Pick<PreparedCase, 'run' | 'output' | 'dispose'>> {
  use();
  const model = await layers.loadLayersModel(url);
  const x = tf.tensor(inputs.x!.data, inputs.x!.shape);
  const baseline = inputs.baseline ? tf.tensor(inputs.baseline.data, inputs.baseline.shape) : null;
  const target = spec.target;
  const read = async (t: TF.Tensor): Promise<Float32Array> => {
    try {
      return Float32Array.from(await t.data());
    } finally {
      t.dispose();
    }
  };
  if (spec.method !== 'featureVisStep') {
    if (!('class' in target)) throw new Error('the saliency and Integrated Gradients rows take a class target');
    const classes = model.outputs[0]!.shape[1]!;
    const n = spec.x[0];
    const [h, w, c] = spec.x.slice(1);
    const steps = spec.steps ?? 64;
    // Σ over rows of weight · logit[class]: every row's gradient is its own target's, times its weight.
    const grad = (input: TF.Tensor, rows: number, weights: TF.Tensor | null) => {
      const mask = tf.oneHot(tf.fill([rows], target.class, 'int32') as TF.Tensor1D, classes);
      return tf.grad((xi: TF.Tensor) => {
        const perRow = tf.sum(tf.mul(forward(tf, model, xi, null, true), mask), 1);
        return tf.sum(weights ? tf.mul(perRow, weights) : perRow) as TF.Scalar;
      })(input);
    };
    const call = () => tf.tidy(() => {
      if (spec.method === 'saliency') return grad(x, n, null);
      // The steps + 1 points of the trapezoid rule from the baseline, as one batch.
      const alpha = Float32Array.from({ length: steps + 1 }, (_, s) => s / steps);
      const weights = Float32Array.from({ length: (steps + 1) * n }, (_, r) => {
        const s = Math.floor(r / n);
        return s === 0 || s === steps ? 0.5 / steps : 1 / steps;
      });
      const diff = tf.sub(x, baseline!);
      const along = tf.mul(tf.reshape(tf.tensor1d(alpha), [steps + 1, 1, 1, 1, 1]), tf.expandDims(diff, 0));
      const points = tf.reshape(tf.add(along, baseline!), [(steps + 1) * n, h!, w!, c!]);
      const g = grad(points, (steps + 1) * n, tf.tensor1d(weights));
      return tf.mul(tf.sum(tf.reshape(g, [steps + 1, n, h!, w!, c!]), 0), diff);
    });
    return {
      run: () => {
        use();
        call().dispose();
      },
      output: () => {
        use();
        return read(call());
      },
      dispose: () => {
        tf.dispose([x, ...(baseline ? [baseline] : [])]);
        model.dispose();
      },
    };
  }

  if (!('layer' in target)) throw new Error('a feature-visualisation row takes a {layer, channel} target');
  const [n, h, w, c] = spec.x;
  const [lo, hi] = spec.range;
  const basisH = tf.tensor2d(realFourierBasis(h), [h, h]);
  const basisW = tf.tensor2d(realFourierBasis(w), [w, w]);
  const scale = tf.tensor3d(frequencyScale(h, w), [h, 1, w]);
  const colour = c === 3 ? tf.tensor2d(colourMatrix(), [3, 3]) : null;
  const start = () => {
    const rng = new SeededRandom(FEATURE_VIS_SEED);
    return tf.variable(tf.tensor2d(Float32Array.from({ length: h * n * c * w }, () => 0.01 * rng.normal()), [h, n * c * w]));
  };
  const render = (p: TF.Tensor): TF.Tensor => {
    const spectrum = tf.reshape(tf.mul(tf.reshape(p, [h, n * c, w]), scale), [h, n * c * w]);
    const rows = tf.matMul(basisH, spectrum);
    const cols = tf.matMul(tf.reshape(rows, [h * n * c, w]), basisW, false, true);
    let img = tf.transpose(tf.reshape(cols, [h, n, c, w]), [1, 0, 3, 2]);
    if (colour) img = tf.reshape(tf.matMul(tf.reshape(img, [n * h * w, 3]), colour, false, true), [n, h, w, 3]);
    return tf.add(tf.mul(tf.sigmoid(img), hi - lo), lo);
  };
  const objective = (p: TF.Tensor) => {
    const a = forward(tf, model, render(p), target.layer, false);
    const ch = a.shape[3]!;
    return tf.sum(tf.mul(tf.mean(a, [1, 2]), tf.reshape(tf.oneHot([target.channel], ch), [ch]))) as TF.Scalar;
  };
  // Gradient ascent as Adam descending on −objective, with explain.featureVis's settings; the objective read back each step.
  const stepper = () => {
    const p = start();
    const opt = tf.train.adam(0.2, 0.9, 0.999, 1e-7);
    return {
      p,
      step: async () => {
        const cost = opt.minimize(() => tf.neg(objective(p)), true, [p])!;
        await read(cost);
      },
      dispose: () => {
        p.dispose();
        opt.dispose();
      },
    };
  };
  use();
  const running = stepper();
  return {
    run: () => {
      use();
      return running.step();
    },
    output: async () => {
      use();
      const once = stepper();
      try {
        await once.step();
        return await read(tf.tidy(() => render(once.p)));
      } finally {
        once.dispose();
      }
    },
    dispose: () => {
      running.dispose();
      tf.dispose([x, basisH, basisW, scale, ...(colour ? [colour] : [])]);
      model.dispose();
    },
  };
}
