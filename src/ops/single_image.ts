/**
 * TF.js's window ops (conv2d, depthwiseConv2d, maxPool, avgPool) also take one image [h, w, c]
 * as a batch of one and return [oh, ow, c'] in that case. The kernels only know NHWC, so a single
 * image is reshaped to [1, h, w, c], run, and the batch dimension dropped again; the two copies
 * are small next to the window op itself.
 */
import type { Engine } from '../engine.js';
import { Tensor } from '../tensor.js';
import { reshape } from './reshape.js';

/** Whether `t` is a live rank-3 tensor (one HWC image). */
export function isImage(t: unknown): t is Tensor {
  return t instanceof Tensor && !t.isDisposed && t.rank === 3;
}

/**
 * Runs `op` on the images as batches of one. Its result loses the batch dimension again unless it
 * is not per image (a filter gradient: `perImage` false).
 */
export function onImages(engine: Engine, images: readonly Tensor[], op: (batched: Tensor[]) => Tensor, perImage = true): Tensor {
  const batched: Tensor[] = [];
  try {
    for (const t of images) batched.push(reshape(engine, t, [1, ...t.shape]));
    const y = op(batched);
    if (!perImage) return y;
    try {
      return reshape(engine, y, y.shape.slice(1));
    } finally {
      y.dispose();
    }
  } finally {
    for (const t of batched) t.dispose();
  }
}
