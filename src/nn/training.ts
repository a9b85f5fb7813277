/**
 * The training loop: fit and evaluate. Everything stays on the GPU; the loop reads the loss back
 * only every `metricsEvery` steps (which also keeps the CPU from queueing more than that many
 * steps ahead), while a GPU-side flag remembers the first step whose loss was not finite.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import type { Model } from './model.js';
import type { Optimizer } from './optimizers.js';
import { Tape } from '../autograd/tape.js';
import { decodeFlag, recordNonFinite } from '../ops/finite_check.js';
import { CnnAbortError, CnnError, NonFiniteLossError } from '../errors.js';
import { shuffledIndices, type Dataset } from './dataset.js';

export interface BatchLog {
  epoch: number;
  /** Step index since the start of fit. */
  step: number;
  /** Batch index within the epoch. */
  batch: number;
  batches: number;
  /** Present on the steps whose metrics were read back. */
  loss?: number;
  accuracy?: number;
  imagesPerSecond: number;
}

export interface EpochLog {
  epoch: number;
  loss: number;
  accuracy: number;
  validation?: { loss: number; accuracy: number };
  seconds: number;
}

export interface FitOptions {
  optimizer: Optimizer;
  epochs?: number;
  batchSize?: number;
  /** Seed of the shuffling (training is deterministic for a seed on one adapter). */
  seed?: number;
  shuffle?: boolean;
  /** Steps between read-backs of loss and accuracy (default 10). */
  metricsEvery?: number;
  validationData?: Dataset;
  onBatchEnd?: (log: BatchLog) => void | Promise<void>;
  onEpochEnd?: (log: EpochLog) => void | Promise<void>;
  /** Aborting stops before the next step: the weights stay those of the last completed step. */
  signal?: AbortSignal;
  /** Pause and resume between steps. */
  control?: TrainingControl;
}

export interface History {
  epochs: EpochLog[];
  steps: number;
}

/** Pauses a running fit between two steps and resumes it. */
export class TrainingControl {
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;

  get paused(): boolean {
    return this.gate !== null;
  }
  pause(): void {
    if (!this.gate) this.gate = new Promise((resolve) => (this.open = resolve));
  }
  resume(): void {
    this.open?.();
    this.gate = null;
    this.open = null;
  }
  /** Resolves at once when running, or when resumed. */
  wait(): Promise<void> {
    return this.gate ?? Promise.resolve();
  }
}

function checkDataset(op: string, model: Model, data: Dataset, name: string): void {
  const per = data.xShape.reduce((a, b) => a * b, 1);
  if (data.x.length !== data.count * per) throw new CnnError(op, `${name}.x has ${data.x.length} values, expected ${data.count} × ${per}`);
  if (data.y.length !== data.count * data.classes) throw new CnnError(op, `${name}.y has ${data.y.length} values, expected ${data.count} × ${data.classes}`);
  const want = model.inputShape;
  if (want.length !== data.xShape.length || want.some((d, i) => d !== null && d !== data.xShape[i])) {
    throw new CnnError(op, `${name} samples of shape [${data.xShape.join(', ')}] do not fit the model input [${want.join(', ')}]`);
  }
  // Here rather than at the loss: by then a step's tensors are made.
  const out = model.outputShape;
  if (out.length !== 1 || out[0] !== data.classes) throw new CnnError(op, `${name} has ${data.classes} classes but the model outputs [${out.join(', ')}]`);
}

function gather(data: Dataset, order: Uint32Array | null, start: number, size: number): { x: Float32Array; y: Float32Array } {
  const per = data.xShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(size * per);
  const y = new Float32Array(size * data.classes);
  for (let b = 0; b < size; b++) {
    const i = order ? order[start + b]! : start + b;
    x.set(data.x.subarray(i * per, (i + 1) * per), b * per);
    y.set(data.y.subarray(i * data.classes, (i + 1) * data.classes), b * data.classes);
  }
  return { x, y };
}

/** A batch's images and one-hot labels on the GPU, each put in `made` as soon as it exists (to be freed however the batch ends). */
function batchTensors(engine: Engine, data: Dataset, xs: Float32Array, ys: Float32Array, size: number, made: { dispose(): void }[]): { x: Tensor; y: Tensor } {
  const x = engine.tensor(xs, [size, ...data.xShape]);
  made.push(x);
  const y = engine.tensor(ys, [size, data.classes]);
  made.push(y);
  return { x, y };
}

/** Rows whose largest logit is at the label's largest entry. */
export function countCorrect(logits: Float32Array, y: Float32Array, classes: number): number {
  let correct = 0;
  for (let r = 0; r < logits.length / classes; r++) {
    let best = 0;
    let label = 0;
    for (let c = 1; c < classes; c++) {
      if (logits[r * classes + c]! > logits[r * classes + best]!) best = c;
      if (y[r * classes + c]! > y[r * classes + label]!) label = c;
    }
    if (best === label) correct++;
  }
  return correct;
}

/** Trains `model` on `data` with softmax cross-entropy on its logits; see FitOptions. */
export async function fit(engine: Engine, model: Model, data: Dataset, opts: FitOptions): Promise<History> {
  const epochs = opts.epochs ?? 1;
  const batchSize = opts.batchSize ?? 32;
  const metricsEvery = Math.max(1, opts.metricsEvery ?? 10);
  if (!Number.isInteger(epochs) || epochs < 1) throw new CnnError('fit', `epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new CnnError('fit', `batchSize must be a positive integer, got ${batchSize}`);
  const optimizer: unknown = opts.optimizer;
  if (typeof optimizer !== 'object' || optimizer === null || typeof (optimizer as Optimizer).apply !== 'function') {
    throw new CnnError('fit', `optimizer must be an optimizer (sgd() or adam()), got ${optimizer === null ? 'null' : typeof optimizer}`);
  }
  checkDataset('fit', model, data, 'data');
  if (opts.validationData) checkDataset('fit', model, opts.validationData, 'validationData');
  const params = model.params();
  const flag = engine.zeros([1]);
  const history: History = { epochs: [], steps: 0 };
  const batches = Math.ceil(data.count / batchSize);
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = opts.shuffle === false ? null : shuffledIndices(data.count, (opts.seed ?? 1) + epoch * 7919);
      const started = performance.now();
      let seen = 0;
      let lossSum = 0;
      let lossCount = 0;
      let correct = 0;
      let judged = 0;
      for (let batch = 0; batch < batches; batch++) {
        await opts.control?.wait();
        if (opts.signal?.aborted) throw new CnnAbortError('fit', opts.signal.reason);
        const size = Math.min(batchSize, data.count - batch * batchSize);
        const { x: xs, y: ys } = gather(data, order, batch * batchSize, size);
        const log: BatchLog = { epoch, step: history.steps, batch, batches, imagesPerSecond: 0 };
        const readNow = (history.steps + 1) % metricsEvery === 0 || batch === batches - 1;
        // Everything the step makes is freed however it ends (a non-finite loss throws mid-step).
        const made: { dispose(): void }[] = [];
        try {
          const { x, y } = batchTensors(engine, data, xs, ys, size, made);
          const tape = new Tape(engine);
          made.push(tape);
          const acts = model.run(x, { ops: tape, training: true, logits: true });
          made.push(acts);
          const { loss } = tape.softmaxCrossEntropy(acts.output, y);
          const grads = tape.backward(loss, params);
          made.push(...grads.values());
          opts.optimizer.apply(engine, params, params.map((p) => grads.get(p)!));
          recordNonFinite(engine, loss, flag, history.steps);
          if (readNow) {
            const [lossValue, logits, bad] = await Promise.all([loss.read(), acts.output.read(), flag.read()]);
            const failed = decodeFlag(bad);
            if (failed >= 0) throw new NonFiniteLossError(failed, Math.floor(failed / batches));
            const right = countCorrect(logits, ys, data.classes);
            const stepLoss: number = lossValue[0]!;
            log.loss = stepLoss;
            log.accuracy = right / size;
            lossSum += stepLoss;
            lossCount++;
            correct += right;
            judged += size;
          }
        } finally {
          for (const t of made.reverse()) t.dispose();
        }
        seen += size;
        history.steps++;
        log.imagesPerSecond = seen / Math.max((performance.now() - started) / 1000, 1e-6);
        await opts.onBatchEnd?.(log);
      }
      const epochLog: EpochLog = {
        epoch,
        loss: lossSum / Math.max(lossCount, 1),
        accuracy: correct / Math.max(judged, 1),
        seconds: (performance.now() - started) / 1000,
      };
      if (opts.validationData) epochLog.validation = await evaluate(engine, model, opts.validationData, { batchSize });
      history.epochs.push(epochLog);
      await opts.onEpochEnd?.(epochLog);
    }
  } finally {
    flag.dispose();
  }
  return history;
}

/** Mean softmax cross-entropy and accuracy of the model's logits over `data`. */
export async function evaluate(engine: Engine, model: Model, data: Dataset, opts: { batchSize?: number } = {}): Promise<{ loss: number; accuracy: number }> {
  checkDataset('evaluate', model, data, 'data');
  const batchSize = opts.batchSize ?? 256;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < data.count; start += batchSize) {
    const size = Math.min(batchSize, data.count - start);
    const { x: xs, y: ys } = gather(data, null, start, size);
    // Freed however the batch ends (a lost device fails the read).
    const made: { dispose(): void }[] = [];
    try {
      const { x, y } = batchTensors(engine, data, xs, ys, size, made);
      const acts = model.run(x, { logits: true });
      made.push(acts);
      const { loss, dLogits } = engine.softmaxCrossEntropy(acts.output, y);
      made.push(loss, dLogits);
      const [lossValue, logits] = await Promise.all([loss.read(), acts.output.read()]);
      lossSum += lossValue[0]! * size;
      correct += countCorrect(logits, ys, data.classes);
    } finally {
      for (const t of made.reverse()) t.dispose();
    }
  }
  return { loss: lossSum / Math.max(data.count, 1), accuracy: correct / Math.max(data.count, 1) };
}
