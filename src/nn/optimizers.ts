/**
 * SGD (with optional momentum) and Adam, with the semantics of tf.train.sgd, tf.train.momentum and
 * tf.train.adam (shaders/optimizer.wgsl). `apply` updates each parameter's own buffer in place with
 * one dispatch per parameter; the state (momentum accumulation, Adam moments) lives on the GPU in
 * tensors the optimizer keeps per parameter until `dispose()`.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { Shader } from '../gpu/shader.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor, grid1d } from '../ops/checks.js';
import source from '../../shaders/optimizer.wgsl';

const shader = new Shader('optimizer', source);

export interface Optimizer {
  readonly name: 'sgd' | 'adam';
  /** May be changed between steps (a schedule, a slider). */
  learningRate: number;
  /** Updates applied so far. */
  readonly iterations: number;
  /** `params[i] -= step(grads[i])` in place on the GPU, one dispatch per parameter. */
  apply(engine: Engine, params: readonly Tensor[], grads: readonly Tensor[]): void;
  /** Frees the per-parameter state. The optimizer can be used again afterwards, starting afresh. */
  dispose(): void;
}

export interface SgdConfig {
  learningRate: number;
  /** 0 (the default) is plain SGD; otherwise tf.train.momentum without Nesterov. */
  momentum?: number;
}

export interface AdamConfig {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  /** 1e-7 by default, the float32 epsilon TensorFlow.js and Keras use. */
  epsilon?: number;
}

/**
 * Stochastic gradient descent: `param −= lr·grad`, or with momentum
 * `accum = momentum·accum + grad; param −= lr·accum` (accum starting at zero).
 * @example
 * const opt = sgd({ learningRate: 0.01, momentum: 0.9 });
 * opt.apply(engine, params, grads);
 */
export function sgd(config: SgdConfig): Optimizer {
  const { learningRate, momentum = 0 } = config ?? ({} as SgdConfig);
  checkNumber('sgd', 'learningRate', learningRate);
  checkNumber('sgd', 'momentum', momentum);
  if (momentum < 0) fail('sgd', `momentum must be ≥ 0, got ${momentum}`);
  return new StatefulOptimizer('sgd', learningRate, momentum > 0 ? 1 : 0, (engine, p, g, state, lr) => {
    if (momentum === 0) {
      run(engine, 'sgd', p, g, {}, { size: p.size, lr });
    } else {
      run(engine, 'momentum', p, g, { m: state[0]!.buffer }, { size: p.size, lr, momentum });
    }
  });
}

/**
 * Adam: `m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
 * param −= lr·(m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)`, t counting this optimizer's steps from 1.
 * @example
 * const opt = adam({ learningRate: 1e-3 });
 */
export function adam(config: AdamConfig): Optimizer {
  const { learningRate, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7 } = config ?? ({} as AdamConfig);
  checkNumber('adam', 'learningRate', learningRate);
  for (const [name, b] of [['beta1', beta1], ['beta2', beta2]] as const) {
    checkNumber('adam', name, b);
    if (b < 0 || b >= 1) fail('adam', `${name} must be in [0, 1), got ${b}`);
  }
  checkNumber('adam', 'epsilon', epsilon);
  if (epsilon < 0) fail('adam', `epsilon must be ≥ 0, got ${epsilon}`);
  return new StatefulOptimizer('adam', learningRate, 2, (engine, p, g, state, lr, step) => {
    const params = { size: p.size, lr, beta1, beta2, epsilon, correction1: 1 - beta1 ** step, correction2: 1 - beta2 ** step };
    run(engine, 'adam', p, g, { m: state[0]!.buffer, v: state[1]!.buffer }, params);
  });
}

type Step = (engine: Engine, param: Tensor, grad: Tensor, state: readonly Tensor[], lr: number, step: number) => void;

class StatefulOptimizer implements Optimizer {
  private state = new Map<Tensor, Tensor[]>();
  private steps = 0;

  constructor(
    readonly name: 'sgd' | 'adam',
    public learningRate: number,
    /** State tensors per parameter, each of its shape and starting at zero. */
    private readonly slots: number,
    private readonly step: Step,
  ) {}

  get iterations(): number {
    return this.steps;
  }

  apply(engine: Engine, params: readonly Tensor[], grads: readonly Tensor[]): void {
    const op = this.name;
    checkNumber(op, 'learningRate', this.learningRate);
    if (!Array.isArray(params) || !Array.isArray(grads)) fail(op, 'params and grads must be arrays of tensors');
    if (params.length !== grads.length) fail(op, `${params.length} params but ${grads.length} grads`);
    const seen = new Set<Tensor>();
    params.forEach((p, i) => {
      checkTensor(op, `params[${i}]`, p);
      checkTensor(op, `grads[${i}]`, grads[i]);
      const g = grads[i]!;
      if (p.shape.length !== g.shape.length || p.shape.some((d, k) => d !== g.shape[k])) {
        fail(op, `grads[${i}] ${shapeStr(g.shape)} does not match params[${i}] ${shapeStr(p.shape)}`);
      }
      if (g === p || g.buffer === p.buffer) fail(op, `grads[${i}] is params[${i}] itself`);
      if (seen.has(p)) fail(op, `params[${i}] ${shapeStr(p.shape)} appears twice; pass each parameter once`);
      seen.add(p);
    });
    this.steps++;
    params.forEach((p, i) => {
      let s = this.state.get(p);
      if (!s) {
        s = Array.from({ length: this.slots }, () => engine.zeros(p.shape));
        this.state.set(p, s);
      }
      if (p.size > 0) this.step(engine, p, grads[i]!, s, this.learningRate, this.steps);
    });
  }

  dispose(): void {
    for (const s of this.state.values()) for (const t of s) t.dispose();
    this.state.clear();
    this.steps = 0;
  }
}

/** One in-place update of `p`; `uniforms` fill the entry's own uniform struct. */
function run(engine: Engine, entry: string, p: Tensor, g: Tensor, state: Record<string, GPUBuffer>, uniforms: Record<string, number>): void {
  engine.run({
    shader, entry,
    buffers: { param: p.buffer, grad: g.buffer, ...state },
    params: uniforms,
    workgroups: grid1d(p.size, 256),
  });
}

function checkNumber(op: string, name: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(op, `${name} must be a finite number, got ${String(v)}`);
}
