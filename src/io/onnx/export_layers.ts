/**
 * Each layer class the engine builds and trains, written as ONNX (opset 13) nodes of an NCHW graph:
 * Conv2D, DepthwiseConv2D (Conv with group = channels) and SeparableConv2D (that, then a 1×1 Conv),
 * Dense (Gemm; a 1×1 Conv on a feature map; MatMul + Add on other ranks), the pools,
 * BatchNormalization, the activations, Flatten, Reshape, Dropout, ZeroPadding2D, Add, Concatenate
 * and Rescaling. Weights come in as the engine holds them (HWIO kernels, NHWC order) and are laid
 * out for ONNX here.
 */
import { CnnError } from '../../errors.js';
import type { Layer } from '../../nn/layer.js';
import type { ActivationName } from '../../nn/activations.js';
import { windowGeometry } from '../../ops/conv_geometry.js';
import { GraphBuilder, NCHW, NHWC_TO_NCHW_AXIS, SAME, hwioToOihw, permuteFlatRows, type Value } from './export_graph.js';

const OP = 'saveOnnxModel';

/** What an emitter gets: the builder, the layer, its inputs in the graph and its weights' values by short name. */
interface Ctx {
  b: GraphBuilder;
  layer: Layer;
  inputs: Value[];
  weight(short: string): Float32Array;
  /** The initializer name for a weight, laid out as ONNX wants it. */
  init(short: string, dims: readonly number[], data: Float32Array): string;
}

type Emitter = (ctx: Ctx) => Value;

const cfg = (l: Layer) => l.config as Record<string, unknown>;
const pairOf = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number]);
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** The activation as nodes after `x` (on the channel axis of an NCHW value). */
function activate(ctx: Ctx, x: Value, name: ActivationName): Value {
  const { b, layer } = ctx;
  const s = layer.name;
  const node = (op: string, inputs: string[], attrs?: Parameters<GraphBuilder['node']>[3]) => ({ ...x, name: b.node(s, op, inputs, attrs) });
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return node('Relu', [x.name]);
    case 'relu6':
      return node('Clip', [x.name, b.scalar(`${s}/clip_min`, 0), b.scalar(`${s}/clip_max`, 6)]);
    case 'leaky_relu':
      // Keras's leaky_relu activation function (not the LeakyReLU layer, whose default is 0.3).
      return node('LeakyRelu', [x.name], { alpha: { f: 0.2 } });
    case 'sigmoid':
      return node('Sigmoid', [x.name]);
    case 'tanh':
      return node('Tanh', [x.name]);
    case 'softmax':
      // Over the engine's last axis: channels, axis 1 of an NCHW value. A c, h, w-flattened row is a
      // permutation of the engine's, which a softmax over the whole row does not mind.
      return node('Softmax', [x.name], { axis: { i: x.layout.kind === 'nchw' ? 1 : -1 } });
  }
}

/** ONNX pads [top, left, bottom, right] and the window attributes for a Keras window layer. */
function windowAttrs(layer: Layer, kernel: [number, number], strides: [number, number], dilations: [number, number]) {
  const [h, w, c] = layer.inputShapes[0]! as [number, number, number];
  const g = windowGeometry(layer.label, [1, h, w, c], kernel[0], kernel[1], { strides, dilations, pad: cfg(layer).padding as 'same' | 'valid' });
  return {
    kernel_shape: { ints: kernel },
    strides: { ints: strides },
    pads: { ints: [g.padTop, g.padLeft, g.padBottom, g.padRight] },
  };
}

function convAttrs(layer: Layer) {
  const c = cfg(layer);
  const dilations = pairOf(c.dilation_rate);
  return { ...windowAttrs(layer, pairOf(c.kernel_size), pairOf(c.strides), dilations), dilations: { ints: dilations } };
}

function conv2d(ctx: Ctx): Value {
  const { b, layer } = ctx;
  const x = ctx.inputs[0]!;
  const [kh, kw, ci, co] = [...pairOf(cfg(layer).kernel_size), layer.inputShapes[0]![2]!, cfg(layer).filters as number];
  const w = ctx.init('kernel', [co, ci, kh, kw], hwioToOihw(ctx.weight('kernel'), [kh, kw, ci, co]));
  const ins = [x.name, w];
  if (cfg(layer).use_bias) ins.push(ctx.init('bias', [co], ctx.weight('bias')));
  const y = b.node(layer.name, 'Conv', ins, { ...convAttrs(layer), group: { i: 1 } });
  return activate(ctx, { name: y, layout: NCHW, shape: layer.outputShape }, cfg(layer).activation as ActivationName);
}

/** A depthwise kernel [kh, kw, c, m] as a grouped Conv's weight [c·m, 1, kh, kw] (output channel c·m + k, as the engine's). */
function depthwiseWeight(k: Float32Array, [kh, kw, c, m]: readonly number[]): Float32Array {
  return hwioToOihw(k, [kh!, kw!, 1, c! * m!]);
}

function depthwise(ctx: Ctx, withBias: boolean): string {
  const { b, layer } = ctx;
  const c = layer.inputShapes[0]![2]!;
  const m = (cfg(layer).depth_multiplier as number) ?? 1;
  const [kh, kw] = pairOf(cfg(layer).kernel_size);
  const w = ctx.init('depthwise_kernel', [c * m, 1, kh, kw], depthwiseWeight(ctx.weight('depthwise_kernel'), [kh, kw, c, m]));
  const ins = [ctx.inputs[0]!.name, w];
  if (withBias && cfg(layer).use_bias) ins.push(ctx.init('bias', [c * m], ctx.weight('bias')));
  return b.node(layer.name, 'Conv', ins, { ...convAttrs(layer), group: { i: c } });
}

function depthwiseConv2d(ctx: Ctx): Value {
  const y = depthwise(ctx, true);
  return activate(ctx, { name: y, layout: NCHW, shape: ctx.layer.outputShape }, cfg(ctx.layer).activation as ActivationName);
}

function separableConv2d(ctx: Ctx): Value {
  const { b, layer } = ctx;
  const d = depthwise(ctx, false);
  const mid = layer.inputShapes[0]![2]! * ((cfg(layer).depth_multiplier as number) ?? 1);
  const co = cfg(layer).filters as number;
  const ins = [d, ctx.init('pointwise_kernel', [co, mid, 1, 1], hwioToOihw(ctx.weight('pointwise_kernel'), [1, 1, mid, co]))];
  if (cfg(layer).use_bias) ins.push(ctx.init('bias', [co], ctx.weight('bias')));
  const y = b.node(layer.name, 'Conv', ins, { kernel_shape: { ints: [1, 1] }, pads: { ints: [0, 0, 0, 0] }, group: { i: 1 } });
  return activate(ctx, { name: y, layout: NCHW, shape: layer.outputShape }, cfg(layer).activation as ActivationName);
}

function dense(ctx: Ctx): Value {
  const { b, layer } = ctx;
  const x = ctx.inputs[0]!;
  const units = cfg(layer).units as number;
  const k = ctx.weight('kernel');
  const inner = x.shape[x.shape.length - 1]!;
  const useBias = cfg(layer).use_bias as boolean;
  const act = cfg(layer).activation as ActivationName;
  let y: string;
  if (x.layout.kind === 'nchw') {
    // On a feature map Dense mixes channels at each pixel: a 1×1 convolution.
    const ins = [x.name, ctx.init('kernel', [units, inner, 1, 1], hwioToOihw(k, [1, 1, inner, units]))];
    if (useBias) ins.push(ctx.init('bias', [units], ctx.weight('bias')));
    y = b.node(layer.name, 'Conv', ins, { kernel_shape: { ints: [1, 1] } });
    return activate(ctx, { name: y, layout: NCHW, shape: layer.outputShape }, act);
  }
  if (x.shape.length === 1) {
    const rows = x.layout.kind === 'flat' ? permuteFlatRows(k, x.layout, units) : k;
    const ins = [x.name, ctx.init('kernel', [inner, units], rows)];
    if (useBias) ins.push(ctx.init('bias', [units], ctx.weight('bias')));
    y = b.node(layer.name, 'Gemm', ins);
  } else {
    y = b.node(layer.name, 'MatMul', [x.name, ctx.init('kernel', [inner, units], k)]);
    if (useBias) y = b.node(layer.name, 'Add', [y, ctx.init('bias', [units], ctx.weight('bias'))]);
  }
  return activate(ctx, { name: y, layout: SAME, shape: layer.outputShape }, act);
}

function pool(op: 'MaxPool' | 'AveragePool'): Emitter {
  return (ctx) => {
    const c = cfg(ctx.layer);
    const poolSize = pairOf(c.pool_size);
    const attrs = windowAttrs(ctx.layer, poolSize, pairOf(c.strides ?? poolSize), [1, 1]);
    // AveragePool's count_include_pad defaults to 0: padding is left out of the mean, as in Keras.
    return { name: ctx.b.node(ctx.layer.name, op, [ctx.inputs[0]!.name], attrs), layout: NCHW, shape: ctx.layer.outputShape };
  };
}

function globalPool(op: 'GlobalAveragePool' | 'GlobalMaxPool'): Emitter {
  return ({ b, layer, inputs }) => {
    const y = b.node(layer.name, op, [inputs[0]!.name]);
    if (cfg(layer).keepdims) return { name: y, layout: NCHW, shape: layer.outputShape };
    return { name: b.node(layer.name, 'Flatten', [y], { axis: { i: 1 } }), layout: SAME, shape: layer.outputShape };
  };
}

function batchNorm(ctx: Ctx): Value {
  const { b, layer } = ctx;
  const c = cfg(layer);
  const n = layer.outputShape[layer.outputShape.length - 1]!;
  const gamma = c.scale ? ctx.weight('gamma') : new Float32Array(n).fill(1);
  const beta = c.center ? ctx.weight('beta') : new Float32Array(n);
  const mean = ctx.weight('moving_mean');
  const variance = ctx.weight('moving_variance');
  const eps = c.epsilon as number;
  let x = ctx.inputs[0]!;
  // BatchNormalization normalises axis 1: the channels of an NCHW value, the features of a [n, f] one.
  if (x.layout.kind === 'nchw' || (x.layout.kind === 'same' && x.shape.length === 1)) {
    const ins = [x.name, ctx.init('gamma', [n], gamma), ctx.init('beta', [n], beta), ctx.init('moving_mean', [n], mean), ctx.init('moving_variance', [n], variance)];
    return { ...x, name: b.node(layer.name, 'BatchNormalization', ins, { epsilon: { f: eps } }) };
  }
  // Elsewhere the last axis: y = x·scale + shift, folded, broadcasting over the leading axes.
  x = b.toSame(layer.name, x);
  const scale = gamma.map((g, i) => g / Math.sqrt(variance[i]! + eps));
  const shift = beta.map((bt, i) => bt - mean[i]! * scale[i]!);
  const y = b.node(layer.name, 'Mul', [x.name, b.floats(`${layer.name}/scale`, [n], scale)]);
  return { ...x, name: b.node(layer.name, 'Add', [y, b.floats(`${layer.name}/shift`, [n], shift)]) };
}

function relu(ctx: Ctx): Value {
  const { b, layer } = ctx;
  const x = ctx.inputs[0]!;
  const c = cfg(layer);
  const slope = (c.negative_slope as number | undefined) ?? 0;
  const max = c.max_value as number | null;
  if (slope !== 0) return { ...x, name: b.node(layer.name, 'LeakyRelu', [x.name], { alpha: { f: slope } }) };
  if (max === null || max === undefined) return { ...x, name: b.node(layer.name, 'Relu', [x.name]) };
  return { ...x, name: b.node(layer.name, 'Clip', [x.name, b.scalar(`${layer.name}/clip_min`, 0), b.scalar(`${layer.name}/clip_max`, max)]) };
}

function flatten({ b, layer, inputs }: Ctx): Value {
  const x = inputs[0]!;
  if (x.layout.kind === 'flat' || x.shape.length === 1) return { ...x, shape: layer.outputShape };
  const y = b.node(layer.name, 'Flatten', [x.name], { axis: { i: 1 } });
  if (x.layout.kind === 'nchw') {
    const [h, w, c] = x.shape as [number, number, number];
    // With one channel, or one pixel, both orders are the same.
    const layout = c === 1 || h * w === 1 ? SAME : { kind: 'flat' as const, c, h, w };
    return { name: y, layout, shape: layer.outputShape };
  }
  return { name: y, layout: SAME, shape: layer.outputShape };
}

function reshape({ b, layer, inputs }: Ctx): Value {
  const x = b.toSame(layer.name, inputs[0]!);
  const target = layer.outputShape;
  // 0 copies the batch dim, so the graph runs any batch.
  const y = b.node(layer.name, 'Reshape', [x.name, b.int64s(`${layer.name}/shape`, [0, ...target])]);
  if (target.length !== 3) return { name: y, layout: SAME, shape: target };
  return { name: b.node(layer.name, 'Transpose', [y], { perm: { ints: [0, 3, 1, 2] } }), layout: NCHW, shape: target };
}

function zeroPadding({ b, layer, inputs }: Ctx): Value {
  const [[t, bt], [l, r]] = cfg(layer).padding as [[number, number], [number, number]];
  const pads = b.int64s(`${layer.name}/pads`, [0, 0, t, l, 0, 0, bt, r]);
  return { name: b.node(layer.name, 'Pad', [inputs[0]!.name, pads], { mode: { s: 'constant' } }), layout: NCHW, shape: layer.outputShape };
}

function add({ b, layer, inputs }: Ctx): Value {
  // Sums must meet in one layout: keep NCHW or a shared flattening, else go back to the engine's.
  const first = inputs[0]!.layout;
  const agree = inputs.every((v) => JSON.stringify(v.layout) === JSON.stringify(first));
  const xs = agree ? inputs : inputs.map((v) => b.toSame(layer.name, v));
  const y = b.node(layer.name, xs.length === 2 ? 'Add' : 'Sum', xs.map((v) => v.name));
  return { name: y, layout: xs[0]!.layout, shape: layer.outputShape };
}

function concatenate({ b, layer, inputs }: Ctx): Value {
  const rank = layer.outputShape.length + 1;
  const raw = cfg(layer).axis as number;
  const axis = raw < 0 ? raw + rank : raw;
  if (rank === 4) {
    const y = b.node(layer.name, 'Concat', inputs.map((v) => v.name), { axis: { i: NHWC_TO_NCHW_AXIS[axis]! } });
    return { name: y, layout: NCHW, shape: layer.outputShape };
  }
  const xs = inputs.map((v) => b.toSame(layer.name, v));
  return { name: b.node(layer.name, 'Concat', xs.map((v) => v.name), { axis: { i: axis } }), layout: SAME, shape: layer.outputShape };
}

function rescaling({ b, layer, inputs }: Ctx): Value {
  const x = inputs[0]!;
  const { scale, offset } = cfg(layer) as { scale: number; offset: number };
  let y = x.name;
  if (scale !== 1) y = b.node(layer.name, 'Mul', [y, b.scalar(`${layer.name}/scale`, scale)]);
  if (offset !== 0) y = b.node(layer.name, 'Add', [y, b.scalar(`${layer.name}/offset`, offset)]);
  return { ...x, name: y };
}

const EMITTERS: Record<string, Emitter> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  Dense: dense,
  MaxPooling2D: pool('MaxPool'),
  AveragePooling2D: pool('AveragePool'),
  GlobalAveragePooling2D: globalPool('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPool('GlobalMaxPool'),
  BatchNormalization: batchNorm,
  Activation: (ctx) => activate(ctx, ctx.inputs[0]!, cfg(ctx.layer).activation as ActivationName),
  ReLU: relu,
  LeakyReLU: ({ b, layer, inputs }) => ({ ...inputs[0]!, name: b.node(layer.name, 'LeakyRelu', [inputs[0]!.name], { alpha: { f: cfg(layer).alpha as number } }) }),
  Flatten: flatten,
  Reshape: reshape,
  // The identity at inference.
  Dropout: ({ inputs }) => inputs[0]!,
  ZeroPadding2D: zeroPadding,
  Add: add,
  Concatenate: concatenate,
  Rescaling: rescaling,
};

/** The layer classes saveOnnxModel writes. */
export const EXPORTABLE_LAYERS: readonly string[] = ['InputLayer', ...Object.keys(EMITTERS)];

/** Adds `layer`'s nodes after its inputs' values; returns its output's value. */
export function emitLayer(b: GraphBuilder, layer: Layer, inputs: Value[], values: ReadonlyMap<string, Float32Array>): Value {
  const emit = Object.hasOwn(EMITTERS, layer.className) ? EMITTERS[layer.className] : undefined;
  if (!emit) {
    throw new CnnError(OP, `layer '${layer.name}' of class ${layer.className} cannot be written as ONNX (supported: ${EXPORTABLE_LAYERS.join(', ')})`);
  }
  const weight = (short: string): Float32Array => {
    const v = values.get(`${layer.name}/${short}`);
    if (!v) throw new CnnError(OP, `layer '${layer.name}' (${layer.className}) has no weight '${short}'`);
    return v;
  };
  const init = (short: string, dims: readonly number[], data: Float32Array): string => {
    if (data.length !== size(dims)) throw new CnnError(OP, `layer '${layer.name}' (${layer.className}): weight '${short}' has ${data.length} values, not ${size(dims)}`);
    return b.floats(`${layer.name}/${short}`, dims, data);
  };
  try {
    return emit({ b, layer, inputs, weight, init });
  } catch (e) {
    if (e instanceof CnnError && e.op === OP) throw e;
    throw new CnnError(OP, `layer '${layer.name}' (${layer.className}) cannot be written as ONNX: ${e instanceof Error ? e.message : String(e)}`);
  }
}
