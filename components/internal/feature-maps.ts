/**
 * From a model's activations to what the viewer draws: for each shown layer, its value range, the
 * ranges of the channels shown, and their tiles as RGBA pixels, all computed on the GPU by the
 * colormap kernel and read back in one go (a few bytes of ranges, and exactly the pixels drawn).
 */
import type { Engine } from '../../src/engine.js';
import type { Tensor } from '../../src/tensor.js';
import { colormap, combineRanges, readRgba, tensorView, valueRanges, type ColorMap } from '../../src/ops/colormap.js';

export type NormalizeMode = 'channel' | 'layer' | 'global';
export type MapChoice = 'auto' | 'sequential' | 'diverging';

export interface LayerRequest {
  name: string;
  className: string;
  tensor: Tensor;
  channels: number[];
}

export interface LayerSnapshot {
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
  /** [min, max] of each channel shown. */
  channelRanges: [number, number][];
  /** The map the kernel used ('auto' resolved by the layer's sign). */
  map: 'sequential' | 'diverging';
  /** The range the colours span, per tile (per-channel normalisation) or for all tiles. */
  scale: (tile: number) => [number, number];
  /** All tiles side by side: width = tiles × tileWidth. */
  rgba: Uint8ClampedArray<ArrayBuffer>;
  width: number;
  height: number;
}

/** The empty interval the kernel writes for a channel with no finite value reads as [0, 0]. */
function pair(r: Float32Array, row: number): [number, number] {
  const lo = r[row * 2]!;
  const hi = r[row * 2 + 1]!;
  return hi < lo ? [0, 0] : [lo, hi];
}

/**
 * Draws the requested layers. Nothing is disposed of the activations; every temporary is.
 */
export async function snapshotLayers(engine: Engine, layers: LayerRequest[], map: MapChoice, normalize: NormalizeMode): Promise<LayerSnapshot[]> {
  const temps: Tensor[] = [];
  try {
    const ranges = layers.map((l) => valueRanges(engine, l.tensor));
    temps.push(...ranges);
    const global = normalize === 'global' && layers.length > 0 ? combineRanges(engine, ranges) : null;
    if (global) temps.push(global);
    const images = layers.map((l, i) => {
      const norm = global ? { ranges: global, row: layers.length } : normalize === 'global' ? 'layer' : normalize;
      const img = colormap(engine, l.tensor, ranges[i]!, { channels: l.channels, map: map as ColorMap, normalize: norm });
      temps.push(img.pixels);
      return img;
    });
    const [rangeValues, globalValues, pixels] = await Promise.all([
      Promise.all(ranges.map((r) => r.read())),
      global ? global.read() : Promise.resolve(null),
      Promise.all(images.map((img) => readRgba(img))),
    ]);
    return layers.map((l, i) => {
      const r = rangeValues[i]!;
      const view = tensorView(l.tensor.shape);
      const lastDim = l.tensor.shape[l.tensor.rank - 1] ?? 1;
      const [min, max] = pair(r, lastDim);
      const channelRanges = view.vector ? [[min, max] as [number, number]] : l.channels.map((c) => pair(r, c));
      const whole: [number, number] = globalValues ? pair(globalValues, layers.length) : [min, max];
      const resolved = map === 'auto' ? (min < 0 ? 'diverging' : 'sequential') : map;
      const perTile = normalize === 'channel' && !view.vector;
      return {
        name: l.name,
        className: l.className,
        shape: [...l.tensor.shape],
        channels: l.channels,
        channelCount: view.channels,
        vector: view.vector,
        tileWidth: view.width,
        tileHeight: view.height,
        min,
        max,
        channelRanges,
        map: resolved,
        scale: (tile: number) => (perTile ? channelRanges[tile]! : whole),
        rgba: pixels[i]!,
        width: images[i]!.width,
        height: images[i]!.height,
      };
    });
  } finally {
    for (const t of temps) t.dispose();
  }
}
