/**
 * Evaluating ONNX nodes whose inputs are all known at load time, on the CPU: the shape arithmetic
 * exporters write around Reshape (Shape → Gather → Unsqueeze → Concat), weights computed from
 * initializers (a Cast from float16, a Transpose, a Mul by a constant), and Constant and
 * ConstantOfShape nodes. Nothing here reaches the GPU; the results become weights or attributes.
 */
import { shapeStr } from '../../errors.js';
import type { NodeProto } from './schema.js';
import { DataType } from './schema.js';
import { elementCount, type ConstTensor } from './tensor_data.js';
import { attrFloat, attrInt, attrInts, attrTensor, type NodeContext } from './attributes.js';

type Data = Float32Array | Float64Array;

export function constOf(kind: 'float' | 'int', dims: readonly number[], data: ArrayLike<number>): ConstTensor {
  return { kind, dims: [...dims], data: kind === 'float' ? Float32Array.from(data) : Float64Array.from(data) };
}

export function scalarOf(t: ConstTensor): number {
  return t.data[0]!;
}

/** Row-major strides. */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

/** NumPy broadcasting of two shapes, or undefined when they do not broadcast. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** `t`'s values broadcast to `dims` (which t's shape must broadcast to). */
export function expandTo(t: ConstTensor, dims: readonly number[]): Data {
  const n = elementCount(dims);
  const out = t.kind === 'float' ? new Float32Array(n) : new Float64Array(n);
  const r = dims.length;
  const src = [...Array<number>(r - t.dims.length).fill(1), ...t.dims];
  const sStr = stridesOf(src).map((s, i) => (src[i] === 1 ? 0 : s));
  const oStr = stridesOf(dims);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let j = 0;
    for (let d = 0; d < r; d++) {
      const q = Math.floor(rem / oStr[d]!);
      rem -= q * oStr[d]!;
      j += q * sStr[d]!;
    }
    out[i] = t.data[j]!;
  }
  return out;
}

/**
 * Transposes `t` by `perm` (output axis i is input axis perm[i]): a counter over the output's outer
 * axes and a strided inner loop, fast enough for the weights of a large model.
 */
export function transposeConst(t: ConstTensor, perm: readonly number[]): ConstTensor {
  const dims = perm.map((p) => t.dims[p]!);
  const n = elementCount(dims);
  const out = t.kind === 'float' ? new Float32Array(n) : new Float64Array(n);
  const r = dims.length;
  if (r === 0 || n === 0) {
    if (n) out[0] = t.data[0]!;
    return { kind: t.kind, dims, data: out };
  }
  const inStr = stridesOf(t.dims);
  const str = perm.map((p) => inStr[p]!);
  const data = t.data;
  const last = r - 1;
  const dl = dims[last]!;
  const sl = str[last]!;
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  for (let i = 0; i < n; i += dl) {
    for (let k = 0, s = src; k < dl; k++, s += sl) out[i + k] = data[s]!;
    for (let d = last - 1; d >= 0; d--) {
      idx[d]!++;
      src += str[d]!;
      if (idx[d]! < dims[d]!) break;
      src -= str[d]! * dims[d]!;
      idx[d] = 0;
    }
  }
  return { kind: t.kind, dims, data: out };
}

const BINARY: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: (a, b) => a ** b,
  Max: (a, b) => Math.max(a, b),
  Min: (a, b) => Math.min(a, b),
  Mod: (a, b) => a - b * Math.floor(a / b),
  Equal: (a, b) => +(a === b),
  Less: (a, b) => +(a < b),
  LessOrEqual: (a, b) => +(a <= b),
  Greater: (a, b) => +(a > b),
  GreaterOrEqual: (a, b) => +(a >= b),
  And: (a, b) => +(a !== 0 && b !== 0),
  Or: (a, b) => +(a !== 0 || b !== 0),
};

const UNARY: Record<string, (a: number) => number> = {
  Neg: (a) => -a,
  Abs: Math.abs,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Round: (a) => {
    const f = Math.floor(a);
    const d = a - f;
    return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
  },
  Sqrt: Math.sqrt,
  Exp: Math.exp,
  Log: Math.log,
  Reciprocal: (a) => 1 / a,
  Relu: (a) => Math.max(a, 0),
  Sigmoid: (a) => 1 / (1 + Math.exp(-a)),
  Tanh: Math.tanh,
  Not: (a) => +(a === 0),
  Sign: Math.sign,
};

const COMPARISONS = new Set(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Not']);

/** The op types this file evaluates (on constant inputs only). */
export const FOLDABLE_OPS: readonly string[] = [
  ...Object.keys(BINARY), ...Object.keys(UNARY), 'Sum', 'Identity', 'Dropout', 'Cast', 'CastLike', 'Constant', 'ConstantOfShape',
  'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Concat', 'Gather', 'Slice', 'Split', 'Expand', 'Tile', 'Range',
  'Where', 'ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'Clip', 'Size', 'Shape',
];

/**
 * The outputs of `node` from its constant inputs (undefined where an optional input is absent).
 * Throws through `ctx.fail` on an attribute or shape it cannot evaluate.
 */
export function foldNode(node: NodeProto, inputs: (ConstTensor | undefined)[], ctx: NodeContext): ConstTensor[] {
  const op = node.opType;
  const need = (i: number): ConstTensor => inputs[i] ?? ctx.fail(`input ${i + 1} is missing`);
  // Own properties only: an op_type such as 'toString' must not find Object's.
  if (Object.hasOwn(BINARY, op)) {
    const a = need(0);
    const b = need(1);
    const dims = broadcastDims(a.dims, b.dims) ?? ctx.fail(`cannot broadcast ${shapeStr(a.dims)} with ${shapeStr(b.dims)}`);
    const av = expandTo(a, dims);
    const bv = expandTo(b, dims);
    const f = BINARY[op]!;
    const kind = COMPARISONS.has(op) ? 'int' : a.kind === 'float' || b.kind === 'float' ? 'float' : 'int';
    const out = Float64Array.from(av, (v, i) => f(v, bv[i]!));
    // Integer division truncates towards zero, as ONNX's Div on integer tensors does.
    if (op === 'Div' && kind === 'int') for (let i = 0; i < out.length; i++) out[i] = Math.trunc(out[i]!);
    return [constOf(kind, dims, out)];
  }
  if (Object.hasOwn(UNARY, op)) {
    const a = need(0);
    const f = UNARY[op]!;
    return [constOf(COMPARISONS.has(op) ? 'int' : a.kind, a.dims, Array.from(a.data, f))];
  }
  switch (op) {
    case 'Sum': {
      let acc = need(0);
      for (const t of inputs.slice(1)) acc = foldNode({ ...node, opType: 'Add' }, [acc, t], ctx)[0]!;
      return [acc];
    }
    case 'Identity':
    case 'Dropout':
      return [need(0)];
    case 'Cast': {
      const to = attrInt(node, 'to', undefined, ctx);
      const a = need(0);
      const float = to === DataType.FLOAT || to === DataType.FLOAT16 || to === DataType.DOUBLE || to === DataType.BFLOAT16;
      if (float) return [constOf('float', a.dims, a.data)];
      const data = Array.from(a.data, (v) => (to === DataType.BOOL ? +(v !== 0) : Math.trunc(v)));
      return [constOf('int', a.dims, data)];
    }
    case 'CastLike': {
      const a = need(0);
      return [constOf(need(1).kind, a.dims, need(1).kind === 'int' ? Array.from(a.data, Math.trunc) : a.data)];
    }
    case 'Constant':
      return [constantAttr(node, ctx)];
    case 'ConstantOfShape': {
      const dims = Array.from(need(0).data);
      const value = attrTensor(node, 'value', ctx) ?? constOf('float', [1], [0]);
      return [constOf(value.kind, dims, new Float64Array(elementCount(dims)).fill(value.data[0] ?? 0))];
    }
    case 'Reshape':
      return [{ ...need(0), dims: reshapeDims(need(0).dims, Array.from(need(1).data), attrInt(node, 'allowzero', 0, ctx) === 1, ctx) }];
    case 'Flatten': {
      const a = need(0);
      const axis = normAxis(attrInt(node, 'axis', 1, ctx), a.dims.length + 1, ctx);
      return [{ ...a, dims: [elementCount(a.dims.slice(0, axis)), elementCount(a.dims.slice(axis))] }];
    }
    case 'Squeeze':
      return [{ ...need(0), dims: squeezeDims(need(0).dims, axesOf(node, inputs[1], ctx), ctx) }];
    case 'Unsqueeze':
      return [{ ...need(0), dims: unsqueezeDims(need(0).dims, axesOf(node, inputs[1], ctx) ?? ctx.fail('has no axes'), ctx) }];
    case 'Transpose': {
      const a = need(0);
      const perm = attrInts(node, 'perm', ctx) ?? a.dims.map((_, i) => a.dims.length - 1 - i);
      return [transposeConst(a, perm)];
    }
    case 'Concat':
      return [concatConst(inputs.filter((t): t is ConstTensor => t !== undefined), attrInt(node, 'axis', undefined, ctx), ctx)];
    case 'Gather':
      return [gatherConst(need(0), need(1), attrInt(node, 'axis', 0, ctx), ctx)];
    case 'Slice':
      return [sliceConst(need(0), sliceArgs(node, need(0).dims, inputs, ctx))];
    case 'Split':
      return splitConst(need(0), node, inputs[1], ctx);
    case 'Expand': {
      const a = need(0);
      const dims = broadcastDims(a.dims, Array.from(need(1).data)) ?? ctx.fail(`cannot expand ${shapeStr(a.dims)} to ${shapeStr(Array.from(need(1).data))}`);
      return [{ kind: a.kind, dims, data: expandTo(a, dims) }];
    }
    case 'Tile': {
      const a = need(0);
      const reps = Array.from(need(1).data);
      const dims = a.dims.map((d, i) => d * reps[i]!);
      const str = stridesOf(a.dims);
      const oStr = stridesOf(dims);
      const out = Array.from({ length: elementCount(dims) }, (_, i) => {
        let rem = i;
        let j = 0;
        for (let d = 0; d < dims.length; d++) {
          const q = Math.floor(rem / oStr[d]!);
          rem -= q * oStr[d]!;
          j += (q % a.dims[d]!) * str[d]!;
        }
        return a.data[j]!;
      });
      return [constOf(a.kind, dims, out)];
    }
    case 'Range': {
      const [start, limit, delta] = [scalarOf(need(0)), scalarOf(need(1)), scalarOf(need(2))];
      const n = Math.max(Math.ceil((limit - start) / delta), 0);
      return [constOf(need(0).kind, [n], Array.from({ length: n }, (_, i) => start + i * delta))];
    }
    case 'Where': {
      const [c, a, b] = [need(0), need(1), need(2)];
      const dims = broadcastDims(broadcastDims(c.dims, a.dims) ?? ctx.fail('cannot broadcast'), b.dims) ?? ctx.fail('cannot broadcast');
      const [cv, av, bv] = [expandTo(c, dims), expandTo(a, dims), expandTo(b, dims)];
      return [constOf(a.kind, dims, Array.from(cv, (v, i) => (v ? av[i]! : bv[i]!)))];
    }
    case 'ReduceSum':
    case 'ReduceMean':
    case 'ReduceMax':
    case 'ReduceMin':
    case 'ReduceProd':
      return [reduceConst(node, need(0), inputs[1], ctx)];
    case 'Clip': {
      const a = need(0);
      const lo = inputs[1] ? scalarOf(inputs[1]) : attrFloat(node, 'min', -Infinity, ctx);
      const hi = inputs[2] ? scalarOf(inputs[2]) : attrFloat(node, 'max', Infinity, ctx);
      return [constOf(a.kind, a.dims, Array.from(a.data, (v) => Math.min(Math.max(v, lo), hi)))];
    }
    case 'Size':
      return [constOf('int', [], [elementCount(need(0).dims)])];
    case 'Shape':
      return [shapeConst(need(0).dims, node, ctx)];
  }
  return ctx.fail('cannot be evaluated at load time');
}

/** The Shape op's result for a tensor of `dims` (with opset 15's start and end). */
export function shapeConst(dims: readonly number[], node: NodeProto, ctx: NodeContext): ConstTensor {
  const r = dims.length;
  const clampAxis = (a: number) => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
  const start = clampAxis(attrInt(node, 'start', 0, ctx));
  const end = clampAxis(attrInt(node, 'end', r, ctx));
  return constOf('int', [Math.max(end - start, 0)], dims.slice(start, end));
}

function constantAttr(node: NodeProto, ctx: NodeContext): ConstTensor {
  const t = attrTensor(node, 'value', ctx);
  if (t) return t;
  const a = node.attributes;
  if (a.has('value_float')) return constOf('float', [], [attrFloat(node, 'value_float', 0, ctx)]);
  if (a.has('value_floats')) {
    const v = a.get('value_floats')!.floats ?? [];
    return constOf('float', [v.length], v);
  }
  if (a.has('value_int')) return constOf('int', [], [attrInt(node, 'value_int', 0, ctx)]);
  if (a.has('value_ints')) {
    const v = a.get('value_ints')!.ints ?? [];
    return constOf('int', [v.length], v);
  }
  return ctx.fail(`has no value the importer can read (value, value_float(s) or value_int(s); got ${[...a.keys()].join(', ') || 'none'})`);
}

export function normAxis(axis: number, rank: number, ctx: NodeContext): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) ctx.fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Reshape's target shape resolved against the input dims: 0 copies a dim (unless allowzero), -1 is inferred. */
export function reshapeDims(dims: readonly number[], target: readonly number[], allowzero: boolean, ctx: NodeContext): number[] {
  const n = elementCount(dims);
  const out = target.map((d, i) => (d === 0 && !allowzero ? (dims[i] ?? ctx.fail(`shape ${shapeStr(target)} copies dim ${i} of ${shapeStr(dims)}, which has no such dim`)) : d));
  const infer = out.filter((d) => d === -1).length;
  if (infer > 1 || out.some((d) => d < -1 || !Number.isInteger(d))) ctx.fail(`shape ${shapeStr(target)} is not a valid Reshape target`);
  if (infer === 1) {
    const known = elementCount(out.filter((d) => d !== -1));
    if (known === 0 || n % known !== 0) ctx.fail(`cannot reshape ${shapeStr(dims)} (${n} values) to ${shapeStr(target)}`);
    out[out.indexOf(-1)] = n / known;
  }
  if (elementCount(out) !== n) ctx.fail(`cannot reshape ${shapeStr(dims)} (${n} values) to ${shapeStr(target)}`);
  return out;
}

/** Squeeze/Unsqueeze axes: the input (opset 13 on) or the attribute. */
export function axesOf(node: NodeProto, input: ConstTensor | undefined, ctx: NodeContext): number[] | undefined {
  if (input) return Array.from(input.data);
  return attrInts(node, 'axes', ctx);
}

export function squeezeDims(dims: readonly number[], axes: readonly number[] | undefined, ctx: NodeContext): number[] {
  if (!axes) return dims.filter((d) => d !== 1);
  const drop = new Set(axes.map((a) => normAxis(a, dims.length, ctx)));
  for (const a of drop) if (dims[a] !== 1) ctx.fail(`cannot squeeze axis ${a} of ${shapeStr(dims)}: its size is not 1`);
  return dims.filter((_, i) => !drop.has(i));
}

export function unsqueezeDims(dims: readonly number[], axes: readonly number[], ctx: NodeContext): number[] {
  const rank = dims.length + axes.length;
  const add = new Set(axes.map((a) => normAxis(a, rank, ctx)));
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(add.has(i) ? 1 : dims[j++]!);
  return out;
}

function concatConst(ts: ConstTensor[], axisRaw: number, ctx: NodeContext): ConstTensor {
  const first = ts[0] ?? ctx.fail('has no inputs');
  const rank = first.dims.length;
  const axis = normAxis(axisRaw, rank, ctx);
  const dims = [...first.dims];
  dims[axis] = ts.reduce((s, t) => s + t.dims[axis]!, 0);
  const outer = elementCount(dims.slice(0, axis));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const t of ts) {
      const block = elementCount(t.dims.slice(axis));
      for (let k = 0; k < block; k++) out.push(t.data[o * block + k]!);
    }
  }
  const kind = ts.some((t) => t.kind === 'float') ? 'float' : 'int';
  return constOf(kind, dims, out);
}

function gatherConst(data: ConstTensor, idx: ConstTensor, axisRaw: number, ctx: NodeContext): ConstTensor {
  const axis = normAxis(axisRaw, data.dims.length, ctx);
  const n = data.dims[axis]!;
  const outer = elementCount(data.dims.slice(0, axis));
  const inner = elementCount(data.dims.slice(axis + 1));
  const dims = [...data.dims.slice(0, axis), ...idx.dims, ...data.dims.slice(axis + 1)];
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const raw of idx.data) {
      const i = raw < 0 ? raw + n : raw;
      if (i < 0 || i >= n) ctx.fail(`index ${raw} is out of range for axis ${axis} of size ${n}`);
      for (let k = 0; k < inner; k++) out.push(data.data[(o * n + i) * inner + k]!);
    }
  }
  return constOf(data.kind, dims, out);
}

export interface SliceArgs {
  /** Per axis of the input: first index, step and count. */
  starts: number[];
  steps: number[];
  counts: number[];
}

/** Slice's starts/ends/axes/steps (inputs from opset 10, attributes before) clamped as ONNX clamps them. */
export function sliceArgs(node: NodeProto, dims: readonly number[], inputs: (ConstTensor | undefined)[], ctx: NodeContext): SliceArgs {
  const fromInputs = inputs.length > 1;
  const list = (i: number, attr: string) => (fromInputs ? (inputs[i] ? Array.from(inputs[i]!.data) : undefined) : attrInts(node, attr, ctx));
  const starts = list(1, 'starts') ?? ctx.fail('has no starts');
  const ends = list(2, 'ends') ?? ctx.fail('has no ends');
  const axes = list(3, 'axes') ?? starts.map((_, i) => i);
  const steps = (fromInputs ? list(4, 'steps') : undefined) ?? starts.map(() => 1);
  const r = dims.length;
  const out: SliceArgs = { starts: dims.map(() => 0), steps: dims.map(() => 1), counts: [...dims] };
  axes.forEach((raw, k) => {
    const a = normAxis(raw, r, ctx);
    const d = dims[a]!;
    const step = steps[k]!;
    if (step === 0) ctx.fail('has a step of 0');
    let s = starts[k]!;
    let e = ends[k]!;
    if (s < 0) s += d;
    if (e < 0) e += d;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    out.starts[a] = s;
    out.steps[a] = step;
    out.counts[a] = Math.max(Math.ceil((e - s) / step), 0);
  });
  return out;
}

export function sliceConst(a: ConstTensor, s: SliceArgs): ConstTensor {
  const dims = s.counts;
  const str = stridesOf(a.dims);
  const oStr = stridesOf(dims);
  const out = Array.from({ length: elementCount(dims) }, (_, i) => {
    let rem = i;
    let j = 0;
    for (let d = 0; d < dims.length; d++) {
      const q = Math.floor(rem / oStr[d]!);
      rem -= q * oStr[d]!;
      j += (s.starts[d]! + q * s.steps[d]!) * str[d]!;
    }
    return a.data[j]!;
  });
  return constOf(a.kind, dims, out);
}

/** Split's part sizes: the `split` input (opset 13) or attribute, num_outputs (opset 18), or equal parts. */
export function splitSizes(node: NodeProto, dim: number, input: ConstTensor | undefined, ctx: NodeContext): number[] {
  const given = input ? Array.from(input.data) : attrInts(node, 'split', ctx);
  if (given) {
    if (given.reduce((a, b) => a + b, 0) !== dim) ctx.fail(`split sizes ${shapeStr(given)} do not add up to ${dim}`);
    return given;
  }
  const parts = node.outputs.length;
  const size = Math.ceil(dim / parts);
  return Array.from({ length: parts }, (_, i) => Math.min(size, dim - i * size));
}

function splitConst(a: ConstTensor, node: NodeProto, splitInput: ConstTensor | undefined, ctx: NodeContext): ConstTensor[] {
  const axis = normAxis(attrInt(node, 'axis', 0, ctx), a.dims.length, ctx);
  const sizes = splitSizes(node, a.dims[axis]!, splitInput, ctx);
  let at = 0;
  return sizes.map((n) => {
    const starts = a.dims.map((_, i) => (i === axis ? at : 0));
    const counts = a.dims.map((d, i) => (i === axis ? n : d));
    at += n;
    return sliceConst(a, { starts, counts, steps: a.dims.map(() => 1) });
  });
}

function reduceConst(node: NodeProto, a: ConstTensor, axesInput: ConstTensor | undefined, ctx: NodeContext): ConstTensor {
  const r = a.dims.length;
  const axesRaw = axesInput ? Array.from(axesInput.data) : attrInts(node, 'axes', ctx);
  const noop = attrInt(node, 'noop_with_empty_axes', 0, ctx) === 1;
  if ((!axesRaw || axesRaw.length === 0) && noop) return a;
  const axes = new Set((axesRaw && axesRaw.length ? axesRaw : a.dims.map((_, i) => i)).map((x) => normAxis(x, r, ctx)));
  const keep = attrInt(node, 'keepdims', 1, ctx) === 1;
  const kept = a.dims.map((d, i) => (axes.has(i) ? 1 : d));
  const n = elementCount(kept);
  const f = node.opType;
  const init = f === 'ReduceMax' ? -Infinity : f === 'ReduceMin' ? Infinity : f === 'ReduceProd' ? 1 : 0;
  const acc = new Float64Array(n).fill(init);
  const str = stridesOf(a.dims);
  const kStr = stridesOf(kept);
  for (let i = 0; i < a.data.length; i++) {
    let j = 0;
    let rem = i;
    for (let d = 0; d < r; d++) {
      const q = Math.floor(rem / str[d]!);
      rem -= q * str[d]!;
      if (!axes.has(d)) j += q * kStr[d]!;
    }
    const v = a.data[i]!;
    acc[j] = f === 'ReduceMax' ? Math.max(acc[j]!, v) : f === 'ReduceMin' ? Math.min(acc[j]!, v) : f === 'ReduceProd' ? acc[j]! * v : acc[j]! + v;
  }
  if (f === 'ReduceMean') {
    const count = a.data.length / Math.max(n, 1);
    for (let i = 0; i < n; i++) acc[i] = acc[i]! / count;
  }
  return constOf(a.kind, keep ? kept : a.dims.filter((_, i) => !axes.has(i)), acc);
}
