/**
 * BatchNormalization over the last (channel) axis. Inference normalises with the moving mean and
 * variance; training normalises with the batch's own statistics (through ops, so a tape
 * differentiates them) and moves the moving averages towards them, as Keras and TF.js do.
 */
import type { Engine } from '../../engine.js';
import type { Tensor } from '../../tensor.js';
import { Layer, release, type LayerConfig, type Shape, type WeightSpec } from '../layer.js';
import type { Ops } from '../ops_like.js';
import type { BatchNormEpilogue } from '../../ops/epilogue.js';

export class BatchNormalization extends Layer {
  readonly epsilon: number;
  readonly momentum: number;
  readonly center: boolean;
  readonly scale: boolean;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'BatchNormalization', config);
    this.epsilon = this.num('epsilon', 1e-3, (v) => v > 0, 'a positive number');
    this.momentum = this.num('momentum', 0.99, (v) => v >= 0 && v <= 1, 'in [0, 1]');
    this.center = this.bool('center', true);
    this.scale = this.bool('scale', true);
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1);
    const input = inputs[0]!;
    if (input.length < 1) this.fail('needs an input with a channel axis');
    const rank = input.length + 1;
    const raw = this.config.axis ?? -1;
    const axis = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
    if (axis !== -1 && axis !== rank - 1) {
      this.fail(`axis ${JSON.stringify(raw)} is not supported: only the last axis (-1 or ${rank - 1} for inputs of rank ${rank}) can be normalised`);
    }
    this.config.axis = axis;
    const c = input[input.length - 1]!;
    const w = (name: string, trainable: boolean, key: string, dflt: string): WeightSpec => ({
      name, shape: [c], trainable, initializer: this.initializer(key, dflt),
    });
    const weights: WeightSpec[] = [];
    if (this.scale) weights.push(w('gamma', true, 'gamma_initializer', 'ones'));
    if (this.center) weights.push(w('beta', true, 'beta_initializer', 'zeros'));
    weights.push(w('moving_mean', false, 'moving_mean_initializer', 'zeros'));
    weights.push(w('moving_variance', false, 'moving_variance_initializer', 'ones'));
    return { output: [...input], weights };
  }

  /**
   * The inference normalisation as a convolution's epilogue (Model.predict runs a Conv2D and the
   * BatchNormalization that follows it as one dispatch): the layer's own tensors, read by the
   * kernel when it runs, so weights changed in place are never stale.
   */
  inferenceEpilogue(): BatchNormEpilogue {
    try {
      return {
        mean: this.weight('moving_mean'),
        variance: this.weight('moving_variance'),
        offset: this.center ? this.weight('beta') : null,
        scale: this.scale ? this.weight('gamma') : null,
        epsilon: this.epsilon,
      };
    } catch (e) {
      throw this.wrap(e);
    }
  }

  protected forward(ops: Ops, inputs: readonly Tensor[], training: boolean): Tensor {
    const x = inputs[0]!;
    const gamma = this.scale ? this.weight('gamma') : null;
    const beta = this.center ? this.weight('beta') : null;
    if (!training) return ops.batchNorm(x, this.weight('moving_mean'), this.weight('moving_variance'), beta, gamma, this.epsilon);
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const mean = ops.mean(x, axes);
    const centred = ops.sub(x, mean);
    const squares = ops.mul(centred, centred);
    const variance = ops.mean(squares, axes);
    release(ops, centred, squares);
    const y = ops.batchNorm(x, mean, variance, beta, gamma, this.epsilon);
    this.updateMovingAverages(mean, variance);
    release(ops, mean, variance);
    return y;
  }

  /**
   * moving ← moving − (moving − batch)·(1 − momentum), on the engine: it is state, not part of the
   * graph. The result is copied into the moving tensors' own buffers (ordered after the dispatches
   * that read them), so a tensor a caller took from `namedWeights()` stays alive and current.
   */
  private updateMovingAverages(mean: Tensor, variance: Tensor): void {
    const e = this.engine;
    for (const [short, batch] of [['moving_mean', mean], ['moving_variance', variance]] as const) {
      const moving = this.weight(short);
      const diff = e.sub(moving, batch);
      const step = e.mul(diff, 1 - this.momentum);
      const next = e.sub(moving, step);
      e.scheduler.copy(next.buffer, moving.buffer, moving.size * 4);
      for (const t of [diff, step, next]) t.dispose();
    }
  }

}
