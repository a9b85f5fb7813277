/**
 * The one pass every attribution method is made of: the model run on a batch on an autograd tape,
 * each row's target, and the gradient of their (optionally weighted) sum with respect to the
 * input or a layer's output. Because a row's target depends on that row alone, the gradient of
 * the sum gives every row the gradient of its own target: one backward pass serves the batch.
 */
import { Tape } from '../autograd/tape.js';
import { Tensor } from '../tensor.js';
import { CnnError, shapeStr } from '../errors.js';
import type { Model, Activations } from '../nn/model.js';
import type { ResolvedTarget } from './target.js';

export interface PassRequest {
  /** Which image of the caller's batch each row stands for. */
  imageOf: Int32Array;
  /** A weight per row multiplying its target (Integrated Gradients' quadrature weights). */
  weights?: Float32Array;
  /** The tensors to differentiate with respect to (the input, a layer's output), chosen once the pass has run. */
  wrt?: (acts: Activations) => Tensor[];
}

export interface Pass {
  acts: Activations;
  /** The target of each row, [rows]. */
  values: Tensor;
  /** The gradient for each tensor `wrt` chose, in its order. */
  grads: Tensor[];
}

/**
 * Runs one pass and hands it to `use`, which must copy out what it keeps: the activations and
 * gradients are freed when `use` returns (or throws), except a gradient `use` returns itself. The
 * input is the caller's and is not freed.
 */
export function targetPass<R>(model: Model, input: Tensor, target: ResolvedTarget, req: PassRequest, use: (pass: Pass) => R): R {
  const engine = model.engine;
  const tape = new Tape(engine);
  const temps: Tensor[] = [];
  let grads: Tensor[] = [];
  let result: R | undefined;
  try {
    const acts = model.run(input, { ops: tape, logits: target.logits });
    const perRow = target.perRow(tape, acts, req.imageOf, temps);
    const wrt = req.wrt?.(acts) ?? [];
    if (wrt.length) {
      let total: Tensor;
      if (req.weights) {
        const w = engine.tensor(req.weights, [req.weights.length]);
        temps.push(w);
        total = tape.sum(tape.mul(perRow, w));
      } else {
        total = tape.sum(perRow);
      }
      const byTensor = tape.backward(total, wrt);
      grads = wrt.map((t) => byTensor.get(t)!);
      // The same tensor asked for twice maps to one gradient: keep one reference per slot.
      grads = grads.map((g, i) => (grads.indexOf(g) === i ? g : engine.sum(g, [])));
    }
    result = use({ acts, values: perRow, grads });
    return result;
  } finally {
    for (const g of grads) if (g !== result) g.dispose();
    for (const t of temps) t.dispose();
    tape.dispose();
  }
}

/** Fails unless x is a live tensor of shape [batch, ...model input]. */
export function checkInput(op: string, model: Model, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new CnnError(op, `x must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.isDisposed) throw new CnnError(op, `x (shape ${shapeStr(x.shape)}) was used after dispose()`);
  const want = model.inputShape;
  if (x.rank !== want.length + 1 || want.some((d, i) => x.shape[i + 1] !== d) || x.shape[0]! < 1) {
    throw new CnnError(op, `x has shape ${shapeStr(x.shape)} but model '${model.name}' takes [batch, ${want.join(', ')}]`);
  }
}

/** Fails unless v is an integer ≥ min (or absent, giving dflt). */
export function intOption(op: string, name: string, v: unknown, dflt: number, min = 1): number {
  const n = v ?? dflt;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) throw new CnnError(op, `${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

/** Bytes of GPU memory one pass may use by default: well below what browsers grant a page. */
const PASS_BUDGET = 256 * 1024 * 1024;

/**
 * How many rows one pass may hold: `batchSize` when given, else as many as fit the budget, counting
 * each layer's output three times (the tape keeps it, its gradient, a temporary of the rule).
 */
export function rowsPerPass(op: string, model: Model, batchSize: unknown): number {
  if (batchSize !== undefined) return intOption(op, 'batchSize', batchSize, 1);
  const perRow = model.layers.reduce((s, l) => s + l.outputShape.reduce((p, d) => p * d, 1), 0) * 4 * 3;
  const maxBinding = model.engine.device.limits.maxStorageBufferBindingSize;
  const widest = Math.max(...model.layers.map((l) => l.outputShape.reduce((p, d) => p * d, 1))) * 4;
  return Math.max(1, Math.min(Math.floor(PASS_BUDGET / perRow), Math.floor(maxBinding / widest)));
}

/** Row r of a pass with `groups` groups of `n` rows each (group-major) stands for image r mod n. */
export function groupMajorImages(groups: number, n: number): Int32Array {
  return Int32Array.from({ length: groups * n }, (_, r) => r % n);
}
