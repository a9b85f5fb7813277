/** The top-k classes of a classifier's output, with labels. */
import type { Model } from './shared-engine.js';

export interface Prediction {
  index: number;
  label: string;
  probability: number;
}

/** True when the model ends in a softmax (a Dense or Activation layer with it, or a Softmax layer). */
export function endsInSoftmax(model: Model): boolean {
  const last = model.layers[model.layers.length - 1];
  if (!last) return false;
  return last.className === 'Softmax' || last.config?.activation === 'softmax';
}

/**
 * The k most probable classes of `output` (one image's scores). Scores that are not already
 * probabilities (no softmax at the end) go through a softmax first, so the percentages are honest.
 */
export function topK(output: Float32Array, k: number, labels: readonly string[], probabilities: boolean): Prediction[] {
  let p = Array.from(output);
  if (!probabilities) {
    const m = Math.max(...p);
    const e = p.map((v) => Math.exp(v - m));
    const sum = e.reduce((a, b) => a + b, 0);
    p = e.map((v) => v / sum);
  }
  return p
    .map((probability, index) => ({ index, probability, label: labels[index] ?? String(index) }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, Math.max(0, k));
}
