/**
 * A gradient tape over the engine. Each op runs its forward on the GPU at once and records which
 * tensors it read and how to turn its output's gradient into theirs (a rule from gradients.ts).
 * `backward` walks the record in reverse from a scalar loss; nothing is read back to the CPU.
 *
 * Ownership: every tensor a tape method returns belongs to the tape and lives until
 * `tape.dispose()` (the backward rules read them). The gradients `backward` returns belong to the
 * caller. Tensors passed in (parameters, inputs, labels) are never disposed by the tape.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import type { Conv2dOptions } from '../ops/conv_geometry.js';
import type { Pool2dOptions } from '../ops/pool.js';
import type { MatMulOptions } from '../ops/matmul.js';
import type { UnaryOp } from '../ops/elementwise.js';
import { checkTensor } from '../ops/checks.js';
import { fail, shapeStr } from '../errors.js';
import { gradients, type Grads } from './gradients.js';
import { sameShape } from './shapes.js';
import type { Ops } from './ops.js';

interface Entry {
  op: string;
  inputs: readonly Tensor[];
  output: Tensor;
  /** The input gradients from the output's; `needs[i]` says whether input i wants one. */
  backward(g: Tensor, needs: readonly boolean[]): Grads;
}

/**
 * @example
 * const tape = new Tape(engine);
 * const logits = tape.add(tape.matMul(x, w), b);
 * const { loss } = tape.softmaxCrossEntropy(logits, labels);
 * const grads = tape.backward(loss, [w, b]); // Map: w → dw, b → db
 * optimizer.apply(engine, [w, b], [grads.get(w)!, grads.get(b)!]);
 * tape.dispose();
 * for (const g of grads.values()) g.dispose();
 */
export class Tape implements Ops {
  private entries: Entry[] = [];
  /** Every tensor the tape made and hands out, freed by dispose(). */
  private owned: Tensor[] = [];
  private disposed = false;

  constructor(readonly engine: Engine) {}

  // ---- leaves ----

  tensor(data: Float32Array | ArrayLike<number>, shape: readonly number[]): Tensor {
    this.assertAlive('tensor');
    return this.own(this.engine.tensor(data, shape));
  }
  zeros(shape: readonly number[]): Tensor {
    this.assertAlive('zeros');
    return this.own(this.engine.zeros(shape));
  }

  // ---- windows ----

  conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
    return this.record('conv2d', [x, w], () => this.engine.conv2d(x, w, opts), (g, n) => gradients.conv2d(this.engine, g, n, x, w, opts));
  }
  depthwiseConv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
    return this.record('depthwiseConv2d', [x, w], () => this.engine.depthwiseConv2d(x, w, opts), (g, n) => gradients.depthwiseConv2d(this.engine, g, n, x, w, opts));
  }
  maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
    return this.record('maxPool2d', [x], () => this.engine.maxPool2d(x, opts), (g, n) => gradients.maxPool2d(this.engine, g, n, x, opts));
  }
  avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
    return this.record('avgPool2d', [x], () => this.engine.avgPool2d(x, opts), (g, n) => gradients.avgPool2d(this.engine, g, n, x, opts));
  }

  // ---- elementwise ----

  relu(x: Tensor): Tensor {
    return this.unary('relu', x);
  }
  leakyRelu(x: Tensor, alpha = 0.2): Tensor {
    return this.unary('leakyRelu', x, alpha);
  }
  sigmoid(x: Tensor): Tensor {
    return this.unary('sigmoid', x);
  }
  tanh(x: Tensor): Tensor {
    return this.unary('tanh', x);
  }
  unary(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
    let y: Tensor;
    return this.record(op, [x], () => (y = this.engine.unary(op, x, alpha)), (g, n) => gradients.unary(this.engine, g, n, op, x, y, alpha));
  }
  add(a: Tensor, b: Tensor): Tensor {
    return this.record('add', [a, b], () => this.engine.add(a, b), (g, n) => gradients.add(this.engine, g, n, a, b));
  }
  sub(a: Tensor, b: Tensor): Tensor {
    return this.record('sub', [a, b], () => this.engine.sub(a, b), (g, n) => gradients.sub(this.engine, g, n, a, b));
  }
  mul(a: Tensor, b: Tensor): Tensor {
    return this.record('mul', [a, b], () => this.engine.mul(a, b), (g, n) => gradients.mul(this.engine, g, n, a, b));
  }
  matMul(a: Tensor, b: Tensor, opts: MatMulOptions = {}): Tensor {
    return this.record('matMul', [a, b], () => this.engine.matMul(a, b, opts), (g, n) => gradients.matMul(this.engine, g, n, a, b, opts));
  }
  batchNorm(x: Tensor, mean: Tensor, variance: Tensor, offset: Tensor | null = null, scale: Tensor | null = null, epsilon = 0.001): Tensor {
    // Absent offset / scale take the slots of the (never needed) variance so the inputs line up.
    const inputs = [x, mean, variance, offset ?? variance, scale ?? variance];
    return this.record(
      'batchNorm', inputs,
      () => this.engine.batchNorm(x, mean, variance, offset, scale, epsilon),
      (g, n) => gradients.batchNorm(this.engine, g, [n[0]!, n[1]!, n[2]!, !!offset && n[3]!, !!scale && n[4]!], x, mean, variance, offset, scale, epsilon),
    );
  }

  // ---- shapes ----

  pad(x: Tensor, paddings: readonly (readonly [number, number])[], constantValue = 0): Tensor {
    const pads = paddings.map((p) => [p[0], p[1]] as [number, number]);
    return this.record('pad', [x], () => this.engine.pad(x, pads, constantValue), (g, n) => gradients.pad(this.engine, g, n, x, pads));
  }
  slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
    const b = [...begin];
    return this.record('slice', [x], () => this.engine.slice(x, b, [...size]), (g, n) => gradients.slice(this.engine, g, n, x, b));
  }
  concat(xs: readonly Tensor[], axis: number): Tensor {
    const list = [...xs];
    return this.record('concat', list, () => this.engine.concat(list, axis), (g, n) => gradients.concat(this.engine, g, n, list, axis));
  }
  reshape(x: Tensor, shape: readonly number[]): Tensor {
    return this.record('reshape', [x], () => this.engine.reshape(x, [...shape]), (g, n) => gradients.reshape(this.engine, g, n, x));
  }

  // ---- softmax and reductions ----

  softmax(x: Tensor): Tensor {
    let y: Tensor;
    return this.record('softmax', [x], () => (y = this.engine.softmax(x)), (g, n) => gradients.softmax(this.engine, g, n, y));
  }
  logSoftmax(x: Tensor): Tensor {
    let y: Tensor;
    return this.record('logSoftmax', [x], () => (y = this.engine.logSoftmax(x)), (g, n) => gradients.logSoftmax(this.engine, g, n, y));
  }
  /** The loss is recorded; `dLogits` (also the tape's) is what its backward rule scales. */
  softmaxCrossEntropy(logits: Tensor, oneHotLabels: Tensor): { loss: Tensor; dLogits: Tensor } {
    const op = 'softmaxCrossEntropy';
    this.assertAlive(op);
    const { loss, dLogits } = this.engine.softmaxCrossEntropy(logits, oneHotLabels);
    this.own(dLogits);
    this.push(op, [logits, oneHotLabels], this.own(loss), (g, n) => gradients.softmaxCrossEntropy(this.engine, g, n, logits, dLogits));
    return { loss, dLogits };
  }
  sum(x: Tensor, axes?: number | readonly number[]): Tensor {
    return this.record('sum', [x], () => this.engine.sum(x, axes), (g, n) => gradients.sum(this.engine, g, n, x, axes));
  }
  mean(x: Tensor, axes?: number | readonly number[]): Tensor {
    return this.record('mean', [x], () => this.engine.mean(x, axes), (g, n) => gradients.mean(this.engine, g, n, x, axes));
  }

  // ---- backward and lifetime ----

  /**
   * The gradient of the scalar `loss` with respect to each of `params`: a map from each param to a
   * new tensor of its shape, owned by the caller. A param used several times gets the sum; one the
   * loss does not depend on gets zeros. Only gradients on a path from a param to the loss are
   * computed (no input-image gradient for a first conv layer, for instance). May be called more
   * than once before dispose().
   */
  backward(loss: Tensor, params: readonly Tensor[]): Map<Tensor, Tensor> {
    const op = 'backward';
    this.assertAlive(op);
    checkTensor(op, 'loss', loss);
    if (loss.size !== 1) fail(op, `loss must be a scalar (one value), got shape ${shapeStr(loss.shape)}`);
    if (!Array.isArray(params)) fail(op, `params must be an array of tensors`);
    params.forEach((p, i) => checkTensor(op, `params[${i}]`, p));
    const wanted = new Set(params);
    const end = this.entries.findIndex((en) => en.output === loss);
    if (end < 0 && !wanted.has(loss)) fail(op, `the loss ${shapeStr(loss.shape)} was not computed on this tape`);

    // Which tensors lead to a param: only those get gradients.
    const relevant = new Set<Tensor>(params);
    for (let i = 0; i <= end; i++) {
      const en = this.entries[i]!;
      if (en.inputs.some((t) => relevant.has(t))) relevant.add(en.output);
    }

    const acc = new GradientAccumulator(this.engine);
    try {
      acc.add(loss, this.engine.tensor([1], loss.shape));
      for (let i = end; i >= 0; i--) {
        const en = this.entries[i]!;
        const g = acc.get(en.output);
        if (!g || !relevant.has(en.output)) continue;
        const needs = en.inputs.map((t) => relevant.has(t));
        if (needs.some(Boolean)) {
          const out = en.backward(g, needs);
          en.inputs.forEach((x, k) => {
            const dx = out[k];
            if (!dx) return;
            if (!sameShape(dx.shape, x.shape)) {
              fail(op, `the gradient rule of ${en.op} gave input ${k} a gradient of shape ${shapeStr(dx.shape)} for a tensor of shape ${shapeStr(x.shape)}`);
            }
            if (needs[k]) acc.add(x, dx);
            else {
              acc.hold(dx);
              acc.release(dx);
            }
          });
        }
        // An intermediate's gradient is spent once its producer has passed it on.
        if (!wanted.has(en.output)) acc.drop(en.output);
      }
      return acc.take(params);
    } finally {
      acc.releaseAll();
    }
  }

  /** Frees every tensor the tape made (forward outputs and what their rules saved). Safe twice. */
  dispose(): void {
    for (const t of this.owned) t.dispose();
    this.owned = [];
    this.entries = [];
    this.disposed = true;
  }

  /** Number of ops recorded. */
  get size(): number {
    return this.entries.length;
  }

  private record(op: string, inputs: readonly Tensor[], forward: () => Tensor, backward: Entry['backward']): Tensor {
    this.assertAlive(op);
    return this.push(op, inputs, this.own(forward()), backward);
  }

  private push(op: string, inputs: readonly Tensor[], output: Tensor, backward: Entry['backward']): Tensor {
    // The tape disposes its outputs; an op handing back its input would free a caller's tensor.
    if (inputs.includes(output)) fail(op, 'returned its input tensor itself; the tape needs a new tensor from every op');
    this.entries.push({ op, inputs, output, backward });
    return output;
  }

  private own<T extends Tensor>(t: T): T {
    this.owned.push(t);
    return t;
  }

  private assertAlive(op: string): void {
    if (this.disposed) fail(op, 'this tape was disposed; make a new Tape for the next step');
  }
}

/**
 * Gradients by tensor, with reference counts: a rule may pass its upstream gradient straight on
 * (add's gradient is g itself, for both operands), so one tensor can stand for several
 * gradients, and it is disposed only when the last of them is spent.
 */
class GradientAccumulator {
  private grads = new Map<Tensor, Tensor>();
  private refs = new Map<Tensor, number>();

  constructor(private readonly engine: Engine) {}

  get(x: Tensor): Tensor | undefined {
    return this.grads.get(x);
  }

  /** Adds `dx` (whose reference the caller hands over) to x's gradient. */
  add(x: Tensor, dx: Tensor): void {
    this.hold(dx);
    const prev = this.grads.get(x);
    if (!prev) {
      this.grads.set(x, dx);
      return;
    }
    const sum = this.engine.add(prev, dx);
    this.grads.set(x, this.hold(sum));
    this.release(prev);
    this.release(dx);
  }

  /** Forgets x's gradient. */
  drop(x: Tensor): void {
    const g = this.grads.get(x);
    if (!g) return;
    this.grads.delete(x);
    this.release(g);
  }

  /**
   * The params' gradients, now the caller's: each a distinct tensor (one that also stands for
   * another gradient is copied), zeros for params the loss does not reach.
   */
  take(params: readonly Tensor[]): Map<Tensor, Tensor> {
    const out = new Map<Tensor, Tensor>();
    for (const p of params) {
      if (out.has(p)) continue;
      const g = this.grads.get(p);
      if (!g) {
        out.set(p, this.engine.zeros(p.shape));
        continue;
      }
      this.grads.delete(p);
      if (this.refs.get(g) === 1) {
        this.refs.delete(g);
        out.set(p, g);
      } else {
        out.set(p, this.engine.sum(g, [])); // a copy (sum over no axes)
        this.release(g);
      }
    }
    return out;
  }

  hold(t: Tensor): Tensor {
    this.refs.set(t, (this.refs.get(t) ?? 0) + 1);
    return t;
  }

  release(t: Tensor): this {
    const n = (this.refs.get(t) ?? 1) - 1;
    if (n > 0) {
      this.refs.set(t, n);
    } else {
      this.refs.delete(t);
      t.dispose();
    }
    return this;
  }

  /** Frees every gradient still held (the ones not handed to the caller, or all after an error). */
  releaseAll(): void {
    for (const g of this.grads.values()) this.release(g);
    this.grads.clear();
  }
}
