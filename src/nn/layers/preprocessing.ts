/** Rescaling: x · scale + offset (e.g. pixels 0–255 to 0–1 with scale 1/255). */
import type { Engine } from '../../engine.js';
import type { Tensor } from '../../tensor.js';
import { Layer, release, type LayerConfig, type Shape } from '../layer.js';
import type { Ops } from '../ops_like.js';

export class Rescaling extends Layer {
  readonly scale: number;
  readonly offset: number;
  private constants: { scale: Tensor; offset: Tensor } | null = null;

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
    // Scalars made once by the engine: passed to a tape they are inputs, never its temporaries.
    this.constants ??= { scale: this.engine.tensor([this.scale], []), offset: this.engine.tensor([this.offset], []) };
    const scaled = ops.mul(inputs[0]!, this.constants.scale);
    if (this.offset === 0) return scaled;
    const y = ops.add(scaled, this.constants.offset);
    release(ops, scaled);
    return y;
  }

  override dispose(): void {
    super.dispose();
    this.constants?.scale.dispose();
    this.constants?.offset.dispose();
    this.constants = null;
  }
}
