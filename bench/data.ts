/**
 * Seeded inputs for every case, in the canonical layouts (NHWC, HWIO, row-major), and the layout
 * conversions the NCHW engines (jax-js, ONNX Runtime) need: every engine gets the same numbers.
 */
import { windowOutShape } from './cases.js';
import { SeededRandom } from '../src/nn/random.js';
import type { BenchCase, CaseInputs, TrainSpec } from './types.js';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** The engine's seeded generator (mulberry32), with shaped uniform draws: the same inputs on every run and browser. */
export class Rng extends SeededRandom {
  uniform(shape: readonly number[], lo = -1, hi = 1): { data: Float32Array; shape: number[] } {
    const data = new Float32Array(prod(shape));
    for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * this.next();
    return { data, shape: [...shape] };
  }
}

/** LeNet-5's parameters in the order every engine's training step takes and returns them. */
export const LENET_PARAMS = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3', 'w4', 'b4', 'w5', 'b5'] as const;
export const LENET_SHAPES: Record<(typeof LENET_PARAMS)[number], number[]> = {
  w1: [5, 5, 1, 6], b1: [6], w2: [5, 5, 6, 16], b2: [16],
  w3: [400, 120], b3: [120], w4: [120, 84], b4: [84], w5: [84, 10], b5: [10],
};

function glorot(rng: Rng, shape: number[]): { data: Float32Array; shape: number[] } {
  const fanIn = shape.length === 4 ? shape[0]! * shape[1]! * shape[2]! : shape[0]!;
  const fanOut = shape.length === 4 ? shape[0]! * shape[1]! * shape[3]! : shape[1]!;
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return rng.uniform(shape, -limit, limit);
}

function trainInputs(spec: TrainSpec, rng: Rng): CaseInputs {
  const inputs: CaseInputs = { x: rng.uniform([spec.batch, 28, 28, 1], 0, 1) };
  const labels = new Float32Array(spec.batch * 10);
  for (let i = 0; i < spec.batch; i++) labels[i * 10 + Math.floor(rng.next() * 10)] = 1;
  inputs.labels = { data: labels, shape: [spec.batch, 10] };
  for (const p of LENET_PARAMS) {
    inputs[p] = p.startsWith('b') ? rng.uniform(LENET_SHAPES[p], -0.1, 0.1) : glorot(rng, LENET_SHAPES[p]);
  }
  return inputs;
}

/** The inputs of a case, drawn from a generator seeded by the suite's seed and the case id. */
export function caseInputs(c: BenchCase, seed: number): CaseInputs {
  let h = seed >>> 0;
  for (let i = 0; i < c.id.length; i++) h = Math.imul(h ^ c.id.charCodeAt(i), 0x01000193) >>> 0;
  const rng = new Rng(h);
  const s = c.spec;
  switch (s.kind) {
    case 'conv': {
      const y = windowOutShape(s);
      if (c.family.endsWith('GradInput')) return { dy: rng.uniform(y), w: rng.uniform(s.w) };
      if (c.family.endsWith('GradFilter')) return { x: rng.uniform(s.x), dy: rng.uniform(y) };
      const xw = { x: rng.uniform(s.x), w: rng.uniform(s.w) };
      return c.family === 'convLayer' ? { ...xw, bias: rng.uniform([s.w[3]]) } : xw;
    }
    case 'pool': {
      const y = windowOutShape(s);
      if (c.family === 'maxPoolGrad') return { x: rng.uniform(s.x), dy: rng.uniform(y) };
      if (c.family === 'avgPoolGrad') return { dy: rng.uniform(y) };
      return { x: rng.uniform(s.x) };
    }
    case 'matmul': {
      const ab = { a: rng.uniform([s.m, s.k]), b: rng.uniform([s.k, s.n]) };
      return c.family === 'denseLayer' ? { ...ab, bias: rng.uniform([s.n]) } : ab;
    }
    case 'train':
      return trainInputs(s, rng);
    case 'model':
      return { x: rng.uniform(s.x, s.range[0], s.range[1]) };
    case 'explain': {
      const x = rng.uniform(s.x, s.range[0], s.range[1]);
      return s.method === 'integratedGradients' ? { x, baseline: rng.uniform(s.x, s.range[0], s.range[1]) } : { x };
    }
  }
}

/** [n, h, w, c] → [n, c, h, w]. */
export function nhwcToNchw(src: Float32Array, [n, h, w, c]: readonly number[]): Float32Array {
  const dst = new Float32Array(src.length);
  for (let b = 0; b < n!; b++)
    for (let y = 0; y < h!; y++)
      for (let x = 0; x < w!; x++)
        for (let k = 0; k < c!; k++) dst[((b * c! + k) * h! + y) * w! + x] = src[((b * h! + y) * w! + x) * c! + k]!;
  return dst;
}

/** [n, c, h, w] → [n, h, w, c], given the NHWC shape. */
export function nchwToNhwc(src: ArrayLike<number>, [n, h, w, c]: readonly number[]): Float32Array {
  const dst = new Float32Array(src.length);
  for (let b = 0; b < n!; b++)
    for (let y = 0; y < h!; y++)
      for (let x = 0; x < w!; x++)
        for (let k = 0; k < c!; k++) dst[((b * h! + y) * w! + x) * c! + k] = src[((b * c! + k) * h! + y) * w! + x]!;
  return dst;
}

/**
 * HWIO → OIHW. A depthwise filter [kh, kw, c, m] goes to [c·m, 1, kh, kw]: output channel c·m + j
 * filters channel c, as tf.depthwiseConv2d numbers them and a grouped conv (groups = c) computes.
 */
export function hwioToOihw(src: Float32Array, [kh, kw, ci, co]: readonly number[], depthwise = false): Float32Array {
  const dst = new Float32Array(src.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let i = 0; i < ci!; i++)
        for (let o = 0; o < co!; o++) {
          const v = src[((y * kw! + x) * ci! + i) * co! + o]!;
          if (depthwise) dst[((i * co! + o) * kh! + y) * kw! + x] = v;
          else dst[((o * ci! + i) * kh! + y) * kw! + x] = v;
        }
  return dst;
}

/** The inverse of `hwioToOihw`, given the HWIO shape. */
export function oihwToHwio(src: ArrayLike<number>, [kh, kw, ci, co]: readonly number[], depthwise = false): Float32Array {
  const dst = new Float32Array(src.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let i = 0; i < ci!; i++)
        for (let o = 0; o < co!; o++) {
          const from = depthwise ? ((i * co! + o) * kh! + y) * kw! + x : ((o * ci! + i) * kh! + y) * kw! + x;
          dst[((y * kw! + x) * ci! + i) * co! + o] = src[from]!;
        }
  return dst;
}

/**
 * LeNet's first dense weight [400, 120] with its rows reordered from NHWC flattening (h, w, c) to
 * NCHW flattening (c, h, w) of the [5, 5, 16] feature map, so an NCHW engine computes the same net.
 * `inverse` maps back.
 */
export function permuteFlattenRows(src: ArrayLike<number>, inverse = false, [h, w, c] = [5, 5, 16], cols = 120): Float32Array {
  const dst = new Float32Array(src.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++) {
        const nhwc = (y * w + x) * c + k;
        const nchw = (k * h + y) * w + x;
        const [from, to] = inverse ? [nchw, nhwc] : [nhwc, nchw];
        for (let j = 0; j < cols; j++) dst[to * cols + j] = src[from * cols + j]!;
      }
  return dst;
}
