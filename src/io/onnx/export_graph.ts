/**
 * The graph an export builds: nodes, initializers and unique tensor names, and the layout each
 * engine value has in it. The engine is NHWC; the exported graph is NCHW, as ONNX and PyTorch are,
 * so every value carries how its ONNX tensor relates to the engine's tensor:
 *
 * - `nchw`: a 4-D engine tensor [n, h, w, c], held as [n, c, h, w] (every 4-D value is held so);
 * - `flat`: a feature map the engine flattened in its h, w, c order, held flattened in c, h, w order
 *   (ONNX's Flatten of an NCHW tensor, as PyTorch's `x.flatten(1)`); the Dense that reads it has its
 *   kernel rows permuted instead of the activations being transposed;
 * - `same`: anything else, held as the engine holds it.
 */
import type { AttrValue, NodeOut, TensorOut } from './encode.js';

export type Layout = { kind: 'same' } | { kind: 'nchw' } | { kind: 'flat'; c: number; h: number; w: number };

/** An engine value in the ONNX graph: its tensor's name, layout, and engine shape without the batch. */
export interface Value {
  name: string;
  layout: Layout;
  shape: readonly number[];
}

export const SAME: Layout = { kind: 'same' };
export const NCHW: Layout = { kind: 'nchw' };

/** Engine [.., h, w, c] axes → ONNX NCHW axes, for 4-D values. */
export const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1] as const;

export class GraphBuilder {
  readonly nodes: NodeOut[] = [];
  readonly initializers: TensorOut[] = [];
  private readonly taken = new Set<string>();

  /** `base`, or `base_1`, `base_2`, … whichever is not yet a tensor or node name. */
  fresh(base: string): string {
    let name = base;
    for (let n = 1; this.taken.has(name); n++) name = `${base}_${n}`;
    this.taken.add(name);
    return name;
  }

  /** Adds a node with one output, named `${scope}/${opType}` (made unique); returns that name. */
  node(scope: string, opType: string, inputs: readonly string[], attributes?: Record<string, AttrValue>): string {
    const out = this.fresh(`${scope}/${opType}`);
    this.nodes.push({ name: out, opType, inputs, outputs: [out], attributes });
    return out;
  }

  /** A float32 initializer; returns its name. */
  floats(name: string, dims: readonly number[], data: Float32Array): string {
    const n = this.fresh(name);
    this.initializers.push({ name: n, dims, data });
    return n;
  }

  /** An int64 initializer (shapes, pads); returns its name. */
  int64s(name: string, values: readonly number[]): string {
    const n = this.fresh(name);
    this.initializers.push({ name: n, dims: [values.length], data: { int64: values } });
    return n;
  }

  /** A float32 scalar initializer. */
  scalar(name: string, v: number): string {
    const n = this.fresh(name);
    this.initializers.push({ name: n, dims: [], data: Float32Array.of(v) });
    return n;
  }

  /**
   * Gives the tensor `from` (made by a node added after index `since`) the name `to`, in that node
   * and every later node that reads it. Returns false when no such node made it (an input, or a
   * tensor an earlier layer made).
   */
  rename(from: string, to: string, since: number): boolean {
    const producer = this.nodes.findIndex((n, i) => i >= since && n.outputs.includes(from));
    if (producer < 0) return false;
    const swap = (names: readonly string[]) => names.map((s) => (s === from ? to : s));
    for (let i = producer; i < this.nodes.length; i++) {
      const n = this.nodes[i]!;
      this.nodes[i] = { ...n, inputs: swap(n.inputs), outputs: i === producer ? swap(n.outputs) : n.outputs };
    }
    return true;
  }

  /** The value as the engine holds it (`same`): NCHW and c, h, w-flattened values are transposed back. */
  toSame(scope: string, v: Value): Value {
    if (v.layout.kind === 'nchw') return { ...v, layout: SAME, name: this.node(scope, 'Transpose', [v.name], { perm: { ints: [0, 2, 3, 1] } }) };
    if (v.layout.kind === 'flat') {
      const { c, h, w } = v.layout;
      const map = this.node(scope, 'Reshape', [v.name, this.int64s(`${scope}/chw_shape`, [0, c, h, w])]);
      const hwc = this.node(scope, 'Transpose', [map], { perm: { ints: [0, 2, 3, 1] } });
      return { ...v, layout: SAME, name: this.node(scope, 'Reshape', [hwc, this.int64s(`${scope}/flat_shape`, [0, h * w * c])]) };
    }
    return v;
  }
}

/** HWIO [kh, kw, i, o] → OIHW [o, i, kh, kw]. */
export function hwioToOihw(k: Float32Array, [kh, kw, ci, co]: readonly number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh!; y++) for (let x = 0; x < kw!; x++) for (let i = 0; i < ci!; i++) for (let o = 0; o < co!; o++) {
    out[((o * ci! + i) * kh! + y) * kw! + x] = k[((y * kw! + x) * ci! + i) * co! + o]!;
  }
  return out;
}

/** Rows of a [h·w·c, units] kernel (engine flatten order) reordered for an input flattened c, h, w. */
export function permuteFlatRows(k: Float32Array, { c, h, w }: { c: number; h: number; w: number }, units: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let ci = 0; ci < c; ci++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const from = ((y * w + x) * c + ci) * units;
    out.set(k.subarray(from, from + units), ((ci * h + y) * w + x) * units);
  }
  return out;
}
