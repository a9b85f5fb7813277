/**
 * ONNX MaxPool, AveragePool, GlobalMaxPool and GlobalAveragePool on NHWC activations. Pads are
 * explicit and may be asymmetric; padding never takes part in a max or an average (ONNX's
 * count_include_pad = 0). For count_include_pad = 1 the importer sets `zero_pads`: those pads are
 * added as zeros before pooling, so they count in the average; what `pads` adds after them (the
 * extra row or column ceil_mode asks for) still does not.
 */
import type { Engine } from '../../../engine.js';
import type { Tensor } from '../../../tensor.js';
import { windowGeometry } from '../../../ops/conv_geometry.js';
import { release, type LayerConfig, type Shape } from '../../layer.js';
import type { Ops } from '../../ops_like.js';
import { OnnxLayer } from './base.js';

export class OnnxPool extends OnnxLayer {
  readonly pool: 'max' | 'avg';
  /** Undefined for a global pool (the window is the whole input). */
  readonly kernelSize: [number, number] | undefined;
  private readonly strides: [number, number];
  private readonly pads: [number, number][];
  private readonly zeroPads: [number, number][] | undefined;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'OnnxPool', config);
    const pool = this.config.pool;
    if (pool !== 'max' && pool !== 'avg') this.fail(`pool must be 'max' or 'avg', got ${JSON.stringify(pool)}`);
    this.pool = pool;
    this.kernelSize = this.config.kernel_size === undefined || this.config.kernel_size === null ? undefined : this.pair('kernel_size');
    this.strides = this.pair('strides', 1);
    this.config.pads ??= [[0, 0], [0, 0]];
    this.pads = this.pairs('pads');
    this.zeroPads = this.config.zero_pads ? this.pairs('zero_pads') : undefined;
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1, 3);
    const [h, w, c] = inputs[0]! as [number, number, number];
    const zp = this.zeroPads ?? [[0, 0], [0, 0]];
    const input = [1, h + zp[0]![0] + zp[0]![1], w + zp[1]![0] + zp[1]![1], c];
    const [kh, kw] = this.kernelSize ?? [h, w];
    const g = windowGeometry(this.label, input, kh, kw, { strides: this.strides, pad: this.pads });
    return { output: [g.outH, g.outW, c] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    const x = inputs[0]!;
    const padded = this.zeroPads ? ops.pad(x, [[0, 0], ...this.zeroPads, [0, 0]], 0) : x;
    const filterSize = this.kernelSize ?? [x.shape[1]!, x.shape[2]!];
    const opts = { filterSize, strides: this.strides, pad: this.pads };
    const y = this.pool === 'max' ? ops.maxPool2d(padded, opts) : ops.avgPool2d(padded, opts);
    if (padded !== x) release(ops, padded);
    return y;
  }
}
