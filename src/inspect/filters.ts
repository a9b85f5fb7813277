/**
 * A convolution layer's filters as pictures. Conv layers hand over their spatial kernel through
 * their `kernel` getter (Conv2D's [kh, kw, in, filters], the depthwise kernel of DepthwiseConv2D
 * and SeparableConv2D), so nothing here depends on how weights are named.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import type { Layer } from '../nn/layer.js';
import type { Model } from '../nn/model.js';
import { ConvBase } from '../nn/layers/conv.js';
import { CnnError } from '../errors.js';
import { colorize } from './colors.js';
import type { Range } from './ranges.js';

/**
 * The spatial filters of a convolution layer, HWIO [kh, kw, in, out], or null for a layer that has
 * none. The layer owns the tensor: do not dispose it.
 * @example
 * layerKernel(model.layer('conv1'))?.shape // [5, 5, 1, 16]
 */
export function layerKernel(layer: Layer): Tensor | null {
  return layer instanceof ConvBase ? layer.kernel : null;
}

/** The model's convolution layers (the ones with filters to draw), in order. */
export function convLayers(model: Model): Layer[] {
  return model.layers.filter((l) => l instanceof ConvBase);
}

/**
 * The convolution layer named `name`, or with no name the model's first one. Throws a CnnError
 * that lists the convolution layers when there is no such layer.
 */
export function filterLayer(model: Model, name = ''): Layer {
  const convs = convLayers(model);
  const layer = name ? model.layers.find((l) => l.name === name) : convs[0];
  if (!layer) {
    throw new CnnError('filterLayer', name ? `no layer named '${name}'; the convolution layers are: ${convs.map((l) => l.name).join(', ') || 'none'}` : 'the model has no convolution layer');
  }
  return layer;
}

export interface FilterOptions {
  /** At most this many filters, the first ones (default 64). */
  maxFilters?: number;
  /** Without rgb: the input channel whose weights are drawn (default 0). */
  inChannel?: number;
  /** 'channel' (default): each filter on its own scale; 'layer': all on the layer's. */
  normalize?: 'channel' | 'layer';
  /**
   * Draw each filter's weights on three input channels as red, green and blue (grey is 0). Default:
   * when the kernel has three input channels (a first layer on RGB images). Otherwise one input
   * channel's weights are drawn on the diverging scale.
   */
  rgb?: boolean;
}

/** A layer's filters as drawn: one kw × kh tile per filter, side by side. */
export interface FilterImage {
  layer: string;
  className: string;
  /** The kernel's shape [kh, kw, ci, co]. */
  shape: number[];
  /** How many filters are drawn. */
  filters: number;
  rgb: boolean;
  /** The range of all the layer's weights. */
  min: number;
  max: number;
  /** [min, max] of each filter drawn. */
  ranges: Range[];
  rgba: Uint8ClampedArray<ArrayBuffer>;
  width: number;
  height: number;
}

/**
 * Draws a convolution layer's filters (see `FilterOptions`) and reads back the pixels and ranges.
 * Throws a CnnError for a layer without filters.
 * @example
 * const f = await drawFilters(engine, filterLayer(model), { maxFilters: 8 });
 * // f.shape [5, 5, 1, 16]; f.rgba holds 8 tiles of 5 × 5: width 40, height 5
 */
export async function drawFilters(engine: Engine, layer: Layer, opts: FilterOptions = {}): Promise<FilterImage> {
  const kernel = layerKernel(layer);
  if (!kernel || kernel.rank !== 4) throw new CnnError('drawFilters', `layer '${layer.name}' (${layer.className}) has no 4-D kernel to draw`);
  const shape = [...kernel.shape];
  const rgb = opts.rgb ?? shape[2] === 3;
  const filters = Math.min(shape[3]!, Math.max(1, opts.maxFilters ?? 64));
  const tiles = await colorize(engine, kernel, {
    channels: Array.from({ length: filters }, (_, i) => i),
    view: 'hwio',
    map: rgb ? 'rgb' : 'diverging',
    normalize: opts.normalize ?? 'channel',
    inChannel: rgb ? 0 : opts.inChannel ?? 0,
  });
  return {
    layer: layer.name,
    className: layer.className,
    shape,
    filters,
    rgb,
    min: tiles.ranges.min,
    max: tiles.ranges.max,
    ranges: tiles.ranges.channels.slice(0, filters),
    rgba: tiles.rgba,
    width: tiles.width,
    height: tiles.height,
  };
}
