/**
 * Value ranges read back: the min and max of a tensor and of each of its channels (the last
 * axis), as the colour scales of the feature maps and filters use them. Computed on the GPU by
 * `valueRanges` (shaders/colormap.wgsl); only 2 × (channels + 1) numbers come back.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { valueRanges } from '../ops/colormap.js';

/** [min, max]. */
export type Range = [min: number, max: number];

/** A tensor's range and each channel's. Non-finite values are left out; a channel with none reads [0, 0]. */
export interface ValueRanges {
  min: number;
  max: number;
  /** [min, max] of each channel (the last axis), in order. */
  channels: Range[];
}

/**
 * Row `row` of a read-back `valueRanges` tensor. The kernel writes an empty interval (min > max)
 * where a channel has no finite value; that reads as [0, 0], so a scale never inverts.
 * @example
 * rangeAt(await valueRanges(engine, x).read(), 0) // channel 0's [min, max]
 */
export function rangeAt(values: Float32Array, row: number): Range {
  const lo = values[row * 2]!;
  const hi = values[row * 2 + 1]!;
  return hi < lo ? [0, 0] : [lo, hi];
}

/** A read-back `valueRanges` tensor ([c + 1, 2]: a row per channel, then the whole tensor) as ranges. */
export function rangesFrom(values: Float32Array): ValueRanges {
  const channels = values.length / 2 - 1;
  const [min, max] = rangeAt(values, channels);
  return { min, max, channels: Array.from({ length: channels }, (_, c) => rangeAt(values, c)) };
}

/**
 * The min and max of `x` and of each of its channels, computed on the GPU and read back.
 * @example
 * const r = await readValueRanges(engine, engine.tensor([1, -2, 3, 4], [1, 2, 1, 2]));
 * // {min: -2, max: 4, channels: [[1, 3], [-2, 4]]}
 */
export async function readValueRanges(engine: Engine, x: Tensor): Promise<ValueRanges> {
  const ranges = valueRanges(engine, x);
  try {
    return rangesFrom(await ranges.read());
  } finally {
    ranges.dispose();
  }
}
