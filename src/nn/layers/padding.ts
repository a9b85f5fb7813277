/** ZeroPadding2D: zeros around the image, `padding` as Keras takes it. */
import type { Engine } from '../../engine.js';
import type { Tensor } from '../../tensor.js';
import { Layer, type LayerConfig, type Shape } from '../layer.js';
import type { Ops } from '../ops_like.js';

export class ZeroPadding2D extends Layer {
  /** [[top, bottom], [left, right]] */
  readonly pads: [[number, number], [number, number]];

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'ZeroPadding2D', config);
    this.channelsLast();
    this.pads = this.parsePadding(this.config.padding ?? 1);
    this.config.padding = this.pads.map((p) => [...p]);
  }

  /** An int (all sides), [h, w] (symmetric), or [[top, bottom], [left, right]]. */
  private parsePadding(p: unknown): [[number, number], [number, number]] {
    const ok = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0;
    if (ok(p)) return [[p, p], [p, p]];
    if (Array.isArray(p) && p.length === 2) {
      const [a, b] = p as unknown[];
      if (ok(a) && ok(b)) return [[a, a], [b, b]];
      if (Array.isArray(a) && Array.isArray(b) && a.length === 2 && b.length === 2 && [...a, ...b].every(ok)) {
        return [[a[0], a[1]], [b[0], b[1]]];
      }
    }
    this.fail(`padding must be an int, [h, w] or [[top, bottom], [left, right]] of non-negative integers, got ${JSON.stringify(p)}`);
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1, 3);
    const [h, w, c] = inputs[0]! as [number, number, number];
    const [[t, b], [l, r]] = this.pads;
    return { output: [h + t + b, w + l + r, c] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    return ops.pad(inputs[0]!, [[0, 0], this.pads[0], this.pads[1], [0, 0]], 0);
  }
}
