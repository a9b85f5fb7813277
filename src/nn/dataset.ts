/**
 * The data `fit` and `evaluate` take: samples as flat float arrays with one-hot (or soft) labels,
 * and the labelled image sets data-set readers (src/io/mnist.ts) produce.
 */
import { SeededRandom } from './random.js';

/** Samples as flat arrays: `x` is count × prod(xShape), `y` count × classes (one-hot or soft labels). */
export interface Dataset {
  count: number;
  xShape: readonly number[];
  classes: number;
  x: Float32Array;
  y: Float32Array;
}

/** Grey images with integer class labels, as MNIST's idx files hold them. */
export interface ImageSet {
  /** count × rows × cols pixels scaled to [0, 1], row-major: ready for an NHWC [n, rows, cols, 1] tensor. */
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

/** An image set as a dataset of [rows, cols, 1] images and one-hot classes. */
export function imageDataset(set: ImageSet, classes = 10): Dataset {
  const y = new Float32Array(set.count * classes);
  for (let i = 0; i < set.count; i++) y[i * classes + set.labels[i]!] = 1;
  return { count: set.count, xShape: [set.rows, set.cols, 1], classes, x: set.images, y };
}

/** A seeded permutation of 0..n-1 (Fisher–Yates), the same on every run for one seed. */
export function shuffledIndices(n: number, seed: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const rng = new SeededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}
