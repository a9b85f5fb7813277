/**
 * What a real model expects of its input beyond a value range: PyTorch's ImageNet models subtract a
 * mean and divide by a standard deviation per channel, Caffe-era ones take BGR bytes minus a mean.
 * One pass over the pixels already read from the canvas (224×224×3 is 150k values: far below a
 * frame), kept apart from the element so it is tested without a GPU.
 */
import { ElementError } from './errors.js';

export interface Normalization {
  /** Subtracted per channel (in the order the model takes them), after the range is applied. */
  mean?: readonly number[];
  /** Divided per channel, after the mean. */
  std?: readonly number[];
  /** 'bgr' swaps the first and third channel (Caffe, OpenCV). */
  channelOrder?: 'rgb' | 'bgr';
}

/**
 * Normalises NHWC `pixels` with `channels` channels in place and returns them: channels reordered,
 * then `(v - mean[c]) / std[c]`. A one-value list applies to every channel.
 * @example
 * normalizePixels(pixels, 3, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
 */
export function normalizePixels(pixels: Float32Array, channels: number, n: Normalization): Float32Array {
  const mean = perChannel(n.mean, channels, 0, 'mean');
  const std = perChannel(n.std, channels, 1, 'std');
  const bgr = n.channelOrder === 'bgr' && channels === 3;
  if (!bgr && mean.every((m) => m === 0) && std.every((s) => s === 1)) return pixels;
  const inv = std.map((s) => 1 / s);
  for (let i = 0; i < pixels.length; i += channels) {
    if (bgr) {
      const r = pixels[i]!;
      pixels[i] = pixels[i + 2]!;
      pixels[i + 2] = r;
    }
    for (let c = 0; c < channels; c++) pixels[i + c] = (pixels[i + c]! - mean[c]!) * inv[c]!;
  }
  return pixels;
}

function perChannel(list: readonly number[] | undefined, channels: number, fallback: number, what: string): number[] {
  if (!list || list.length === 0) return new Array<number>(channels).fill(fallback);
  if (list.length === 1) return new Array<number>(channels).fill(list[0]!);
  if (list.length !== channels) throw new ElementError('cnn-layer-viewer', `${what} has ${list.length} values, but the model takes ${channels} channels`);
  return [...list];
}
