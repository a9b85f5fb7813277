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
  if (c.size === 0) return c;
  const tilesN = Math.ceil(n / TILE);
  const common = {
    shader,
    buffers: { a: a.buffer, b: b.buffer, c: c.buffer },
    params: {
      m, n, k: ka, tiles_n: tilesN,
      a_stride_m: transposeA ? 1 : a1, a_stride_k: transposeA ? a1 : 1,
      b_stride_k: transposeB ? 1 : b1, b_stride_n: transposeB ? b1 : 1,
    },
  };
  const variant = pickMatMulVariant(engine, m, n, ka, transposeA, transposeB);
  if (variant === 'tiled') {
    engine.run({ ...common, entry: 'matmul', workgroups: grid1d(Math.ceil(m / TILE) * tilesN, 1) });
  } else if (variant === 'wide') {
    // 16 columns × ROWS rows per thread.
    const rows = m === 1 ? 1 : m === 2 ? 2 : 4;
    const threads = Math.ceil(n / 16) * Math.ceil(m / rows);
    engine.run({ ...common, buffers: { a: a.buffer, b4: b.buffer, c: c.buffer }, entry: 'matmul_wide_b4', constants: { ROWS: rows }, workgroups: grid1d(threads, 64) });
  } else {
    const colGroups = Math.ceil(n / 4);
    const wg = blockWorkgroup(colGroups);
    engine.run({ ...common, entry: 'matmul_regs', constants: wg, workgroups: blockGrid(colGroups, Math.ceil(m / 4), wg) });
  }
  return c;
}

/**
 * 'tiled': workgroup tiles; 'regs': 4×4 register blocks; 'wide': 16 columns × up to 4 rows per
 * thread, B read as vec4s (only where n % 4 == 0 and B is not transposed; elsewhere 'regs').
 */
export type MatMulVariant = 'tiled' | 'regs' | 'wide';

/**
 * Workgroup tiles on hardware adapters for products big enough to fill them; on software
 * adapters the wide kernel where B allows it (its lanes stream B with 4× the contiguity of the
 * register blocks': AlexNet's fc6 at batch 1 121 → 39 ms on SwiftShader, at batch 8 1.3×),
 * register blocks otherwise. With the autotuner on, its winner for the shape class instead.
 */
export function pickMatMulVariant(engine: Engine, m: number, n: number, k: number, transposeA: boolean, transposeB: boolean): MatMulVariant {
  const wideFits = n % 4 === 0 && !transposeB;
  const forced = engine.tuning.matMul;
  if (forced !== 'auto') return forced === 'wide' && !wideFits ? 'regs' : forced;
  const rule: MatMulVariant = !engine.info.isSoftware && m * n >= 64 * 64 ? 'tiled' : engine.info.isSoftware && wideFits ? 'wide' : 'regs';
  const candidates: MatMulVariant[] = wideFits ? ['wide', 'regs', 'tiled'] : ['regs', 'tiled'];
  const key = `matMul:${transposeA ? 't' : 'n'}${transposeB ? 't' : 'n'}:M${sizeClassOf(m)}:K${sizeClassOf(k)}:N${sizeClassOf(n)}${wideFits ? ':v' : ''}`;
  return tunedVariant(engine, key, rule, candidates, () => {
    const a = engine.zeros(transposeA ? [k, m] : [m, k]);
    const b = engine.zeros(transposeB ? [n, k] : [k, n]);
    return {
      run: (name) => {
        const previous = engine.tuning.matMul;
        engine.tuning.matMul = name;
        try {
          matMul(engine, a, b, { transposeA, transposeB }).dispose();
        } finally {
          engine.tuning.matMul = previous;
        }
      },
      dispose: () => [a, b].forEach((t) => t.dispose()),
    };
  });
}

function checkFlag(name: string, v: unknown): void {
  if (typeof v !== 'boolean') fail('matMul', `${name} must be a boolean, got ${String(v)}`);
}
