/**
 * Elementwise ONNX operators. OnnxBinary is Add, Sub, Mul, Div (and Sum) between activations, or
 * between an activation and a constant: a number carried in the kernel's uniforms, or a tensor
 * weight already laid out as the activation is (NHWC for a feature map). OnnxUnary is every
 * activation function, those the engine lacks composed from the ones it has so that they train.
 */
import type { Engine } from '../../../engine.js';
import type { Tensor } from '../../../tensor.js';
import type { Operand } from '../../../ops/binary.js';
import { shapeStr } from '../../../errors.js';
import { release, type LayerConfig, type Shape, type WeightSpec } from '../../layer.js';
import type { Ops } from '../../ops_like.js';
import { OnnxLayer } from './base.js';

type BinaryName = 'add' | 'sub' | 'mul' | 'div';
const BINARY: readonly BinaryName[] = ['add', 'sub', 'mul', 'div'];

/** Broadcasts full-rank shapes (batch first, as 1) as NumPy does; undefined when they do not. */
function broadcast(shapes: readonly (readonly number[])[]): number[] | undefined {
  const r = Math.max(...shapes.map((s) => s.length));
  const out: number[] = Array<number>(r).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const k = r - s.length + i;
      const d = s[i]!;
      if (d !== 1 && out[k] !== 1 && out[k] !== d) return undefined;
      if (d !== 1) out[k] = d;
    }
  }
  return out;
}

export class OnnxBinary extends OnnxLayer {
  readonly op: BinaryName;
  /** 'inputs': every operand is an input; 'weight': a constant tensor; 'number': a constant number. */
  readonly operand: 'inputs' | 'weight' | 'number';
  /** The constant comes first (`c − x`, `c / x`). */
  readonly constantFirst: boolean;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'OnnxBinary', config);
    const op = this.config.op;
    if (!BINARY.includes(op as BinaryName)) this.fail(`op must be one of ${BINARY.join(', ')}, got ${JSON.stringify(op)}`);
    this.op = op as BinaryName;
    const operand = this.config.operand ?? 'inputs';
    if (operand !== 'inputs' && operand !== 'weight' && operand !== 'number') this.fail(`operand must be 'inputs', 'weight' or 'number', got ${JSON.stringify(operand)}`);
    this.operand = operand;
    this.constantFirst = this.bool('constant_first', false);
    if (operand === 'number') this.num('number', 0);
  }

  protected shapes(inputs: Shape[]) {
    const full = inputs.map((s) => [1, ...s]);
    const weights: WeightSpec[] = [];
    if (this.operand === 'inputs') {
      if (inputs.length < 2) this.fail(`takes two or more inputs, got ${inputs.length}`);
    } else {
      this.expectInputs(inputs, 1);
      if (this.operand === 'weight') {
        const shape = this.ints('constant_shape');
        full.push(shape);
        weights.push({ name: 'constant', shape, trainable: true, initializer: this.initializer('constant_initializer', 'zeros') });
      }
    }
    const out = broadcast(full);
    if (!out || out[0] !== 1) this.fail(`cannot broadcast ${full.map(shapeStr).join(' with ')} (batch first)`);
    return { output: out.slice(1), weights };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    const f = (a: Operand, b: Operand) => ops[this.op](a, b);
    if (this.operand !== 'inputs') {
      const c: Operand = this.operand === 'number' ? (this.config.number as number) : this.weight('constant');
      return this.constantFirst ? f(c, inputs[0]!) : f(inputs[0]!, c);
    }
    let acc = f(inputs[0]!, inputs[1]!);
    for (const x of inputs.slice(2)) {
      const next = f(acc, x);
      release(ops, acc);
      acc = next;
    }
    return acc;
  }
}

export type UnaryName =
  | 'relu' | 'leaky_relu' | 'sigmoid' | 'tanh' | 'relu6' | 'clip' | 'hard_sigmoid' | 'hard_swish' | 'prelu' | 'elu'
  | 'softplus' | 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'reciprocal';

const UNARY: readonly UnaryName[] = [
  'relu', 'leaky_relu', 'sigmoid', 'tanh', 'relu6', 'clip', 'hard_sigmoid', 'hard_swish', 'prelu', 'elu',
  'softplus', 'neg', 'exp', 'log', 'sqrt', 'abs', 'reciprocal',
];

export class OnnxUnary extends OnnxLayer {
  readonly fn: UnaryName;

  constructor(engine: Engine, config: LayerConfig) {
    super(engine, 'OnnxUnary', config);
    const fn = this.config.fn;
    if (!UNARY.includes(fn as UnaryName)) this.fail(`fn must be one of ${UNARY.join(', ')}, got ${JSON.stringify(fn)}`);
    this.fn = fn as UnaryName;
    if (fn === 'clip') {
      const lo = this.config.min ?? null;
      const hi = this.config.max ?? null;
      if ((lo !== null && typeof lo !== 'number') || (hi !== null && typeof hi !== 'number') || (lo !== null && hi !== null && lo > hi)) {
        this.fail(`clip needs min ≤ max (numbers or null), got ${JSON.stringify(lo)} and ${JSON.stringify(hi)}`);
      }
    }
  }

  protected shapes(inputs: Shape[]) {
    this.expectInputs(inputs, 1);
    if (this.fn !== 'prelu') return { output: [...inputs[0]!] };
    const shape = this.ints('slope_shape');
    const out = broadcast([[1, ...inputs[0]!], shape]);
    if (!out || out.length !== inputs[0]!.length + 1 || out.some((d, i) => i > 0 && d !== inputs[0]![i - 1])) {
      this.fail(`the slope ${shapeStr(shape)} does not broadcast onto [batch, ${inputs[0]!.join(', ')}]`);
    }
    return { output: [...inputs[0]!], weights: [{ name: 'slope', shape, trainable: true, initializer: this.initializer('slope_initializer', 'zeros') }] };
  }

  protected forward(ops: Ops, inputs: readonly Tensor[]): Tensor {
    const x = inputs[0]!;
    const alpha = (this.config.alpha as number | undefined) ?? 0;
    const beta = (this.config.beta as number | undefined) ?? 0;
    switch (this.fn) {
      case 'relu': return ops.relu(x);
      case 'leaky_relu': return ops.leakyRelu(x, alpha);
      case 'sigmoid': return ops.sigmoid(x);
      case 'tanh': return ops.tanh(x);
      case 'relu6': return ops.relu6(x);
      case 'neg': return ops.neg(x);
      case 'exp': return ops.exp(x);
      case 'log': return ops.log(x);
      case 'sqrt': return ops.sqrt(x);
      case 'abs': return ops.abs(x);
      case 'reciprocal': return ops.div(1, x);
      case 'clip': return clip(ops, x, (this.config.min as number | null) ?? null, (this.config.max as number | null) ?? null);
      case 'hard_sigmoid': return hardSigmoid(ops, x, alpha, beta);
      case 'hard_swish': {
        const s = hardSigmoid(ops, x, 1 / 6, 0.5);
        const y = ops.mul(x, s);
        release(ops, s);
        return y;
      }
      case 'prelu': return negativeSlope(ops, x, (neg) => ops.mul(neg, this.weight('slope')));
      case 'elu': return negativeSlope(ops, x, (neg) => {
        const e = ops.exp(neg);
        const em1 = ops.sub(e, 1);
        const y = ops.mul(em1, alpha);
        release(ops, e, em1);
        return y;
      });
      case 'softplus': {
        const e = ops.exp(x);
        const e1 = ops.add(e, 1);
        const y = ops.log(e1);
        release(ops, e, e1);
        return y;
      }
    }
  }
}

/** min(max(x, lo), hi); a null bound is none. ReLU and ReLU6 keep their own kernels. */
function clip(ops: Ops, x: Tensor, lo: number | null, hi: number | null): Tensor {
  if (lo === 0 && hi === 6) return ops.relu6(x);
  if (lo === 0 && hi === null) return ops.relu(x);
  return ops.clip(x, lo ?? -Infinity, hi ?? Infinity);
}

/** max(0, min(1, αx + β)). */
function hardSigmoid(ops: Ops, x: Tensor, alpha: number, beta: number): Tensor {
  const a = ops.mul(x, alpha);
  const b = ops.add(a, beta);
  const y = ops.clip(b, 0, 1);
  release(ops, a, b);
  return y;
}

/** relu(x) + f(min(x, 0)): PRelu and Elu, with min(x, 0) as x − relu(x). */
function negativeSlope(ops: Ops, x: Tensor, f: (neg: Tensor) => Tensor): Tensor {
  const pos = ops.relu(x);
  const neg = ops.sub(x, pos);
  const fn = f(neg);
  const y = ops.add(pos, fn);
  release(ops, neg, fn, pos);
  return y;
}
