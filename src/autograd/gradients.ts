/**
 * Every gradient rule in one table, as tinygrad keeps them. A rule gets the engine, the gradient
 * `g` of the op's output, `needs` (which inputs lead to a parameter: the others get null and
 * cost nothing) and what the forward saved; it returns one gradient per input, each of that
 * input's shape. A rule may return `g` itself (the tape counts references); it disposes every
 * other temporary it makes. Conv and pool use the engine's gradient kernels; the rest are
 * composed from forward ops.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import type { Conv2dOptions } from '../ops/conv_geometry.js';
import type { Pool2dOptions } from '../ops/pool.js';
import type { MatMulOptions } from '../ops/matmul.js';
import { unaryGrad, type UnaryOp } from '../ops/elementwise.js';
import { expandTo, normalizeAxes, offset, reduceTo, reduceToOwned, scale } from './shapes.js';

export type Grads = (Tensor | null)[];
type Needs = readonly boolean[];

/** Disposes temporaries once the rule has recorded the work that reads them. */
function free(...ts: Tensor[]): void {
  for (const t of ts) t.dispose();
}

/** `1 / t` from `log t`, as exp(−log t): the engine has no division (every caller has t > 0). */
function reciprocalFromLog(e: Engine, logT: Tensor): Tensor {
  const n = e.unary('neg', logT);
  const r = e.unary('exp', n);
  free(n);
  return r;
}

/** Gradients of the unary ops, from the forward input x, output y and alpha. */
const unaryRules: Record<UnaryOp, (e: Engine, g: Tensor, x: Tensor, y: Tensor, alpha: number) => Tensor> = {
  relu: (e, g, x) => e.reluGrad(g, x),
  leakyRelu: (e, g, x, _y, alpha) => e.leakyReluGrad(g, x, alpha),
  relu6: (e, g, x) => unaryGrad(e, 'relu6', g, x),
  sigmoid: (e, g, _x, y) => e.sigmoidGrad(g, y),
  tanh: (e, g, _x, y) => e.tanhGrad(g, y),
  neg: (e, g) => e.unary('neg', g),
  exp: (e, g, _x, y) => e.mul(g, y),
  // d log x = 1/x = exp(−y).
  log: (e, g, _x, y) => {
    const r = reciprocalFromLog(e, y);
    const out = e.mul(g, r);
    free(r);
    return out;
  },
  square: (e, g, x) => {
    const gx = e.mul(g, x);
    const out = e.add(gx, gx);
    free(gx);
    return out;
  },
  // d √x = 1 / (2y) = ½·exp(−log y); infinite at 0, as in TensorFlow.js.
  sqrt: (e, g, _x, y) => {
    const l = e.unary('log', y);
    const r = reciprocalFromLog(e, l);
    const gr = e.mul(g, r);
    const out = scale(e, gr, 0.5);
    free(l, r, gr);
    return out;
  },
  // g·sign(x) without a sign op: the relu gradient passes g where x > 0, and on −x where x < 0.
  abs: (e, g, x) => {
    const nx = e.unary('neg', x);
    const pos = e.reluGrad(g, x);
    const neg = e.reluGrad(g, nx);
    const out = e.sub(pos, neg);
    free(nx, pos, neg);
    return out;
  },
};

export const gradients = {
  conv2d(e: Engine, g: Tensor, needs: Needs, x: Tensor, w: Tensor, opts: Conv2dOptions): Grads {
    return [
      needs[0] ? e.conv2dGradInput(g, w, x.shape, opts) : null,
      needs[1] ? e.conv2dGradFilter(x, g, w.shape, opts) : null,
    ];
  },

  depthwiseConv2d(e: Engine, g: Tensor, needs: Needs, x: Tensor, w: Tensor, opts: Conv2dOptions): Grads {
    return [
      needs[0] ? e.depthwiseConv2dGradInput(g, w, x.shape, opts) : null,
      needs[1] ? e.depthwiseConv2dGradFilter(x, g, w.shape, opts) : null,
    ];
  },

  maxPool2d(e: Engine, g: Tensor, _needs: Needs, x: Tensor, opts: Pool2dOptions): Grads {
    return [e.maxPool2dGrad(g, x, opts)];
  },

  avgPool2d(e: Engine, g: Tensor, _needs: Needs, x: Tensor, opts: Pool2dOptions): Grads {
    return [e.avgPool2dGrad(g, x.shape, opts)];
  },

  unary(e: Engine, g: Tensor, _needs: Needs, op: UnaryOp, x: Tensor, y: Tensor, alpha: number): Grads {
    return [unaryRules[op](e, g, x, y, alpha)];
  },

  add(e: Engine, g: Tensor, needs: Needs, a: Tensor, b: Tensor): Grads {
    return [needs[0] ? reduceTo(e, g, a.shape) : null, needs[1] ? reduceTo(e, g, b.shape) : null];
  },

  sub(e: Engine, g: Tensor, needs: Needs, a: Tensor, b: Tensor): Grads {
    let db: Tensor | null = null;
    if (needs[1]) {
      // Negate after reducing: the reduced gradient is the smaller one.
      const r = reduceTo(e, g, b.shape);
      db = e.unary('neg', r);
      if (r !== g) free(r);
    }
    return [needs[0] ? reduceTo(e, g, a.shape) : null, db];
  },

  mul(e: Engine, g: Tensor, needs: Needs, a: Tensor, b: Tensor): Grads {
    return [
      needs[0] ? reduceToOwned(e, e.mul(g, b), a.shape) : null,
      needs[1] ? reduceToOwned(e, e.mul(g, a), b.shape) : null,
    ];
  },

  /** C = op(A)·op(B): each gradient is one matMul with the transposes read through strides. */
  matMul(e: Engine, g: Tensor, needs: Needs, a: Tensor, b: Tensor, opts: MatMulOptions): Grads {
    const tA = opts.transposeA ?? false;
    const tB = opts.transposeB ?? false;
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (needs[0]) {
      da = tA
        ? e.matMul(b, g, { transposeA: tB, transposeB: true }) // dA = op(B)·gᵀ
        : e.matMul(g, b, { transposeB: !tB }); //                  dA = g·op(B)ᵀ
    }
    if (needs[1]) {
      db = tB
        ? e.matMul(g, a, { transposeA: true, transposeB: tA }) // dB = gᵀ·op(A)
        : e.matMul(a, g, { transposeA: !tA }); //                  dB = op(A)ᵀ·g
    }
    return [da, db];
  },

  /** dx = y·(g − Σ g·y) along the last axis. */
  softmax(e: Engine, g: Tensor, _needs: Needs, y: Tensor): Grads {
    const gy = e.mul(g, y);
    const s = lastAxisSum(e, gy);
    const d = e.sub(g, s);
    const out = e.mul(d, y);
    free(gy, s, d);
    return [out];
  },

  /** dx = g − softmax(x)·Σ g along the last axis, softmax(x) being exp(y). */
  logSoftmax(e: Engine, g: Tensor, _needs: Needs, y: Tensor): Grads {
    const p = e.unary('exp', y);
    const s = lastAxisSum(e, g);
    const ps = e.mul(p, s);
    const out = e.sub(g, ps);
    free(p, s, ps);
    return [out];
  },

  /**
   * The forward already made d loss / d logits; the upstream gradient is a scalar. For the labels,
   * d loss / d labels = −logSoftmax(logits) / rows.
   */
  softmaxCrossEntropy(e: Engine, g: Tensor, needs: Needs, logits: Tensor, dLogits: Tensor): Grads {
    let dLabels: Tensor | null = null;
    if (needs[1]) {
      const rows = logits.size / logits.shape[logits.rank - 1]!;
      const ls = e.logSoftmax(logits);
      const c = scale(e, g, -1 / rows);
      dLabels = e.mul(ls, c);
      free(ls, c);
    }
    return [needs[0] ? e.mul(dLogits, g) : null, dLabels];
  },

  sum(e: Engine, g: Tensor, _needs: Needs, x: Tensor, axes: number | readonly number[] | undefined): Grads {
    return [expandTo(e, g, x.shape, normalizeAxes(x.rank, axes))];
  },

  mean(e: Engine, g: Tensor, _needs: Needs, x: Tensor, axes: number | readonly number[] | undefined): Grads {
    const dims = normalizeAxes(x.rank, axes);
    const count = x.shape.reduce((p, d, i) => (dims.has(i) ? p * d : p), 1);
    // Scale before spreading: g is the smaller tensor.
    const gs = scale(e, g, 1 / count);
    return [expandOwned(e, gs, x.shape, dims)];
  },

  reshape(e: Engine, g: Tensor, _needs: Needs, x: Tensor): Grads {
    return [e.reshape(g, x.shape)];
  },

  /** The gradient of a pad is the slice of g where x sits. */
  pad(e: Engine, g: Tensor, _needs: Needs, x: Tensor, paddings: readonly (readonly [number, number])[]): Grads {
    return [e.slice(g, paddings.map((p) => p[0]), x.shape)];
  },

  /** The gradient of a slice is g padded with zeros back to x's shape. */
  slice(e: Engine, g: Tensor, _needs: Needs, x: Tensor, begin: readonly number[]): Grads {
    const paddings = x.shape.map((d, i): [number, number] => {
      const b = begin[i] ?? 0;
      return [b, d - b - g.shape[i]!];
    });
    return [e.pad(g, paddings, 0)];
  },

  /** Each input's gradient is its slab of g along the axis. */
  concat(e: Engine, g: Tensor, needs: Needs, xs: readonly Tensor[], axis: number): Grads {
    const rank = g.rank;
    const ax = axis < 0 ? axis + rank : axis;
    let at = 0;
    return xs.map((x, i) => {
      const begin = x.shape.map((_, d) => (d === ax ? at : 0));
      at += x.shape[ax]!;
      return needs[i] ? e.slice(g, begin, x.shape) : null;
    });
  },

  /**
   * y = (x − m)·s·r + o with r = (v + ε)^−½, the statistics broadcast along the last axis:
   *   dx = g·s·r,  do = Σg,  ds = Σ g·(x − m)·r,  dm = −Σg·s·r,  dv = −½·Σ g·(x − m)·s·r³,
   * the sums over every dim the statistics were broadcast along. With m and v computed from x by
   * mean ops on the same tape (training mode), their gradients flow on through those ops.
   */
  batchNorm(
    e: Engine, g: Tensor, needs: Needs,
    x: Tensor, m: Tensor, v: Tensor, o: Tensor | null, s: Tensor | null, epsilon: number,
  ): Grads {
    const [nx, nm, nv, no, ns] = needs;
    const stat = statShape([m, v, o, s]);
    const temps = new Set<Tensor>();
    const keep = (t: Tensor): Tensor => {
      if (t !== g) temps.add(t);
      return t;
    };
    const ve = keep(offset(e, v, epsilon));
    const lv = keep(e.unary('log', ve));
    const half = keep(scale(e, lv, -0.5));
    const r = keep(e.unary('exp', half)); // (v + ε)^−½
    const sr = s ? keep(e.mul(s, r)) : r;
    const out: Grads = [null, null, null, null, null];
    if (nx) out[0] = e.mul(g, sr);
    if (nm || no) {
      const gsum = keep(reduceTo(e, g, stat));
      if (nm) out[1] = reduceToOwned(e, e.unary('neg', keep(e.mul(gsum, sr))), m.shape);
      if (no) out[3] = reduceTo(e, gsum, o!.shape);
    }
    if (nv || ns) {
      const xm = keep(e.sub(x, m));
      const gxm = keep(reduceToOwned(e, e.mul(g, xm), stat));
      if (ns) out[4] = reduceToOwned(e, e.mul(gxm, r), s!.shape);
      if (nv) {
        const r2 = keep(e.mul(r, r));
        const k = keep(scale(e, r2, -0.5));
        const t = keep(e.mul(gxm, sr));
        out[2] = reduceToOwned(e, e.mul(t, k), v.shape);
      }
    }
    // A temporary handed on as a gradient (do = Σg when o has the statistics' shape) stays alive.
    for (const t of out) if (t) temps.delete(t);
    free(...temps);
    return out;
  },
};

/** `t` summed over its last axis, keeping that axis as a 1 so the result broadcasts against t. */
function lastAxisSum(e: Engine, t: Tensor): Tensor {
  const s = e.sum(t, t.rank - 1);
  const k = e.reshape(s, [...t.shape.slice(0, -1), 1]);
  free(s);
  return k;
}

function expandOwned(e: Engine, t: Tensor, shape: readonly number[], axes: Set<number>): Tensor {
  const out = expandTo(e, t, shape, axes);
  if (out !== t) t.dispose();
  return out;
}

/** The broadcast shape of batchNorm's statistics (the [c] of each, in the usual case). */
function statShape(ts: readonly (Tensor | null)[]): number[] {
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
