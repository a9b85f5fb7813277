/** What the inspect tests share: a small model with every kind of layer they draw, and reference colours. */
import type { Engine } from '../../src/engine.js';
import type { Model } from '../../src/nn/model.js';
import { sequential } from '../../src/nn/sequential.js';
import { refColour } from '../components/colour_ref.js';

/**
 * 8×8×3 input → conv (Conv2D 4 filters 3×3 'same', relu) → depth (DepthwiseConv2D 3×3, multiplier
 * 2, linear: signed values) → sep (SeparableConv2D 3 filters) → flat → probs (Dense 3, softmax).
 */
export function tinyModel(e: Engine, seed = 3): Model {
  return sequential(e, {
    inputShape: [8, 8, 3],
    seed,
    name: 'tiny',
    layers: [
      { className: 'Conv2D', config: { name: 'conv', filters: 4, kernel_size: 3, padding: 'same', activation: 'relu' } },
      { className: 'DepthwiseConv2D', config: { name: 'depth', kernel_size: 3, depth_multiplier: 2, activation: 'linear' } },
      { className: 'SeparableConv2D', config: { name: 'sep', filters: 3, kernel_size: 3, activation: 'linear' } },
      { className: 'Flatten', config: { name: 'flat' } },
      { className: 'Dense', config: { name: 'probs', units: 3, activation: 'softmax' } },
    ],
  });
}

/** The JS min and max of the finite values at `indices`. */
export function minMax(values: ArrayLike<number>, indices: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const i of indices) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return hi < lo ? [0, 0] : [lo, hi];
}

/** Indices i, i + step, … below n. */
export function* strided(start: number, step: number, n: number): Iterable<number> {
  for (let i = start; i < n; i += step) yield i;
}

/** Pixels of a tile strip that differ from refColour of `value(tile, y, x)` by more than 1 in any byte. */
export function offPixels(
  rgba: Uint8ClampedArray,
  width: number,
  tiles: number,
  tileW: number,
  tileH: number,
  value: (tile: number, y: number, x: number) => number,
  scale: (tile: number) => [number, number],
  diverging: boolean,
): string[] {
  const off: string[] = [];
  for (let t = 0; t < tiles; t++) {
    const [lo, hi] = scale(t);
    for (let y = 0; y < tileH; y++) {
      for (let x = 0; x < tileW; x++) {
        const at = (y * width + t * tileW + x) * 4;
        const got = [...rgba.subarray(at, at + 4)];
        const want = refColour(value(t, y, x), lo, hi, diverging);
        if (got.some((g, k) => Math.abs(g - want[k]!) > 1)) off.push(`tile ${t} (${y}, ${x}): ${got.join(',')} ≠ ${want.join(',')}`);
      }
    }
  }
  return off;
}
