/**
 * ONNX Gemm and MatMul. With a constant right-hand side (a fully connected layer) it is Keras's
 * Dense on the last axis: kernel [in, units] (the importer has already applied transB and alpha,
 * and permuted the rows when the input was flattened from an NHWC feature map), bias [units]
 * (beta·C). A kernel bigger than one GPU buffer binding may hold (AlexNet's fc6, VGG's fc6) is
 * split by columns into `splits` parts, each its own weight and product, concatenated after.
 */
import type { Engine } from '../../../engine.js';
import type { Tensor } from '../../../tensor.js';
import { release, type LayerConfig, type Shape, type WeightSpec } from '../../layer.js';
import type { Ops } from '../../ops_like.js';
import { OnnxLayer } from './base.js';

export class OnnxGemm extends OnnxLayer {
  readonly units: number;
  readonly useBias: boolean;
  /** Columns per part; one part unless the kernel is too big for a binding. */
  readonly splits: number[];

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'OnnxGemm', config);
    this.units = this.int('units');
    this.useBias = this.bool('use_bias', true);
    this.splits = this.ints('splits', [this.units]);
    if (this.splits.some((s) => s < 1) || this.splits.reduce((a, b) => a + b, 0) !== this.units) {
      this.fail(`splits ${JSON.stringify(this.splits)} must be positive and add up to units (${this.units})`);
    }
  }

  private suffix(i: number): string {
    return this.splits.length === 1 ? '' : `_${i}`;
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1);
    const input = inputs[0]!;
    if (input.length < 1) this.fail('needs an input of rank 2 or more');
    const k = input[input.length - 1]!;
    const weights: WeightSpec[] = [];
    this.splits.forEach((n, i) => {
      weights.push({ name: `kernel${this.suffix(i)}`, shape: [k, n], trainable: true, initializer: this.initializer('kernel_initializer', 'glorot_uniform') });
    });
    if (this.useBias) {
      this.splits.forEach((n, i) => weights.push({ name: `bias${this.suffix(i)}`, shape: [n], trainable: true, initializer: this.initializer('bias_initializer', 'zeros') }));
    }
    return { output: [...input.slice(0, -1), this.units], weights };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    const x = inputs[0]!;
    const inner = x.shape[x.rank - 1]!;
    const rows = x.rank === 2 ? x : ops.reshape(x, [-1, inner]);
    const parts = this.splits.map((_, i) =>
      ops.matMul(rows, this.weight(`kernel${this.suffix(i)}`), { bias: this.useBias ? this.weight(`bias${this.suffix(i)}`) : null }));
    if (rows !== x) release(ops, rows);
    const y = parts.length === 1 ? parts[0]! : ops.concat(parts, 1);
    if (parts.length > 1) release(ops, ...parts);
    if (x.rank === 2) return y;
    const out = ops.reshape(y, [...x.shape.slice(0, -1), this.units]);
    release(ops, y);
    return out;
  }
}
