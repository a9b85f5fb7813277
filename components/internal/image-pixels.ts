/**
 * Anything a page can show (an image, a canvas, a video frame, ImageData) → the model's input: drawn
 * into a canvas of the model's height × width, then read as float pixels in NHWC order.
 */
import { ElementError } from './errors.js';

export type InputSource = CanvasImageSource | ImageData;
export type Fit = 'cover' | 'contain' | 'fill';

export function sourceSize(source: InputSource): [number, number] {
  if (source instanceof ImageData) return [source.width, source.height];
  if (source instanceof HTMLImageElement) return [source.naturalWidth, source.naturalHeight];
  if (source instanceof HTMLVideoElement) return [source.videoWidth, source.videoHeight];
  if (typeof VideoFrame !== 'undefined' && source instanceof VideoFrame) return [source.displayWidth, source.displayHeight];
  const s = source as { width: number | SVGAnimatedLength; height: number | SVGAnimatedLength };
  const num = (v: number | SVGAnimatedLength) => (typeof v === 'number' ? v : v.baseVal.value);
  return [num(s.width), num(s.height)];
}

/**
 * The largest input side an element draws. A canvas of a model's input size is read back whole
 * (getImageData), then held as floats and as the model's first activations: at 4096×4096 that is
 * already 64 MiB of RGBA and 192 MiB of floats, and far larger sizes fail in the browser with an
 * out-of-memory error that names none of this.
 */
export const MAX_INPUT_SIDE = 4096;

/** Fails, naming the size and the limit, unless an element can draw a width × height input. */
export function checkDrawable(width: number, height: number): void {
  const ok = (n: number) => Number.isInteger(n) && n >= 0 && n <= MAX_INPUT_SIDE;
  if (!ok(width) || !ok(height)) {
    throw new ElementError('drawInput', `an input of ${width}×${height} pixels is more than the ${MAX_INPUT_SIDE}×${MAX_INPUT_SIDE} an element can draw; give the model a smaller input size`);
  }
}

/**
 * Draws `source` into a new width × height canvas: 'cover' crops the centre to the aspect ratio,
 * 'contain' letterboxes on black, 'fill' stretches. A black canvas for an empty source. Every
 * element draws its model's input through here, so checkDrawable guards them all.
 */
export function drawInput(source: InputSource, width: number, height: number, fit: Fit = 'cover'): HTMLCanvasElement {
  checkDrawable(width, height);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, width, height);
  const [sw, sh] = sourceSize(source);
  if (sw === 0 || sh === 0) return canvas;
  let image: CanvasImageSource = source as CanvasImageSource;
  if (source instanceof ImageData) {
    const tmp = document.createElement('canvas');
    tmp.width = sw;
    tmp.height = sh;
    tmp.getContext('2d')!.putImageData(source, 0, 0);
    image = tmp;
  }
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  if (fit === 'fill') {
    ctx.drawImage(image, 0, 0, width, height);
  } else if (fit === 'contain') {
    const s = Math.min(width / sw, height / sh);
    const [dw, dh] = [sw * s, sh * s];
    ctx.drawImage(image, (width - dw) / 2, (height - dh) / 2, dw, dh);
  } else {
    const s = Math.max(width / sw, height / sh);
    const [cw, ch] = [width / s, height / s];
    ctx.drawImage(image, (sw - cw) / 2, (sh - ch) / 2, cw, ch, 0, 0, width, height);
  }
  return canvas;
}

/**
 * A copy of `source` at its own size, or scaled down to MAX_INPUT_SIDE on its longer side: what an
 * element keeps to fit again to another model's input, since a photo larger than any input it
 * could feed need not be kept whole.
 */
export function copySource(source: InputSource): HTMLCanvasElement {
  const [w, h] = sourceSize(source);
  const s = Math.min(1, MAX_INPUT_SIDE / Math.max(w, h, 1));
  return drawInput(source, Math.max(1, Math.round(w * s)), Math.max(1, Math.round(h * s)), 'fill');
}

/**
 * The canvas's pixels as floats, [height, width, channels] row-major: RGB for 3 channels, luma for
 * 1 (white = 1 before scaling), black → lo and white → hi.
 */
export function canvasPixels(canvas: HTMLCanvasElement, channels: number, [lo, hi]: [number, number]): Float32Array {
  if (channels !== 1 && channels !== 3) throw new ElementError('cnn-layer-viewer', `the viewer feeds images to models with 1 or 3 input channels; this model has ${channels}`);
  const { width, height } = canvas;
  const rgba = canvas.getContext('2d', { willReadFrequently: true })!.getImageData(0, 0, width, height).data;
  const out = new Float32Array(width * height * channels);
  const scale = (hi - lo) / 255;
  for (let i = 0, p = 0; i < width * height; i++, p += 4) {
    if (channels === 3) {
      out[i * 3] = lo + rgba[p]! * scale;
      out[i * 3 + 1] = lo + rgba[p + 1]! * scale;
      out[i * 3 + 2] = lo + rgba[p + 2]! * scale;
    } else {
      out[i] = lo + (0.299 * rgba[p]! + 0.587 * rgba[p + 1]! + 0.114 * rgba[p + 2]!) * scale;
    }
  }
  return out;
}

/** Loads an image by URL (CORS-enabled, so its pixels can be read), rejecting with the URL named. */
/** Why an image URL gave no pixels, in English (elements pass their own language's words). */
export const couldNotLoad = (url: string): string => `could not load the image ${url} (missing, not an image, or another site that does not allow reading its pixels)`;

export function loadImage(url: string, signal?: AbortSignal, failed: (url: string) => string = couldNotLoad): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.crossOrigin = 'anonymous';
    img.decoding = 'async';
    const abort = () => {
      img.src = '';
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', abort, { once: true });
    img.onload = () => {
      signal?.removeEventListener('abort', abort);
      resolve(img);
    };
    img.onerror = () => {
      signal?.removeEventListener('abort', abort);
      reject(new ElementError('loadImage', failed(url)));
    };
    img.src = url;
  });
}

/**
 * Image loads where only the newest counts (an element's `src` changing while one loads): a new
 * load, or `cancel()` when the element leaves the page, aborts the one before, and a superseded
 * load resolves to null instead of failing.
 */
export class LatestImageLoader {
  private abort: AbortController | null = null;

  cancel(): void {
    this.abort?.abort();
    this.abort = null;
  }

  /** The image, or null when a newer load or `cancel()` superseded this one. */
  async load(url: string): Promise<HTMLImageElement | null> {
    this.cancel();
    const abort = new AbortController();
    this.abort = abort;
    try {
      const img = await loadImage(url, abort.signal);
      return abort.signal.aborted ? null : img;
    } catch (err) {
      if (abort.signal.aborted) return null;
      throw err;
    }
  }
}
