/**
 * One channel's values, read back alone: what a page shows as "the value under the pointer"
 * without reading back the whole layer.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { channelValues, type TensorViewKind } from '../ops/colormap.js';

export interface ChannelOptions {
  /** The image of the batch (default 0). */
  batch?: number;
  /** 'nhwc' (a feature map, the default) or 'hwio' (a filter bank: `channel` is the output filter). */
  view?: TensorViewKind;
  /** 'hwio': the input channel whose weights are read (default 0). */
  inChannel?: number;
}

/**
 * The values of channel `channel` of x as a row-major height × width array (a rank ≤ 2 tensor is
 * one row: pass channel 0).
 * @example
 * const v = await readChannel(engine, acts.outputs.get('conv1')!, 3); // 24 × 24 values
 * v[y * 24 + x]; // the value at (x, y)
 */
export async function readChannel(engine: Engine, x: Tensor, channel: number, opts: ChannelOptions = {}): Promise<Float32Array> {
  const values = channelValues(engine, x, channel, opts);
  try {
    return await values.read();
  } finally {
    values.dispose();
  }
}
