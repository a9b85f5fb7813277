/**
 * Feature visualisation by optimisation: an input image changed by gradient ascent until it drives
 * a unit, a channel, a class or a whole layer (DeepDream) hard. The image lives in a decorrelated
 * Fourier parameterisation (fourier_image.ts), and each step sees it shifted by a random jitter,
 * so what survives is what the unit responds to wherever it appears, not a pixel-exact pattern.
 *
 * This first version has the parameterisation and translation jitter; the scale and rotation of
 * Lucid's transformation robustness need a resampling kernel the engine does not have yet.
 */
import type { Tensor } from '../tensor.js';
import { Tape } from '../autograd/tape.js';
import { CnnError } from '../errors.js';
import type { Model } from '../nn/model.js';
import { SeededRandom } from '../nn/random.js';
import { adam } from '../nn/optimizers.js';
import { channelOrUnit, namedLayer, resolveTarget, type ResolvedTarget, type Target } from './target.js';
import { preActivation } from './pre_activation.js';
import { intOption } from './pass.js';
import { FourierImage } from './fourier_image.js';

/** What to maximise: a target as the other methods take it, or `{layer}` alone: the mean square of the layer's output (DeepDream). */
export type Objective = Target | { layer: string; channel?: undefined };

export interface FeatureVisOptions {
  target: Objective;
  /** [h, w] of the image: the model's input size (the default), as the model takes no other. */
  size?: readonly [number, number];
  /** Gradient steps (default 256). */
  steps?: number;
  /** Seed of the initial image and the jitter (default 0): the same seed gives the same image. */
  seed?: number;
  /** Adam's learning rate on the Fourier coefficients (default 0.2). */
  learningRate?: number;
  /** The most pixels the image is shifted by each step, in each direction (default 2). */
  jitter?: number;
  /** The input range the image spans (default [0, 1]). */
  range?: readonly [number, number];
  /**
   * Maximise a layer's channel, unit or mean square before the layer's activation (default true),
   * where the layer has one to strip: a ReLU that is off passes no gradient to start from.
   */
  preActivation?: boolean;
  /** Called after every step with the image so far (valid only during the call; copy what you keep) and the objective as optimised (before the activation where `preActivation` applies). */
  onStep?: (step: number, image: Tensor, objective: number) => void;
}

export interface FeatureVisResult {
  /** The image [1, h, w, c], the caller's to dispose. */
  image: Tensor;
  /** The objective at the last step (on that step's shifted image, before its update). */
  objective: number;
  /** Steps taken (fewer than asked when cancelled). */
  steps: number;
}

export interface FeatureVisRun {
  /** Resolves when the steps are done or the run is cancelled; rejects on an error. Everything else the run made is freed by then. */
  readonly done: Promise<FeatureVisResult>;
  /** Steps taken so far. */
  readonly step: number;
  /** A copy of the image so far, [1, h, w, c], for the caller to dispose (null before the first step). */
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
 */
export function featureVis(model: Model, opts: FeatureVisOptions): FeatureVisRun {
  const op = 'explain.featureVis';
  const input = model.inputShape;
  if (input.length !== 3) throw new CnnError(op, `model '${model.name}' takes [batch, ${input.join(', ')}], not images`);
  const [h, w, c] = input as [number, number, number];
  if (opts?.size !== undefined && (opts.size[0] !== h || opts.size[1] !== w)) throw new CnnError(op, `size ${JSON.stringify(opts.size)} differs from the model's input ${h}×${w}`);
  const steps = intOption(op, 'steps', opts.steps, 256);
  const seed = intOption(op, 'seed', opts.seed, 0, 0);
  const jitter = intOption(op, 'jitter', opts.jitter, 2, 0);
  const learningRate = opts.learningRate ?? 0.2;
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new CnnError(op, `learningRate must be a positive number, got ${JSON.stringify(opts.learningRate)}`);
  const range: [number, number] = opts.range ? [opts.range[0], opts.range[1]] : [0, 1];
  if (!range.every(Number.isFinite) || !(range[1] > range[0])) throw new CnnError(op, `range must be [lo, hi] with lo < hi, got ${JSON.stringify(opts.range)}`);
  const objective = resolveObjective(op, model, opts.target, opts.preActivation ?? true);

  const engine = model.engine;
  const rng = new SeededRandom(seed);
  const image = new FourierImage(engine, h, w, c, range, rng);
  const optimizer = adam({ learningRate });
  let current: Tensor | null = null;
  let step = 0;
  let cancelled = false;
  let paused = null as { promise: Promise<void>; resume: () => void } | null;

  /** One step: the objective on the jittered image, its gradient, and Adam's ascent (on −objective). */
  const ascend = async (): Promise<number> => {
    const tape = new Tape(engine);
    const temps: Tensor[] = [];
    let value: Tensor;
    try {
      const img = image.render(tape);
      const [dy, dx] = [rng.next(), rng.next()].map((u) => Math.floor(u * (2 * jitter + 1)));
      const seen = jitter ? tape.slice(tape.pad(img, [[0, 0], [jitter, jitter], [jitter, jitter], [0, 0]], (range[0] + range[1]) / 2), [0, dy!, dx!, 0], [1, h, w, c]) : img;
      const acts = model.run(seen, { ops: tape, logits: objective.logits });
      const total = tape.sum(objective.perRow(tape, acts, new Int32Array(1), temps));
      const grads = tape.backward(tape.neg(total), image.params);
      const list = image.params.map((p) => grads.get(p)!);
      optimizer.apply(engine, image.params, list);
      for (const g of list) g.dispose();
      value = engine.sum(total, []);
      current?.dispose();
      current = engine.sum(img, []); // the unshifted image, kept past the tape
    } finally {
      for (const t of temps) t.dispose();
      tape.dispose();
    }
    try {
      return (await value.read())[0]!;
    } finally {
      value.dispose();
    }
  };

  const done = (async (): Promise<FeatureVisResult> => {
    let last = NaN;
    try {
      while (step < steps && !cancelled) {
        const wait = paused as { promise: Promise<void> } | null;
        if (wait) await wait.promise;
        if (cancelled) break;
        last = await ascend();
        step++;
        opts.onStep?.(step, current!, last);
        await new Promise<void>((r) => setTimeout(r, 0)); // let the page draw and handle input
      }
      if (!current) current = engine.sum(image.render(engine), []);
      const out = current;
      current = null;
      return { image: out, objective: last, steps: step };
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

/**
 * A target, or a whole layer's mean square. A layer objective is taken before the layer's
 * activation where it has one to strip (see pre_activation.ts), unless `preActivation` is false.
 */
function resolveObjective(op: string, model: Model, target: Objective, pre: boolean): ResolvedTarget {
  if (!target || typeof target !== 'object' || !('layer' in target)) return resolveTarget(op, model, target as Target, 1);
  const layer = namedLayer(op, model, target.layer);
  const checked = target.channel === undefined ? null : resolveTarget(op, model, target, 1);
  checked?.dispose();
  const strip = pre ? preActivation(layer) : null;
  const source = model.inboundOf(layer.name)[0];
  return {
    logits: false,
    perRow(ops, acts) {
      const a = strip ? strip(ops, acts.outputs.get(source!)!) : acts.outputs.get(layer.name)!;
      if (target.channel !== undefined) return channelOrUnit(ops, a, target);
      return ops.mean(ops.square(a), a.shape.slice(1).map((_, i) => i + 1));
    },
    dispose() {},
  };
}
