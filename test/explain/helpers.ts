/** What the explain tests share: small models, error measures and rank correlation. */
import type { Engine } from '../../src/engine.js';
import type { Model } from '../../src/nn/model.js';
import { sequential, type LayerSpec } from '../../src/nn/sequential.js';

/** max |a − b| / max |b|: the error relative to the reference's scale. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? err : err / scale;
}

/** SHA-256 of the shipped MNIST network's weight file, hex: what values recorded from it belong to. */
export async function weightsHash(): Promise<string> {
  const bytes = await (await fetch('/demo/models/mnist/weights.bin')).arrayBuffer();
  return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Spearman's rank correlation (average ranks for ties). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = ra.length;
  const mean = (n - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (ra[i]! - mean) * (rb[i]! - mean);
    da += (ra[i]! - mean) ** 2;
    db += (rb[i]! - mean) ** 2;
  }
  return num / Math.sqrt(da * db);
}

function ranks(v: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((i, j) => v[i]! - v[j]!);
  const r = new Float64Array(v.length);
  for (let s = 0; s < idx.length; ) {
    let e = s;
    while (e + 1 < idx.length && v[idx[e + 1]!] === v[idx[s]!]) e++;
    for (let k = s; k <= e; k++) r[idx[k]!] = (s + e) / 2;
    s = e + 1;
  }
  return r;
}

/**
 * 8×8×1 input → conv (4 filters 3×3, tanh) → pool (max 2) → flat → logits (Dense 3, softmax).
 * Smooth enough (tanh) for the trapezoid rule's error to be small at a modest number of steps.
 */
export function smallClassifier(e: Engine, seed = 7, layers: LayerSpec[] = []): Model {
  return sequential(e, {
    inputShape: [8, 8, 1],
    seed,
    name: 'small',
    layers: layers.length ? layers : [
      { className: 'Conv2D', config: { name: 'conv', filters: 4, kernel_size: 3, activation: 'tanh' } },
      { className: 'MaxPooling2D', config: { name: 'pool', pool_size: 2 } },
      { className: 'Flatten', config: { name: 'flat' } },
      { className: 'Dense', config: { name: 'logits', units: 3, activation: 'softmax' } },
    ],
  });
}
