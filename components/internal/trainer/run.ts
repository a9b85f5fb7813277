/**
 * One training run as the trainer element drives it: a fresh model from a preset, an optimizer,
 * `model.fit` with pause, resume and stop between steps, the loss and accuracy curves (training
 * read back every few steps by fit, test evaluated a dozen times per run), and the throughput and
 * time left. No DOM here: the element renders what this reports.
 */
import { adam, presets, sequential, sgd, TrainingControl, type BatchLog, type Dataset, type Engine, type History, type Model, type Optimizer, type Preset } from '../../../src/index.js';
import { ElementError } from '../errors.js';
import { evaluateSet, type Confusion } from './confusion.js';
import type { TrainerStrings } from './messages.js';

export type OptimizerName = 'adam' | 'sgd';

export interface RunSettings {
  preset: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: OptimizerName;
  /** SGD only. */
  momentum: number;
  seed: number;
  /** Steps between read-backs of the training loss (fit's metricsEvery); 0: about 60 per run, at most every 10 steps. */
  metricsEvery: number;
  /** About how many times per run the test set is evaluated (besides before the first step and at each epoch's end). */
  testPoints: number;
}

export interface CurvePoint {
  /** Steps done when the point was taken (0: before training). */
  step: number;
  loss: number;
  accuracy: number;
}

export interface Curves {
  train: CurvePoint[];
  test: CurvePoint[];
}

export interface Progress {
  /** The epoch under way, from 1. */
  epoch: number;
  epochs: number;
  /** Steps done, from 1 after the first step. */
  step: number;
  steps: number;
  /** Batches done in this epoch. */
  batch: number;
  batches: number;
  /** The training loss and accuracy of this step's batch, where fit read them back. */
  loss?: number;
  accuracy?: number;
  imagesPerSecond: number;
  /** Estimated from the recent throughput; null until there is one. */
  secondsLeft: number | null;
  /** step / steps. */
  fraction: number;
}

/** Settings a person typed, checked with messages (in the element's language) that say what is wrong. */
export function checkSettings(s: RunSettings, t: TrainerStrings): Preset {
  const fail = (text: string): never => {
    throw new ElementError('cnn-trainer', text);
  };
  const preset = Object.hasOwn(presets, s.preset) ? presets[s.preset] : undefined;
  if (!preset) fail(t('noPreset', { preset: s.preset, list: Object.keys(presets).join(', ') }));
  if (!Number.isFinite(s.learningRate) || s.learningRate <= 0) fail(t('notPositive', { name: t('theLearningRate'), value: s.learningRate }));
  if (!Number.isInteger(s.batchSize) || s.batchSize < 1 || s.batchSize > 4096) fail(t('badBatch', { value: s.batchSize }));
  if (!Number.isInteger(s.epochs) || s.epochs < 1 || s.epochs > 1000) fail(t('badEpochs', { value: s.epochs }));
  if (s.optimizer !== 'adam' && s.optimizer !== 'sgd') fail(t('badOptimizer', { value: String(s.optimizer) }));
  if (s.optimizer === 'sgd' && (!Number.isFinite(s.momentum) || s.momentum < 0 || s.momentum >= 1)) fail(t('badMomentum', { value: s.momentum }));
  return preset!;
}

/** A model of the preset's layers with seeded initial weights, named after the preset. */
export function createModel(engine: Engine, preset: Preset, seed: number): Model {
  return sequential(engine, { inputShape: preset.inputShape, layers: preset.layers, seed, name: `mnist_${preset.name}` });
}

function createOptimizer(s: RunSettings): Optimizer {
  return s.optimizer === 'sgd' ? sgd({ learningRate: s.learningRate, momentum: s.momentum }) : adam({ learningRate: s.learningRate });
}

/**
 * Images per second over the last steps. A pause empties the window, so the time spent paused
 * never counts as slow training.
 */
export class Throughput {
  private samples: { ms: number; images: number }[] = [];
  private last = 0;

  constructor(private readonly window = 24) {}

  add(ms: number, images: number): void {
    this.samples.push({ ms, images });
    if (this.samples.length > this.window) this.samples.shift();
  }

  /** Forget the samples (after a pause): the next rate starts from the next step. */
  restart(): void {
    this.samples = [];
  }

  /** The recent rate, or the last one known while the window refills, or `fallback`. */
  perSecond(fallback = 0): number {
    const s = this.samples;
    if (s.length >= 2) {
      const seconds = (s[s.length - 1]!.ms - s[0]!.ms) / 1000;
      if (seconds > 0) this.last = (s[s.length - 1]!.images - s[0]!.images) / seconds;
    }
    return this.last || fallback;
  }
}

export interface RunHooks {
  /** After every step, with the weights updated; training waits for it. */
  onStep?: (p: Progress) => void | Promise<void>;
  /** After each evaluation of the test set, with its confusion matrix. */
  onTest?: (point: CurvePoint, confusion: Confusion) => void;
}

/** Where a run picks up from: epochs and steps already done, and their curves (a run resumed on a new GPU). */
export interface RunStart {
  epoch: number;
  step: number;
  curves: Curves;
}

export class TrainingRun {
  readonly control = new TrainingControl();
  readonly abort = new AbortController();
  readonly curves: Curves;
  readonly batches: number;
  readonly steps: number;
  readonly optimizer: Optimizer;
  /** The progress after the last step (null before the first). */
  progress: Progress | null = null;
  /** The confusion matrix of the last evaluation of the test set, and the step it was taken at. */
  confusion: { step: number; matrix: Confusion } | null = null;
  private readonly throughput = new Throughput();
  private readonly testEvery: number;
  /** True from the first step on: a pause before it halts at once (fit waits before its first step). */
  private fitting = false;
  private haltWaiters: (() => void)[] = [];

  constructor(
    readonly engine: Engine,
    readonly model: Model,
    readonly train: Dataset,
    readonly test: Dataset,
    readonly settings: RunSettings,
    /** Epochs already done (their weights are the model's): the run trains the rest and counts on from there. */
    readonly from: RunStart = { epoch: 0, step: 0, curves: { train: [], test: [] } },
  ) {
    this.curves = { train: from.curves.train.filter((p) => p.step <= from.step), test: from.curves.test.filter((p) => p.step <= from.step) };
    this.batches = Math.ceil(train.count / settings.batchSize);
    this.steps = this.batches * settings.epochs;
    this.testEvery = Math.max(1, Math.round(this.steps / Math.max(1, settings.testPoints)));
    this.optimizer = createOptimizer(settings);
  }

  get paused(): boolean {
    return this.control.paused;
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /**
   * Waits before the next step. Resolves once training has halted: at once between steps, else when
   * the step on the GPU (which cannot be interrupted) has finished and been reported.
   */
  pause(): Promise<void> {
    this.control.pause();
    if (!this.fitting || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.haltWaiters.push(resolve));
  }

  resume(): void {
    this.throughput.restart();
    this.control.resume();
  }

  /** Stops before the next step (even while paused); the weights stay those of the last step done. */
  stop(): void {
    this.abort.abort(new DOMException('training was stopped', 'AbortError'));
    this.control.resume();
    this.flushHalt();
  }

  private flushHalt(): void {
    const waiters = this.haltWaiters;
    this.haltWaiters = [];
    for (const w of waiters) w();
  }

  /** The learning rate of the running optimizer (a slider may change it between steps). */
  setLearningRate(lr: number): void {
    if (Number.isFinite(lr) && lr > 0) this.optimizer.learningRate = lr;
  }

  /** Trains; rejects with an AbortError after stop(), or with fit's error (a NaN loss names its step). */
  async run(hooks: RunHooks = {}): Promise<History> {
    const { settings: s } = this;
    const { from } = this;
    await this.evaluateTest(from.step, hooks);
    const started = performance.now();
    let images = from.epoch * this.train.count;
    this.throughput.add(started, images);
    this.fitting = true;
    try {
      return await this.model.fit(this.train, {
        optimizer: this.optimizer,
        epochs: s.epochs - from.epoch,
        batchSize: s.batchSize,
        // A resumed run shuffles its epochs unlike the first ones it takes the place of.
        seed: s.seed + from.epoch,
        metricsEvery: s.metricsEvery > 0 ? s.metricsEvery : Math.min(10, Math.max(1, Math.round(this.steps / 60))),
        signal: this.abort.signal,
        control: this.control,
        onBatchEnd: async (log: BatchLog) => {
          const done = from.step + log.step + 1;
          images += Math.min(s.batchSize, this.train.count - log.batch * s.batchSize);
          this.throughput.add(performance.now(), images);
          if (log.loss !== undefined && log.accuracy !== undefined) this.curves.train.push({ step: done, loss: log.loss, accuracy: log.accuracy });
          const rate = this.throughput.perSecond(log.imagesPerSecond);
          const imagesLeft = this.train.count * s.epochs - images;
          this.progress = {
            epoch: from.epoch + log.epoch + 1,
            epochs: s.epochs,
            step: done,
            steps: this.steps,
            batch: log.batch + 1,
            batches: log.batches,
            loss: log.loss,
            accuracy: log.accuracy,
            imagesPerSecond: rate,
            secondsLeft: rate > 0 ? imagesLeft / rate : null,
            fraction: done / this.steps,
          };
          try {
            if (done % this.testEvery === 0 || log.batch === log.batches - 1) await this.evaluateTest(done, hooks);
            await hooks.onStep?.(this.progress);
          } finally {
            // Fit waits at the gate right after this: a pause asked for by now has taken hold.
            if (this.control.paused) this.flushHalt();
          }
        },
      });
    } finally {
      this.fitting = false;
      this.flushHalt();
      this.optimizer.dispose();
    }
  }

  /** The test set on the weights of `step` (once per step): a test point and the confusion matrix. */
  async evaluateTest(step: number, hooks: RunHooks = {}): Promise<void> {
    if (this.curves.test.some((p) => p.step === step)) return;
    const r = await evaluateSet(this.engine, this.model, this.test, 256);
    const point = { step, loss: r.loss, accuracy: r.accuracy };
    this.curves.test.push(point);
    this.confusion = { step, matrix: r.confusion };
    hooks.onTest?.(point, r.confusion);
  }
}
