/**
 * Elementwise add, sub, mul and div with NumPy / TensorFlow.js broadcasting (shaders/binary.wgsl).
 * The dispatch is planned on the CPU: dims of size 1 in the output are dropped and neighbouring
 * dims that index both operands contiguously are merged, so most broadcasts (a bias onto NHWC or
 * NCHW, a scalar onto anything) take a kernel with no per-dimension arithmetic.
 */
import type { Engine } from '../engine.js';
import { Tensor } from '../tensor.js';
import { Shader } from '../gpu/shader.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor, grid1d } from './checks.js';
import { scalarOp, type ScalarOp } from './elementwise.js';
import type { Definitions, Grads, GradientContext } from './op.js';
import { reduceTo, reduceToOwned } from './grad_shapes.js';
import source from '../../shaders/binary.wgsl';

const shader = new Shader('binary', source);

const OPS = { add: 0, sub: 1, mul: 2, div: 3 } as const;
export type BinaryOp = keyof typeof OPS;

/**
 * What `binary` may apply to each result as it writes it: inference only (a residual add and its
 * relu in one dispatch); the op table's add, sub, mul and div, which tapes record, apply none.
 */
const ACTS = { linear: 0, relu: 1, relu6: 2 } as const;
export type BinaryActivation = keyof typeof ACTS;

/** Dims the strided kernel can index after merging (two vec4<u32> per operand). */
const MAX_RANK = 8;

type Plan =
  | { kind: 'same' }
  | { kind: 'run'; bBroadcast: boolean; n: number; inner: number }
  | { kind: 'strided'; shape: number[]; aStrides: number[]; bStrides: number[] };

/**
 * `a op b` elementwise, broadcasting shapes aligned at their trailing dims as `tf.add`, `tf.sub`,
 * `tf.mul` and `tf.div` do: each pair of dims must be equal or one of them 1 (or missing).
 * @example
 * const y = binary(engine, 'add', engine.tensor([1, 2, 3, 4, 5, 6], [2, 3]), engine.tensor([10, 20, 30], [3]));
 * await y.read(); // Float32Array [11, 22, 33, 14, 25, 36]
 */
export function binary(engine: Engine, op: BinaryOp, a: Tensor, b: Tensor, activation: BinaryActivation = 'linear'): Tensor {
  if (!Object.hasOwn(ACTS, activation)) fail(op, `activation '${String(activation)}' is not one of ${Object.keys(ACTS).join(', ')}`);
  if (!Object.hasOwn(OPS, op)) fail('binary', `unknown op '${String(op)}'`);
  checkTensor(op, 'a', a);
  checkTensor(op, 'b', b);
  const outShape = broadcastShape(op, a.shape, b.shape);
  const size = outShape.reduce((p, d) => p * d, 1);
  const plan = size === 0 ? null : planBroadcast(op, outShape, a.shape, b.shape);
  const y = engine.empty(outShape, op);
  if (!plan) return y;
  const common = { shader, constants: { OP: OPS[op], ACT: ACTS[activation] }, buffers: { a: a.buffer, b: b.buffer, y: y.buffer }, workgroups: grid1d(size, 256) };
  if (plan.kind === 'same') {
    engine.run({ ...common, entry: 'same_shape', params: { size } });
  } else if (plan.kind === 'run') {
    engine.run({
      ...common,
      entry: 'broadcast_run',
      constants: { OP: OPS[op], ACT: ACTS[activation], B_BROADCAST: plan.bBroadcast ? 1 : 0 },
      params: { size, n: plan.n, inner: plan.inner },
    });
  } else {
    const pad = (v: number[], fill: number) => [...v, ...Array<number>(MAX_RANK - v.length).fill(fill)];
    const shape = pad(plan.shape, 1);
    const as = pad(plan.aStrides, 0);
    const bs = pad(plan.bStrides, 0);
    engine.run({
      ...common,
      entry: 'strided',
      params: {
        size, rank: plan.shape.length,
        shape_lo: shape.slice(0, 4), shape_hi: shape.slice(4),
        a_strides_lo: as.slice(0, 4), a_strides_hi: as.slice(4),
        b_strides_lo: bs.slice(0, 4), b_strides_hi: bs.slice(4),
      },
    });
  }
  return y;
}

/** The broadcast output shape, or a failure naming both shapes and the first dims that clash. */
export function broadcastShape(op: string, aShape: readonly number[], bShape: readonly number[]): number[] {
  const rank = Math.max(aShape.length, bShape.length);
  const out = new Array<number>(rank);
  for (let k = 1; k <= rank; k++) {
    const da = aShape[aShape.length - k] ?? 1;
    const db = bShape[bShape.length - k] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      fail(op, `shapes ${shapeStr(aShape)} and ${shapeStr(bShape)} cannot be broadcast (a's dim ${aShape.length - k} is ${da}, b's dim ${bShape.length - k} is ${db})`);
    }
    out[rank - k] = da === 1 ? db : da;
  }
  return out;
}

/** Picks the cheapest kernel for a non-empty output; see shaders/binary.wgsl. */
function planBroadcast(op: string, out: number[], aShape: readonly number[], bShape: readonly number[]): Plan {
  const aStr = broadcastStrides(out, aShape);
  const bStr = broadcastStrides(out, bShape);
  // Output dims, outermost first, with both operands' strides; merged where both stay contiguous.
  const dims: { size: number; a: number; b: number }[] = [];
  out.forEach((size, d) => {
    if (size === 1) return;
    const prev = dims[dims.length - 1];
    if (prev && prev.a === aStr[d]! * size && prev.b === bStr[d]! * size) {
      prev.size *= size;
      prev.a = aStr[d]!;
      prev.b = bStr[d]!;
    } else {
      dims.push({ size, a: aStr[d]!, b: bStr[d]! });
    }
  });
  const size = out.reduce((p, d) => p * d, 1);
  const aFull = aShape.reduce((p, d) => p * d, 1) === size;
  const bFull = bShape.reduce((p, d) => p * d, 1) === size;
  if (aFull && bFull) return { kind: 'same' };
  // When one side is full, the other (after merging) varies along at most one dim for a run.
  for (const bBroadcast of [true, false]) {
    if (bBroadcast ? !aFull : !bFull) continue;
    const varying = dims.map((d) => (bBroadcast ? d.b : d.a) !== 0);
    const at = varying.indexOf(true);
    if (varying.lastIndexOf(true) !== at) continue;
    const n = at < 0 ? 1 : dims[at]!.size;
    const inner = at < 0 ? 1 : dims.slice(at + 1).reduce((p, d) => p * d.size, 1);
    return { kind: 'run', bBroadcast, n, inner };
  }
  if (dims.length > MAX_RANK) {
    fail(op, `shapes ${shapeStr(aShape)} and ${shapeStr(bShape)} broadcast over ${dims.length} alternating dims; at most ${MAX_RANK} are supported`);
  }
  const inner = [...dims].reverse();
  return { kind: 'strided', shape: inner.map((d) => d.size), aStrides: inner.map((d) => d.a), bStrides: inner.map((d) => d.b) };
}

/** Row-major strides of `shape` against the output's dims: 0 where it is padded or broadcast. */
function broadcastStrides(out: number[], shape: readonly number[]): number[] {
  const strides = new Array<number>(out.length).fill(0);
  let stride = 1;
  for (let k = 1; k <= shape.length; k++) {
    const d = shape[shape.length - k]!;
    strides[out.length - k] = d === 1 ? 0 : stride;
    stride *= d;
  }
  return strides;
}

/** A tensor or a plain number (a number operand travels in the uniforms, never uploaded). */
export type Operand = Tensor | number;

/** Which scalar kernel computes `tensor op number` (`scalarFirst`: `number op tensor`). */
const SCALAR_FORMS: Record<BinaryOp, [ScalarOp, ScalarOp]> = {
  add: ['addScalar', 'addScalar'],
  sub: ['addScalar', 'scalarSub'],
  mul: ['mulScalar', 'mulScalar'],
  div: ['divScalar', 'scalarDiv'],
};

/** `a op b` where either operand may be a number. */
export function binaryOperands(engine: Engine, op: BinaryOp, a: Operand, b: Operand): Tensor {
  const aNum = typeof a === 'number';
  const bNum = typeof b === 'number';
  if (aNum && bNum) fail(op, `at least one operand must be a tensor, got the numbers ${a} and ${b}`);
  if (bNum) return scalarOp(engine, SCALAR_FORMS[op][0], a as Tensor, op === 'sub' ? -b : b);
  if (aNum) return scalarOp(engine, SCALAR_FORMS[op][1], b, a);
  return binary(engine, op, a, b);
}

const tensorOrNull = (t: Operand): Tensor | null => (t instanceof Tensor ? t : null);

function disposeTemp(t: Tensor, keep: Tensor): void {
  if (t !== keep) t.dispose();
}

/** The gradient of a number operand: none; of a tensor operand: `f()` summed back to its shape. */
function gradOf(need: boolean | undefined, operand: Operand, e: Engine, f: () => Tensor): Tensor | null {
  if (!need || typeof operand === 'number') return null;
  return reduceToOwned(e, f(), operand.shape);
}

/** The binary ops as the engine and the tape show them: either operand may be a number. */
export interface BinaryOps {
  /** `tf.add` with broadcasting. */
  add(a: Operand, b: Operand): Tensor;
  /** `tf.sub` with broadcasting. */
  sub(a: Operand, b: Operand): Tensor;
  /** `tf.mul` with broadcasting. */
  mul(a: Operand, b: Operand): Tensor;
  /** `tf.div` with broadcasting (x / 0 is ±Infinity or NaN, as in IEEE arithmetic). */
  div(a: Operand, b: Operand): Tensor;
}

export const binaryOps: Definitions<BinaryOps> = {
  add: {
    kind: 'differentiable',
    forward: (e: Engine, a: Operand, b: Operand) => binaryOperands(e, 'add', a, b),
    inputs: (a: Operand, b: Operand) => [tensorOrNull(a), tensorOrNull(b)],
    gradient: ({ engine, g, needs }, a: Operand, b: Operand): Grads => [
      needs[0] && typeof a !== 'number' ? reduceTo(engine, g, a.shape) : null,
      needs[1] && typeof b !== 'number' ? reduceTo(engine, g, b.shape) : null,
    ],
  },
  sub: {
    kind: 'differentiable',
    forward: (e: Engine, a: Operand, b: Operand) => binaryOperands(e, 'sub', a, b),
    inputs: (a: Operand, b: Operand) => [tensorOrNull(a), tensorOrNull(b)],
    gradient: ({ engine, g, needs }, a: Operand, b: Operand): Grads => {
      let db: Tensor | null = null;
      if (needs[1] && typeof b !== 'number') {
        // Negate after reducing: the reduced gradient is the smaller one.
        const r = reduceTo(engine, g, b.shape);
        db = engine.neg(r);
        disposeTemp(r, g);
      }
      return [needs[0] && typeof a !== 'number' ? reduceTo(engine, g, a.shape) : null, db];
    },
  },
  mul: {
    kind: 'differentiable',
    forward: (e: Engine, a: Operand, b: Operand) => binaryOperands(e, 'mul', a, b),
    inputs: (a: Operand, b: Operand) => [tensorOrNull(a), tensorOrNull(b)],
    gradient: ({ engine, g, needs }, a: Operand, b: Operand): Grads => [
      gradOf(needs[0], a, engine, () => engine.mul(g, b)),
      gradOf(needs[1], b, engine, () => engine.mul(g, a)),
    ],
  },
  /** da = g / b, db = −g·a / b² = −g·y / b. */
  div: {
    kind: 'differentiable',
    forward: (e: Engine, a: Operand, b: Operand) => binaryOperands(e, 'div', a, b),
    inputs: (a: Operand, b: Operand) => [tensorOrNull(a), tensorOrNull(b)],
    gradient: ({ engine, g, needs, y }: GradientContext<Tensor>, a: Operand, b: Operand): Grads => [
      gradOf(needs[0], a, engine, () => engine.div(g, b)),
      gradOf(needs[1], b, engine, () => {
        const gy = engine.mul(g, y);
        const q = engine.div(gy, b);
        const out = engine.neg(q);
        gy.dispose();
        q.dispose();
        return out;
      }),
    ],
  },
};
