/**
 * Feature maps of chosen layers as pictures: for each layer, its value range, the ranges of the
 * channels drawn, and their tiles as RGBA pixels, all computed on the GPU and read back in one go
 * (a few bytes of ranges, and exactly the pixels drawn).
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { combineRanges, tensorView, valueRanges } from '../ops/colormap.js';
import { colorize, resolveMap } from './colors.js';
import { rangeAt, type Range } from './ranges.js';

/** 'global': one scale over all the layers drawn together. */
export type FeatureMapNormalize = 'channel' | 'layer' | 'global';
export type FeatureMapColors = 'auto' | 'sequential' | 'diverging';

/** A layer's output and the channels of it to draw. */
export interface FeatureMapRequest {
  name: string;
  className: string;
  /** The layer's output, e.g. `model.run(x).outputs.get(name)` (not disposed here). */
  tensor: Tensor;
  /** Channels to draw, one tile each, in this order (a rank ≤ 2 output is one tile: pass [0]). */
  channels: number[];
}

export interface FeatureMapOptions {
  /** Default 'auto': diverging for a layer with negative values, else sequential. */
  map?: FeatureMapColors;
  /** Default 'channel'. */
  normalize?: FeatureMapNormalize;
}

/** One layer's feature maps as drawn. */
export interface FeatureMaps {
  name: string;
  className: string;
  /** With the batch dimension, as the engine holds it. */
  shape: number[];
  channels: number[];
  /** Number of channels the layer has (1 for a vector). */
  channelCount: number;
  /** Rank ≤ 2: one tile of 1 × k. */
  vector: boolean;
  tileWidth: number;
  tileHeight: number;
  min: number;
  max: number;
  /** [min, max] of each channel drawn. */
  channelRanges: Range[];
  /** The map the kernel used ('auto' resolved by the layer's sign). */
  map: 'sequential' | 'diverging';
  /** The range the colours span, per tile (per-channel normalisation) or for all tiles. */
  scale: (tile: number) => Range;
  /** All tiles side by side: width = tiles × tileWidth. */
  rgba: Uint8ClampedArray<ArrayBuffer>;
  width: number;
  height: number;
}

/**
 * Draws the requested layers' channels, the first image of the batch. Nothing of the requests is
 * disposed; every temporary is.
 * @example
 * const acts = model.run(x);
 * const [conv1] = await drawFeatureMaps(engine, [{ name: 'conv1', className: 'Conv2D', tensor: acts.outputs.get('conv1')!, channels: [0, 1, 2] }]);
 * ctx.putImageData(new ImageData(conv1.rgba, conv1.width, conv1.height), 0, 0);
 */
export async function drawFeatureMaps(engine: Engine, layers: readonly FeatureMapRequest[], opts: FeatureMapOptions = {}): Promise<FeatureMaps[]> {
  const map = opts.map ?? 'auto';
  const normalize = opts.normalize ?? 'channel';
  const temps: Tensor[] = [];
  try {
    const ranges = layers.map((l) => valueRanges(engine, l.tensor));
    temps.push(...ranges);
    const global = normalize === 'global' && layers.length > 0 ? combineRanges(engine, ranges) : null;
    if (global) temps.push(global);
    const norm = global ? { ranges: global, row: layers.length } : normalize === 'global' ? 'layer' : normalize;
    const [tiles, globalValues] = await Promise.all([
      Promise.all(layers.map((l, i) => colorize(engine, l.tensor, { channels: l.channels, map, normalize: norm, ranges: ranges[i]! }))),
      global ? global.read() : Promise.resolve(null),
    ]);
    return layers.map((l, i) => {
      const t = tiles[i]!;
      const view = tensorView(l.tensor.shape);
      const { min, max } = t.ranges;
      const channelRanges: Range[] = view.vector ? [[min, max]] : l.channels.map((c) => t.ranges.channels[c]!);
      const whole: Range = globalValues ? rangeAt(globalValues, layers.length) : [min, max];
      const perTile = normalize === 'channel' && !view.vector;
      return {
        name: l.name,
        className: l.className,
        shape: [...l.tensor.shape],
        channels: l.channels,
        channelCount: view.channels,
        vector: view.vector,
        tileWidth: t.tileWidth,
        tileHeight: t.tileHeight,
        min,
        max,
        channelRanges,
        map: resolveMap(map, min),
        scale: (tile: number) => (perTile ? channelRanges[tile]! : whole),
        rgba: t.rgba,
        width: t.width,
        height: t.height,
      };
    });
  } finally {
    for (const t of temps) t.dispose();
  }
}
