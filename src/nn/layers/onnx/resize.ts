/**
 * ONNX Resize and Upsample on NHWC feature maps: nearest or bilinear, to a fixed output size, with
 * ONNX's coordinate transformation, nearest rounding and (when the file gives them) scales, as the
 * engine's resize takes them.
 */
import type { Engine } from '../../../engine.js';
import type { Tensor } from '../../../tensor.js';
import type { CoordinateTransform, NearestMode, ResizeOptions } from '../../../ops/resize.js';
import type { LayerConfig, Shape } from '../../layer.js';
import type { Ops } from '../../ops_like.js';
import { OnnxLayer } from './base.js';

export class OnnxResize extends OnnxLayer {
  private readonly opts: ResizeOptions;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'OnnxResize', config);
    const mode = this.config.mode ?? 'nearest';
    if (mode !== 'nearest' && mode !== 'linear') this.fail(`mode must be 'nearest' or 'linear', got ${JSON.stringify(mode)}`);
    const scales = this.config.scales;
    if (scales !== undefined && scales !== null && (!Array.isArray(scales) || scales.length !== 2 || scales.some((s) => typeof s !== 'number' || !(s > 0)))) {
      this.fail(`scales must be [scaleH, scaleW] of positive numbers, got ${JSON.stringify(scales)}`);
    }
    this.opts = {
      size: this.pair('size'),
      mode,
      coordinateTransform: (this.config.coordinate_transform as CoordinateTransform | undefined) ?? 'half_pixel',
      nearestMode: (this.config.nearest_mode as NearestMode | undefined) ?? 'round_prefer_floor',
      ...(Array.isArray(scales) ? { scales: [scales[0] as number, scales[1] as number] as const } : {}),
    };
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1, 3);
    return { output: [...this.opts.size, inputs[0]![2]!] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    return ops.resize(inputs[0]!, this.opts);
  }
}
