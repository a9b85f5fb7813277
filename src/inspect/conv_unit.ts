/**
 * The arithmetic of one output unit, written out: for a convolution, the input patch under the
 * filter (every input channel), the filter's weights, their products, the sum, the bias and the
 * activation; for a pooling layer, the window and which input won (or the average); for a dense
 * layer, its largest contributions. `readUnitSource` reads once what a layer's output channel needs
 * (the layer's input, the one filter, the bias, and the engine's own output map); `explainUnit`
 * then works out any unit of that channel on the CPU, so a page can step the window across the
 * whole map and show, at every position, the same weights at work and the engine's value beside
 * the sum.
 *
 * The sum is accumulated in float64 and rounded to float32 once, so it differs from the engine's
 * float32 sum (in whatever order its kernel adds) by at most a few float32 roundings of the terms:
 * `tolerance` is that bound.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import type { Layer } from '../nn/layer.js';
import type { Model, Activations } from '../nn/model.js';
import { CnnError } from '../errors.js';
import { windowGeometry, type WindowGeometry } from '../ops/conv_geometry.js';
import { readChannel } from './channel.js';

export type UnitKind = 'conv' | 'depthwise' | 'max-pool' | 'avg-pool' | 'dense';

/** Activations a unit's arithmetic ends in (Keras's names). */
export type UnitActivation = 'linear' | 'relu' | 'relu6' | 'leaky_relu' | 'sigmoid' | 'tanh' | 'softmax';

/** Keras's `leaky_relu` activation slope, as src/nn/activations.ts applies it. */
const LEAKY_RELU_ALPHA = 0.2;

/** Everything one output channel of a layer needs, read back once. */
export interface UnitSource {
  layer: string;
  className: string;
  kind: UnitKind;
  /** The output channel (dense: the unit). */
  channel: number;
  /** The layer whose output this layer reads. */
  inputLayer: string;
  /** The input's shape without the batch: [h, w, c] for window layers, [d] for dense. */
  inputShape: number[];
  /** The input, image 0, row-major. */
  input: Float32Array;
  /** Window layers: the geometry (strides, padding, dilation, sizes); null for dense. */
  geometry: WindowGeometry | null;
  /**
   * The weights of this channel: conv [kh, kw, c] (HWI), depthwise [kh, kw] for its one input
   * channel, dense [d]; null for pools.
   */
  weights: Float32Array | null;
  /** Dense with softmax: the whole kernel [d, units], to work out every logit. */
  allWeights: Float32Array | null;
  /** The bias of this channel (and, for a softmax, of every unit); null without one. */
  bias: number | null;
  allBias: Float32Array | null;
  activation: UnitActivation;
  /** The layer's output channel as the engine computed it, [outH, outW] row-major (dense: every unit). */
  output: Float32Array;
  outputShape: number[];
}

/** One input channel's part of a window unit. */
export interface ChannelTerms {
  channel: number;
  /** Per tap (ky·kw + kx): the input value (0 for a padded cell in a convolution, NaN in a pool). */
  values: number[];
  /** Per tap: the weight (pools: null). */
  weights: number[] | null;
  /** Per tap: value × weight in float32 (pools: null). */
  products: number[] | null;
  /** Σ of this channel's products (pools: the max or the mean of its window). */
  sum: number;
}

/** One tap of the window: where it reads, and whether that is padding. */
export interface Tap {
  ky: number;
  kx: number;
  /** The input row and column read (outside the input where padded). */
  iy: number;
  ix: number;
  padded: boolean;
}

export interface DenseTerm {
  /** Index into the input vector. */
  index: number;
  value: number;
  weight: number;
  product: number;
}

/** One unit's arithmetic. */
export interface UnitExplanation {
  layer: string;
  className: string;
  kind: UnitKind;
  y: number;
  x: number;
  channel: number;
  /** Window layers: the taps in order ky, kx. */
  taps: Tap[];
  /** Window layers: one entry per input channel the unit reads (all of them for a convolution). */
  terms: ChannelTerms[];
  /** Dense: the terms with the largest |product|, largest first. */
  top: DenseTerm[];
  /** Dense: how many terms there are in all. */
  termCount: number;
  /** Conv and dense: Σ of every product. Max pool: the largest value; average pool: the mean. */
  sum: number;
  bias: number | null;
  /** sum + bias, before the activation. */
  preActivation: number;
  activation: UnitActivation;
  /** Softmax: every unit's pre-activation (the logits the softmax normalises). */
  logits: number[] | null;
  /** The output worked out here, rounded to float32. */
  value: number;
  /** The engine's value of this unit. */
  engineValue: number;
  /**
   * How far `value` and `engineValue` may differ from float32 rounding alone, whatever order the
   * kernel sums in: (terms + 2) roundings of `magnitude` (the classic bound for a float sum).
   */
  tolerance: number;
  /** Σ |term| + |bias|: the scale of the sum's rounding errors (a sum that cancels has large terms and a small result). */
  magnitude: number;
  /** Max pool: the tap and channel that won; null otherwise. */
  winner: { channel: number; tap: number } | null;
}

/** The kind of arithmetic a layer does, or null for one that has no per-unit arithmetic to show. */
export function unitKind(layer: Layer): UnitKind | null {
  switch (layer.className) {
    case 'Conv2D':
      return 'conv';
    case 'DepthwiseConv2D':
      return 'depthwise';
    case 'MaxPooling2D':
      return 'max-pool';
    case 'AveragePooling2D':
      return 'avg-pool';
    case 'Dense':
      return layer.inputShapes[0]?.length === 1 ? 'dense' : null;
    default:
      return null;
  }
}

/** The layers of `model` whose units `explainUnit` can write out, in order. */
export function explainableLayers(model: Model): Layer[] {
  return model.layers.filter((l) => unitKind(l) !== null);
}

function weightOf(layer: Layer, short: string): Tensor | null {
  return layer.weights.find((w) => w.name === `${layer.name}/${short}`)?.tensor ?? null;
}

async function readAll(engine: Engine, t: Tensor, begin: number[], size: number[]): Promise<Float32Array> {
  const s = engine.slice(t, begin, size);
  try {
    return await s.read();
  } finally {
    s.dispose();
  }
}

/**
 * Reads what output channel `channel` of layer `layerName` needs from a pass `acts` of `model`
 * (image 0 of the batch): the layer's input, the channel's weights and bias, and the engine's output
 * for that channel. Fails with a CnnError for a layer with no per-unit arithmetic to show.
 * @example
 * const acts = model.run(x);
 * const src = await readUnitSource(engine, model, acts, 'conv1', 3);
 * explainUnit(src, 10, 12).value; // conv1's channel 3 at row 10, column 12, worked out term by term
 */
export async function readUnitSource(engine: Engine, model: Model, acts: Activations, layerName: string, channel: number): Promise<UnitSource> {
  const op = 'readUnitSource';
  const layer = model.layer(layerName);
  const kind = unitKind(layer);
  if (!kind) {
    const names = explainableLayers(model).map((l) => l.name).join(', ');
    throw new CnnError(op, `layer '${layer.name}' (${layer.className}) has no per-unit arithmetic to show; the convolution, pooling and dense layers are: ${names || 'none'}`);
  }
  const inputLayer = model.inboundOf(layer.name)[0]!;
  const inT = acts.outputs.get(inputLayer);
  const outT = acts.outputs.get(layer.name);
  if (!inT || !outT) throw new CnnError(op, `the pass holds no output for '${!inT ? inputLayer : layer.name}'`);
  const outShape = outT.shape.slice(1);
  const channels = kind === 'dense' ? outShape[0]! : outShape[2]!;
  if (!Number.isInteger(channel) || channel < 0 || channel >= channels) {
    throw new CnnError(op, `channel ${channel} is out of range: layer '${layer.name}' has ${channels} ${kind === 'dense' ? 'units' : 'channels'} (0 to ${channels - 1})`);
  }
  const inputShape = inT.shape.slice(1);
  const input = await readAll(engine, inT, inT.shape.map(() => 0), [1, ...inputShape]);
  const activation = (layer.config.activation as UnitActivation | undefined) ?? 'linear';
  const biasT = weightOf(layer, 'bias');
  let weights: Float32Array | null = null;
  let allWeights: Float32Array | null = null;
  let bias: number | null = null;
  let allBias: Float32Array | null = null;
  let geometry: WindowGeometry | null = null;
  const cfg = layer.config;
  if (kind === 'conv' || kind === 'depthwise') {
    const kernel = weightOf(layer, kind === 'conv' ? 'kernel' : 'depthwise_kernel')!;
    const [kh, kw, ci, co] = kernel.shape as [number, number, number, number];
    geometry = windowGeometry(layer.label, [1, ...inputShape], kh, kw, {
      strides: cfg.strides as [number, number], pad: cfg.padding as 'same' | 'valid', dilations: cfg.dilation_rate as [number, number],
    });
    weights = kind === 'conv'
      ? await readAll(engine, kernel, [0, 0, 0, channel], [kh, kw, ci, 1])
      : await readAll(engine, kernel, [0, 0, Math.floor(channel / co), channel % co], [kh, kw, 1, 1]);
  } else if (kind === 'max-pool' || kind === 'avg-pool') {
    const [ph, pw] = cfg.pool_size as [number, number];
    geometry = windowGeometry(layer.label, [1, ...inputShape], ph, pw, { strides: cfg.strides as [number, number], pad: cfg.padding as 'same' | 'valid' });
  } else {
    const kernel = weightOf(layer, 'kernel')!;
    const [d, units] = kernel.shape as [number, number];
    if (activation === 'softmax') {
      allWeights = await kernel.read();
      weights = Float32Array.from({ length: d }, (_, i) => allWeights![i * units + channel]!);
    } else {
      weights = await readAll(engine, kernel, [0, channel], [d, 1]);
    }
  }
  if (biasT && kind !== 'max-pool' && kind !== 'avg-pool') {
    const b = await biasT.read();
    bias = b[channel]!;
    if (activation === 'softmax') allBias = b;
  }
  const output = kind === 'dense' ? await readAll(engine, outT, [0, 0], [1, channels]) : await readChannel(engine, outT, channel);
  return {
    layer: layer.name, className: layer.className, kind, channel, inputLayer, inputShape, input, geometry,
    weights, allWeights, bias, allBias, activation, output, outputShape: outShape,
  };
}

/** The activation on one value (softmax is handled with all the logits). */
export function activate(name: UnitActivation, v: number): number {
  switch (name) {
    case 'relu':
      return Math.max(0, v);
    case 'relu6':
      return Math.min(6, Math.max(0, v));
    case 'leaky_relu':
      return v < 0 ? LEAKY_RELU_ALPHA * v : v;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
    case 'tanh':
      return Math.tanh(v);
    default:
      return v;
  }
}

/** The taps of the window of output (y, x): which input cells it reads, padding included. */
export function windowTaps(g: WindowGeometry, y: number, x: number): Tap[] {
  const taps: Tap[] = [];
  for (let ky = 0; ky < g.kH; ky++) {
    for (let kx = 0; kx < g.kW; kx++) {
      const iy = y * g.strideH - g.padTop + ky * g.dilH;
      const ix = x * g.strideW - g.padLeft + kx * g.dilW;
      taps.push({ ky, kx, iy, ix, padded: iy < 0 || ix < 0 || iy >= g.inH || ix >= g.inW });
    }
  }
  return taps;
}

const EPS32 = 2 ** -23;

/**
 * Unit (y, x) of the channel `src` was read for (dense: y = x = 0), worked out term by term.
 * @example
 * const u = explainUnit(src, 0, 0);
 * u.terms[0].products; // the first input channel's weight × value, per tap
 * Math.abs(u.value - u.engineValue) <= u.tolerance; // true
 */
export function explainUnit(src: UnitSource, y: number, x: number): UnitExplanation {
  const op = 'explainUnit';
  const [oh, ow] = src.kind === 'dense' ? [1, 1] : (src.outputShape as [number, number]);
  if (!Number.isInteger(y) || !Number.isInteger(x) || y < 0 || x < 0 || y >= oh || x >= ow) {
    throw new CnnError(op, `unit (y ${y}, x ${x}) is outside layer '${src.layer}''s ${oh}×${ow} output`);
  }
  const f32 = Math.fround;
  const base = {
    layer: src.layer, className: src.className, kind: src.kind, y, x, channel: src.channel,
    bias: src.bias, activation: src.activation,
  };
  if (src.kind === 'dense') {
    const w = src.weights!;
    const d = w.length;
    const all: DenseTerm[] = [];
    let sum = 0;
    let magnitude = 0;
    for (let i = 0; i < d; i++) {
      const product = f32(src.input[i]! * w[i]!);
      all.push({ index: i, value: src.input[i]!, weight: w[i]!, product });
      sum += product;
      magnitude += Math.abs(product);
    }
    const top = [...all].sort((a, b) => Math.abs(b.product) - Math.abs(a.product)).slice(0, 10);
    const pre = f32(sum + (src.bias ?? 0));
    let value: number;
    let logits: number[] | null = null;
    if (src.activation === 'softmax') {
      const units = src.outputShape[0]!;
      logits = Array.from({ length: units }, (_, j) => {
        let z = src.allBias ? src.allBias[j]! : 0;
        for (let i = 0; i < d; i++) z += src.input[i]! * src.allWeights![i * units + j]!;
        return z;
      });
      const m = Math.max(...logits);
      const exps = logits.map((z) => Math.exp(z - m));
      value = f32(exps[src.channel]! / exps.reduce((a, b) => a + b, 0));
    } else {
      value = f32(activate(src.activation, pre));
    }
    const engineValue = src.output[src.channel]!;
    // Each product and partial sum rounds in float32: at most about d roundings of the magnitude.
    const slope = src.activation === 'softmax' ? 1 : src.activation === 'sigmoid' ? 0.25 : 1;
    const tolerance = slope * (d + 2) * EPS32 * (magnitude + Math.abs(src.bias ?? 0)) + 4 * EPS32 * Math.abs(value);
    return { ...base, y: 0, x: 0, taps: [], terms: [], top, termCount: d, sum: f32(sum), preActivation: pre, logits, value, engineValue, tolerance, magnitude: magnitude + Math.abs(src.bias ?? 0), winner: null };
  }
  const g = src.geometry!;
  const [, iw, ic] = src.inputShape as [number, number, number];
  const taps = windowTaps(g, y, x);
  const read = (tap: Tap, c: number) => (tap.padded ? Number.NaN : src.input[(tap.iy * iw + tap.ix) * ic + c]!);
  const engineValue = src.output[y * ow + x]!;
  if (src.kind === 'max-pool' || src.kind === 'avg-pool') {
    const c = src.channel;
    const values = taps.map((t) => read(t, c));
    const real = values.map((v, i) => ({ v, i })).filter((e) => !Number.isNaN(e.v));
    let sum: number;
    let winner: { channel: number; tap: number } | null = null;
    if (src.kind === 'max-pool') {
      const best = real.reduce((a, b) => (b.v > a.v ? b : a));
      sum = best.v;
      winner = { channel: c, tap: best.i };
    } else {
      // TF.js averages over the cells inside the input: padding is not counted.
      sum = f32(real.reduce((a, e) => a + e.v, 0) / real.length);
    }
    const largest = Math.max(...real.map((e) => Math.abs(e.v)));
    const tolerance = src.kind === 'max-pool' ? 0 : (real.length + 1) * EPS32 * largest;
    return {
      ...base, bias: null, activation: 'linear', taps, terms: [{ channel: c, values, weights: null, products: null, sum }], top: [], termCount: real.length,
      sum, preActivation: sum, logits: null, value: sum, engineValue, tolerance, magnitude: largest * real.length, winner,
    };
  }
  if (src.activation === 'softmax') throw new CnnError(op, `layer '${src.layer}' ends in a softmax over its channels, which this view does not write out`);
  const w = src.weights!;
  // A depthwise channel o reads input channel ⌊o / multiplier⌋ alone.
  const channels = src.kind === 'conv' ? Array.from({ length: ic }, (_, c) => c) : [Math.floor(src.channel / (src.outputShape[2]! / ic))];
  const terms: ChannelTerms[] = [];
  let total = 0;
  let magnitude = 0;
  for (const c of channels) {
    const values: number[] = [];
    const weights: number[] = [];
    const products: number[] = [];
    let sum = 0;
    taps.forEach((t, i) => {
      const v = t.padded ? 0 : read(t, c);
      const wt = src.kind === 'conv' ? w[i * ic + c]! : w[i]!;
      const p = f32(v * wt);
      values.push(v);
      weights.push(wt);
      products.push(p);
      sum += p;
      magnitude += Math.abs(p);
    });
    terms.push({ channel: c, values, weights, products, sum: f32(sum) });
    total += sum;
  }
  const pre = f32(total + (src.bias ?? 0));
  const value = f32(activate(src.activation, pre));
  const n = taps.length * channels.length;
  const tolerance = (n + 2) * EPS32 * (magnitude + Math.abs(src.bias ?? 0)) + 4 * EPS32 * Math.abs(value);
  return {
    ...base, taps, terms, top: [], termCount: n, sum: f32(total), preActivation: pre, logits: null, value, engineValue, tolerance,
    magnitude: magnitude + Math.abs(src.bias ?? 0), winner: null,
  };
}
