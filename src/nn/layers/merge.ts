/** Merge layers: Add (elementwise sum of two or more inputs of one shape) and Concatenate (along an axis). */
import type { Engine } from '../../engine.js';
import type { Tensor } from '../../tensor.js';
import { Layer, release, type LayerConfig, type Shape } from '../layer.js';
import type { Ops } from '../ops_like.js';

const show = (s: Shape) => `[batch, ${s.join(', ')}]`;

export class Add extends Layer {
  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'Add', config);
  }

  protected shapes(inputs: Shape[]) {
    if (inputs.length < 2) this.fail(`takes two or more inputs, got ${inputs.length}`);
    const first = inputs[0]!;
    for (const s of inputs) {
      if (s.length !== first.length || s.some((d, i) => d !== first[i])) {
        this.fail(`all inputs must have the same shape, got ${inputs.map(show).join(' and ')}`);
      }
    }
    return { output: [...first] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    let sum = ops.add(inputs[0]!, inputs[1]!);
    for (const x of inputs.slice(2)) {
      const next = ops.add(sum, x);
      release(ops, sum);
      sum = next;
    }
    return sum;
  }
}

export class Concatenate extends Layer {
  private axis = -1;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'Concatenate', config);
    const axis = this.config.axis ?? -1;
    if (!Number.isInteger(axis)) this.fail(`axis must be an integer, got ${JSON.stringify(axis)}`);
    this.config.axis = axis;
  }

  protected shapes(inputs: Shape[]) {
    if (inputs.length < 2) this.fail(`takes two or more inputs, got ${inputs.length}`);
    const rank = inputs[0]!.length + 1;
    const raw = this.config.axis as number;
    if (raw === 0 || raw < -rank || raw >= rank) this.fail(`axis ${raw} is out of range for inputs of rank ${rank} (the batch axis 0 cannot be concatenated)`);
    this.axis = raw < 0 ? raw + rank : raw;
    const k = this.axis - 1;
    const output = [...inputs[0]!];
    output[k] = 0;
    for (const s of inputs) {
      if (s.length !== rank - 1 || s.some((d, i) => i !== k && d !== inputs[0]![i])) {
        this.fail(`inputs must agree on every axis but ${this.axis}, got ${inputs.map(show).join(' and ')}`);
      }
      output[k] += s[k]!;
    }
    return { output };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    return ops.concat(inputs, this.axis);
  }
}
