/** Rescaling: x · scale + offset (e.g. pixels 0–255 to 0–1 with scale 1/255). */
import type { Engine } from '../../engine.js';
import type { Tensor } from '../../tensor.js';
import { Layer, release, type LayerConfig, type Shape } from '../layer.js';
import type { Ops } from '../ops_like.js';

export class Rescaling extends Layer {
  readonly scale: number;
  readonly offset: number;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'Rescaling', config);
    this.scale = this.num('scale', 1);
    this.offset = this.num('offset', 0);
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1);
    return { output: [...inputs[0]!] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    const scaled = ops.mul(inputs[0]!, this.scale);
    if (this.offset === 0) return scaled;
    const y = ops.add(scaled, this.offset);
    release(ops, scaled);
    return y;
  }

}
