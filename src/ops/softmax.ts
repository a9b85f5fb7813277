/**
 * Softmax, log-softmax and softmax cross-entropy over the last axis (shaders/softmax.wgsl), for
 * tensors of any rank ≥ 1: every leading index is one row. All are computed stably, from x − max.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { Shader } from '../gpu/shader.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor, grid1d } from './checks.js';
import type { Definitions, Grads } from './op.js';
import source from '../../shaders/softmax.wgsl';

const shader = new Shader('softmax', source);

/**
 * `exp(x) / Σ exp(x)` along the last axis, as `tf.softmax(x)`.
 * @example
 * await softmax(engine, engine.tensor([1, 2, 3], [3])).read(); // [0.090, 0.245, 0.665]
 */
export function softmax(engine: Engine, x: Tensor): Tensor {
  return rowwise(engine, 'softmax', 'softmax', x);
}

/** `x − log Σ exp(x)` along the last axis, as `tf.logSoftmax(x)`. */
export function logSoftmax(engine: Engine, x: Tensor): Tensor {
  return rowwise(engine, 'logSoftmax', 'log_softmax', x);
}

/**
 * The loss `tf.losses.softmaxCrossEntropy(oneHotLabels, logits)` returns with its defaults (no
 * weights, no smoothing: the mean over rows of Σ −labels·logSoftmax(logits)), as a scalar tensor,
 * and its gradient with respect to the logits, `(softmax(logits)·Σ labels − labels) / rows`.
 * Labels may be soft; when a label row does not sum to 1 this is still the loss's true gradient,
 * where tf's custom gradient would give `(softmax − labels) / rows`.
 * @example
 * const { loss, dLogits } = softmaxCrossEntropy(engine, logits, labels); // both [batch, classes]
 */
export function softmaxCrossEntropy(engine: Engine, logits: Tensor, oneHotLabels: Tensor): { loss: Tensor; dLogits: Tensor } {
  const op = 'softmaxCrossEntropy';
  checkTensor(op, 'logits', logits);
  checkTensor(op, 'oneHotLabels', oneHotLabels);
  checkRank(op, 'logits', logits);
  if (!sameShape(logits.shape, oneHotLabels.shape)) {
    fail(op, `oneHotLabels ${shapeStr(oneHotLabels.shape)} must have the shape of logits ${shapeStr(logits.shape)}`);
  }
  const { rows, len } = rowsOf(logits);
  if (rows === 0) {
    // The mean of no rows: tf divides a zero sum by a zero count.
    return { loss: engine.tensor([NaN], []), dLogits: engine.empty(logits.shape, op) };
  }
  const dLogits = engine.empty(logits.shape, op);
  const rowLoss = engine.empty([rows], `${op} rows`);
  const loss = engine.empty([], op);
  engine.run({
    shader, entry: 'cross_entropy_rows', constants: { WG: workgroupFor(len) },
    buffers: { x: logits.buffer, labels: oneHotLabels.buffer, y: dLogits.buffer, row_loss: rowLoss.buffer },
    params: { rows, len },
    workgroups: grid1d(rows, 1),
  });
  engine.run({
    shader, entry: 'mean_loss', constants: { WG: 256 },
    buffers: { row_loss: rowLoss.buffer, loss: loss.buffer },
    params: { rows, len },
    workgroups: [1],
  });
  // Safe before the GPU has run: work recorded later, which could reuse the buffer, runs later.
  rowLoss.dispose();
  return { loss, dLogits };
}

function rowwise(engine: Engine, op: string, entry: string, x: Tensor): Tensor {
  checkTensor(op, 'x', x);
  checkRank(op, 'x', x);
  const { rows, len } = rowsOf(x);
  const y = engine.empty(x.shape, op);
  if (x.size === 0) return y;
  engine.run({
    shader, entry, constants: { WG: workgroupFor(len) },
    buffers: { x: x.buffer, y: y.buffer },
    params: { rows, len },
    workgroups: grid1d(rows, 1),
  });
  return y;
}

function checkRank(op: string, name: string, t: Tensor): void {
  if (t.rank < 1) fail(op, `${name} must have rank 1 or more (the op runs along the last axis), got shape ${shapeStr(t.shape)}`);
}

function rowsOf(t: Tensor): { rows: number; len: number } {
  const len = t.shape[t.rank - 1]!;
  const rows = t.shape.slice(0, -1).reduce((p, d) => p * d, 1);
  return { rows, len };
}

/** The smallest power of two from 32 to 256 that covers a row, so short rows keep few invocations idle. */
function workgroupFor(len: number): number {
  let wg = 32;
  while (wg < len && wg < 256) wg *= 2;
  return wg;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** `t` summed over its last axis, keeping that axis as a 1 so the result broadcasts against t. */
function lastAxisSum(e: Engine, t: Tensor): Tensor {
  const s = e.sum(t, t.rank - 1);
  const k = e.reshape(s, [...t.shape.slice(0, -1), 1]);
  s.dispose();
  return k;
}

export interface SoftmaxOps {
  /** `tf.softmax` along the last axis. */
  softmax(x: Tensor): Tensor;
  /** `tf.logSoftmax` along the last axis. */
  logSoftmax(x: Tensor): Tensor;
  /** The mean softmax cross-entropy (a scalar) and its gradient with respect to the logits. */
  softmaxCrossEntropy(logits: Tensor, oneHotLabels: Tensor): { loss: Tensor; dLogits: Tensor };
}

export const softmaxOps: Definitions<SoftmaxOps> = {
  /** `tf.softmax` along the last axis. */
  softmax: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor) => softmax(e, x),
    inputs: (x: Tensor) => [x],
    /** dx = y·(g − Σ g·y) along the last axis. */
    gradient: ({ engine: e, g, y }): Grads => {
      const gy = e.mul(g, y);
      const s = lastAxisSum(e, gy);
      const d = e.sub(g, s);
      const out = e.mul(d, y);
      [gy, s, d].forEach((t) => t.dispose());
      return [out];
    },
  },
  /** `tf.logSoftmax` along the last axis. */
  logSoftmax: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor) => logSoftmax(e, x),
    inputs: (x: Tensor) => [x],
    /** dx = g − softmax(x)·Σ g along the last axis, softmax(x) being exp(y). */
    gradient: ({ engine: e, g, y }): Grads => {
      const p = e.exp(y);
      const s = lastAxisSum(e, g);
      const ps = e.mul(p, s);
      const out = e.sub(g, ps);
      [p, s, ps].forEach((t) => t.dispose());
      return [out];
    },
  },
  /**
   * The mean softmax cross-entropy and its gradient with respect to the logits. The loss is
   * what the tape records; `dLogits` (also the tape's) is what its rule scales.
   */
  softmaxCrossEntropy: {
    kind: 'differentiable',
    forward: (e: Engine, logits: Tensor, oneHotLabels: Tensor) => softmaxCrossEntropy(e, logits, oneHotLabels),
    inputs: (logits: Tensor, oneHotLabels: Tensor) => [logits, oneHotLabels],
    outputs: (out: { loss: Tensor; dLogits: Tensor }) => ({ recorded: out.loss, others: [out.dLogits] }),
    /** d loss / d labels = −logSoftmax(logits) / rows; the upstream gradient is a scalar. */
    gradient: ({ engine: e, g, needs, y }, logits: Tensor): Grads => {
      let dLabels: Tensor | null = null;
      if (needs[1]) {
        const rows = logits.size / logits.shape[logits.rank - 1]!;
        const ls = e.logSoftmax(logits);
        const c = e.mul(g, -1 / rows);
        dLabels = e.mul(ls, c);
        ls.dispose();
        c.dispose();
      }
      return [needs[0] ? e.mul(y.dLogits, g) : null, dLabels];
    },
  },
};
