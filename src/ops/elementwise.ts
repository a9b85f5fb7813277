/**
 * Unary activations and their gradients (shaders/elementwise.wgsl). Gradients take the tensor the
 * rule needs: the forward input for relu and leaky relu, the forward output for sigmoid and tanh.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { Shader } from '../gpu/shader.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor, grid1d } from './checks.js';
import source from '../../shaders/elementwise.wgsl';

const shader = new Shader('elementwise', source);

const OPS = {
  relu: 0, leakyRelu: 1, sigmoid: 2, tanh: 3, neg: 4, exp: 5, log: 6, square: 7, sqrt: 8, abs: 9, relu6: 10,
} as const;
export type UnaryOp = keyof typeof OPS;
const HAS_GRAD = new Set<UnaryOp>(['relu', 'leakyRelu', 'sigmoid', 'tanh', 'relu6']);

export function unary(engine: Engine, op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  if (!(op in OPS)) fail('unary', `unknown op '${op}'`);
  checkTensor(op, 'x', x);
  checkAlpha(op, alpha);
  const y = engine.empty(x.shape, op);
  engine.run({
    shader, entry: 'unary', constants: { OP: OPS[op] },
    buffers: { x: x.buffer, y: y.buffer },
    params: { size: x.size, alpha },
    workgroups: grid1d(x.size, 256),
  });
  return y;
}

/** `dy` times the derivative of `op`, evaluated from `saved` (the forward input or output; see above). */
export function unaryGrad(engine: Engine, op: UnaryOp, dy: Tensor, saved: Tensor, alpha = 0): Tensor {
  const name = `${op}Grad`;
  if (!HAS_GRAD.has(op)) fail(name, `no gradient kernel for '${op}'`);
  checkTensor(name, 'dy', dy);
  checkTensor(name, op === 'sigmoid' || op === 'tanh' ? 'y' : 'x', saved);
  checkAlpha(name, alpha);
  if (dy.shape.length !== saved.shape.length || dy.shape.some((d, i) => d !== saved.shape[i])) {
    fail(name, `dy ${shapeStr(dy.shape)} and ${op === 'sigmoid' || op === 'tanh' ? 'y' : 'x'} ${shapeStr(saved.shape)} must have the same shape`);
  }
  const dx = engine.empty(dy.shape, name);
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
