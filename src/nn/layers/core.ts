/**
 * Core layers: InputLayer, Dense, Flatten, Reshape and Dropout.
 */
import type { Engine } from '../../engine.js';
import type { Tensor } from '../../tensor.js';
import { shapeStr } from '../../errors.js';
import { Layer, release, type LayerConfig, type Shape } from '../layer.js';
import { logitsActivation, type ActivationName } from '../activations.js';
import { SeededRandom } from '../random.js';
import type { Ops } from '../ops_like.js';
import { withEpilogue } from './conv.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** The model's input: `batch_input_shape` [null, ...shape] (TF.js, Keras 2) or `batch_shape` (Keras 3). */
export class InputLayer extends Layer {
  readonly shape: number[];

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'InputLayer', config);
    const batchShape = this.config.batch_input_shape ?? this.config.batch_shape;
    const raw = batchShape !== undefined && Array.isArray(batchShape) ? batchShape.slice(1) : this.config.input_shape;
    if (!Array.isArray(raw) || raw.length === 0 || raw.some((d) => !Number.isInteger(d) || d < 1)) {
      this.fail(`the input shape must be known positive sizes after the batch dimension, got ${JSON.stringify(batchShape ?? this.config.input_shape ?? null)}`);
    }
    this.shape = raw as number[];
    delete this.config.batch_shape;
    delete this.config.input_shape;
    this.config.batch_input_shape = [null, ...this.shape];
    this.config.dtype ??= 'float32';
    this.config.sparse ??= false;
    delete this.config.trainable;
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 0);
    return { output: [...this.shape] };
  }

  protected forward(_ops: Ops, inputs: readonly Tensor[]): Tensor {
    return inputs[0]!;
  }
}

/** Keras Dense on the last axis: kernel [in, units], bias [units]. */
export class Dense extends Layer {
  readonly units: number;
  readonly useBias: boolean;
  readonly activation: ActivationName;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'Dense', config);
    this.units = this.int('units');
    this.useBias = this.bool('use_bias', true);
    this.activation = this.activationField();
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1);
    const input = inputs[0]!;
    if (input.length < 1) this.fail('needs an input of rank 2 or more');
    const weights = [{ name: 'kernel', shape: [input[input.length - 1]!, this.units], trainable: true, initializer: this.initializer('kernel_initializer', 'glorot_uniform') }];
    if (this.useBias) weights.push({ name: 'bias', shape: [this.units], trainable: true, initializer: this.initializer('bias_initializer', 'zeros') });
    return { output: [...input.slice(0, -1), this.units], weights };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[], _training: boolean, logits: boolean): Tensor {
    const x = inputs[0]!;
    const inner = x.shape[x.rank - 1]!;
    // Keras applies Dense to the last axis of any rank: fold the leading axes into rows.
    const rows = x.rank === 2 ? x : ops.reshape(x, [-1, inner]);
    const a = withEpilogue(ops, this.useBias ? this.weight('bias') : null, logitsActivation(this.activation, logits), (epilogue) =>
      ops.matMul(rows, this.weight('kernel'), epilogue));
    if (rows !== x) release(ops, rows);
    if (x.rank === 2) return a;
    const out = ops.reshape(a, [...x.shape.slice(0, -1), this.units]);
    release(ops, a);
    return out;
  }
}

/** [batch, ...] → [batch, product], in NHWC order, which is Keras's channels_last order. */
export class Flatten extends Layer {
  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'Flatten', config);
    this.channelsLast();
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1);
    return { output: [size(inputs[0]!)] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    const x = inputs[0]!;
    return ops.reshape(x, [x.shape[0]!, size(x.shape.slice(1))]);
  }
}

/** Keras Reshape: `target_shape` without the batch dimension, with at most one -1 (or null). */
export class Reshape extends Layer {
  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'Reshape', config);
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1);
    // TF.js writes an unknown dim as null where Keras writes -1.
    const raw = this.config.target_shape;
    const target = Array.isArray(raw) ? raw.map((d) => (d === null ? -1 : d)) : raw;
    if (!Array.isArray(target) || target.some((d) => !Number.isInteger(d) || (d < 1 && d !== -1)) || target.filter((d) => d === -1).length > 1) {
      this.fail(`target_shape must be positive integers with at most one -1, got ${JSON.stringify(target)}`);
    }
    const n = size(inputs[0]!);
    const known = size((target as number[]).filter((d) => d !== -1));
    const output = (target as number[]).map((d) => (d === -1 ? n / known : d));
    if (output.some((d) => !Number.isInteger(d)) || size(output) !== n) {
      this.fail(`cannot reshape [batch, ${inputs[0]!.join(', ')}] (${n} values per example) to target_shape ${shapeStr(target as number[])}`);
    }
    // Saved resolved: TF.js cannot infer a -1 when it rebuilds the model, so a later Flatten or
    // Dense would fail there.
    this.config.target_shape = [...output];
    return { output };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    const x = inputs[0]!;
    return ops.reshape(x, [x.shape[0]!, ...this.outputShape]);
  }
}

/**
 * Dropout: the identity at inference; in training each value is kept with probability 1 − rate and
 * scaled by 1 / (1 − rate), from a seeded mask drawn on the CPU and uploaded with the batch.
 */
export class Dropout extends Layer {
  readonly rate: number;
  private readonly rng: SeededRandom;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'Dropout', config);
    this.rate = this.num('rate', 0.5, (v) => v >= 0 && v < 1, 'in [0, 1)');
    this.config.noise_shape ??= null;
    this.config.seed ??= null;
    const seed = typeof this.config.seed === 'number' ? this.config.seed : hashName(this.name);
    this.rng = new SeededRandom(seed);
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1);
    return { output: [...inputs[0]!] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[], training: boolean): Tensor {
    const x = inputs[0]!;
    if (!training || this.rate === 0) return x;
    if (this.config.noise_shape !== null) this.fail('noise_shape is not supported in training');
    const keep = 1 - this.rate;
    const mask = new Float32Array(x.size);
    for (let i = 0; i < mask.length; i++) mask[i] = this.rng.next() < keep ? 1 / keep : 0;
    const m = ops.tensor(mask, x.shape);
    const y = ops.mul(x, m);
    release(ops, m);
    return y;
  }
}

/** A stable seed from a layer name, so two dropout layers draw different masks. */
function hashName(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}
