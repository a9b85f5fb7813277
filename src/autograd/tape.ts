/**
 * A gradient tape over the engine. Each op runs its forward on the GPU at once and records which
 * tensors it read and how to turn its output's gradient into theirs (its definition's rule; the
 * tape's op methods are made from the op table, src/ops/table.ts).
 * `backward` walks the record in reverse from a scalar loss; nothing is read back to the CPU.
 *
 * Ownership: every tensor a tape method returns belongs to the tape and lives until
 * `tape.dispose()` (the backward rules read them). The gradients `backward` returns belong to the
 * caller. Tensors passed in (parameters, inputs, labels) are never disposed by the tape.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { Tensor as TensorClass } from '../tensor.js';
import { checkTensor } from '../ops/checks.js';
import { fail, shapeStr } from '../errors.js';
import { sameShape } from '../ops/grad_shapes.js';
import { opTable, differentiableOp, type DifferentiableOpName, type TapeOps } from '../ops/table.js';
import type { Grads } from '../ops/op.js';
import type { Ops } from './ops.js';

interface Entry {
  op: string;
  /** Null where an optional tensor input was absent. */
  inputs: readonly (Tensor | null)[];
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
      if (en.inputs.some((t) => t !== null && relevant.has(t))) relevant.add(en.output);
    }

    // A rule that fails partway (reading a tensor disposed since the forward pass, say) leaves
    // what it made so far outside the accumulator: freeOnThrow frees that too.
    return this.engine.freeOnThrow(() => this.backwardFrom(end, loss, params, wanted, relevant));
  }

  private backwardFrom(end: number, loss: Tensor, params: readonly Tensor[], wanted: ReadonlySet<Tensor>, relevant: ReadonlySet<Tensor>): Map<Tensor, Tensor> {
    const op = 'backward';
    const acc = new GradientAccumulator(this.engine);
    try {
      acc.add(loss, this.engine.tensor([1], loss.shape));
      for (let i = end; i >= 0; i--) {
        const en = this.entries[i]!;
        const g = acc.get(en.output);
        if (!g || !relevant.has(en.output)) continue;
        const needs = en.inputs.map((t) => t !== null && relevant.has(t));
        if (needs.some(Boolean)) {
          const out = en.backward(g, needs);
          en.inputs.forEach((x, k) => {
            const dx = out[k];
            if (!dx) return;
            if (!x) {
              acc.hold(dx);
              acc.release(dx);
              return;
            }
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

  /** Runs a table op's forward and records it with its definition's gradient rule. */
  recordOp(name: DifferentiableOpName, args: unknown[]): unknown {
    this.assertAlive(name);
    const def = differentiableOp(name);
    // The rule runs later: keep the arguments as they are now, not as a caller may change them.
    const saved = args.map(snapshot);
    // Through the engine, which frees what a failing forward made.
    const out = this.engine.runOp(def, saved);
    const { recorded, others } = def.outputs ? def.outputs(out) : { recorded: out as Tensor, others: [] };
    for (const t of others) this.own(t);
    this.push(name, def.inputs(...saved), this.own(recorded), (g, needs) => def.gradient({ engine: this.engine, g, needs, y: out }, ...saved));
    return out;
  }

  private push(op: string, inputs: readonly (Tensor | null)[], output: Tensor, backward: Entry['backward']): Tensor {
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

// The op methods (tape.conv2d(x, w, opts), tape.relu(x), …): one per differentiable table entry.
export interface Tape extends TapeOps {}
for (const [name, def] of Object.entries(opTable)) {
  if (def.kind !== 'differentiable') continue;
  Object.defineProperty(Tape.prototype, name, {
    value: function (this: Tape, ...args: unknown[]) {
      return this.recordOp(name as DifferentiableOpName, args);
    },
    writable: true,
    configurable: true,
  });
}

/** A copy of an argument's arrays and option objects (tensors kept as they are). */
function snapshot(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || v instanceof TensorClass) return v;
  if (Array.isArray(v)) return v.map(snapshot);
  if (Object.getPrototypeOf(v) !== Object.prototype) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, snapshot(x)]));
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
