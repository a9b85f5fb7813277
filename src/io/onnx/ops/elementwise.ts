/**
 * Elementwise operators: Add, Sub, Mul, Div and Sum with broadcasting, and the activation
 * functions. A constant operand becomes a number (one value) or a weight laid out as the activation
 * is stored: an NCHW-broadcast constant such as a per-channel [c, 1, 1] becomes [1, 1, 1, c] for an
 * NHWC feature map, and a per-feature constant on a flattened map is permuted with its columns.
 */
import { shapeStr } from '../../../errors.js';
import { attrFloat } from '../attributes.js';
import { Constant, type Act, type Converter } from '../convert.js';
import { broadcastDims, transposeConst } from '../fold.js';
import { flatColumn, isPermuted } from '../layout.js';
import type { Handler } from './types.js';

/**
 * A constant that broadcasts onto activation `x` (ONNX shapes), in x's stored layout: its shape
 * with the batch dim first (always 1) and its values.
 */
export function storedConstant(cv: Converter, c: Constant, x: Act, what: string): { shape: number[]; values: () => Float32Array } {
  const r = x.shape.length;
  if (c.dims.length > r) cv.fail(`${what} ${shapeStr(c.dims)} has more dims than the activation ${shapeStr(x.shape)}`);
  const full = [...Array<number>(r - c.dims.length).fill(1), ...c.dims];
  if (full[0] !== 1) cv.fail(`${what} ${shapeStr(c.dims)} varies along the batch dim of ${shapeStr(x.shape)}; only constants shared by every example are supported`);
  if (r === 4) {
    return { shape: [full[0]!, full[2]!, full[3]!, full[1]!], values: () => Float32Array.from(transposeConst({ ...c.fresh(), dims: full }, [0, 2, 3, 1]).data) };
  }
  if (r === 2 && isPermuted(x.flat) && full[1]! > 1) {
    const f = x.flat;
    return { shape: full, values: () => {
      const v = c.fresh().data;
      return Float32Array.from({ length: full[1]! }, (_, j) => v[flatColumn(f, j)]!);
    } };
  }
  return { shape: full, values: () => Float32Array.from(c.fresh().data) };
}

type BinaryName = 'add' | 'sub' | 'mul' | 'div';

function binary(op: BinaryName): Handler {
  return (cv) => {
    const [a, b] = [cv.value(0), cv.value(1)];
    if (!a || !b) cv.fail('needs two inputs');
    if (a instanceof Constant || b instanceof Constant) {
      const constantFirst = a instanceof Constant;
      const c = (constantFirst ? a : b) as Constant;
      const x = cv.act(constantFirst ? 1 : 0);
      const shape = broadcastDims(x.shape, c.dims) ?? cv.fail(`cannot broadcast ${shapeStr(x.shape)} with the constant ${shapeStr(c.dims)}`);
      if (shape.length !== x.shape.length) cv.fail(`the constant ${shapeStr(c.dims)} has more dims than the activation ${shapeStr(x.shape)}`);
      const flat = x.flat;
      if (c.size === 1) {
        cv.emit('OnnxBinary', { op, operand: 'number', number: c.tensor.data[0]!, constant_first: constantFirst }, [x], { shape, flat });
        return;
      }
      const s = storedConstant(cv, c, x, 'the constant');
      const y = cv.emit('OnnxBinary', { op, operand: 'weight', constant_shape: s.shape, constant_first: constantFirst }, [x], { shape, flat });
      cv.weight(y.layer, 'constant', s.shape, s.values);
      return;
    }
    nary(cv, op, [cv.act(0), cv.act(1)]);
  };
}

/** op over two or more activations of one rank (stored alike, so they broadcast alike). */
function nary(cv: Converter, op: BinaryName, xs: Act[]): void {
  const rank = xs[0]!.shape.length;
  if (xs.some((x) => x.shape.length !== rank)) cv.fail(`its inputs have different ranks (${xs.map((x) => shapeStr(x.shape)).join(', ')}); broadcasting between activations of different ranks is not supported`);
  let shape: number[] | undefined = xs[0]!.shape;
  for (const x of xs.slice(1)) shape = shape && broadcastDims(shape, x.shape);
  if (!shape) cv.fail(`cannot broadcast ${xs.map((x) => shapeStr(x.shape)).join(' with ')}`);
  // Flattened maps in NHWC order combine as they are only when all share one order.
  const f = xs[0]!.flat;
  const same = xs.every((x) => JSON.stringify(x.flat) === JSON.stringify(f));
  const ins = same ? xs : xs.map((x) => cv.unflat(x));
  cv.emit('OnnxBinary', { op, operand: 'inputs' }, ins, { shape, flat: same ? f : undefined });
}

const sum: Handler = (cv) => {
  const xs = cv.node.inputs.map((_, i) => cv.act(i));
  if (xs.length === 1) {
    cv.emit('OnnxIdentity', {}, xs, { shape: xs[0]!.shape, flat: xs[0]!.flat });
    return;
  }
  nary(cv, 'add', xs);
};

/** An activation function: one input, its output the same shape and layout. */
function unary(fn: string, params: (cv: Converter) => Record<string, unknown> = () => ({})): Handler {
  return (cv) => {
    const x = cv.act(0);
    cv.emit('OnnxUnary', { fn, ...params(cv) }, [x], { shape: x.shape, flat: x.flat });
  };
}

/** Clip's bounds: attributes before opset 11, optional constant inputs from it; ±∞ (or ±FLT_MAX) is no bound. */
const clip: Handler = (cv) => {
  const x = cv.act(0);
  let lo: number;
  let hi: number;
  if (cv.opset < 11) {
    lo = attrFloat(cv.node, 'min', -Infinity, cv);
    hi = attrFloat(cv.node, 'max', Infinity, cv);
  } else {
    const one = (i: number, d: number) => {
      const t = cv.constValues(i, i === 1 ? 'min' : 'max');
      if (t && t.data.length !== 1) cv.fail(`${i === 1 ? 'min' : 'max'} must be one value, got ${shapeStr(t.dims)}`);
      return t ? t.data[0]! : d;
    };
    lo = one(1, -Infinity);
    hi = one(2, Infinity);
  }
  const bound = (v: number) => (Math.abs(v) >= 3.4e38 ? null : v);
  cv.emit('OnnxUnary', { fn: 'clip', min: bound(lo), max: bound(hi) }, [x], { shape: x.shape, flat: x.flat });
};

const prelu: Handler = (cv) => {
  const x = cv.act(0);
  const slope = cv.constant(1, 'the slope') ?? cv.fail('has no slope');
  const s = storedConstant(cv, slope, x, 'the slope');
  const y = cv.emit('OnnxUnary', { fn: 'prelu', slope_shape: s.shape }, [x], { shape: x.shape, flat: x.flat });
  cv.weight(y.layer, 'slope', s.shape, s.values);
};

export const elementwiseHandlers: Record<string, Handler> = {
  Add: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  Div: binary('div'),
  Sum: sum,
  Relu: unary('relu'),
  LeakyRelu: unary('leaky_relu', (cv) => ({ alpha: attrFloat(cv.node, 'alpha', 0.01, cv) })),
  Sigmoid: unary('sigmoid'),
  Tanh: unary('tanh'),
  Clip: clip,
  HardSigmoid: unary('hard_sigmoid', (cv) => ({ alpha: attrFloat(cv.node, 'alpha', 0.2, cv), beta: attrFloat(cv.node, 'beta', 0.5, cv) })),
  HardSwish: unary('hard_swish'),
  PRelu: prelu,
  Elu: unary('elu', (cv) => ({ alpha: attrFloat(cv.node, 'alpha', 1, cv) })),
  Softplus: unary('softplus'),
  Neg: unary('neg'),
  Exp: unary('exp'),
  Log: unary('log'),
  Sqrt: unary('sqrt'),
  Abs: unary('abs'),
  Reciprocal: unary('reciprocal'),
};
