/**
 * ONNX LRN (AlexNet, ZFNet, GoogLeNet): each channel divided by (bias + alpha / size · Σ x²)^beta
 * over a window of `size` channels, floor((size − 1) / 2) below and ceil((size − 1) / 2) above,
 * on the channel axis of an NHWC feature map (the engine's last axis).
 */
import type { Engine } from '../../../engine.js';
import type { Tensor } from '../../../tensor.js';
import type { LayerConfig, Shape } from '../../layer.js';
import type { Ops } from '../../ops_like.js';
import { OnnxLayer } from './base.js';

export class OnnxLrn extends OnnxLayer {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly bias: number;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'OnnxLrn', config);
    this.size = this.int('size');
    this.alpha = this.num('alpha', 1e-4);
    this.beta = this.num('beta', 0.75);
    this.bias = this.num('bias', 1);
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1, 3);
    return { output: [...inputs[0]!] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    const s = this.size;
    return ops.localResponseNormalization(inputs[0]!, {
      before: Math.floor((s - 1) / 2), after: Math.ceil((s - 1) / 2), alpha: this.alpha / s, beta: this.beta, bias: this.bias,
    });
  }
}
