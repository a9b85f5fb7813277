/**
 * What a classifier predicts: its top-k classes with labels and probabilities.
 */
import type { Model } from '../nn/model.js';

export interface Prediction {
  /** The class index in the model's output. */
  index: number;
  label: string;
  probability: number;
}

/** True when the model ends in a softmax (a Dense or Activation layer with it, or a Softmax layer), so its outputs are probabilities. */
export function endsInSoftmax(model: Model): boolean {
  const last = model.layers[model.layers.length - 1];
  if (!last) return false;
  return last.className === 'Softmax' || last.config?.activation === 'softmax' || (last.className === 'OnnxSoftmax' && last.config?.log !== true);
}

/**
 * Scores as probabilities: a numerically stable softmax (subtracting the maximum first).
 * @example
 * softmax([0, Math.log(3)]) // [0.25, 0.75]
 */
export function softmax(scores: ArrayLike<number>): number[] {
  const s = Array.from(scores);
  const m = Math.max(...s);
  const e = s.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/**
 * The k most probable classes of one image's `scores`, most probable first (ties by index). Scores
 * that are not probabilities already (`probabilities` false: no softmax at the end of the model)
 * go through a softmax first, so the percentages are honest. A class without a label is named by
 * its index.
 * @example
 * topK(new Float32Array([0.1, 0.7, 0.2]), 2, ['cat', 'dog', 'owl'], true)
 * // [{index: 1, label: 'dog', probability: 0.7}, {index: 2, label: 'owl', probability: 0.2}]
 */
export function topK(scores: ArrayLike<number>, k: number, labels: readonly string[] = [], probabilities = true): Prediction[] {
  const p = probabilities ? Array.from(scores) : softmax(scores);
  return p
    .map((probability, index) => ({ index, probability, label: labels[index] ?? String(index) }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, Math.max(0, k));
}

/** The index of the largest value (the first of equal ones); -1 for no values. */
export function argMax(values: ArrayLike<number>): number {
  if (values.length === 0) return -1;
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
