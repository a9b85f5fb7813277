/**
 * Feature visualisation by optimisation: an input image changed by gradient ascent until it drives
 * a unit, a channel, a class or a whole layer (DeepDream) hard. The image lives in a decorrelated
 * Fourier parameterisation (fourier_image.ts), and each step sees it shifted, scaled and turned at
 * random (robustness.ts), so what survives is what the unit responds to wherever it appears, not
 * a pixel-exact pattern. Several objectives run as one batch: image i is optimised for objective i,
 * and every step is one forward and one backward pass for all of them.
 */
import type { Tensor } from '../tensor.js';
import { Tape } from '../autograd/tape.js';
import { CnnError } from '../errors.js';
import type { Model } from '../nn/model.js';
import { SeededRandom } from '../nn/random.js';
import { adam } from '../nn/optimizers.js';
import { intOption } from './pass.js';
import { FourierImage } from './fourier_image.js';
import { resolveObjectives, type Objective } from './objectives.js';
import { checkRobustness, defaultRobustness, isIdentity, randomMaps } from './robustness.js';
import { neededLayers, runPartial } from './partial_run.js';
import { gramSimilarity } from './diversity.js';
import { namedLayer } from './target.js';

export type { Objective } from './objectives.js';

export interface FeatureVisOptions {
  /** What to maximise; a list optimises one image per objective, all in one batch. */
  target: Objective | readonly Objective[];
  /** [h, w] of the image: the model's input size (the default), as the model takes no other. */
  size?: readonly [number, number];
  /** Gradient steps (default 256). */
  steps?: number;
  /** Seed of the initial image and the jitter (default 0): the same seed gives the same image. */
  seed?: number;
  /** Adam's learning rate on the Fourier coefficients (default 0.2). */
  learningRate?: number;
  /**
   * Transformation robustness, each step and each image at random (Lucid's recipe, sized to the
   * image; see robustness.ts): `jitter` (pixels each way, shifted first; default 8 per 128 pixels
   * of the image's side, at least 1: 2 for a 28-pixel digit), `scale` ([lo, hi], default [0.9, 1.1]),
   * `rotate` (± degrees, default 10), `jitterAfter` (pixels, shifted last; default 4 per 128 pixels,
   * at least 1). Points moved in from outside the image read the middle of `range`. All four 0
   * (and scale [1, 1]) give the image as it is.
   */
  jitter?: number;
  scale?: readonly [number, number];
  rotate?: number;
  jitterAfter?: number;
  /** Weight of an L1 penalty: the mean distance of the pixels from the middle of the range, as a fraction of the range (default 0). */
  l1?: number;
  /** Weight of a total-variation penalty: the mean absolute difference of neighbouring pixels, as a fraction of the range (default 0). */
  tv?: number;
  /**
   * Weight of a diversity term: the mean cosine similarity of the images' Gram matrices at
   * `diversityLayer` is subtracted from the objective (per image), so a batch of one objective shows
   * different pictures (default 0; needs two or more targets).
   */
  diversity?: number;
  /** The layer whose Gram matrices the diversity term compares (default: the targets' layer, when they share one). */
  diversityLayer?: string;
  /** The input range the image spans (default [0, 1]). */
  range?: readonly [number, number];
  /**
   * Maximise a layer's channel, unit or mean square before the layer's activation (default true),
   * where the layer has one to strip: a ReLU that is off passes no gradient to start from.
   */
  preActivation?: boolean;
  /**
   * Called after every step with the images so far [n, h, w, c] (valid only during the call; copy
   * what you keep), the objective as optimised (before the activation where `preActivation`
   * applies; the mean over the images for a batch), and each image's own.
   */
  onStep?: (step: number, image: Tensor, objective: number, objectives: readonly number[]) => void;
}

export interface FeatureVisResult {
  /** The images [n, h, w, c] (n = 1 for one objective), the caller's to dispose. */
  image: Tensor;
  /** The objective at the last step (on that step's transformed image, before its update); the mean over the images for a batch. */
  objective: number;
  /** Each image's objective at the last step. */
  objectives: number[];
  /** Steps taken (fewer than asked when cancelled). */
  steps: number;
}

export interface FeatureVisRun {
  /** Resolves when the steps are done or the run is cancelled; rejects on an error. Everything else the run made is freed by then. */
  readonly done: Promise<FeatureVisResult>;
  /** Steps taken so far. */
  readonly step: number;
  /** A copy of the images so far, [n, h, w, c], for the caller to dispose (null before the first step). */
  image(): Tensor | null;
  pause(): void;
  resume(): void;
  /** Stops after the current step; `done` resolves with the image so far. */
  cancel(): void;
}

/**
 * Starts optimising an image for `target` and returns at once; the steps run on the GPU, yielding
 * to the page between them.
 * @example
 * const run = explain.featureVis(model, { target: { layer: 'conv2', channel: 7 }, steps: 256, seed: 1, onStep });
 * const { image } = await run.done; // [1, 28, 28, 1]
 * // eight channels of a layer at once, one image each:
 * const grid = explain.featureVis(model, { target: [0, 1, 2, 3, 4, 5, 6, 7].map((channel) => ({ layer: 'conv2', channel })) });
 */
export function featureVis(model: Model, opts: FeatureVisOptions): FeatureVisRun {
  const op = 'explain.featureVis';
  const input = model.inputShape;
  if (input.length !== 3) throw new CnnError(op, `model '${model.name}' takes [batch, ${input.join(', ')}], not images`);
  const [h, w, c] = input as [number, number, number];
  if (opts?.size !== undefined && (opts.size[0] !== h || opts.size[1] !== w)) throw new CnnError(op, `size ${JSON.stringify(opts.size)} differs from the model's input ${h}×${w}`);
  const steps = intOption(op, 'steps', opts.steps, 256);
  const seed = intOption(op, 'seed', opts.seed, 0, 0);
  const defaults = defaultRobustness(h, w);
  const robust = checkRobustness(op, {
    jitter: opts.jitter ?? defaults.jitter,
    scale: opts.scale ? [opts.scale[0], opts.scale[1]] : defaults.scale,
    rotate: opts.rotate ?? defaults.rotate,
    jitterAfter: opts.jitterAfter ?? (opts.jitter === 0 ? 0 : defaults.jitterAfter),
  });
  const learningRate = opts.learningRate ?? 0.2;
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new CnnError(op, `learningRate must be a positive number, got ${JSON.stringify(opts.learningRate)}`);
  const range: [number, number] = opts.range ? [opts.range[0], opts.range[1]] : [0, 1];
  if (!range.every(Number.isFinite) || !(range[1] > range[0])) throw new CnnError(op, `range must be [lo, hi] with lo < hi, got ${JSON.stringify(opts.range)}`);
  const [l1, tv] = (['l1', 'tv'] as const).map((k) => {
    const v = opts[k] ?? 0;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new CnnError(op, `${k} must be a finite number ≥ 0, got ${JSON.stringify(opts[k])}`);
    return v;
  }) as [number, number];
  const targets: readonly Objective[] = Array.isArray(opts.target) ? opts.target : [opts.target as Objective];
  if (!targets.length) throw new CnnError(op, 'target lists no objectives');
  const n = targets.length;
  const objective = resolveObjectives(op, model, targets, opts.preActivation ?? true);
  const diversity = opts.diversity ?? 0;
  if (typeof diversity !== 'number' || !Number.isFinite(diversity) || diversity < 0) throw new CnnError(op, `diversity must be a finite number ≥ 0, got ${JSON.stringify(opts.diversity)}`);
  const layers = targets.map((t) => (t && typeof t === 'object' && 'layer' in t ? t.layer : null));
  let diversityLayer: string | null = null;
  if (diversity > 0) {
    if (n < 2) throw new CnnError(op, 'a diversity term compares images: give two or more targets');
    const shared = new Set(layers).size === 1 ? layers[0] : null;
    diversityLayer = namedLayer(op, model, opts.diversityLayer ?? shared ?? undefined).name;
  }
  // Layer objectives need their layers only (and, before an activation, the layer's input).
  const need = layers.every((l) => l !== null) ? neededLayers(model, [...(layers as string[]), ...(diversityLayer ? [diversityLayer] : [])]) : null;

  const engine = model.engine;
  const rng = new SeededRandom(seed);
  const image = new FourierImage(engine, n, h, w, c, range, rng);
  const optimizer = adam({ learningRate });
  const mid = (range[0] + range[1]) / 2;
  const span = range[1] - range[0];
  let current: Tensor | null = null;
  let step = 0;
  let cancelled = false;
  let paused = null as { promise: Promise<void>; resume: () => void } | null;

  /** The penalties of each image, [n], weighted (null when both weights are 0). */
  const penalties = (ops: Tape, img: Tensor): Tensor | null => {
    const axes = [1, 2, 3];
    let p: Tensor | null = null;
    if (l1 > 0) p = ops.mul(ops.mean(ops.abs(ops.sub(img, mid)), axes), l1 / span);
    if (tv > 0) {
      const diff = (begin: number[], size: number[], begin2: number[]) => ops.mean(ops.abs(ops.sub(ops.slice(img, begin, size), ops.slice(img, begin2, size))), axes);
      const down = h > 1 ? diff([0, 1, 0, 0], [n, h - 1, w, c], [0, 0, 0, 0]) : null;
      const right = w > 1 ? diff([0, 0, 1, 0], [n, h, w - 1, c], [0, 0, 0, 0]) : null;
      const both = down && right ? ops.add(down, right) : (down ?? right);
      if (both) {
        const t = ops.mul(both, tv / span);
        p = p ? ops.add(p, t) : t;
      }
    }
    return p;
  };

  /** One step: the objectives on the transformed images, their gradient, and Adam's ascent (on −objective). */
  const ascend = async (): Promise<Float32Array> => {
    const tape = new Tape(engine);
    const temps: Tensor[] = [];
    let value: Tensor;
    try {
      const img = image.render(tape);
      const seen = isIdentity(robust) ? img : tape.affineWarp(img, { matrices: randomMaps(robust, n, h, w, rng), fill: mid });
      const acts = need ? runPartial(model, seen, tape, need) : model.run(seen, { ops: tape, logits: objective.logits });
      const rows = objective.perRow(tape, acts, new Int32Array(n), temps);
      const penalty = penalties(tape, img);
      let total = tape.sum(penalty ? tape.sub(rows, penalty) : rows);
      if (diversityLayer) total = tape.sub(total, tape.mul(gramSimilarity(tape, acts.outputs.get(diversityLayer)!), diversity * n));
      const grads = tape.backward(tape.neg(total), image.params);
      const list = image.params.map((p) => grads.get(p)!);
      optimizer.apply(engine, image.params, list);
      for (const g of list) g.dispose();
      value = engine.sum(rows, []);
      current?.dispose();
      current = engine.sum(img, []); // the untransformed images, kept past the tape
    } finally {
      for (const t of temps) t.dispose();
      tape.dispose();
    }
    try {
      return await value.read();
    } finally {
      value.dispose();
    }
  };

  const done = (async (): Promise<FeatureVisResult> => {
    let last: number[] = targets.map(() => NaN);
    const mean = (v: readonly number[]) => v.reduce((p, x) => p + x, 0) / v.length;
    try {
      while (step < steps && !cancelled) {
        const wait = paused as { promise: Promise<void> } | null;
        if (wait) await wait.promise;
        if (cancelled) break;
        last = Array.from(await ascend());
        step++;
        opts.onStep?.(step, current!, mean(last), last);
        await new Promise<void>((r) => setTimeout(r, 0)); // let the page draw and handle input
      }
      if (!current) current = engine.sum(image.render(engine), []);
      const out = current;
      current = null;
      return { image: out, objective: mean(last), objectives: last, steps: step };
    } finally {
      (current as Tensor | null)?.dispose();
      image.dispose();
      optimizer.dispose();
      objective.dispose();
    }
  })();

  return {
    done,
    get step() {
      return step;
    },
    image: () => (current ? engine.sum(current, []) : null),
    pause() {
      if (paused) return;
      let resume!: () => void;
      const promise = new Promise<void>((r) => (resume = r));
      paused = { promise, resume };
    },
    resume() {
      const p = paused;
      paused = null;
      p?.resume();
    },
    cancel() {
      cancelled = true;
      this.resume();
    },
  };
}
