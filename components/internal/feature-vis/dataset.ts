/**
 * The inputs <cnn-feature-vis> looks for dataset examples in, and the pixels it draws. A dataset is
 * a folder of MNIST idx files (a URL ending in `/`: the test split, as the digit network was
 * tested on) or a list of image URLs (each drawn to the model's input size), held as the model's
 * input values [count, h, w, c].
 */
import { loadMnist } from '../../../src/index.js';
import { ElementError } from '../errors.js';
import { canvasPixels, drawInput, loadImage, type Fit } from '../image-pixels.js';

export interface Dataset {
  pixels: Float32Array;
  count: number;
  h: number;
  w: number;
  c: number;
}

/** The MNIST digits read from a folder: at most this many (the packed subset holds 1,000). */
const MNIST_LIMIT = 1000;

export async function loadDataset(spec: string, [h, w, c]: [number, number, number], range: [number, number], fit: Fit, signal: AbortSignal): Promise<Dataset> {
  const text = spec.trim();
  if (text.endsWith('/')) {
    if (h !== 28 || w !== 28 || c !== 1) throw new ElementError('cnn-feature-vis', `an MNIST folder gives 28×28 grey digits; this model takes ${h}×${w}×${c}`);
    const set = await loadMnist({ baseUrl: new URL(text, document.baseURI).href, split: 'test', limit: MNIST_LIMIT, signal });
    const [lo, hi] = range;
    const pixels = lo === 0 && hi === 1 ? set.images : set.images.map((v) => lo + v * (hi - lo));
    return { pixels, count: set.images.length / 784, h, w, c };
  }
  const urls = text.split(/\s+/).filter(Boolean);
  const images = await Promise.all(urls.map((u) => loadImage(new URL(u, document.baseURI).href, signal)));
  const pixels = new Float32Array(urls.length * h * w * c);
  images.forEach((img, i) => pixels.set(canvasPixels(drawInput(img, w, h, fit), c, range), i * h * w * c));
  return { pixels, count: urls.length, h, w, c };
}

/** Input values [h, w, c] (grey or RGB) in `range` as RGBA bytes, [top, left] to [bottom, right] inclusive. */
export function toImageData(values: Float32Array, [h, w, c]: [number, number, number], range: [number, number], crop?: { top: number; left: number; bottom: number; right: number }, offset = 0): ImageData {
  const { top, left, bottom, right } = crop ?? { top: 0, left: 0, bottom: h - 1, right: w - 1 };
  const [cw, ch] = [right - left + 1, bottom - top + 1];
  const rgba = new Uint8ClampedArray(cw * ch * 4);
  const [lo, hi] = range;
  const k = 255 / (hi - lo);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const src = offset + ((top + y) * w + left + x) * c;
      const dst = (y * cw + x) * 4;
      for (let j = 0; j < 3; j++) rgba[dst + j] = (values[src + (c === 3 ? j : 0)]! - lo) * k;
      rgba[dst + 3] = 255;
    }
  }
  return new ImageData(rgba, cw, ch);
}

/** Draws `img` into `canvas`, sizing the canvas to it. */
export function paint(canvas: HTMLCanvasElement | null | undefined, img: ImageData | null | undefined): void {
  if (!canvas || !img) return;
  if (canvas.width !== img.width) canvas.width = img.width;
  if (canvas.height !== img.height) canvas.height = img.height;
  canvas.getContext('2d')!.putImageData(img, 0, 0);
}
