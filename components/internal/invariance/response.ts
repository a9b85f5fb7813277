/**
 * A sweep's numbers as the element plots them: which classes to draw (the untransformed input's
 * top classes and any class that wins somewhere in the sweep), their probabilities per step, or
 * an embedding's similarity per step, and every layer's similarity per step; and the batch's
 * images as pictures.
 */
import type { InvarianceSweep } from '../../../src/index.js';
import type { InvarianceReadyDetail } from './invariance.js';

export interface Response {
  detail: InvarianceReadyDetail;
}

export interface ResponseOptions {
  model: string;
  outputName: string;
  /** The output is a classifier's scores. */
  classifier: boolean;
  /** The scores are already probabilities (the model ends in a softmax). */
  probabilities: boolean;
  labels: readonly string[];
  topK: number;
  ms: number;
  softmax: (scores: Float32Array) => Float32Array | number[];
}

/** The plotted numbers of a sweep (image 0 of the batch, the untransformed input, is the reference and not plotted). */
export function responseOf(sweep: InvarianceSweep, o: ResponseOptions): Response {
  const steps = sweep.values.length;
  const layers = sweep.layers.map((l) => ({ name: l.name, className: l.className, similarity: l.similarity.slice(1) }));
  const base = { model: o.model, transform: sweep.kind, values: [...sweep.values], layers, ms: o.ms };
  if (!o.classifier) {
    const out = sweep.layers.find((l) => l.name === o.outputName)!;
    return { detail: { ...base, response: 'embedding', classes: [], similarity: out.similarity.slice(1) } };
  }
  const k = sweep.outputShape[1]!;
  const rows = Array.from({ length: steps + 1 }, (_, b) => {
    const scores = sweep.output.subarray(b * k, (b + 1) * k);
    return Array.from(o.probabilities ? scores : o.softmax(scores));
  });
  const rank = (row: number[]) => row.map((p, i) => ({ p, i })).sort((a, b) => b.p - a.p).map((e) => e.i);
  const chosen = new Set(rank(rows[0]!).slice(0, o.topK));
  for (const row of rows.slice(1)) chosen.add(rank(row)[0]!);
  const classes = [...chosen]
    .map((index) => ({ index, label: o.labels[index] ?? String(index), probabilities: rows.slice(1).map((r) => r[index]!) }))
    .sort((a, b) => Math.max(...b.probabilities) - Math.max(...a.probabilities))
    .slice(0, o.topK + 4);
  return { detail: { ...base, response: 'classes', classes, similarity: null } };
}

/** Image b of an NHWC batch as RGBA pixels (grey for one channel), `range` mapping to black…white. */
export function imageOf(pixels: Float32Array, b: number, h: number, w: number, c: number, [lo, hi]: [number, number]): ImageData {
  const img = new ImageData(w, h);
  const base = b * h * w * c;
  const scale = hi !== lo ? 255 / (hi - lo) : 0;
  for (let i = 0; i < h * w; i++) {
    for (let k = 0; k < 3; k++) img.data[i * 4 + k] = (pixels[base + i * c + (c === 3 ? k : 0)]! - lo) * scale;
    img.data[i * 4 + 3] = 255;
  }
  return img;
}
