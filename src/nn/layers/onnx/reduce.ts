/**
 * ONNX ReduceMean and ReduceSum over axes of the stored tensor (never the batch), then the layout
 * steps that put the result in the engine's layout for its ONNX shape (keepdims, or the axes left
 * in ONNX's order).
 */
import type { Engine } from '../../../engine.js';
import type { Tensor } from '../../../tensor.js';
import { release, type LayerConfig, type Shape } from '../../layer.js';
import type { Ops } from '../../ops_like.js';
import { applySteps, OnnxLayer, shapeAfterSteps, type LayoutStep } from './base.js';

export class OnnxReduce extends OnnxLayer {
  readonly reduce: 'mean' | 'sum';
  readonly axes: number[];
  private readonly after: LayoutStep[];

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'OnnxReduce', config);
    const r = this.config.reduce;
    if (r !== 'mean' && r !== 'sum') this.fail(`reduce must be 'mean' or 'sum', got ${JSON.stringify(r)}`);
    this.reduce = r;
    this.axes = this.ints('axes');
    this.after = this.steps();
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1);
    const input = inputs[0]!;
    if (this.axes.some((a) => a < 1 || a > input.length)) this.fail(`axes ${JSON.stringify(this.axes)} must be dims 1…${input.length} (never the batch)`);
    const kept = input.filter((_, i) => !this.axes.includes(i + 1));
    return { output: shapeAfterSteps(kept, this.after) };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    const r = this.reduce === 'mean' ? ops.mean(inputs[0]!, this.axes) : ops.sum(inputs[0]!, this.axes);
    const y = applySteps(ops, r, this.after);
    if (y !== r) release(ops, r);
    return y;
  }
}
