/**
 * The layer base: a Keras layer's name, class and config (the snake_case fields TensorFlow.js
 * writes in model.json), its weights ("conv1/kernel", …), the shape it outputs, and `call`, which
 * computes its output only through the `ops` it is given, so the same code runs for inference (the
 * engine) and for training (an autograd tape).
 *
 * Shapes here leave out the batch dimension: a Conv2D on 28×28 grey images has input shape
 * [28, 28, 1], as Keras's `input_shape`.
 */
import { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { CnnError, shapeStr } from '../errors.js';
import { DeviceLostError } from '../gpu/device.js';
import type { Ops } from './ops_like.js';
import { initialValues, parseInitializer } from './initializers.js';
import type { SeededRandom } from './random.js';
import { parseActivation, type ActivationName } from './activations.js';

export type Shape = readonly number[];
export type LayerConfig = Record<string, unknown>;

export interface LayerWeight {
  /** Keras's weight name, "<layer>/<weight>", as in a TF.js weights manifest. */
  name: string;
  tensor: Tensor;
  /** False for statistics the optimiser must not touch (BatchNormalization's moving mean and variance). */
  trainable: boolean;
}

/** A weight a layer needs for its input shapes, before any tensor exists. */
export interface WeightSpec {
  name: string;
  shape: number[];
  trainable: boolean;
  /**
   * Where the initialiser is configured: read only when the model is initialised, so a loaded
   * model whose config names an initialiser we lack (its weights come from the file) still loads.
   */
  initializer: InitializerRef;
}

export interface InitializerRef {
  /** The config field, e.g. "kernel_initializer". */
  key: string;
  /** Keras's default for that field. */
  dflt: string;
}

export abstract class Layer {
  /** The Keras class name ("Conv2D"), as model.json writes it. */
  readonly className: string;
  readonly name: string;
  /** The Keras config: the fields read from model.json with defaults made explicit. */
  readonly config: LayerConfig;
  /** Set by `setWeights`, in Keras's order (kernel before bias, gamma, beta, moving mean, moving variance). */
  weights: LayerWeight[] = [];
  /** The output shape without the batch dimension (set by `build`). */
  outputShape: number[] = [];
  inputShapes: number[][] = [];
  private specs: WeightSpec[] = [];

  constructor(
    /** The engine that holds this layer's weights and constants. */
    protected readonly engine: Engine,
    className: string,
    config: LayerConfig,
  ) {
    this.className = className;
    if (typeof config.name !== 'string' || config.name === '') throw new CnnError(className, `a layer needs a non-empty name, got ${JSON.stringify(config.name)}`);
    this.name = config.name;
    this.config = { ...config, trainable: config.trainable ?? true };
  }

  /** "Conv2D 'conv1'": how errors name this layer. */
  get label(): string {
    return `${this.className} '${this.name}'`;
  }

  /**
   * Checks the input shapes, sets `outputShape` and works out the weights' shapes. Allocates
   * nothing, so a model can be checked against its weight manifest before anything is uploaded.
   */
  build(inputShapes: Shape[]): void {
    try {
      const { output, weights } = this.shapes(inputShapes);
      this.inputShapes = inputShapes.map((s) => [...s]);
      this.outputShape = output;
      this.specs = (weights ?? []).map((w) => ({ ...w, name: `${this.name}/${w.name}` }));
    } catch (e) {
      throw this.wrap(e);
    }
  }

  /** The weights `build` worked out, in Keras's order. */
  weightSpecs(): WeightSpec[] {
    return this.specs.map((s) => ({ ...s, shape: [...s.shape] }));
  }

  /** Takes ownership of one tensor per weight spec, in spec order, after checking their shapes. */
  setWeights(tensors: readonly Tensor[]): void {
    if (tensors.length !== this.specs.length) this.fail(`expects ${this.specs.length} weights, got ${tensors.length}`);
    tensors.forEach((t, i) => {
      const s = this.specs[i]!;
      if (t.shape.length !== s.shape.length || t.shape.some((d, k) => d !== s.shape[k])) {
        this.fail(`weight '${s.name}' must have shape ${shapeStr(s.shape)}, got ${shapeStr(t.shape)}`);
      }
    });
    this.disposeWeights();
    // A layer saved with trainable: false (frozen for fine-tuning) keeps all its weights out of params().
    const frozen = this.config.trainable === false;
    this.weights = tensors.map((tensor, i) => ({ name: this.specs[i]!.name, tensor, trainable: this.specs[i]!.trainable && !frozen }));
  }

  /**
   * Computes the output from the inputs (each [batch, ...inputShape]) through `ops`. With `logits`,
   * a softmax activation of this layer is left out (the model's output layer, for a loss that takes
   * logits).
   */
  call(ops: Ops, inputs: readonly Tensor[], training: boolean, logits = false): Tensor {
    try {
      return this.forward(ops, inputs, training, logits);
    } catch (e) {
      throw this.wrap(e);
    }
  }

  /**
   * Initial values for one of this layer's weight specs, from its configured initialiser, which is
   * written back to the config in the `{class_name, config}` form TF.js reads.
   */
  initialValues(spec: WeightSpec, rng: SeededRandom): Float32Array {
    const { key, dflt } = spec.initializer;
    const parsed = parseInitializer(this.config[key] ?? dflt, { op: this.label, key });
    this.config[key] = parsed;
    return initialValues(parsed, spec.shape, rng);
  }

  /** Frees the weights and any constants the layer holds. */
  dispose(): void {
    this.disposeWeights();
  }

  /** Output shape and weights (with short names such as "kernel") for these input shapes; throws if they do not fit. */
  protected abstract shapes(inputShapes: Shape[]): { output: number[]; weights?: WeightSpec[] };
  protected abstract forward(ops: Ops, inputs: readonly Tensor[], training: boolean, logits: boolean): Tensor;

  /** The weight tensor by its short name ("kernel"). */
  protected weight(short: string): Tensor {
    const full = `${this.name}/${short}`;
    const w = this.weights.find((x) => x.name === full);
    if (!w) this.fail(`weight '${full}' is not set; load or initialise the model's weights first`);
    return w.tensor;
  }

  protected hasWeight(short: string): boolean {
    return this.weights.some((x) => x.name === `${this.name}/${short}`);
  }

  protected fail(message: string): never {
    throw new CnnError(this.label, message);
  }

  /** An error from inside this layer's computation, named after the layer (a lost device passes as it is). */
  protected wrap(e: unknown): Error {
    // A lost GPU is no fault of this layer: callers tell it apart by its class.
    if (e instanceof DeviceLostError || (e instanceof CnnError && e.op === this.label)) return e;
    const message = e instanceof Error ? e.message : String(e);
    const err = new CnnError(this.label, message);
    (err as { cause?: unknown }).cause = e;
    return err;
  }

  private disposeWeights(): void {
    for (const w of this.weights) w.tensor.dispose();
    this.weights = [];
  }

  // ---- config fields: each reads a Keras field, checks it, and writes the canonical value back ----

  protected num(key: string, dflt: number, check?: (v: number) => boolean, what = 'a number'): number {
    const v = this.config[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || (check && !check(v))) this.fail(`${key} must be ${what}, got ${JSON.stringify(v)}`);
    this.config[key] = v;
    return v;
  }

  protected int(key: string, dflt?: number, min = 1): number {
    const v = this.config[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) this.fail(`${key} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    this.config[key] = v;
    return v;
  }

  protected bool(key: string, dflt: boolean): boolean {
    const v = this.config[key] ?? dflt;
    if (typeof v !== 'boolean') this.fail(`${key} must be true or false, got ${JSON.stringify(v)}`);
    this.config[key] = v;
    return v;
  }

  /** A positive integer or a pair of them (kernel_size, strides, pool_size, dilation_rate). */
  protected pair(key: string, dflt?: number | readonly number[] | null): [number, number] {
    let v = this.config[key];
    if (v === undefined || v === null) v = dflt;
    const p = typeof v === 'number' ? [v, v] : v;
    if (!Array.isArray(p) || p.length !== 2 || p.some((n) => !Number.isInteger(n) || n < 1)) {
      this.fail(`${key} must be a positive integer or two of them, got ${JSON.stringify(v)}`);
    }
    const out: [number, number] = [p[0], p[1]];
    this.config[key] = [...out];
    return out;
  }

  protected padding(): 'same' | 'valid' {
    const v = this.config.padding ?? 'valid';
    if (v !== 'same' && v !== 'valid') this.fail(`padding '${String(v)}' is not supported (only 'valid' and 'same')`);
    this.config.padding = v;
    return v;
  }

  /** Only NHWC exists here; a channels_first model would silently compute garbage, so it is refused. */
  protected channelsLast(): void {
    const v = this.config.data_format ?? 'channels_last';
    if (v !== 'channels_last') this.fail(`data_format '${String(v)}' is not supported: only channels_last (NHWC) models can be run`);
    this.config.data_format = v;
  }

  /** The `activation` field (absent or null means linear). */
  protected activationField(): ActivationName {
    this.config.activation = parseActivation(this.config.activation, this.label);
    return this.config.activation as ActivationName;
  }

  protected initializer(key: string, dflt: string): InitializerRef {
    return { key, dflt };
  }

  /** Fails unless exactly `n` inputs were given. */
  protected expectInputs(shapes: Shape[], n: number, rank?: number): void {
    if (shapes.length !== n) this.fail(`takes ${n} input${n === 1 ? '' : 's'}, got ${shapes.length}`);
    if (rank !== undefined) {
      for (const s of shapes) {
        if (s.length !== rank) this.fail(`expects inputs of rank ${rank + 1} (batch, ${rank === 3 ? 'height, width, channels' : `${rank} more dims`}), got [batch, ${s.join(', ')}]`);
      }
    }
  }
}

/**
 * Frees temporaries made inside a layer's call when it runs on the engine. A tape keeps them for
 * the backward pass (and frees them itself), so there nothing is disposed.
 */
export function release(ops: Ops, ...tensors: (Tensor | null | undefined)[]): void {
  if (!(ops instanceof Engine)) return;
  for (const t of tensors) t?.dispose();
}
