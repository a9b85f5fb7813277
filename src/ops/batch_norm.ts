/**
 * batchNorm (shaders/batch_norm.wgsl), with the semantics of
 * `tf.batchNorm(x, mean, variance, offset, scale, varianceEpsilon)` for statistics per channel of
 * the last axis.
 */
import type { Engine } from '../engine.js';
import { Tensor } from '../tensor.js';
import { laneShaders, lanesFor } from '../gpu/lanes.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor, grid1d } from './checks.js';
import type { Definitions, Grads } from './op.js';
import { reduceTo, reduceToOwned } from './grad_shapes.js';
import source from '../../shaders/batch_norm.wgsl';

/** shaders/batch_norm.wgsl at 1, 2 and 4 channels per thread. */
const shaders = laneShaders('batch_norm', source);

/**
 * `(x − mean) · scale / sqrt(variance + epsilon) + offset`, each parameter of shape [c] (or
 * [1, …, 1, c]) applying along the last axis of x (of size c; any rank ≥ 1). A null offset adds 0
 * and a null scale multiplies by 1. epsilon defaults to tf.batchNorm's 0.001.
 * @example
 * const y = engine.batchNorm(x, movingMean, movingVariance, beta, gamma, 1e-3); // Keras BatchNormalization at inference
 */
export function batchNorm(
  engine: Engine,
  x: Tensor,
  mean: Tensor,
  variance: Tensor,
  offset: Tensor | null = null,
  scale: Tensor | null = null,
  epsilon = 0.001,
): Tensor {
  const op = 'batchNorm';
  checkTensor(op, 'x', x);
  if (x.rank < 1) fail(op, `x must have rank 1 or more (channels on the last axis), got shape ${shapeStr(x.shape)}`);
  const c = x.shape[x.rank - 1]!;
  const params = { mean, variance, offset: offset ?? null, scale: scale ?? null };
  for (const [name, t] of Object.entries(params)) {
    if (t === null && (name === 'offset' || name === 'scale')) continue;
    checkTensor(op, name, t);
    const perChannel = t.shape[t.rank - 1] === c && t.shape.slice(0, -1).every((d) => d === 1);
    if (!perChannel) fail(op, `${name} ${shapeStr(t.shape)} must have shape [${c}] to match the last axis of x ${shapeStr(x.shape)}`);
  }
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) {
    fail(op, `epsilon must be a finite non-negative number, got ${String(epsilon)}`);
  }
  const y = engine.empty(x.shape, op);
  if (y.size === 0) return y;
  const unit = lanesFor(c);
  const off = offset instanceof Tensor ? offset.buffer : mean.buffer;
  const sc = scale instanceof Tensor ? scale.buffer : mean.buffer;
  const buffers = { x: x.buffer, y: y.buffer, mean: mean.buffer, variance: variance.buffer, offset: off, scale: sc };
  engine.run({
    shader: shaders[unit], entry: 'batch_norm',
    constants: { HAS_OFFSET: offset ? 1 : 0, HAS_SCALE: scale ? 1 : 0 },
    buffers,
    params: { size: y.size / unit, channels: c / unit, epsilon },
    workgroups: grid1d(y.size / unit, 256),
  });
  return y;
}

type Stat = Tensor | null;

/**
 * y = (x − m)·s·r + o with r = (v + ε)^−½, the statistics broadcast along the last axis:
 *   dx = g·s·r,  do = Σg,  ds = Σ g·(x − m)·r,  dm = −Σg·s·r,  dv = −½·Σ g·(x − m)·s·r³,
 * the sums over every dim the statistics were broadcast along. With m and v computed from x by
 * mean ops on the same tape (training mode), their gradients flow on through those ops.
 */
function batchNormGradient(
  e: Engine, g: Tensor, needs: readonly boolean[],
  x: Tensor, m: Tensor, v: Tensor, o: Stat, s: Stat, epsilon: number,
): Grads {
  const [nx, nm, nv, no, ns] = needs;
  const stat = statShape([m, v, o, s]);
  const temps = new Set<Tensor>();
  const keep = (t: Tensor): Tensor => {
    if (t !== g) temps.add(t);
    return t;
  };
  const ve = keep(e.add(v, epsilon));
  const r = keep(e.rsqrt(ve));
  const sr = s ? keep(e.mul(s, r)) : r;
  const out: Grads = [null, null, null, null, null];
  if (nx) out[0] = e.mul(g, sr);
  if (nm || no) {
    const gsum = keep(reduceTo(e, g, stat));
    if (nm) out[1] = reduceToOwned(e, e.neg(keep(e.mul(gsum, sr))), m.shape);
    if (no) out[3] = reduceTo(e, gsum, o!.shape);
  }
  if (nv || ns) {
    const xm = keep(e.sub(x, m));
    const gxm = keep(reduceToOwned(e, e.mul(g, xm), stat));
    if (ns) out[4] = reduceToOwned(e, e.mul(gxm, r), s!.shape);
    if (nv) {
      const r2 = keep(e.mul(r, r));
      const k = keep(e.mul(r2, -0.5));
      const t = keep(e.mul(gxm, sr));
      out[2] = reduceToOwned(e, e.mul(t, k), v.shape);
    }
  }
  // A temporary handed on as a gradient (do = Σg when o has the statistics' shape) stays alive.
  for (const t of out) if (t) temps.delete(t);
  for (const t of temps) t.dispose();
  return out;
}

/** The broadcast shape of batchNorm's statistics (the [c] of each, in the usual case). */
function statShape(ts: readonly Stat[]): number[] {
  let shape: number[] = [];
  for (const t of ts) {
    if (!t) continue;
    const rank = Math.max(shape.length, t.rank);
    const out: number[] = [];
    for (let k = rank; k >= 1; k--) {
      const a = shape[shape.length - k] ?? 1;
      const b = t.shape[t.rank - k] ?? 1;
      out.push(a === 1 ? b : a);
    }
    shape = out;
  }
  return shape;
}

export interface BatchNormOps {
  /**
   * `tf.batchNorm`: (x − mean) · scale / √(variance + ε) + offset, the statistics on the last axis;
   * a null offset adds 0, a null scale multiplies by 1, ε defaults to 0.001.
   */
  batchNorm(x: Tensor, mean: Tensor, variance: Tensor, offset?: Tensor | null, scale?: Tensor | null, epsilon?: number): Tensor;
}

export const batchNormOps: Definitions<BatchNormOps> = {
  /**
   * `tf.batchNorm`: (x − mean) · scale / √(variance + ε) + offset, the statistics on the last axis;
   * a null offset adds 0, a null scale multiplies by 1, ε defaults to 0.001.
   */
  batchNorm: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor, mean: Tensor, variance: Tensor, offset: Stat = null, scale: Stat = null, epsilon = 0.001) =>
      batchNorm(e, x, mean, variance, offset, scale, epsilon),
    inputs: (x: Tensor, mean: Tensor, variance: Tensor, offset: Stat = null, scale: Stat = null) => [x, mean, variance, offset ?? null, scale ?? null],
    gradient: ({ engine, g, needs }, x: Tensor, mean: Tensor, variance: Tensor, offset: Stat = null, scale: Stat = null, epsilon = 0.001): Grads =>
      batchNormGradient(engine, g, needs, x, mean, variance, offset ?? null, scale ?? null, epsilon),
  },
};
