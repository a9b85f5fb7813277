/**
 * Activation layers: Activation (by name), ReLU (with Keras's max_value and negative_slope) and
 * LeakyReLU.
 */
import type { Engine } from '../../engine.js';
import type { Tensor } from '../../tensor.js';
import { Layer, release, type LayerConfig, type Shape } from '../layer.js';
import { applyActivation, logitsActivation, type ActivationName } from '../activations.js';
import type { Ops } from '../ops_like.js';

abstract class Elementwise extends Layer {
  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1);
    return { output: [...inputs[0]!] };
  }
}

export class Activation extends Elementwise {
  readonly activation: ActivationName;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'Activation', config);
    this.activation = this.activationField();
  }

  protected forward(ops: Ops, inputs: readonly Tensor[], _training: boolean, logits: boolean): Tensor {
    return applyActivation(ops, inputs[0]!, logitsActivation(this.activation, logits));
  }
}

/** Keras ReLU: min(max(x, 0), max_value), or x·negative_slope below 0 when that is set. */
export class ReLU extends Elementwise {
  readonly maxValue: number | null;
  readonly negativeSlope: number;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'ReLU', config);
    const mv = this.config.max_value ?? null;
    if (mv !== null && (typeof mv !== 'number' || !(mv >= 0))) this.fail(`max_value must be a non-negative number or null, got ${JSON.stringify(mv)}`);
    this.maxValue = mv;
    this.config.max_value = mv;
    this.negativeSlope = this.config.negative_slope === undefined ? 0 : this.num('negative_slope', 0, (v) => v >= 0, 'non-negative');
    const threshold = this.config.threshold === undefined ? 0 : this.num('threshold', 0);
    if (threshold !== 0) this.fail(`threshold ${threshold} is not supported (only 0)`);
    if (this.negativeSlope !== 0 && mv !== null) this.fail('negative_slope together with max_value is not supported');
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    const x = inputs[0]!;
    if (this.negativeSlope !== 0) return ops.leakyRelu(x, this.negativeSlope);
    if (this.maxValue === null) return ops.relu(x);
    if (this.maxValue === 6) return ops.unary('relu6', x);
    // min(relu(x), m) = relu(x) − relu(x − m): two kernels the tape already differentiates.
    const r = ops.relu(x);
    const shifted = ops.sub(x, this.maxValue);
    const over = ops.relu(shifted);
    const y = ops.sub(r, over);
    release(ops, r, shifted, over);
    return y;
  }

}

/** Keras LeakyReLU: x below 0 times alpha (default 0.3; Keras 3 calls it negative_slope). */
export class LeakyReLU extends Elementwise {
  readonly alpha: number;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'LeakyReLU', config);
    if (this.config.alpha === undefined && typeof this.config.negative_slope === 'number') this.config.alpha = this.config.negative_slope;
    delete this.config.negative_slope;
    this.alpha = this.num('alpha', 0.3);
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    return ops.leakyRelu(inputs[0]!, this.alpha);
  }
}
