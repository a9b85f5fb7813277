/**
 * What the trainer draws of the network while it learns: the first convolution layer's filters,
 * and one test digit's feature maps in the first convolution layers with the digit's prediction.
 * Everything is coloured on the GPU (the colormap kernel) and read back as the exact pixels drawn.
 */
import type { Engine } from '../../../src/engine.js';
import type { Model } from '../../../src/nn/model.js';
import type { Tensor } from '../../../src/tensor.js';
import { colormap, readRgba, valueRanges } from '../../../src/ops/colormap.js';
import { snapshotLayers, type LayerSnapshot } from '../feature-maps.js';

const CONV = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);

export interface FilterSnapshot {
  layer: string;
  /** [kh, kw, ci, co] */
  shape: number[];
  /** How many filters are drawn (at most `maxFilters`). */
  filters: number;
  min: number;
  max: number;
  /** All drawn filters side by side, kw pixels each. */
  rgba: Uint8ClampedArray<ArrayBuffer>;
  width: number;
  height: number;
}

export interface DigitSnapshot {
  /** The digit's label in the test set. */
  label: number;
  /** The model's class probabilities for it. */
  probabilities: Float32Array;
  maps: LayerSnapshot[];
}

/** The convolution layers of a model, in order. */
export function convLayers(model: Model): string[] {
  return model.layers.filter((l) => CONV.has(l.className)).map((l) => l.name);
}

/** The first convolution layer's filters on a diverging scale (each filter on its own), input channel 0. */
export async function snapshotFilters(engine: Engine, model: Model, maxFilters: number): Promise<FilterSnapshot | null> {
  const name = convLayers(model)[0];
  if (!name) return null;
  const kernel: Tensor | undefined = model.layer(name).weights.find((w) => /\/(depthwise_)?kernel$/.test(w.name))?.tensor;
  if (!kernel || kernel.rank !== 4) return null;
  const shape = [...kernel.shape];
  const filters = Math.min(shape[3]!, Math.max(1, maxFilters));
  const ranges = valueRanges(engine, kernel);
  let img;
  try {
    img = colormap(engine, kernel, ranges, { channels: Array.from({ length: filters }, (_, i) => i), view: 'hwio', map: 'diverging', normalize: 'channel' });
  } catch (err) {
    ranges.dispose();
    throw err;
  }
  try {
    const [r, rgba] = await Promise.all([ranges.read(), readRgba(img)]);
    const co = shape[3]!;
    return { layer: name, shape, filters, min: r[co * 2]!, max: r[co * 2 + 1]!, rgba, width: img.width, height: img.height };
  } finally {
    ranges.dispose();
    img.pixels.dispose();
  }
}

/**
 * Runs the model on one digit ([rows, cols] pixels in [0, 1]) and draws the first `maps` channels of
 * the first `layers` convolution layers; reads back the class probabilities too.
 */
export async function snapshotDigit(engine: Engine, model: Model, pixels: Float32Array, label: number, opts: { layers: number; channels: number }): Promise<DigitSnapshot> {
  const [h, w, c] = model.inputShape as [number, number, number];
  const x = engine.tensor(pixels, [1, h, w, c]);
  let acts;
  try {
    acts = model.run(x);
  } catch (err) {
    x.dispose();
    throw err;
  }
  try {
    const requests = convLayers(model)
      .slice(0, opts.layers)
      .map((name) => {
        const tensor = acts.outputs.get(name)!;
        const available = tensor.shape[tensor.rank - 1]!;
        return { name, className: model.layer(name).className, tensor, channels: Array.from({ length: Math.min(opts.channels, available) }, (_, i) => i) };
      });
    const [maps, probabilities] = await Promise.all([snapshotLayers(engine, requests, 'auto', 'channel'), acts.output.read()]);
    return { label, probabilities, maps };
  } finally {
    acts.dispose();
    x.dispose();
  }
}

/** The class with the highest probability. */
export function argMax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Puts tile `index` (of `tileWidth` × `height` pixels) of a strip of tiles into a canvas of that size. */
export function paintTile(canvas: HTMLCanvasElement, strip: ImageData, index: number, tileWidth: number): void {
  canvas.getContext('2d')!.putImageData(strip, -index * tileWidth, 0, index * tileWidth, 0, tileWidth, strip.height);
}

/** A digit of `pixels` ([rows × cols] in [0, 1]) as the page shows it: white on black. */
export function digitImage(pixels: Float32Array, rows: number, cols: number): ImageData {
  const img = new ImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const v = Math.round(pixels[i]! * 255);
    img.data.set([v, v, v, 255], i * 4);
  }
  return img;
}

/** The same in a canvas of its own (an input for a viewer). */
export function digitCanvas(pixels: Float32Array, rows: number, cols: number): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = cols;
  c.height = rows;
  c.getContext('2d')!.putImageData(digitImage(pixels, rows, cols), 0, 0);
  return c;
}
