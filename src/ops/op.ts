/**
 * The shape of an op definition. Each op is written once, in its file beside its shader, as a
 * forward launch plus (when differentiable) the tensors gradients flow to and the gradient rule.
 * `src/ops/table.ts` lists the definitions; the engine's methods, the `Ops` interface, the tape's
 * methods and the gradient table are all derived from that list by the types below, so an op
 * marked differentiable without a gradient rule is a compile error, not a run-time surprise.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';

/** One gradient per recorded input (null where an input needs none or is absent). */
export type Grads = (Tensor | null)[];

/** What a gradient rule is given besides the op's own arguments. */
export interface GradientContext<Out> {
  engine: Engine;
  /** The gradient of the recorded output. */
  g: Tensor;
  /** Per recorded input: whether it leads to a parameter (the others cost nothing). */
  needs: readonly boolean[];
  /** What the forward returned. */
  y: Out;
}

/** An op the tape can differentiate. */
export interface DifferentiableOp<A extends unknown[], Out = Tensor> {
  readonly kind: 'differentiable';
  forward(engine: Engine, ...args: A): Out;
  /** The tensors among the arguments a gradient flows to, in a fixed order (null for an absent optional one). */
  inputs(...args: A): readonly (Tensor | null)[];
  /**
   * One gradient per entry of `inputs`, each of that input's shape. A rule may return `g` itself
   * (the tape counts references); it disposes every other temporary it makes.
   */
  gradient(ctx: GradientContext<Out>, ...args: A): Grads;
  /** For an op returning several tensors: the one recorded (whose gradient flows) and the rest, which the tape also owns. */
  outputs?(y: Out): { recorded: Tensor; others: readonly Tensor[] };
}

/** An op with no gradient of its own (the gradient kernels themselves, for instance). */
export interface PlainOp<A extends unknown[], Out = Tensor> {
  readonly kind: 'plain';
  forward(engine: Engine, ...args: A): Out;
}

export type OpDefinition<A extends unknown[] = any[], Out = any> = DifferentiableOp<A, Out> | PlainOp<A, Out>;

type Fn = (...args: any[]) => any;

/**
 * The definitions an op file owes for its signatures: a differentiable op (with its gradient
 * rule) for each method of `Diff`, a plain one for each of `Plain`. The signatures are the
 * methods as the engine shows them; the definitions' arguments are typed from them.
 */
export type Definitions<Diff, Plain = {}> = {
  [K in keyof Diff]: Diff[K] extends Fn ? DifferentiableOp<Parameters<Diff[K]>, ReturnType<Diff[K]>> : never;
} & {
  [K in keyof Plain]: Plain[K] extends Fn ? PlainOp<Parameters<Plain[K]>, ReturnType<Plain[K]>> : never;
};
