/**
 * How an ONNX (NCHW) tensor is stored on the engine, and the data movement between layouts.
 *
 * The rule is one per rank: a 4-D activation [n, c, h, w] is stored NHWC ([n, h, w, c]), as every
 * layer of the engine computes; any other rank is stored in ONNX's own order. One exception saves
 * a transpose per classifier: a feature map flattened to [n, c·h·w] is stored with its columns in
 * NHWC order (`FlatOrder`), and the fully connected layer that reads it gets its weight rows
 * permuted at load instead.
 */
import type { LayoutStep } from '../../nn/layers/onnx/index.js';
import { elementCount } from './tensor_data.js';

/** A 2-D activation whose columns hold a [c, h, w] feature map in (h, w, c) order instead of ONNX's (c, h, w). */
export interface FlatOrder {
  c: number;
  h: number;
  w: number;
}

/** Stored axis i holds ONNX axis perm[i]. */
export function storedPerm(rank: number): number[] {
  return rank === 4 ? [0, 2, 3, 1] : Array.from({ length: rank }, (_, i) => i);
}

/** The stored axis of ONNX axis `a`. */
export function storedAxis(rank: number, a: number): number {
  return rank === 4 ? [0, 3, 1, 2][a]! : a;
}

/** The stored shape of an ONNX shape. */
export function storedShape(onnx: readonly number[]): number[] {
  return storedPerm(onnx.length).map((a) => onnx[a]!);
}

/** `perm` applied to `dims` (result axis i is dims axis perm[i]). */
export function permute<T>(dims: readonly T[], perm: readonly number[]): T[] {
  return perm.map((p) => dims[p]!);
}

export function inverse(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** True when transposing `dims` by `perm` moves no data: the dims larger than 1 keep their order. */
export function isFreeTranspose(dims: readonly number[], perm: readonly number[]): boolean {
  let last = -1;
  for (const p of perm) {
    if (dims[p] === 1) continue;
    if (p < last) return false;
    last = p;
  }
  return true;
}

export function isIdentity(perm: readonly number[]): boolean {
  return perm.every((p, i) => p === i);
}

/**
 * The column of a flattened [c, h, w] map, in ONNX's (c, h, w) order, that stored column j holds
 * (stored columns run in (h, w, c) order).
 */
export function flatColumn(f: FlatOrder, j: number): number {
  const c = j % f.c;
  const hw = (j - c) / f.c;
  return c * f.h * f.w + hw;
}

/** Whether the order is a real permutation (a map with c = 1 or h·w = 1 flattens the same either way). */
export function isPermuted(f: FlatOrder | undefined): f is FlatOrder {
  return f !== undefined && f.c > 1 && f.h * f.w > 1;
}

/**
 * The steps that turn a stored ONNX tensor of shape `from` into the stored form of `to` (same
 * values in ONNX's row-major order), as short as the layouts allow: nothing when the stored
 * buffers already agree, one reshape when only the shape differs, otherwise a transpose to ONNX
 * order, a reshape, and a transpose back to NHWC where `to` is 4-D. Shapes include the batch
 * (which must be the same first dim); steps do not.
 */
export function relayoutSteps(from: readonly number[], to: readonly number[], fromFlat?: FlatOrder): LayoutStep[] {
  const steps: LayoutStep[] = [];
  const fromStored = storedShape(from);
  const toStored = storedShape(to);
  if (!isPermuted(fromFlat) && sameStoredOrder(from, to)) {
    if (!sameDims(fromStored, toStored)) steps.push({ reshape: toStored.slice(1) });
    return steps;
  }
  // Into ONNX order.
  if (isPermuted(fromFlat)) {
    const { c, h, w } = fromFlat;
    steps.push({ reshape: [h, w, c] }, { transpose: [0, 3, 1, 2] });
  } else if (from.length === 4 && !isFreeTranspose(fromStored, [0, 3, 1, 2])) {
    steps.push({ transpose: [0, 3, 1, 2] });
  }
  // Out of it.
  if (to.length === 4 && !isFreeTranspose(to, [0, 2, 3, 1])) {
    steps.push({ reshape: to.slice(1) }, { transpose: [0, 2, 3, 1] });
  } else {
    steps.push({ reshape: toStored.slice(1) });
  }
  return simplify(steps, fromStored.slice(1));
}

/** Merges consecutive reshapes and drops reshapes to the shape the tensor already has. */
function simplify(steps: LayoutStep[], start: number[]): LayoutStep[] {
  const out: LayoutStep[] = [];
  // shapes[k]: the shape before out[k]; the last entry is the current shape.
  const shapes: number[][] = [start];
  for (const s of steps) {
    const cur = shapes[shapes.length - 1]!;
    if ('reshape' in s) {
      const prev = out[out.length - 1];
      if (prev && 'reshape' in prev) {
        out.pop();
        shapes.pop();
      }
      if (sameDims(s.reshape, shapes[shapes.length - 1]!)) continue;
      out.push(s);
      shapes.push(s.reshape);
    } else {
      out.push(s);
      shapes.push(s.transpose.slice(1).map((k) => [0, ...cur][k]!));
    }
  }
  return out;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Whether the stored buffers of `from` and `to` list the same ONNX elements in the same order (so
 * a reshape of the stored tensor is exact). Checked per example, element by element, with an early
 * exit; cheap next to reading the model.
 */
function sameStoredOrder(from: readonly number[], to: readonly number[]): boolean {
  const a = onnxIndexOf(from);
  const b = onnxIndexOf(to);
  if (!a && !b) return true;
  const n = elementCount(from.slice(1));
  for (let i = 0; i < n; i++) if ((a ? a(i) : i) !== (b ? b(i) : i)) return false;
  return true;
}

/** For a 4-D shape stored NHWC with real channel and spatial extents: stored index → ONNX index (per example). */
function onnxIndexOf(shape: readonly number[]): ((i: number) => number) | undefined {
  if (shape.length !== 4) return undefined;
  const [, c, h, w] = shape as [number, number, number, number];
  if (c === 1 || h * w === 1) return undefined;
  return (i) => {
    const ci = i % c;
    return ci * h * w + (i - ci) / c;
  };
}
