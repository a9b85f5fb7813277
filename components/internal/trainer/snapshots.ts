/**
 * What the trainer draws of the network while it learns: the first convolution layer's filters,
 * and one test digit's feature maps in the first convolution layers with the digit's prediction.
 * Everything is coloured on the GPU (the colormap kernel) and read back as the exact pixels drawn.
 */
import { convLayers, drawFeatureMaps, drawFilters, type Engine, type FeatureMaps, type FilterImage, type Model } from '../../../src/index.js';

/** The first convolution layer's filters as the trainer draws them. */
export type FilterSnapshot = FilterImage;

export interface DigitSnapshot {
  /** The digit's label in the test set. */
  label: number;
  /** The model's class probabilities for it. */
  probabilities: Float32Array;
  maps: FeatureMaps[];
}

/** The first convolution layer's filters on a diverging scale (each filter on its own), input channel 0; null without one. */
export async function snapshotFilters(engine: Engine, model: Model, maxFilters: number): Promise<FilterSnapshot | null> {
  const first = convLayers(model)[0];
  return first ? drawFilters(engine, first, { maxFilters, rgb: false }) : null;
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
      .map(({ name, className }) => {
        const tensor = acts.outputs.get(name)!;
        const available = tensor.shape[tensor.rank - 1]!;
        return { name, className, tensor, channels: Array.from({ length: Math.min(opts.channels, available) }, (_, i) => i) };
      });
    const [maps, probabilities] = await Promise.all([drawFeatureMaps(engine, requests), acts.output.read()]);
    return { label, probabilities, maps };
  } finally {
    acts.dispose();
    x.dispose();
  }
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
