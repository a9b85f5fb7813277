/**
 * The index-remapping kernels of shaders/layout.wgsl shared by pad, slice, concat and transpose.
 * pad and slice are both a window copy: output coordinate `o` along each dim reads input
 * coordinate `o + off`, and outputs that land outside the input take a constant; a transpose is
 * the same copy with x's strides permuted. This file plans that copy (folding dims so the shader
 * decodes as few as possible) and records it.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { laneShaders, type Lanes } from '../gpu/lanes.js';
import { fail, shapeStr } from '../errors.js';
import { grid1d } from './checks.js';
import source from '../../shaders/layout.wgsl';

/** shaders/layout.wgsl at 1, 2 and 4 values per thread. */
export const layoutShaders = laneShaders('layout', source);

/** Dims the window kernel decodes (two vec4s per field); inputs of higher rank are refused. */
export const MAX_LAYOUT_RANK = 8;

/** One dim of a strided copy: its output extent, the extent and stride of x it walks, and where it starts. */
export interface FoldedDim {
  out: number;
  in: number;
  off: number;
  stride: number;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    s[k] = acc;
    acc *= shape[k]!;
  }
  return s;
}

/** Fails unless x has a rank the window kernel decodes (1 to MAX_LAYOUT_RANK). */
export function checkLayoutRank(op: string, x: Tensor): void {
  if (x.rank < 1) fail(op, `x must have rank 1 or more, got a scalar (shape ${shapeStr(x.shape)})`);
  if (x.rank > MAX_LAYOUT_RANK) fail(op, `x has rank ${x.rank} (shape ${shapeStr(x.shape)}); at most ${MAX_LAYOUT_RANK} dims are supported`);
}

/**
 * A tensor of shape `outShape` whose element at coordinates `o` is `x[o + offsets]`, or `value`
 * where that lies outside x. Arguments must already be valid.
 */
export function windowCopy(engine: Engine, op: string, x: Tensor, outShape: readonly number[], offsets: readonly number[], value: number): Tensor {
  const xStrides = stridesOf(x.shape);
  return stridedCopy(engine, op, x, outShape.map((out, k) => ({ out, in: x.shape[k]!, off: offsets[k]!, stride: xStrides[k]! })), value);
}

/**
 * The general form of windowCopy: output dim k (outermost first) walks `in` elements of x at
 * `stride` from `off` (so a transpose is a copy whose strides are x's, permuted). Outputs outside
 * `[0, in)` along some dim take `value`. Arguments must already be valid.
 */
export function stridedCopy(engine: Engine, op: string, x: Tensor, outDims: readonly FoldedDim[], value: number): Tensor {
  const outShape = outDims.map((d) => d.out);
  const y = engine.empty(outShape, op);
  if (y.size === 0) return y;
  // Innermost first. A dim of size 1 that reads inside x is a constant offset; a dim copied whole
  // (same extent, no offset) merges into its outer neighbour when their strides chain.
  const dims: FoldedDim[] = [];
  let base = 0;
  for (let k = outDims.length - 1; k >= 0; k--) {
    const d = { ...outDims[k]! };
    if (d.out === 1 && d.off >= 0 && d.off < d.in) {
      base += d.off * d.stride;
      continue;
    }
    const inner = dims[dims.length - 1];
    if (inner && inner.out === inner.in && inner.off === 0 && inner.stride * inner.in === d.stride) {
      inner.off = d.off * inner.in;
      inner.out *= d.out;
      inner.in *= d.in;
      continue;
    }
    dims.push(d);
  }
  const first = dims[0];
  // The widest vector that every innermost extent, offset and outer stride divides.
  const fits = (l: number) => first !== undefined && first.stride === 1 && base % l === 0 &&
    [first.out, first.in, first.off].every((n) => n % l === 0) && dims.slice(1).every((d) => d.stride % l === 0);
  const lanes: Lanes = fits(4) ? 4 : fits(2) ? 2 : 1;
  if (lanes > 1) {
    first!.out /= lanes;
    first!.in /= lanes;
    first!.off /= lanes;
    for (const d of dims.slice(1)) d.stride /= lanes;
    base /= lanes;
  }
  const size = y.size / lanes;
  const field = (get: (d: FoldedDim) => number, fill: number) => {
    const v = [...dims.map(get), ...Array<number>(MAX_LAYOUT_RANK - dims.length).fill(fill)];
    return [v.slice(0, 4), v.slice(4)];
  };
  const [outLo, outHi] = field((d) => d.out, 1);
  const [inLo, inHi] = field((d) => d.in, 1);
  const [offLo, offHi] = field((d) => d.off, 0);
  const [strideLo, strideHi] = field((d) => d.stride, 0);
  engine.run({
    shader: layoutShaders[lanes],
    entry: 'window_copy',
    buffers: { x: x.buffer, y: y.buffer },
    params: {
      size, rank: dims.length, base, value,
      out_lo: outLo!, out_hi: outHi!, in_lo: inLo!, in_hi: inHi!,
      off_lo: offLo!, off_hi: offHi!, stride_lo: strideLo!, stride_hi: strideHi!,
    },
    workgroups: grid1d(size, 256),
  });
  return y;
}
