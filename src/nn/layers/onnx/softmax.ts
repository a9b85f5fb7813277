/**
 * ONNX Softmax and LogSoftmax over one axis of the stored tensor, or (`whole`) over everything but
 * the batch (opset < 13's coerced-to-2-D rule when it spans all of a feature map, whose order then
 * does not matter). The engine's softmax works on the last axis: another axis is moved there and
 * back. As the model's output layer asked for logits (training), a Softmax returns its input.
 */
import type { Engine } from '../../../engine.js';
import type { Tensor } from '../../../tensor.js';
import { release, type LayerConfig, type Shape } from '../../layer.js';
import type { Ops } from '../../ops_like.js';
import { OnnxLayer } from './base.js';

export class OnnxSoftmax extends OnnxLayer {
  readonly log: boolean;
  readonly whole: boolean;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'OnnxSoftmax', config);
    this.log = this.bool('log', false);
    this.whole = this.bool('whole', false);
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1);
    const rank = inputs[0]!.length + 1;
    if (!this.whole) this.int('axis', rank - 1, 1);
    if (!this.whole && (this.config.axis as number) >= rank) this.fail(`axis ${String(this.config.axis)} is out of range for rank ${rank}`);
    return { output: [...inputs[0]!] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[], _training: boolean, logits: boolean): Tensor {
    const x = inputs[0]!;
    if (logits && !this.log) return x;
    const f = (t: Tensor) => (this.log ? ops.logSoftmax(t) : ops.softmax(t));
    if (this.whole) {
      const flat = ops.reshape(x, [x.shape[0]!, -1]);
      const s = f(flat);
      const y = ops.reshape(s, x.shape);
      release(ops, flat, s);
      return y;
    }
    const axis = this.config.axis as number;
    const last = x.rank - 1;
    if (axis === last) return f(x);
    const perm = x.shape.map((_, i) => i);
    perm[axis] = last;
    perm[last] = axis;
    const moved = ops.transpose(x, perm);
    const s = f(moved);
    const y = ops.transpose(s, perm);
    release(ops, moved, s);
    return y;
  }
}
