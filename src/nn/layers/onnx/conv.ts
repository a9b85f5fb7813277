/**
 * ONNX Conv on NHWC activations: a 2-D convolution with explicit (possibly asymmetric) padding,
 * dilations, an optional bias, and any `group`: 1 is a plain convolution, as many groups as input
 * channels a depthwise one, and counts in between (AlexNet's conv2, ShuffleNet) a grouped one.
 * Kernels are stored HWIO as the engine takes them: [kh, kw, in / group, filters], or for a
 * depthwise convolution [kh, kw, in, filters / in].
 */
import type { Engine } from '../../../engine.js';
import type { Tensor } from '../../../tensor.js';
import type { LayerConfig, Shape, WeightSpec } from '../../layer.js';
import { ConvBase, withEpilogue } from '../conv.js';
import { windowGeometry, type Conv2dOptions } from '../../../ops/conv_geometry.js';
import { logitsActivation } from '../../activations.js';
import type { Ops } from '../../ops_like.js';

export type ConvKind = 'plain' | 'depthwise' | 'grouped';

export class OnnxConv extends ConvBase {
  readonly filters: number;
  readonly group: number;
  private readonly pads: [[number, number], [number, number]];
  private kind: ConvKind = 'plain';

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'OnnxConv', config);
    this.filters = this.int('filters');
    this.group = this.int('group', 1);
    const p = this.config.pads ?? [[0, 0], [0, 0]];
    if (!Array.isArray(p) || p.length !== 2 || p.flat().some((d: unknown) => !Number.isInteger(d) || (d as number) < 0)) {
      this.fail(`pads must be [[top, bottom], [left, right]], got ${JSON.stringify(p)}`);
    }
    this.pads = p as [[number, number], [number, number]];
  }

  get kernel(): Tensor {
    return this.weight('kernel');
  }

  /** How the convolution runs, once built: plain, depthwise or grouped. */
  get convKind(): ConvKind {
    return this.kind;
  }

  /** The window with its explicit pads (ConvBase's own options know only 'same' and 'valid'). */
  private get options(): Conv2dOptions {
    return { strides: this.strides, pad: this.pads, dilations: this.dilation };
  }

  protected override windowOutput(input: Shape): [number, number] {
    const g = windowGeometry(this.label, [1, ...input], this.kernelSize[0], this.kernelSize[1], this.options);
    return [g.outH, g.outW];
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1, 3);
    const input = inputs[0]!;
    const cin = input[2]!;
    const g = this.group;
    if (cin % g !== 0 || this.filters % g !== 0) this.fail(`group ${g} must divide the input channels (${cin}) and the filters (${this.filters})`);
    this.kind = g === 1 ? 'plain' : g === cin ? 'depthwise' : 'grouped';
    const [oh, ow] = this.windowOutput(input);
    const kernelShape = this.kind === 'depthwise' ? [...this.kernelSize, cin, this.filters / cin] : [...this.kernelSize, cin / g, this.filters];
    const kernel: WeightSpec = { name: 'kernel', shape: kernelShape, trainable: true, initializer: this.initializer('kernel_initializer', 'glorot_uniform') };
    return { output: [oh, ow, this.filters], weights: [kernel, ...this.biasSpec(this.filters)] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[], _training: boolean, logits: boolean): Tensor {
    const x = inputs[0]!;
    const activation = logitsActivation(this.activation, logits);
    if (this.kind === 'depthwise') {
      return withEpilogue(ops, this.bias(), activation, (epilogue) => ops.depthwiseConv2d(x, this.kernel, { ...this.options, ...epilogue }));
    }
    // Plain and grouped convolutions are one conv2d (groups = 1 is the plain one).
    const groups = this.group;
    return withEpilogue(ops, this.bias(), activation, (epilogue) => ops.conv2d(x, this.kernel, { ...this.options, groups, ...epilogue }));
  }
}
