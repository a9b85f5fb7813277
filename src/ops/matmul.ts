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
import { blockGrid, blockWorkgroup } from './launch.js';
import { tunedVariant, sizeClassOf } from './tuned_variant.js';
import { epilogueLaunch, withEpilogueGradient, type EpilogueOptions } from './epilogue.js';
import type { Definitions, Grads } from './op.js';
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

/** matMul's options: transposes plus a fused bias (per column of the result) and activation. */
export interface FusedMatMulOptions extends MatMulOptions, EpilogueOptions {}

interface MatMulShape {
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
}

function checkMatMul(a: Tensor, b: Tensor, opts: MatMulOptions): MatMulShape {
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
  return { m, n, k: ka, transposeA, transposeB };
}

/**
 * `op(a) · op(b)` where `op` transposes when the matching option is set, as `tf.matMul` does for
 * rank-2 tensors; then `+ bias` and the activation in the same dispatch when `opts` asks.
 * @example
 * const c = matMul(engine, a, b, { transposeB: true }); // a [m, k], b [n, k] → c [m, n]
 */
export function matMul(engine: Engine, a: Tensor, b: Tensor, opts: FusedMatMulOptions = {}): Tensor {
  const s = checkMatMul(a, b, opts);
  return launchMatMul(engine, chooseMatMulVariant(engine, s.m, s.n, s.k, s.transposeA, s.transposeB), a, b, opts);
}

/** matMul with an explicit kernel (the autotuner and the benchmarks call this); 'wide' runs 'regs' where it does not apply. */
export function launchMatMul(engine: Engine, variant: MatMulVariant, a: Tensor, b: Tensor, opts: FusedMatMulOptions = {}): Tensor {
  const { m, n, k, transposeA, transposeB } = checkMatMul(a, b, opts);
  const ep = epilogueLaunch('matMul', opts, n, b.buffer);
  const c = engine.empty([m, n], 'matMul');
  if (c.size === 0) return c;
  const [a1, b1] = [a.shape[1]!, b.shape[1]!];
  const tilesN = Math.ceil(n / TILE);
  const common = {
    shader,
    buffers: { a: a.buffer, b: b.buffer, c: c.buffer, bias: ep.bias },
    params: {
      m, n, k, tiles_n: tilesN, alpha: ep.alpha,
      a_stride_m: transposeA ? 1 : a1, a_stride_k: transposeA ? a1 : 1,
      b_stride_k: transposeB ? 1 : b1, b_stride_n: transposeB ? b1 : 1,
    },
  };
  const kernel = variant === 'wide' && !wideFits(n, transposeB) ? 'regs' : variant;
  if (kernel === 'tiled') {
    engine.run({ ...common, entry: 'matmul', constants: ep.constants, workgroups: grid1d(Math.ceil(m / TILE) * tilesN, 1) });
  } else if (kernel === 'wide') {
    // 16 columns × ROWS rows per thread.
    const rows = m === 1 ? 1 : m === 2 ? 2 : 4;
    const threads = Math.ceil(n / 16) * Math.ceil(m / rows);
    engine.run({
      ...common, buffers: { a: a.buffer, b4: b.buffer, c: c.buffer, bias: ep.bias }, entry: 'matmul_wide_b4',
      constants: { ROWS: rows, ...ep.constants }, workgroups: grid1d(threads, 64),
    });
  } else {
    const colGroups = Math.ceil(n / 4);
    const wg = blockWorkgroup(colGroups);
    engine.run({ ...common, entry: 'matmul_regs', constants: { ...wg, ...ep.constants }, workgroups: blockGrid(colGroups, Math.ceil(m / 4), wg) });
  }
  return c;
}

/**
 * 'tiled': workgroup tiles; 'regs': 4×4 register blocks; 'wide': 16 columns × up to 4 rows per
 * thread, B read as vec4s (only where n % 4 == 0 and B is not transposed; elsewhere 'regs').
 */
export type MatMulVariant = 'tiled' | 'regs' | 'wide';

function wideFits(n: number, transposeB: boolean): boolean {
  return n % 4 === 0 && !transposeB;
}

/**
 * A variant forced by `engine.tuning.matMul`; else workgroup tiles on hardware adapters for
 * products big enough to fill them; on software adapters the wide kernel where B allows it (its
 * lanes stream B with 4× the contiguity of the register blocks'), register blocks otherwise.
 * With the autotuner on, its winner for the shape class instead.
 */
export function chooseMatMulVariant(engine: Engine, m: number, n: number, k: number, transposeA: boolean, transposeB: boolean): MatMulVariant {
  const fits = wideFits(n, transposeB);
  const forced = engine.tuning.matMul;
  if (forced !== 'auto') return forced === 'wide' && !fits ? 'regs' : forced;
  const rule: MatMulVariant = !engine.info.isSoftware && m * n >= 64 * 64 ? 'tiled' : engine.info.isSoftware && fits ? 'wide' : 'regs';
  const candidates: MatMulVariant[] = fits ? ['wide', 'regs', 'tiled'] : ['regs', 'tiled'];
  const key = `matMul:${transposeA ? 't' : 'n'}${transposeB ? 't' : 'n'}:M${sizeClassOf(m)}:K${sizeClassOf(k)}:N${sizeClassOf(n)}${fits ? ':v' : ''}`;
  return tunedVariant(engine, shader, key, rule, candidates, () => {
    const a = engine.zeros(transposeA ? [k, m] : [m, k]);
    const b = engine.zeros(transposeB ? [n, k] : [k, n]);
    return {
      run: (name) => launchMatMul(engine, name, a, b, { transposeA, transposeB }).dispose(),
      dispose: () => [a, b].forEach((t) => t.dispose()),
    };
  });
}

function checkFlag(name: string, v: unknown): void {
  if (typeof v !== 'boolean') fail('matMul', `${name} must be a boolean, got ${String(v)}`);
}

export interface MatMulOps {
  /** `tf.matMul` for rank-2 tensors, with an optional bias (per column) and activation in the same dispatch. */
  matMul(a: Tensor, b: Tensor, opts?: FusedMatMulOptions): Tensor;
}

export const matMulOps: Definitions<MatMulOps> = {
  /** `tf.matMul` for rank-2 tensors, with an optional fused bias (per column) and activation. */
  matMul: {
    kind: 'differentiable',
    forward: (e: Engine, a: Tensor, b: Tensor, opts: FusedMatMulOptions = {}) => matMul(e, a, b, opts),
    inputs: (a: Tensor, b: Tensor, opts: FusedMatMulOptions = {}) => [a, b, opts?.bias ?? null],
    /** C = op(A)·op(B): each gradient is one matMul with the transposes read through strides. */
    gradient: ({ engine: e, g, needs, y }, a: Tensor, b: Tensor, opts: FusedMatMulOptions = {}): Grads => {
      const tA = opts.transposeA ?? false;
      const tB = opts.transposeB ?? false;
      const pre = () => matMul(e, a, b, { transposeA: tA, transposeB: tB, bias: opts.bias ?? null });
      return withEpilogueGradient(e, g, y, !!needs[2], opts, pre, (d) => [
        !needs[0] ? null : tA
          ? matMul(e, b, d, { transposeA: tB, transposeB: true }) // dA = op(B)·dᵀ
          : matMul(e, d, b, { transposeB: !tB }), //                  dA = d·op(B)ᵀ
        !needs[1] ? null : tB
          ? matMul(e, d, a, { transposeA: true, transposeB: tA }) // dB = dᵀ·op(A)
          : matMul(e, a, d, { transposeA: !tA }), //                  dB = op(A)ᵀ·d
      ]);
    },
  },
};
