/**
 * Colour mapping: a feature map or a filter bank as RGBA pixels, one tile per channel (or filter),
 * coloured on the GPU by the colormap op (shaders/colormap.wgsl) and read back as exactly the bytes
 * an ImageData holds. The op stays an op; this is the one call the elements make to get pixels.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { colormap, readRgba, tensorView, valueRanges, type ColormapImage, type ColormapOptions, type ColorMap } from '../ops/colormap.js';
import { rangesFrom, type ValueRanges } from './ranges.js';

export interface ColorizeOptions extends ColormapOptions {
  /** `valueRanges(engine, x)` when the caller has it already (left to the caller to dispose). */
  ranges?: Tensor;
}

/** Tiles as RGBA bytes, with the value ranges they were scaled by. */
export interface RgbaTiles {
  /** width × height × 4 bytes, red first, as `new ImageData(rgba, width, height)` takes them. */
  rgba: Uint8ClampedArray<ArrayBuffer>;
  width: number;
  height: number;
  /** One tile's size in pixels: [h, w] of a feature map, [kh, kw] of a filter, 1 × k of a vector. */
  tileWidth: number;
  tileHeight: number;
  /** The ranges of x: the whole tensor's and each channel's (the last axis). */
  ranges: ValueRanges;
}

/**
 * Draws `opts.channels` of x as tiles (see `ColormapOptions`: map, normalisation, grid, 'hwio'
 * filter view) and reads back the pixels and the value ranges in one go. Every temporary tensor
 * is disposed; x is not.
 * @example
 * const tiles = await colorize(engine, act, { channels: [0, 1, 2, 3], map: 'auto' }); // act: [1, 26, 26, 8]
 * ctx.putImageData(new ImageData(tiles.rgba, tiles.width, tiles.height), 0, 0);       // 104 × 26
 */
export async function colorize(engine: Engine, x: Tensor, opts: ColorizeOptions): Promise<RgbaTiles> {
  const own = opts.ranges ? null : valueRanges(engine, x);
  const ranges = opts.ranges ?? own!;
  let img: ColormapImage | null = null;
  try {
    img = colormap(engine, x, ranges, opts);
    const view = tensorView(x.shape, opts.view ?? 'nhwc', opts.inChannel ?? 0);
    const [values, rgba] = await Promise.all([ranges.read(), readRgba(img)]);
    return { rgba, width: img.width, height: img.height, tileWidth: view.width, tileHeight: view.height, ranges: rangesFrom(values) };
  } finally {
    own?.dispose();
    img?.pixels.dispose();
  }
}

/**
 * The map 'auto' stands for, decided as the kernel decides it: diverging (blue–white–red around 0)
 * when the tensor's minimum is negative, else sequential (viridis).
 * @example
 * resolveMap('auto', -0.5) // 'diverging'
 */
export function resolveMap<M extends ColorMap>(map: M, min: number): Exclude<M, 'auto'> | 'sequential' | 'diverging' {
  if (map === 'auto') return min < 0 ? 'diverging' : 'sequential';
  return map as Exclude<M, 'auto'>;
}
