/**
 * ONNX's data-movement operators on the engine's layouts: Reshape, Flatten, Squeeze, Unsqueeze and
 * Transpose become OnnxRelayout (a short list of reshapes and transposes the importer worked out,
 * often none or one reshape), Slice and Split become OnnxSlice, Pad becomes OnnxPad, and Identity,
 * Dropout at inference and layout changes that move no data become OnnxIdentity.
 */
import type { Engine } from '../../../engine.js';
import type { Tensor } from '../../../tensor.js';
import { SeededRandom } from '../../random.js';
import { release, type LayerConfig, type Shape } from '../../layer.js';
import type { Ops } from '../../ops_like.js';
import { applySteps, OnnxLayer, shapeAfterSteps, type LayoutStep } from './base.js';

export class OnnxRelayout extends OnnxLayer {
  readonly layoutSteps: LayoutStep[];

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'OnnxRelayout', config);
    this.layoutSteps = this.steps();
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1);
    return { output: shapeAfterSteps(inputs[0]!, this.layoutSteps) };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    const x = inputs[0]!;
    // A layer's output is its own tensor unless it is the input itself (no steps).
    return applySteps(ops, x, this.layoutSteps);
  }
}

/** The block [begin, begin + size) of every dim but the batch. */
export class OnnxSlice extends OnnxLayer {
  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'OnnxSlice', config);
    this.ints('begin');
    this.ints('size');
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1);
    const input = inputs[0]!;
    const begin = this.ints('begin');
    const size = this.ints('size');
    if (begin.length !== input.length || size.length !== input.length || input.some((d, i) => begin[i]! < 0 || size[i]! < 0 || begin[i]! + size[i]! > d)) {
      this.fail(`begin ${JSON.stringify(begin)} and size ${JSON.stringify(size)} do not fit [batch, ${input.join(', ')}]`);
    }
    return { output: [...size] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    const x = inputs[0]!;
    return ops.slice(x, [0, ...this.ints('begin')], [x.shape[0]!, ...this.ints('size')]);
  }
}

/** Constant padding of every dim but the batch: `paddings` [[before, after], ...]. */
export class OnnxPad extends OnnxLayer {
  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'OnnxPad', config);
    this.pairs('paddings');
    this.num('value', 0);
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1);
    const p = this.pairs('paddings');
    if (p.length !== inputs[0]!.length) this.fail(`paddings has ${p.length} pairs for an input of rank ${inputs[0]!.length + 1} (batch first)`);
    return { output: inputs[0]!.map((d, i) => d + p[i]![0] + p[i]![1]) };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    return ops.pad(inputs[0]!, [[0, 0], ...this.pairs('paddings')], this.config.value as number);
  }
}

/**
 * Its input, unchanged (Identity, Dropout at inference, a layout change that moves no data). With
 * a `rate` (an ONNX Dropout) it drops values in training as Keras's Dropout does.
 */
export class OnnxIdentity extends OnnxLayer {
  private readonly rate: number;
  private readonly rng: SeededRandom;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'OnnxIdentity', config);
    this.rate = this.num('rate', 0, (v) => v >= 0 && v < 1, 'in [0, 1)');
    this.rng = new SeededRandom(this.name.length * 7919 + 17);
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1);
    return { output: [...inputs[0]!] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[], training: boolean): Tensor {
    const x = inputs[0]!;
    if (!training || this.rate === 0) return x;
    const keep = 1 - this.rate;
    const mask = new Float32Array(x.size);
    for (let i = 0; i < mask.length; i++) mask[i] = this.rng.next() < keep ? 1 / keep : 0;
    const m = ops.tensor(mask, x.shape);
    const y = ops.mul(x, m);
    release(ops, m);
    return y;
  }
}
