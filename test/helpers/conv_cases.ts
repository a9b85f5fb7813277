/** Random conv/pool geometries, with the awkward cases the engine must get right. */
import type { Padding } from '../../src/ops/conv_geometry.js';
import { Rng } from './random.js';

export interface ConvCase {
  x: [number, number, number, number];
  w: [number, number, number, number];
  strides: [number, number];
  dilations: [number, number];
  pad: Padding;
}

/** tfjs wants explicit padding in its 4-entry NHWC form. */
export function tfPad(pad: Padding): 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]] {
  if (typeof pad === 'string' || typeof pad === 'number') return pad;
  return [[0, 0], [pad[0]![0], pad[0]![1]], [pad[1]![0], pad[1]![1]], [0, 0]];
}

function fits(c: ConvCase): boolean {
  const effH = (c.w[0] - 1) * c.dilations[0] + 1;
  const effW = (c.w[1] - 1) * c.dilations[1] + 1;
  let [t, b, l, r] = [0, 0, 0, 0];
  if (typeof c.pad === 'number') t = b = l = r = c.pad;
  else if (Array.isArray(c.pad)) [[t, b], [l, r]] = c.pad as [[number, number], [number, number]];
  if (c.pad === 'same') return true;
  return effH <= c.x[1] + t + b && effW <= c.x[2] + l + r;
}

/** Hand-picked awkward cases first, then random ones, `count` in all. */
export function convCases(seed: number, count: number): ConvCase[] {
  const fixed: ConvCase[] = [
    { x: [2, 23, 23, 3], w: [11, 11, 3, 5], strides: [4, 4], dilations: [1, 1], pad: 'valid' },
    { x: [1, 5, 5, 3], w: [5, 5, 3, 7], strides: [1, 1], dilations: [1, 1], pad: 'valid' },
    { x: [3, 7, 9, 5], w: [1, 1, 5, 6], strides: [1, 1], dilations: [1, 1], pad: 'valid' },
    { x: [2, 8, 7, 4], w: [2, 4, 4, 8], strides: [2, 2], dilations: [1, 1], pad: 'same' },
    { x: [1, 9, 11, 2], w: [3, 3, 2, 3], strides: [1, 1], dilations: [2, 2], pad: 'same' },
    { x: [2, 6, 8, 3], w: [3, 2, 3, 5], strides: [1, 2], dilations: [1, 1], pad: [[2, 0], [1, 3]] },
    { x: [1, 17, 13, 6], w: [3, 3, 6, 9], strides: [4, 3], dilations: [1, 1], pad: 1 },
    { x: [2, 16, 16, 8], w: [3, 3, 8, 16], strides: [1, 1], dilations: [1, 1], pad: 'same' },
    { x: [1, 9, 10, 8], w: [3, 3, 8, 4], strides: [2, 2], dilations: [1, 1], pad: [[0, 1], [2, 1]] },
    { x: [3, 5, 6, 4], w: [1, 1, 4, 12], strides: [1, 1], dilations: [1, 1], pad: 'valid' },
  ];
  const rng = new Rng(seed);
  const cases = fixed.slice(0, count);
  while (cases.length < count) {
    const stride = rng.pick([1, 1, 2, 3, 4]);
    const dil = stride === 1 ? rng.pick([1, 1, 2]) : 1;
    const pads: Padding[] = ['same', 'valid', rng.int(0, 2), [[rng.int(0, 3), rng.int(0, 3)], [rng.int(0, 3), rng.int(0, 3)]]];
    const c: ConvCase = {
      x: [rng.int(1, 3), rng.int(1, 13), rng.int(1, 13), rng.pick([1, 2, 3, 4, 5, 7, 8])],
      w: [rng.int(1, 5), rng.int(1, 5), 0, rng.pick([1, 2, 3, 4, 5, 6, 8, 9])],
      strides: [stride, rng.pick([stride, 1])],
      dilations: [dil, dil],
      pad: rng.pick(pads),
    };
    c.w[2] = c.x[3];
    if (c.strides[1] > 1 && c.dilations[1] > 1) continue;
    if (fits(c)) cases.push(c);
  }
  return cases;
}
