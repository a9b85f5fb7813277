/**
 * ONNX MaxPool, AveragePool, GlobalMaxPool and GlobalAveragePool on NHWC activations, with ONNX's
 * options as the engine's pools take them: explicit (possibly asymmetric) pads, dilations,
 * ceil_mode, and count_include_pad for the average.
 */
import type { Engine } from '../../../engine.js';
import type { Tensor } from '../../../tensor.js';
import { windowGeometry } from '../../../ops/conv_geometry.js';
import type { LayerConfig, Shape } from '../../layer.js';
import type { Ops } from '../../ops_like.js';
import { OnnxLayer } from './base.js';

export class OnnxPool extends OnnxLayer {
  readonly pool: 'max' | 'avg';
  /** Undefined for a global pool (the window is the whole input). */
  readonly kernelSize: [number, number] | undefined;
  private readonly strides: [number, number];
  private readonly dilations: [number, number];
  private readonly pads: [number, number][];
  private readonly ceilMode: boolean;
  private readonly countIncludePad: boolean;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'OnnxPool', config);
    const pool = this.config.pool;
    if (pool !== 'max' && pool !== 'avg') this.fail(`pool must be 'max' or 'avg', got ${JSON.stringify(pool)}`);
    this.pool = pool;
    this.kernelSize = this.config.kernel_size === undefined || this.config.kernel_size === null ? undefined : this.pair('kernel_size');
    this.strides = this.pair('strides', 1);
    this.dilations = this.pair('dilations', 1);
    this.config.pads ??= [[0, 0], [0, 0]];
    this.pads = this.pairs('pads');
    this.ceilMode = this.bool('ceil_mode', false);
    this.countIncludePad = this.bool('count_include_pad', false);
    if (this.countIncludePad && pool === 'max') this.fail('count_include_pad applies to an average pool only');
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1, 3);
    const [h, w, c] = inputs[0]! as [number, number, number];
    const [kh, kw] = this.kernelSize ?? [h, w];
    const g = windowGeometry(this.label, [1, h, w, c], kh, kw, { strides: this.strides, pad: this.pads, dilations: this.dilations });
    if (!this.ceilMode) return { output: [g.outH, g.outW, c] };
    return { output: [ceilSize(h, kh, this.dilations[0], this.strides[0], this.pads[0]!), ceilSize(w, kw, this.dilations[1], this.strides[1], this.pads[1]!), c] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    const x = inputs[0]!;
    const filterSize = this.kernelSize ?? [x.shape[1]!, x.shape[2]!];
    const opts = { filterSize, strides: this.strides, pad: this.pads, dilations: this.dilations, ceilMode: this.ceilMode };
    return this.pool === 'max' ? ops.maxPool2d(x, opts) : ops.avgPool2d(x, { ...opts, countIncludePad: this.countIncludePad });
  }
}

/** The output length in ceil mode: rounded up, less a last window that would start in the end padding (as the engine's pools size it). */
function ceilSize(len: number, k: number, dil: number, stride: number, [before, after]: [number, number]): number {
  const span = (k - 1) * dil + 1;
  const out = Math.ceil((len + before + after - span) / stride) + 1;
  return (out - 1) * stride >= len + before ? out - 1 : out;
}
