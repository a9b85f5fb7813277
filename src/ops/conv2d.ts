/**
 * conv2d and its two gradients (shaders/conv2d.wgsl, conv2d_grad_input.wgsl,
 * conv2d_grad_filter.wgsl), with the semantics of `tf.conv2d(x, w, strides, pad, 'NHWC', dilations)`,
 * and grouped convolution (ONNX Conv's `group`) through the same kernels.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { Shader } from '../gpu/shader.js';
import { fail, shapeStr } from '../errors.js';
import { checkShapeArg, checkTensor, grid1d } from './checks.js';
import { windowGeometry, windowParams, type Conv2dOptions, type WindowGeometry } from './conv_geometry.js';
import { tunedVariant, sizeClassOf, type TuningSetup } from './tuned_variant.js';
import { blockGrid, blockWorkgroup, splitCount } from './launch.js';
import { batchNormLaunch, epilogueLaunch, withEpilogueGradient, type BatchNormEpilogue, type EpilogueOptions } from './epilogue.js';
import type { Definitions, Grads } from './op.js';
import { isImage, onImages } from './single_image.js';
import forwardSource from '../../shaders/conv2d.wgsl';
import gradInputSource from '../../shaders/conv2d_grad_input.wgsl';
import gradFilterSource from '../../shaders/conv2d_grad_filter.wgsl';

export type { Conv2dOptions } from './conv_geometry.js';

/** conv2d's window geometry plus channel groups. */
export interface GroupedConv2dOptions extends Conv2dOptions {
  /**
   * Channel groups (default 1): x's c channels and w's c' output channels split into `groups`
   * equal runs, and output run g is the convolution of input run g alone, so w is
   * [kh, kw, c / groups, c'] (ONNX Conv's `group`; groups = c = c' is a depthwise convolution).
   */
  groups?: number;
}

const forwardShader = new Shader('conv2d', forwardSource);
const gradInputShader = new Shader('conv2d_grad_input', gradInputSource);
const gradFilterShader = new Shader('conv2d_grad_filter', gradFilterSource);

/**
 * The forward kernels; `engine.tuning.conv2d` may force one ('vec4' falls back to 'block' when the
 * channel counts are not multiples of 4).
 */
export type Conv2dVariant = 'block' | 'vec4' | 'few' | 'tiled';

/** A conv2d's window geometry and its channel groups. */
interface ConvGeometry extends WindowGeometry {
  groups: number;
}

/** The groups option, checked: a positive integer (default 1). */
function groupsOf(op: string, opts: GroupedConv2dOptions | undefined): number {
  const groups = opts?.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) fail(op, `groups must be a positive integer, got ${String(groups)}`);
  return groups;
}

/** Validates x (NHWC) against the filter shape (HWIO, c / groups input channels) and returns the geometry. */
function geometry(op: string, xShape: readonly number[], wShape: readonly number[], opts: GroupedConv2dOptions): ConvGeometry {
  const [kh, kw, wci, wco] = wShape as [number, number, number, number];
  const groups = groupsOf(op, opts);
  if (groups === 1 && xShape[3] !== wci) {
    fail(op, `the filter's in-channels ${wci} differ from the input's channels ${xShape[3]} (x ${shapeStr(xShape)}, w ${shapeStr(wShape)})`);
  }
  if (groups > 1 && (xShape[3] !== wci * groups || wco % groups !== 0)) {
    fail(op, `with ${groups} groups the input's channels ${xShape[3]} must be ${groups} × the filter's in-channels ${wci} and the filter's out-channels ${wco} a multiple of ${groups} (x ${shapeStr(xShape)}, w ${shapeStr(wShape)}; w is [kh, kw, c / groups, c'])`);
  }
  if (kh < 1 || kw < 1) fail(op, `the filter ${shapeStr(wShape)} has an empty window`);
  return { ...windowGeometry(op, xShape, kh, kw, opts ?? {}), groups };
}

function convParams(g: ConvGeometry, outC: number): Record<string, number> {
  return { ...windowParams(g), in_c: g.channels, out_c: outC, groups: g.groups };
}

/**
 * conv2d's options: the window geometry, channel groups, and a fused bias, inference batch
 * normalisation (forward only: it has no gradient) and activation.
 */
export interface FusedConv2dOptions extends GroupedConv2dOptions, EpilogueOptions {
  batchNorm?: BatchNormEpilogue | null;
}

/**
 * Picks the forward kernel: a variant forced by `engine.tuning.conv2d`, the autotuner's winner for
 * this shape class when there is one, else a rule (workgroup-memory tiles pay off on real GPUs for
 * big enough GEMMs; register blocks on CPU emulations), queueing a tuning job when the autotuner is on.
 */
export function chooseConv2dVariant(engine: Engine, g: ConvGeometry, outC: number): Conv2dVariant {
  const aligned = conv2dVec4Aligned(g, outC);
  const forced = engine.tuning.conv2d;
  if (forced !== 'auto') return forced;
  const m = g.batch * g.outH * g.outW;
  // A tile spans one group's channels, so the tiles pay off on the channels per group.
  const few = conv2dFewApplies(g, outC);
  const rule = !engine.info.isSoftware && m >= 1024 && outC / g.groups >= 32 ? 'tiled' : engine.info.isSoftware && few ? 'few' : aligned ? 'vec4' : 'block';
  const names: Conv2dVariant[] = [...(aligned ? ['vec4' as const] : []), 'block', ...(few ? ['few' as const] : []), 'tiled'];
  return tunedVariant(engine, forwardShader, conv2dShapeClass(g, outC), rule, names, () => conv2dCandidates(engine, g, outC));
}

/**
 * Whether the vec4 kernels apply: they read and write channels four at a time, so each group's
 * input and output channels must come in fours.
 */
function conv2dVec4Aligned(g: ConvGeometry, outC: number): boolean {
  return (g.channels / g.groups) % 4 === 0 && (outC / g.groups) % 4 === 0;
}

/** Whether conv2d_few applies: one group, and few enough output channels for one thread to hold them all. */
function conv2dFewApplies(g: Pick<ConvGeometry, 'groups'>, outC: number): boolean {
  return g.groups === 1 && outC <= 16;
}

/**
 * conv2d_few's pixels per thread (4–8 of a row): the most that recompute the fewest at the row's
 * end, where the last block overlaps its neighbour (a 10-wide row takes 2 × 5, a 28-wide 4 × 7),
 * since each thread's filter loads feed all of them.
 */
function fewPixels(outW: number): number {
  let best = 8;
  for (let px = 8; px >= 4; px--) if (Math.ceil(outW / px) * px < Math.ceil(outW / best) * best) best = px;
  return best;
}

/** Shapes that should share a winner: same window and stride, channel alignment, GEMM sizes within a power of two. */
function conv2dShapeClass(g: ConvGeometry, outC: number): string {
  const aligned = conv2dVec4Aligned(g, outC) ? 'v4' : 's';
  const grouped = g.groups > 1 ? `:G${sizeClassOf(g.groups)}` : '';
  return `conv2d:${g.kH}x${g.kW}/${g.strideH}x${g.strideW}:${aligned}${grouped}:M${sizeClassOf(g.batch * g.outH * g.outW)}:K${sizeClassOf(g.kH * g.kW * g.channels / g.groups)}:N${sizeClassOf(outC)}`;
}

/** One conv2d of this geometry on zero inputs, launched with each candidate variant. */
function conv2dCandidates(engine: Engine, g: ConvGeometry, outC: number): TuningSetup<Conv2dVariant> {
  const x = engine.zeros([g.batch, g.inH, g.inW, g.channels]);
  const w = engine.zeros([g.kH, g.kW, g.channels / g.groups, outC]);
  const opts: GroupedConv2dOptions = {
    strides: [g.strideH, g.strideW],
    dilations: [g.dilH, g.dilW],
    pad: [[g.padTop, g.padBottom], [g.padLeft, g.padRight]],
    groups: g.groups,
  };
  return {
    run: (name) => launchConv2d(engine, name, x, w, opts).dispose(),
    dispose: () => [x, w].forEach((t) => t.dispose()),
  };
}

/**
 * `tf.conv2d(x, w, strides, pad, 'NHWC', dilations)`, then `+ bias`, an inference batch
 * normalisation and the activation in the same dispatch when `opts` asks (as `tf.fused.conv2d`).
 */
export function conv2d(engine: Engine, x: Tensor, w: Tensor, opts: FusedConv2dOptions = {}): Tensor {
  const { g, outC } = checkConv2d('conv2d', x, w, opts);
  // The depthwise kernels have no batch-norm epilogue (it needs four more bindings than they can take).
  if (asDepthwise(engine, g) && !opts.batchNorm) {
    return viaDepthwise(engine, w, [g.kH, g.kW, g.channels, outC / g.channels], (wd) => engine.depthwiseConv2d(x, wd, opts));
  }
  return launchConv2d(engine, chooseConv2dVariant(engine, g, outC), x, w, opts);
}

/**
 * Whether a grouped conv2d runs on the depthwise kernels: one input channel per group (groups = c,
 * ONNX's depthwise Conv) is exactly `depthwiseConv2d` with multiplier c' / c, and its filter
 * [kh, kw, 1, c'] has the same values in the same order as the depthwise [kh, kw, c, c' / c]. The
 * conv kernels would give each thread one output channel and repeat it 4 times. Not when a conv2d
 * variant is forced (the tests run the conv kernels on such shapes too).
 */
function asDepthwise(engine: Engine, g: ConvGeometry): boolean {
  return g.groups > 1 && g.groups === g.channels && engine.tuning.conv2d === 'auto';
}

/** `run` on w viewed with the depthwise filter shape (a copy of w: filters are small). */
function viaDepthwise(engine: Engine, w: Tensor, shape: number[], run: (wd: Tensor) => Tensor): Tensor {
  const wd = engine.reshape(w, shape);
  try {
    return run(wd);
  } finally {
    wd.dispose();
  }
}

function checkConv2d(op: string, x: Tensor, w: Tensor, opts: GroupedConv2dOptions): { g: ConvGeometry; outC: number } {
  checkTensor(op, 'x', x, 4);
  checkTensor(op, 'w', w, 4);
  return { g: geometry(op, x.shape, w.shape, opts), outC: w.shape[3]! };
}

/**
 * conv2d with an explicit kernel variant (the autotuner and the benchmarks call this); 'vec4'
 * runs 'block' when the channel counts are not multiples of 4.
 */
export function launchConv2d(engine: Engine, variant: Conv2dVariant, x: Tensor, w: Tensor, opts: FusedConv2dOptions = {}): Tensor {
  const op = 'conv2d';
  const { g, outC } = checkConv2d(op, x, w, opts);
  const ep = epilogueLaunch(op, opts, outC, w.buffer);
  const bn = batchNormLaunch(op, opts.batchNorm, outC, w.buffer);
  const y = engine.empty([g.batch, g.outH, g.outW, outC], op);
  if (y.size === 0) return y;
  const params = { ...convParams(g, outC), ow_blocks: Math.ceil(g.outW / 4), alpha: ep.alpha, bn_epsilon: bn.epsilon };
  const buffers = { x: x.buffer, w: w.buffer, y: y.buffer, bias: ep.bias, ...bn.buffers };
  const constants = { ...ep.constants, ...bn.constants };
  if (variant === 'few' && conv2dFewApplies(g, outC)) {
    const px = fewPixels(g.outW);
    const owBlocks = Math.ceil(g.outW / px);
    const [gx, gy] = grid1d(g.batch * g.outH * owBlocks, 64);
    engine.run({
      shader: forwardShader, entry: 'conv2d_few', constants: { ...constants, CO: outC, PX: px },
      buffers, params: { ...params, ow_blocks: owBlocks }, workgroups: [gx, gy, 1],
    });
  } else if (variant === 'tiled') {
    const m = g.batch * g.outH * g.outW;
    const [gy, gz] = grid1d(m, 64);
    const tiles = g.groups * Math.ceil(outC / g.groups / 64);
    engine.run({ shader: forwardShader, entry: 'conv2d_tiled', constants, buffers, params, workgroups: [tiles, gy, gz] });
  } else {
    // Blocks of 4 output channels, laid out group by group (a block never straddles two).
    const groups = g.groups * Math.ceil(outC / g.groups / 4);
    const wg = blockWorkgroup(groups);
    const blocks = g.batch * g.outH * params.ow_blocks;
    const vec4 = variant === 'vec4' && conv2dVec4Aligned(g, outC);
    const entry = vec4 ? 'conv2d_block_vec4' : 'conv2d_block';
    const views = vec4 ? { ...buffers, x4: x.buffer, w4: w.buffer } : buffers;
    engine.run({ shader: forwardShader, entry, constants: { ...wg, ...constants }, buffers: views, params, workgroups: blockGrid(groups, blocks, wg) });
  }
  return y;
}

/** The gradient of `conv2d(x, w, opts)` with respect to x, given dy and x's shape. */
export function conv2dGradInput(engine: Engine, dy: Tensor, w: Tensor, xShape: readonly number[], opts: GroupedConv2dOptions = {}): Tensor {
  const op = 'conv2dGradInput';
  checkTensor(op, 'dy', dy, 4);
  checkTensor(op, 'w', w, 4);
  checkShapeArg(op, 'xShape', xShape, 4);
  const g = geometry(op, xShape, w.shape, opts);
  checkDy(op, dy, g, w.shape[3]!);
  if (asDepthwise(engine, g)) {
    return viaDepthwise(engine, w, [g.kH, g.kW, g.channels, w.shape[3]! / g.channels], (wd) => engine.depthwiseConv2dGradInput(dy, wd, xShape, opts));
  }
  if (fewGradInput(engine, g)) return gradInputThroughFew(engine, dy, w, g);
  const dx = engine.empty(xShape, op);
  if (dx.size === 0) return dx;
  // Blocks of 4 input channels, laid out group by group.
  const groups = g.groups * Math.ceil(g.channels / g.groups / 4);
  const wg = blockWorkgroup(groups);
  // Blocks group 4 input columns of one phase modulo the stride (see the shader).
  const iwBlocks = g.strideW * Math.ceil(Math.ceil(g.inW / g.strideW) / 4);
  const vec4 = conv2dVec4Aligned(g, w.shape[3]!) && engine.tuning.conv2d !== 'block';
  engine.run({
    shader: gradInputShader, entry: 'conv2d_grad_input', constants: { ...wg, VEC4: vec4 ? 1 : 0 },
    buffers: { dy: dy.buffer, w: w.buffer, dx: dx.buffer, dy4: dy.buffer, w4: w.buffer },
    params: { ...convParams(g, w.shape[3]!), iw_blocks: iwBlocks },
    workgroups: blockGrid(groups, g.batch * g.inH * iwBlocks, wg),
  });
  return dx;
}

/**
 * Whether the input gradient runs as a forward convolution of dy with the flipped filter on
 * conv2d_few: at stride 1, one group, 5–16 input channels, padding within the window, on software
 * adapters (measured there: the gradient kernel's blocks of 4 channels leave lanes idle at 5–16
 * channels; with 1–4, each of dy's values loaded by conv2d_few feeds too few outputs to pay).
 * Not when another conv2d variant is forced (the tests run the gradient kernel so).
 */
function fewGradInput(engine: Engine, g: ConvGeometry): boolean {
  const tuning = engine.tuning.conv2d;
  const wanted = tuning === 'few' || (tuning === 'auto' && engine.info.isSoftware);
  const reach = (k: number, dil: number) => dil * (k - 1);
  return wanted && g.groups === 1 && g.strideH === 1 && g.strideW === 1 && g.channels >= 5 && conv2dFewApplies(g, g.channels) &&
    Math.max(g.padTop, g.padBottom) <= reach(g.kH, g.dilH) && Math.max(g.padLeft, g.padRight) <= reach(g.kW, g.dilW);
}

/** dx = conv2d(dy, w flipped and transposed, stride 1, padding dil·(k − 1) − pad) on conv2d_few. */
function gradInputThroughFew(engine: Engine, dy: Tensor, w: Tensor, g: ConvGeometry): Tensor {
  const outC = w.shape[3]!;
  const flipped = engine.empty([g.kH, g.kW, outC, g.channels], 'conv2dGradInput flipped filter');
  try {
    engine.run({
      shader: gradInputShader, entry: 'conv2d_flip_filter',
      buffers: { w: w.buffer, w_flipped: flipped.buffer },
      params: { ...convParams(g, outC), iw_blocks: 0 },
      workgroups: [...grid1d(flipped.size, 64), 1],
    });
    const reachH = g.dilH * (g.kH - 1);
    const reachW = g.dilW * (g.kW - 1);
    return launchConv2d(engine, 'few', dy, flipped, {
      dilations: [g.dilH, g.dilW],
      pad: [[reachH - g.padTop, reachH - g.padBottom], [reachW - g.padLeft, reachW - g.padRight]],
    });
  } finally {
    flipped.dispose();
  }
}

/** The gradient of `conv2d(x, w, opts)` with respect to w, given x, dy and w's shape. */
export function conv2dGradFilter(engine: Engine, x: Tensor, dy: Tensor, wShape: readonly number[], opts: GroupedConv2dOptions = {}): Tensor {
  const op = 'conv2dGradFilter';
  checkTensor(op, 'x', x, 4);
  checkTensor(op, 'dy', dy, 4);
  checkShapeArg(op, 'wShape', wShape, 4);
  const g = geometry(op, x.shape, wShape, opts);
  const outC = wShape[3]!;
  checkDy(op, dy, g, outC);
  if (asDepthwise(engine, g)) {
    const dwd = engine.depthwiseConv2dGradFilter(x, dy, [g.kH, g.kW, g.channels, outC / g.channels], opts);
    const dw = engine.reshape(dwd, wShape);
    dwd.dispose();
    return dw;
  }
  const dw = engine.empty(wShape, op);
  if (dw.size === 0) return dw;
  // Blocks of 4 input channels within a group, and of 4 output channels laid out group by group.
  const ciGroups = Math.ceil(g.channels / g.groups / 4);
  const coGroups = g.groups * Math.ceil(outC / g.groups / 4);
  const threads = coGroups * wShape[0]! * wShape[1]! * ciGroups;
  const pixels = g.batch * g.outH * g.outW;
  const splits = splitCount(engine.info.isSoftware, threads, pixels, dw.size);
  const chunk = Math.ceil(pixels / splits);
  const params = { ...convParams(g, outC), splits, chunk, ci_groups: ciGroups, dw_size: dw.size };
  const wg = blockWorkgroup(coGroups);
  const partial = splits > 1 ? engine.empty([splits, dw.size], `${op} partial sums`) : dw;
  const vec4 = conv2dVec4Aligned(g, outC) && engine.tuning.conv2d !== 'block';
  engine.run({
    shader: gradFilterShader, entry: vec4 ? 'conv2d_grad_filter_partial_vec4' : 'conv2d_grad_filter_partial', constants: wg,
    buffers: vec4 ? { x4: x.buffer, dy4: dy.buffer, partial: partial.buffer } : { x: x.buffer, dy: dy.buffer, partial: partial.buffer },
    params,
    workgroups: [Math.ceil(coGroups / wg.WG_X), Math.ceil(wShape[0]! * wShape[1]! * ciGroups / wg.WG_Y), splits],
  });
  if (partial !== dw) {
    engine.run({
      shader: gradFilterShader, entry: 'conv2d_grad_filter_reduce',
      buffers: { partial: partial.buffer, dw: dw.buffer },
      params,
      workgroups: grid1d(dw.size, 256),
    });
    partial.dispose();
  }
  return dw;
}

function checkDy(op: string, dy: Tensor, g: ConvGeometry, outC: number): void {
  const expected = [g.batch, g.outH, g.outW, outC];
  if (dy.shape.some((d, i) => d !== expected[i])) {
    fail(op, `dy ${shapeStr(dy.shape)} does not match the conv2d output shape ${shapeStr(expected)}`);
  }
}

/** conv2d without its epilogue: what a leaky relu of negative slope needs to differentiate. */
function preActivation(engine: Engine, x: Tensor, w: Tensor, opts: FusedConv2dOptions): Tensor {
  return engine.conv2d(x, w, { ...opts, activation: 'linear' });
}

export interface Conv2dOps {
  /**
   * `tf.conv2d`: x [n, h, w, c] (or one image [h, w, c]), w [kh, kw, c, c'] → [n, oh, ow, c'],
   * with an optional bias and activation applied in the same dispatch (as `tf.fused.conv2d`).
   * @example
   * const y = engine.conv2d(x, w, { pad: 'same', bias: b, activation: 'relu' });
   */
  conv2d(x: Tensor, w: Tensor, opts?: FusedConv2dOptions): Tensor;
}

export interface Conv2dGradKernels {
  /** The gradient of conv2d with respect to x, given dy and x's shape. */
  conv2dGradInput(dy: Tensor, w: Tensor, xShape: readonly number[], opts?: GroupedConv2dOptions): Tensor;
  /** The gradient of conv2d with respect to w, given x, dy and w's shape. */
  conv2dGradFilter(x: Tensor, dy: Tensor, wShape: readonly number[], opts?: GroupedConv2dOptions): Tensor;
}

export const conv2dOps: Definitions<Conv2dOps, Conv2dGradKernels> = {
  /**
   * `tf.conv2d`: x [n, h, w, c] (or one image [h, w, c]), w [kh, kw, c, c'] → [n, oh, ow, c'],
   * with an optional fused bias and activation.
   */
  conv2d: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor, w: Tensor, opts: FusedConv2dOptions = {}) =>
      isImage(x) ? onImages(e, [x], ([x4]) => conv2d(e, x4!, w, opts)) : conv2d(e, x, w, opts),
    inputs: (x: Tensor, w: Tensor, opts: FusedConv2dOptions = {}) => {
      if (opts?.batchNorm) fail('conv2d', 'a fused batchNorm has no gradient: on a tape, apply batchNorm as its own op');
      return [x, w, opts?.bias ?? null];
    },
    gradient: ({ engine, g, needs, y }, x: Tensor, w: Tensor, opts: FusedConv2dOptions = {}): Grads =>
      withEpilogueGradient(engine, g, y, !!needs[2], opts, () => preActivation(engine, x, w, opts), (d) => [
        needs[0] ? engine.conv2dGradInput(d, w, x.shape, opts) : null,
        needs[1] ? engine.conv2dGradFilter(x, d, w.shape, opts) : null,
      ]),
  },
  conv2dGradInput: { kind: 'plain', forward: (e, dy: Tensor, w: Tensor, xShape: readonly number[], opts: GroupedConv2dOptions = {}) =>
    isImage(dy) && xShape?.length === 3
      ? onImages(e, [dy], ([dy4]) => conv2dGradInput(e, dy4!, w, [1, ...xShape], opts))
      : conv2dGradInput(e, dy, w, xShape, opts) },
  conv2dGradFilter: { kind: 'plain', forward: (e, x: Tensor, dy: Tensor, wShape: readonly number[], opts: GroupedConv2dOptions = {}) =>
    isImage(x) && isImage(dy)
      ? onImages(e, [x, dy], ([x4, dy4]) => conv2dGradFilter(e, x4!, dy4!, wShape, opts), false)
      : conv2dGradFilter(e, x, dy, wShape, opts) },
};

