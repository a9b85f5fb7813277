/**
 * Pooling layers: MaxPooling2D and AveragePooling2D over windows, GlobalAveragePooling2D and
 * GlobalMaxPooling2D over the whole image (to [batch, channels], or [batch, 1, 1, channels] with
 * Keras's keepdims).
 */
import type { Engine } from '../../engine.js';
import type { Tensor } from '../../tensor.js';
import { windowGeometry } from '../../ops/conv_geometry.js';
import { Layer, release, type LayerConfig, type Shape } from '../layer.js';
import type { Ops } from '../ops_like.js';

class Pool2D extends Layer {
  private readonly poolSize: [number, number];
  private readonly strides: [number, number];
  private readonly pad: 'same' | 'valid';

  constructor(engine: Engine, className: string, config: LayerConfig, private readonly kind: 'max' | 'avg') {
    super(engine, className, config);
    this.poolSize = this.pair('pool_size', 2);
    // Keras: strides left out (or null) means non-overlapping windows.
    this.strides = this.pair('strides', this.poolSize);
    this.pad = this.padding();
    this.channelsLast();
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1, 3);
    const input = inputs[0]!;
    const g = windowGeometry(this.label, [1, ...input], this.poolSize[0], this.poolSize[1], { strides: this.strides, pad: this.pad });
    return { output: [g.outH, g.outW, input[2]!] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    const opts = { filterSize: this.poolSize, strides: this.strides, pad: this.pad };
    return this.kind === 'max' ? ops.maxPool2d(inputs[0]!, opts) : ops.avgPool2d(inputs[0]!, opts);
  }
}

export class MaxPooling2D extends Pool2D {
  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'MaxPooling2D', config, 'max');
  }
}

export class AveragePooling2D extends Pool2D {
  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'AveragePooling2D', config, 'avg');
  }
}

class GlobalPool2D extends Layer {
  private readonly keepdims: boolean;

  constructor(engine: Engine, className: string, config: LayerConfig, private readonly kind: 'max' | 'avg') {
    super(engine, className, config);
    this.channelsLast();
    this.keepdims = this.bool('keepdims', false);
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1, 3);
    const c = inputs[0]![2]!;
    return { output: this.keepdims ? [1, 1, c] : [c] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    const x = inputs[0]!;
    const [n, h, w, c] = x.shape as [number, number, number, number];
    // A max pool over the whole image: the engine has no max reduction, and the pool has a gradient.
    const pooled = this.kind === 'max' ? ops.maxPool2d(x, { filterSize: [h, w], strides: [h, w] }) : ops.mean(x, [1, 2]);
    const wanted = this.keepdims ? [n, 1, 1, c] : [n, c];
    if (pooled.shape.length === wanted.length) return pooled;
    const y = ops.reshape(pooled, wanted);
    release(ops, pooled);
    return y;
  }
}

export class GlobalAveragePooling2D extends GlobalPool2D {
  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'GlobalAveragePooling2D', config, 'avg');
  }
}

export class GlobalMaxPooling2D extends GlobalPool2D {
  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'GlobalMaxPooling2D', config, 'max');
  }
}
