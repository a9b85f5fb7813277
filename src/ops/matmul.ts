/**
 * Matrix product of two rank-2 tensors (shaders/matmul.wgsl), with either operand optionally
 * transposed. Transposes are read through strides, never materialised, so the gradients of
 * C = A·B are themselves single matMuls: dA = matMul(dC, B, {transposeB: true}) and
 * dB = matMul(A, dC, {transposeA: true}).
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { Shader } from '../gpu/shader.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor, grid1d } from './checks.js';
import source from '../../shaders/matmul.wgsl';

const shader = new Shader('matmul', source);
/** The output tile one workgroup computes (TILE in the shader). */
const TILE = 64;

export interface MatMulOptions {
  /** Multiply by aᵀ instead of a. */
  transposeA?: boolean;
  /** Multiply by bᵀ instead of b. */
  transposeB?: boolean;
}

/**
 * `op(a) · op(b)` where `op` transposes when the matching option is set, as `tf.matMul` does for
 * rank-2 tensors.
 * @example
 * const c = matMul(engine, a, b, { transposeB: true }); // a [m, k], b [n, k] → c [m, n]
 */
export function matMul(engine: Engine, a: Tensor, b: Tensor, opts: MatMulOptions = {}): Tensor {
  checkTensor('matMul', 'a', a);
  checkTensor('matMul', 'b', b);
  if (a.rank !== 2 || b.rank !== 2) {
    fail('matMul', `a ${shapeStr(a.shape)} and b ${shapeStr(b.shape)} must both have rank 2 (batched products are not supported)`);
  }
  const { transposeA = false, transposeB = false } = opts ?? {};
  checkFlag('transposeA', transposeA);
  checkFlag('transposeB', transposeB);

  const [a0, a1] = a.shape as [number, number];
  const [b0, b1] = b.shape as [number, number];
  const [m, ka] = transposeA ? [a1, a0] : [a0, a1];
  const [kb, n] = transposeB ? [b1, b0] : [b0, b1];
  if (ka !== kb) {
    const ta = transposeA ? ' (transposeA)' : '';
    const tb = transposeB ? ' (transposeB)' : '';
    fail('matMul', `inner dimensions of a ${shapeStr(a.shape)}${ta} and b ${shapeStr(b.shape)}${tb} differ: ${ka} vs ${kb}`);
  }

  const c = engine.empty([m, n], 'matMul');
  const tilesN = Math.ceil(n / TILE);
  engine.run({
    shader, entry: 'matmul',
    buffers: { a: a.buffer, b: b.buffer, c: c.buffer },
    params: {
      m, n, k: ka, tiles_n: tilesN,
      a_stride_m: transposeA ? 1 : a1, a_stride_k: transposeA ? a1 : 1,
      b_stride_k: transposeB ? 1 : b1, b_stride_n: transposeB ? b1 : 1,
    },
    workgroups: grid1d(Math.ceil(m / TILE) * tilesN, 1),
  });
  return c;
}

function checkFlag(name: string, v: unknown): void {
  if (typeof v !== 'boolean') fail('matMul', `${name} must be a boolean, got ${String(v)}`);
}
