/**
 * Convolution layers: Conv2D, DepthwiseConv2D and SeparableConv2D (a depthwise convolution followed
 * by a 1×1 pointwise one), each with an optional bias and activation, NHWC inputs, HWIO kernels.
 */
import type { Engine } from '../../engine.js';
import type { Tensor } from '../../tensor.js';
import { windowGeometry } from '../../ops/conv_geometry.js';
import { Layer, release, type LayerConfig, type Shape, type WeightSpec } from '../layer.js';
import { applyActivation, logitsActivation, splitActivation, type ActivationName } from '../activations.js';
import type { BatchNormEpilogue, EpilogueOptions } from '../../ops/epilogue.js';
import type { Ops } from '../ops_like.js';

/**
 * A layer's bias and activation as a kernel epilogue: `run` gets the options to pass to the
 * conv or matMul (so bias and activation happen in its dispatch); a softmax, which needs whole
 * rows, is applied after it.
 */
export function withEpilogue(ops: Ops, bias: Tensor | null, activation: ActivationName, run: (epilogue: EpilogueOptions) => Tensor): Tensor {
  const { epilogue, rest } = splitActivation(activation);
  const y = run({ bias, ...epilogue });
  const a = applyActivation(ops, y, rest);
  if (a !== y) release(ops, y);
  return a;
}

/** The fields every convolution shares: window, strides, padding, dilation, bias and activation. */
export abstract class ConvBase extends Layer {
  protected readonly kernelSize: [number, number];
  protected readonly strides: [number, number];
  protected readonly pad: 'same' | 'valid';
  protected readonly dilation: [number, number];
  protected readonly useBias: boolean;
  protected readonly activation: ActivationName;

  constructor(engine: Engine, className: string, config: LayerConfig) {
    super(engine, className, config);
    this.kernelSize = this.pair('kernel_size');
    this.strides = this.pair('strides', 1);
    this.pad = this.padding();
    this.dilation = this.pair('dilation_rate', 1);
    this.channelsLast();
    this.useBias = this.bool('use_bias', true);
    this.activation = this.activationField();
    if (this.config.groups !== undefined && this.config.groups !== 1) this.fail(`groups ${JSON.stringify(this.config.groups)} is not supported (only 1)`);
  }

  /**
   * The layer's spatial filters, HWIO: Conv2D's kernel [kh, kw, in, filters], the depthwise kernel
   * [kh, kw, in, depth_multiplier] of DepthwiseConv2D and SeparableConv2D. The layer owns the tensor.
   */
  abstract get kernel(): Tensor;

  protected get convOptions() {
    return { strides: this.strides, pad: this.pad, dilations: this.dilation };
  }

  /** The output [h, w] of the window over an input of shape [h, w, c]. */
  protected windowOutput(input: Shape): [number, number] {
    const g = windowGeometry(this.label, [1, ...input], this.kernelSize[0], this.kernelSize[1], this.convOptions);
    return [g.outH, g.outW];
  }

  protected biasSpec(n: number): WeightSpec[] {
    return this.useBias ? [{ name: 'bias', shape: [n], trainable: true, initializer: this.initializer('bias_initializer', 'zeros') }] : [];
  }

  protected bias(): Tensor | null {
    return this.useBias ? this.weight('bias') : null;
  }
}

/** Keras Conv2D: kernel [kh, kw, in, filters], bias [filters]. */
export class Conv2D extends ConvBase {
  readonly filters: number;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'Conv2D', config);
    this.filters = this.int('filters');
  }

  get kernel(): Tensor {
    return this.weight('kernel');
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1, 3);
    const input = inputs[0]!;
    const [oh, ow] = this.windowOutput(input);
    const kernel: WeightSpec = {
      name: 'kernel', shape: [...this.kernelSize, input[2]!, this.filters], trainable: true,
      initializer: this.initializer('kernel_initializer', 'glorot_uniform'),
    };
    return { output: [oh, ow, this.filters], weights: [kernel, ...this.biasSpec(this.filters)] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[], _training: boolean, logits: boolean): Tensor {
    return withEpilogue(ops, this.bias(), logitsActivation(this.activation, logits), (epilogue) =>
      ops.conv2d(inputs[0]!, this.weight('kernel'), { ...this.convOptions, ...epilogue }));
  }

  /** Whether a following BatchNormalization or activation can run in this layer's dispatch (its own activation is linear). */
  get takesTail(): boolean {
    return this.activation === 'linear';
  }

  /**
   * Inference of this layer, then an inference batch normalisation and an activation (neither,
   * either or both), in one dispatch: Model.predict's fusion of Conv2D → BatchNormalization →
   * Activation. On the engine only (the batch-norm epilogue has no gradient), and only when
   * `takesTail`.
   */
  callFused(engine: Engine, input: Tensor, batchNorm: BatchNormEpilogue | null, activation: ActivationName): Tensor {
    try {
      if (!this.takesTail) this.fail(`its activation '${this.activation}' comes before any layer that follows, which cannot run in its epilogue`);
      return withEpilogue(engine, this.bias(), activation, (epilogue) =>
        engine.conv2d(input, this.weight('kernel'), { ...this.convOptions, ...epilogue, batchNorm }));
    } catch (e) {
      throw this.wrap(e);
    }
  }
}

/** Keras DepthwiseConv2D: depthwise_kernel [kh, kw, in, depth_multiplier], bias [in × depth_multiplier]. */
export class DepthwiseConv2D extends ConvBase {
  readonly depthMultiplier: number;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'DepthwiseConv2D', config);
    this.depthMultiplier = this.int('depth_multiplier', 1);
  }

  get kernel(): Tensor {
    return this.weight('depthwise_kernel');
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1, 3);
    const input = inputs[0]!;
    const [oh, ow] = this.windowOutput(input);
    const channels = input[2]! * this.depthMultiplier;
    const kernel: WeightSpec = {
      name: 'depthwise_kernel', shape: [...this.kernelSize, input[2]!, this.depthMultiplier], trainable: true,
      initializer: this.initializer('depthwise_initializer', 'glorot_uniform'),
    };
    return { output: [oh, ow, channels], weights: [kernel, ...this.biasSpec(channels)] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[], _training: boolean, logits: boolean): Tensor {
    return withEpilogue(ops, this.bias(), logitsActivation(this.activation, logits), (epilogue) =>
      ops.depthwiseConv2d(inputs[0]!, this.weight('depthwise_kernel'), { ...this.convOptions, ...epilogue }));
  }
}

/**
 * Keras SeparableConv2D: a depthwise convolution (depthwise_kernel [kh, kw, in, depth_multiplier],
 * with the layer's strides, padding and dilation), then a 1×1 convolution (pointwise_kernel
 * [1, 1, in × depth_multiplier, filters]), then bias [filters] and the activation.
 */
export class SeparableConv2D extends ConvBase {
  readonly filters: number;
  readonly depthMultiplier: number;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'SeparableConv2D', config);
    this.filters = this.int('filters');
    this.depthMultiplier = this.int('depth_multiplier', 1);
  }

  /** The depthwise kernel; the 1×1 pointwise kernel mixes channels and has no spatial extent to draw. */
  get kernel(): Tensor {
    return this.weight('depthwise_kernel');
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1, 3);
    const input = inputs[0]!;
    const [oh, ow] = this.windowOutput(input);
    const mid = input[2]! * this.depthMultiplier;
    const weights: WeightSpec[] = [
      {
        name: 'depthwise_kernel', shape: [...this.kernelSize, input[2]!, this.depthMultiplier], trainable: true,
        initializer: this.initializer('depthwise_initializer', 'glorot_uniform'),
      },
      {
        name: 'pointwise_kernel', shape: [1, 1, mid, this.filters], trainable: true,
        initializer: this.initializer('pointwise_initializer', 'glorot_uniform'),
      },
      ...this.biasSpec(this.filters),
    ];
    return { output: [oh, ow, this.filters], weights };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[], _training: boolean, logits: boolean): Tensor {
    const d = ops.depthwiseConv2d(inputs[0]!, this.weight('depthwise_kernel'), this.convOptions);
    const y = withEpilogue(ops, this.bias(), logitsActivation(this.activation, logits), (epilogue) =>
      ops.conv2d(d, this.weight('pointwise_kernel'), { pad: 'valid', ...epilogue }));
    release(ops, d);
    return y;
  }
}
