/**
 * Gradient maps: the saliency map d target / d x (Simonyan et al., 2013) and SmoothGrad (Smilkov
 * et al., 2017), the mean of the saliency maps of noisy copies of x. SmoothGrad's samples run as
 * batches of many rows, not one pass per sample.
 */
import type { Tensor } from '../tensor.js';
import { CnnError } from '../errors.js';
import type { Model } from '../nn/model.js';
import { SeededRandom } from '../nn/random.js';
import { readValueRanges } from '../inspect/ranges.js';
import { resolveTarget, type Target } from './target.js';
import { checkInput, groupMajorImages, intOption, rowsPerPass, targetPass } from './pass.js';

export interface SaliencyOptions {
  target: Target;
  /** Rows per pass (default: as many as fit a memory budget worked out from the layers' sizes). */
  batchSize?: number;
}

/**
 * The gradient of each image's target with respect to that image: a tensor shaped like x that the
 * caller disposes.
 * @example
 * const g = await explain.saliency(model, x, { target: { class: 3 } }); // [1, 28, 28, 1]
 * g.dispose();
 */
export async function saliency(model: Model, x: Tensor, opts: SaliencyOptions): Promise<Tensor> {
  const op = 'explain.saliency';
  checkInput(op, model, x);
  const n = x.shape[0]!;
  const target = resolveTarget(op, model, opts?.target, n);
  try {
    const rows = rowsPerPass(op, model, opts.batchSize);
    const engine = model.engine;
    if (n <= rows) return targetPass(model, x, target, { imageOf: groupMajorImages(1, n), wrt: () => [x] }, (p) => p.grads[0]!);
    // More images than fit one pass: slices of whole images, each with its own targets.
    const parts: Tensor[] = [];
    try {
      for (let start = 0; start < n; start += rows) {
        const k = Math.min(rows, n - start);
        const part = engine.slice(x, [start, ...x.shape.slice(1).map(() => 0)], [k, ...x.shape.slice(1)]);
        try {
          const imageOf = Int32Array.from({ length: k }, (_, i) => start + i);
          parts.push(targetPass(model, part, target, { imageOf, wrt: () => [part] }, (p) => p.grads[0]!));
        } finally {
          part.dispose();
        }
      }
      return engine.concat(parts, 0);
    } finally {
      for (const t of parts) t.dispose();
    }
  } finally {
    target.dispose();
  }
}

export interface SmoothGradOptions extends SaliencyOptions {
  /** Noisy copies per image (default 32). */
  samples?: number;
  /** The noise's standard deviation as a fraction of the range (max − min) of x (default 0.15). */
  noise?: number;
  /** Seed of the noise (default 0): the same seed gives the same map. */
  seed?: number;
}

/**
 * SmoothGrad: the mean over `samples` copies of x with Gaussian noise of σ = noise·(max − min of x)
 * of their saliency maps. With noise 0 every sample is x itself and the result is the saliency map,
 * exactly: the mean is kept as a running mean (m += (g − m)/k), which does not move when g equals m.
 * @example
 * const sg = await explain.smoothGrad(model, x, { target: { class: 3 }, samples: 32, noise: 0.15, seed: 1 });
 */
export async function smoothGrad(model: Model, x: Tensor, opts: SmoothGradOptions): Promise<Tensor> {
  const op = 'explain.smoothGrad';
  checkInput(op, model, x);
  const samples = intOption(op, 'samples', opts?.samples, 32);
  const noise = opts.noise ?? 0.15;
  if (typeof noise !== 'number' || !Number.isFinite(noise) || noise < 0) throw new CnnError(op, `noise must be a finite number ≥ 0, got ${JSON.stringify(opts.noise)}`);
  const seed = intOption(op, 'seed', opts.seed, 0, 0);
  const n = x.shape[0]!;
  const target = resolveTarget(op, model, opts.target, n);
  const engine = model.engine;
  let mean: Tensor | null = null;
  try {
    // Rows are sample-major (sample j of image i is row j·n + i), so a pass holds whole samples
    // and the noise drawn does not depend on how the samples are split into passes.
    const perPass = Math.max(1, Math.floor(rowsPerPass(op, model, opts.batchSize) / n));
    const range = noise > 0 ? await readValueRanges(engine, x) : { min: 0, max: 0 };
    const sigma = noise * (range.max - range.min);
    const rng = new SeededRandom(seed);
    const rest = x.shape.slice(1);
    const perImage = x.size / n;
    let seen = 0;
    for (let first = 0; first < samples; first += perPass) {
      const sc = Math.min(perPass, samples - first);
      const tiled = engine.concat(Array<Tensor>(sc).fill(x), 0);
      let input = tiled;
      if (sigma > 0) {
        const values = new Float32Array(sc * n * perImage);
        for (let i = 0; i < values.length; i++) values[i] = sigma * rng.normal();
        const noiseT = engine.tensor(values, [sc * n, ...rest]);
        input = engine.add(tiled, noiseT);
        noiseT.dispose();
        tiled.dispose();
      }
      try {
        targetPass(model, input, target, { imageOf: groupMajorImages(sc, n), wrt: () => [input] }, (p) => {
          for (let j = 0; j < sc; j++) {
            const g = engine.slice(p.grads[0]!, [j * n, ...rest.map(() => 0)], [n, ...rest]);
            seen++;
            if (!mean) {
              mean = g;
              continue;
            }
            const d = engine.sub(g, mean);
            const step = engine.mul(d, 1 / seen);
            const next = engine.add(mean, step);
            for (const t of [g, d, step, mean]) t.dispose();
            mean = next;
          }
        });
      } finally {
        input.dispose();
      }
    }
    const out = mean!;
    mean = null;
    return out;
  } finally {
    (mean as Tensor | null)?.dispose();
    target.dispose();
  }
}
