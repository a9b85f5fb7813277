/**
 * Unary ops and their gradients (shaders/elementwise.wgsl). The gradient kernels take the tensor
 * the rule needs: the forward input for relu and leaky relu, the forward output for relu6,
 * sigmoid and tanh (for relu6 the two give the same mask). The scalar forms of the binary ops
 * (`x + 2`, `1 / x`) run here too, the scalar carried in the uniforms.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { Shader } from '../gpu/shader.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor, grid1d } from './checks.js';
import type { Definitions, DifferentiableOp, Grads, GradientContext } from './op.js';
import source from '../../shaders/elementwise.wgsl';

const shader = new Shader('elementwise', source);

const OPS = {
  relu: 0, leakyRelu: 1, sigmoid: 2, tanh: 3, neg: 4, exp: 5, log: 6, square: 7, sqrt: 8, abs: 9, relu6: 10, rsqrt: 11,
} as const;
export type UnaryOp = keyof typeof OPS;

/** `x ∘ α` or `α ∘ x` for a scalar α (see the shader's op numbers). */
const SCALAR_OPS = { addScalar: 12, mulScalar: 13, scalarSub: 14, divScalar: 15, scalarDiv: 16 } as const;
export type ScalarOp = keyof typeof SCALAR_OPS;

const HAS_GRAD_KERNEL = new Set<UnaryOp>(['relu', 'leakyRelu', 'sigmoid', 'tanh', 'relu6']);

export function unary(engine: Engine, op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  if (!Object.hasOwn(OPS, op)) fail('unary', `unknown op '${String(op)}' (known: ${Object.keys(OPS).join(', ')})`);
  checkTensor(op, 'x', x);
  checkAlpha(op, alpha);
  return launch(engine, op, OPS[op], x, alpha);
}

/** `x op α` (or `α op x`) elementwise, α in the uniforms. */
export function scalarOp(engine: Engine, op: ScalarOp, x: Tensor, alpha: number): Tensor {
  checkTensor(op, 'x', x);
  if (typeof alpha !== 'number' || Number.isNaN(alpha)) fail(op, `the scalar must be a number, got ${String(alpha)}`);
  return launch(engine, op, SCALAR_OPS[op], x, alpha);
}

function launch(engine: Engine, label: string, code: number, x: Tensor, alpha: number): Tensor {
  const y = engine.empty(x.shape, label);
  if (y.size === 0) return y;
  engine.run({
    shader, entry: 'unary', constants: { OP: code },
    buffers: { x: x.buffer, y: y.buffer },
    params: { size: x.size, alpha },
    workgroups: grid1d(x.size, 256),
  });
  return y;
}

/** `dy` times the derivative of `op`, evaluated from `saved` (the forward input or output; see above). */
export function unaryGrad(engine: Engine, op: UnaryOp, dy: Tensor, saved: Tensor, alpha = 0): Tensor {
  const name = `${op}Grad`;
  if (!HAS_GRAD_KERNEL.has(op)) fail(name, `no gradient kernel for '${op}'`);
  const savedName = op === 'sigmoid' || op === 'tanh' || op === 'relu6' ? 'y' : 'x';
  checkTensor(name, 'dy', dy);
  checkTensor(name, savedName, saved);
  checkAlpha(name, alpha);
  if (dy.shape.length !== saved.shape.length || dy.shape.some((d, i) => d !== saved.shape[i])) {
    fail(name, `dy ${shapeStr(dy.shape)} and ${savedName} ${shapeStr(saved.shape)} must have the same shape`);
  }
  const dx = engine.empty(dy.shape, name);
  if (dx.size === 0) return dx;
  engine.run({
    shader, entry: 'unary_grad', constants: { OP: OPS[op] },
    buffers: { x: saved.buffer, dy: dy.buffer, y: dx.buffer },
    params: { size: dy.size, alpha },
    workgroups: grid1d(dy.size, 256),
  });
  return dx;
}

function checkAlpha(op: string, alpha: number): void {
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) fail(op, `alpha must be a finite number, got ${String(alpha)}`);
}

/** Disposes temporaries once the rule has recorded the work that reads them. */
function free(...ts: Tensor[]): void {
  for (const t of ts) t.dispose();
}

type UnaryRule = (e: Engine, g: Tensor, x: Tensor, y: Tensor, alpha: number) => Tensor;

/** The gradient of each unary op, from the forward input x, output y and alpha: one per op or the build fails. */
const unaryRules: Record<UnaryOp, UnaryRule> = {
  relu: (e, g, x) => unaryGrad(e, 'relu', g, x),
  leakyRelu: (e, g, x, _y, alpha) => unaryGrad(e, 'leakyRelu', g, x, alpha),
  relu6: (e, g, _x, y) => unaryGrad(e, 'relu6', g, y),
  sigmoid: (e, g, _x, y) => unaryGrad(e, 'sigmoid', g, y),
  tanh: (e, g, _x, y) => unaryGrad(e, 'tanh', g, y),
  neg: (e, g) => e.neg(g),
  exp: (e, g, _x, y) => e.mul(g, y),
  log: (e, g, x) => e.div(g, x),
  square: (e, g, x) => {
    const gx = e.mul(g, x);
    const out = e.mul(gx, 2);
    free(gx);
    return out;
  },
  // d √x = 1 / (2y); infinite at 0, as in TensorFlow.js.
  sqrt: (e, g, _x, y) => {
    const half = e.mul(g, 0.5);
    const out = e.div(half, y);
    free(half);
    return out;
  },
  // d x^−½ = −½·x^−³ᐟ² = −½·y / x.
  rsqrt: (e, g, x, y) => {
    const gy = e.mul(g, y);
    const q = e.div(gy, x);
    const out = e.mul(q, -0.5);
    free(gy, q);
    return out;
  },
  // g·sign(x) without a sign op: the relu gradient passes g where x > 0, and on −x where x < 0.
  abs: (e, g, x) => {
    const nx = e.neg(x);
    const pos = unaryGrad(e, 'relu', g, x);
    const neg = unaryGrad(e, 'relu', g, nx);
    const out = e.sub(pos, neg);
    free(nx, pos, neg);
    return out;
  },
};

/** The gradient of `unary(op, x, alpha)` given its output y. */
export function unaryGradient(e: Engine, op: UnaryOp, g: Tensor, x: Tensor, y: Tensor, alpha = 0): Tensor {
  return unaryRules[op](e, g, x, y, alpha);
}

/** The definition of one named unary op (`relu(x)`, `exp(x)`, …). */
function named(op: UnaryOp): DifferentiableOp<[x: Tensor], Tensor> {
  return {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor) => unary(e, op, x),
    inputs: (x: Tensor) => [x],
    gradient: ({ engine, g, y }: GradientContext<Tensor>, x: Tensor): Grads => [unaryRules[op](engine, g, x, y, 0)],
  };
}

/** The unary ops as the engine and the tape show them. */
export interface UnaryOps {
  relu(x: Tensor): Tensor;
  /** `x` where x ≥ 0, else `alpha · x` (alpha defaults to 0.2, as in TensorFlow.js). */
  leakyRelu(x: Tensor, alpha?: number): Tensor;
  /** min(max(x, 0), 6). */
  relu6(x: Tensor): Tensor;
  sigmoid(x: Tensor): Tensor;
  tanh(x: Tensor): Tensor;
  neg(x: Tensor): Tensor;
  exp(x: Tensor): Tensor;
  /** The natural logarithm (−Infinity at 0, NaN below). */
  log(x: Tensor): Tensor;
  sqrt(x: Tensor): Tensor;
  /** 1 / √x. */
  rsqrt(x: Tensor): Tensor;
  square(x: Tensor): Tensor;
  abs(x: Tensor): Tensor;
  /** Applies a unary op by name. */
  unary(op: UnaryOp, x: Tensor, alpha?: number): Tensor;
}

/** The activation gradient kernels (dy times the derivative, from the saved x or y). */
export interface UnaryGradKernels {
  reluGrad(dy: Tensor, x: Tensor): Tensor;
  leakyReluGrad(dy: Tensor, x: Tensor, alpha?: number): Tensor;
  sigmoidGrad(dy: Tensor, y: Tensor): Tensor;
  tanhGrad(dy: Tensor, y: Tensor): Tensor;
}

export const unaryOps: Definitions<UnaryOps, UnaryGradKernels> = {
  relu: named('relu'),
  /** `x` where x ≥ 0, else `alpha · x` (alpha defaults to 0.2, as in TensorFlow.js). */
  leakyRelu: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor, alpha = 0.2) => unary(e, 'leakyRelu', x, alpha),
    inputs: (x: Tensor) => [x],
    gradient: ({ engine, g, y }, x: Tensor, alpha = 0.2): Grads => [unaryRules.leakyRelu(engine, g, x, y, alpha)],
  },
  relu6: named('relu6'),
  sigmoid: named('sigmoid'),
  tanh: named('tanh'),
  neg: named('neg'),
  exp: named('exp'),
  log: named('log'),
  sqrt: named('sqrt'),
  rsqrt: named('rsqrt'),
  square: named('square'),
  abs: named('abs'),
  /** Applies a unary op by name. */
  unary: {
    kind: 'differentiable',
    forward: (e: Engine, op: UnaryOp, x: Tensor, alpha = 0) => unary(e, op, x, alpha),
    inputs: (_op: UnaryOp, x: Tensor) => [x],
    gradient: ({ engine, g, y }, op: UnaryOp, x: Tensor, alpha = 0): Grads => [unaryRules[op](engine, g, x, y, alpha)],
  },
  reluGrad: { kind: 'plain', forward: (e, dy: Tensor, x: Tensor) => unaryGrad(e, 'relu', dy, x) },
  leakyReluGrad: { kind: 'plain', forward: (e, dy: Tensor, x: Tensor, alpha = 0.2) => unaryGrad(e, 'leakyRelu', dy, x, alpha) },
  sigmoidGrad: { kind: 'plain', forward: (e, dy: Tensor, y: Tensor) => unaryGrad(e, 'sigmoid', dy, y) },
  tanhGrad: { kind: 'plain', forward: (e, dy: Tensor, y: Tensor) => unaryGrad(e, 'tanh', dy, y) },
};
