/**
 * depthwiseConv2d and its two gradients (shaders/depthwise_conv2d.wgsl,
 * depthwise_conv2d_grad_input.wgsl, depthwise_conv2d_grad_filter.wgsl), with the semantics of
 * `tf.depthwiseConv2d(x, w, strides, pad, 'NHWC', dilations)`: x [n, h, w, c], w [kh, kw, c, mult],
 * output [n, oh, ow, c·mult] whose channel c·mult + m is input channel c filtered by w[:, :, c, m].
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { Shader } from '../gpu/shader.js';
import { fail, shapeStr } from '../errors.js';
import { checkShapeArg, checkTensor, grid1d } from './checks.js';
import { windowGeometry, windowParams, type Conv2dOptions, type WindowGeometry } from './conv_geometry.js';
import { blockGrid, blockWorkgroup, splitCount } from './launch.js';
import { tunedVariant, sizeClassOf } from './tuned_variant.js';
import { epilogueLaunch, withEpilogueGradient, type EpilogueOptions } from './epilogue.js';
import type { Definitions, Grads } from './op.js';
import { isImage, onImages } from './single_image.js';
import forwardSource from '../../shaders/depthwise_conv2d.wgsl';
import gradInputSource from '../../shaders/depthwise_conv2d_grad_input.wgsl';
import gradFilterSource from '../../shaders/depthwise_conv2d_grad_filter.wgsl';

const forwardShader = new Shader('depthwise_conv2d', forwardSource);
const gradInputShader = new Shader('depthwise_conv2d_grad_input', gradInputSource);
const gradFilterShader = new Shader('depthwise_conv2d_grad_filter', gradFilterSource);

/** Validates x (NHWC) against the filter shape [kh, kw, c, mult] and returns the geometry. */
function geometry(op: string, xShape: readonly number[], wShape: readonly number[], opts: Conv2dOptions): WindowGeometry {
  const [kh, kw, wc] = wShape as [number, number, number, number];
  if (xShape[3] !== wc) {
    fail(op, `the filter's channels ${wc} differ from the input's channels ${xShape[3]} (x ${shapeStr(xShape)}, w ${shapeStr(wShape)}; w is [kh, kw, channels, multiplier])`);
  }
  if (kh < 1 || kw < 1) fail(op, `the filter ${shapeStr(wShape)} has an empty window`);
  return windowGeometry(op, xShape, kh, kw, opts ?? {});
}

function params(g: WindowGeometry, mult: number): Record<string, number> {
  return { ...windowParams(g), in_c: g.channels, out_c: g.channels * mult, mult };
}

/**
 * The vec4 kernels read x, w and dy through vec4 views: possible when each output channel is its
 * own input channel (mult 1) and the channels come in fours.
 */
function vec4(g: WindowGeometry, mult: number): boolean {
  return mult === 1 && g.channels % 4 === 0;
}

/** The kernels: 'wide' (one pixel × 16 channels per thread) or 'block' (register blocks). */
export type DepthwiseVariant = 'wide' | 'block';

/** The wide kernels apply to multiplier 1 with channels in sixteens. */
function wideFits(g: WindowGeometry, mult: number): boolean {
  return mult === 1 && g.channels % 16 === 0;
}

/**
 * The one-pixel × 16-channel kernels (the shaders' _wide entries) or the register blocks. The rule
 * takes the wide ones on software adapters, where their memory locality beats the blocks' reuse
 * (see depthwise_conv2d.wgsl); `engine.tuning.depthwise` forces either; with the autotuner on,
 * its winner for the shape class.
 */
export function chooseDepthwiseVariant(engine: Engine, op: 'forward' | 'gradInput', g: WindowGeometry, mult: number): DepthwiseVariant {
  const fits = wideFits(g, mult);
  const forced = engine.tuning.depthwise;
  if (forced !== 'auto' || !fits) return fits && forced === 'wide' ? 'wide' : 'block';
  const rule = engine.info.isSoftware ? 'wide' : 'block';
  const key = `depthwise:${op}:${g.kH}x${g.kW}/${g.strideH}x${g.strideW}:P${sizeClassOf(g.batch * g.outH * g.outW)}:C${sizeClassOf(g.channels)}`;
  return tunedVariant(engine, op === 'forward' ? forwardShader : gradInputShader, key, rule, ['wide', 'block'] as const, () => {
    const x = engine.zeros([g.batch, g.inH, g.inW, g.channels]);
    const w = engine.zeros([g.kH, g.kW, g.channels, 1]);
    const dy = engine.zeros([g.batch, g.outH, g.outW, g.channels]);
    const opts: Conv2dOptions = { strides: [g.strideH, g.strideW], dilations: [g.dilH, g.dilW], pad: [[g.padTop, g.padBottom], [g.padLeft, g.padRight]] };
    return {
      run: (name) => (op === 'forward' ? launchDepthwiseConv2d(engine, name, x, w, opts) : launchDepthwiseConv2dGradInput(engine, name, dy, w, x.shape, opts)).dispose(),
      dispose: () => [x, w, dy].forEach((t) => t.dispose()),
    };
  });
}

/** depthwiseConv2d's options: the window geometry plus a fused bias (per output channel) and activation. */
export interface FusedDepthwiseConv2dOptions extends Conv2dOptions, EpilogueOptions {}

function checkForward(op: string, x: Tensor, w: Tensor, opts: Conv2dOptions): WindowGeometry {
  checkTensor(op, 'x', x, 4);
  checkTensor(op, 'w', w, 4);
  return geometry(op, x.shape, w.shape, opts);
}

/**
 * Depthwise convolution: each input channel is convolved with its own `mult` filters; then
 * `+ bias` and the activation in the same dispatch when `opts` asks.
 * @example
 * const y = engine.depthwiseConv2d(x, w, { strides: 2, pad: 'same' }); // x [1, 8, 8, 3], w [3, 3, 3, 2] → [1, 4, 4, 6]
 */
export function depthwiseConv2d(engine: Engine, x: Tensor, w: Tensor, opts: FusedDepthwiseConv2dOptions = {}): Tensor {
  const g = checkForward('depthwiseConv2d', x, w, opts);
  return launchDepthwiseConv2d(engine, chooseDepthwiseVariant(engine, 'forward', g, w.shape[3]!), x, w, opts);
}

/** depthwiseConv2d with an explicit kernel; 'wide' runs 'block' where it does not apply. */
export function launchDepthwiseConv2d(engine: Engine, variant: DepthwiseVariant, x: Tensor, w: Tensor, opts: FusedDepthwiseConv2dOptions = {}): Tensor {
  const op = 'depthwiseConv2d';
  const g = checkForward(op, x, w, opts);
  const mult = w.shape[3]!;
  const outC = g.channels * mult;
  const ep = epilogueLaunch(op, opts, outC, w.buffer);
  const y = engine.empty([g.batch, g.outH, g.outW, outC], op);
  if (y.size === 0) return y;
  if (variant === 'wide' && wideFits(g, mult)) {
    engine.run({
      shader: forwardShader, entry: 'depthwise_conv2d_wide', constants: ep.constants,
      buffers: { x4: x.buffer, w4: w.buffer, y4: y.buffer, bias: ep.bias },
      params: { ...params(g, mult), ow_blocks: 0, alpha: ep.alpha },
      workgroups: grid1d(y.size / 16, 64),
    });
    return y;
  }
  const owBlocks = Math.ceil(g.outW / 4);
  const groups = Math.ceil(outC / 4);
  const wg = blockWorkgroup(groups);
  engine.run({
    shader: forwardShader, entry: 'depthwise_conv2d_block',
    constants: { ...wg, VEC4: vec4(g, mult) ? 1 : 0, ...ep.constants },
    buffers: { x: x.buffer, w: w.buffer, y: y.buffer, x4: x.buffer, w4: w.buffer, bias: ep.bias },
    params: { ...params(g, mult), ow_blocks: owBlocks, alpha: ep.alpha },
    workgroups: blockGrid(groups, g.batch * g.outH * owBlocks, wg),
  });
  return y;
}

/** The gradient of `depthwiseConv2d(x, w, opts)` with respect to x, given dy and x's shape. */
export function depthwiseConv2dGradInput(engine: Engine, dy: Tensor, w: Tensor, xShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  const g = checkGradInput(dy, w, xShape, opts);
  return launchDepthwiseConv2dGradInput(engine, chooseDepthwiseVariant(engine, 'gradInput', g, w.shape[3]!), dy, w, xShape, opts);
}

function checkGradInput(dy: Tensor, w: Tensor, xShape: readonly number[], opts: Conv2dOptions): WindowGeometry {
  const op = 'depthwiseConv2dGradInput';
  checkTensor(op, 'dy', dy, 4);
  checkTensor(op, 'w', w, 4);
  checkShapeArg(op, 'xShape', xShape, 4);
  const g = geometry(op, xShape, w.shape, opts);
  checkDy(op, dy, g, w.shape[3]!);
  return g;
}

/** The input gradient with an explicit kernel; 'wide' runs 'block' where it does not apply. */
export function launchDepthwiseConv2dGradInput(
  engine: Engine, variant: DepthwiseVariant, dy: Tensor, w: Tensor, xShape: readonly number[], opts: Conv2dOptions = {},
): Tensor {
  const op = 'depthwiseConv2dGradInput';
  const g = checkGradInput(dy, w, xShape, opts);
  const mult = w.shape[3]!;
  const dx = engine.empty(xShape, op);
  if (dx.size === 0) return dx;
  if (mult === 0) {
    // No output channels: nothing flows back.
    engine.scheduler.upload(dx.buffer, new Float32Array(dx.size));
    return dx;
  }
  if (variant === 'wide' && wideFits(g, mult)) {
    engine.run({
      shader: gradInputShader, entry: 'depthwise_conv2d_grad_input_wide',
      constants: { STRIDED: g.strideH > 1 || g.strideW > 1 ? 1 : 0 },
      buffers: { dy4: dy.buffer, w4: w.buffer, dx4: dx.buffer },
      params: { ...params(g, mult), iw_blocks: 0 },
      workgroups: grid1d(dx.size / 16, 64),
    });
    return dx;
  }
  const groups = Math.ceil(g.channels / 4);
  const wg = blockWorkgroup(groups);
  const iwBlocks = Math.ceil(g.inW / 4);
  engine.run({
    shader: gradInputShader, entry: 'depthwise_conv2d_grad_input',
    constants: { ...wg, VEC4: vec4(g, mult) ? 1 : 0 },
    buffers: { dy: dy.buffer, w: w.buffer, dx: dx.buffer, dy4: dy.buffer, w4: w.buffer },
    params: { ...params(g, mult), iw_blocks: iwBlocks },
    workgroups: blockGrid(groups, g.batch * g.inH * iwBlocks, wg),
  });
  return dx;
}

/** The gradient of `depthwiseConv2d(x, w, opts)` with respect to w, given x, dy and w's shape. */
export function depthwiseConv2dGradFilter(engine: Engine, x: Tensor, dy: Tensor, wShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  const op = 'depthwiseConv2dGradFilter';
  checkTensor(op, 'x', x, 4);
  checkTensor(op, 'dy', dy, 4);
  checkShapeArg(op, 'wShape', wShape, 4);
  const g = geometry(op, x.shape, wShape, opts);
  const mult = wShape[3]!;
  checkDy(op, dy, g, mult);
  const dw = engine.empty(wShape, op);
  if (dw.size === 0) return dw;
  const outC = g.channels * mult;
  const groups = Math.ceil(outC / 4);
  const kwBlocks = Math.ceil(g.kW / 4);
  const threads = groups * g.kH * kwBlocks;
  const pixels = g.batch * g.outH * g.outW;
  const splits = splitCount(engine.info.isSoftware, threads, pixels, dw.size);
  const p = { ...params(g, mult), splits, chunk: Math.ceil(pixels / splits), kw_blocks: kwBlocks, dw_size: dw.size };
  const partial = splits > 1 ? engine.empty([splits, dw.size], `${op} partial sums`) : dw;
  engine.run({
    shader: gradFilterShader, entry: 'depthwise_conv2d_grad_filter_partial',
    constants: { VEC4: vec4(g, mult) ? 1 : 0 },
    buffers: { x: x.buffer, dy: dy.buffer, partial: partial.buffer, x4: x.buffer, dy4: dy.buffer },
    params: p,
    workgroups: [Math.ceil(threads / 64), splits],
  });
  if (partial !== dw) {
    engine.run({
      shader: gradFilterShader, entry: 'depthwise_conv2d_grad_filter_reduce',
      buffers: { partial: partial.buffer, dw: dw.buffer },
      params: p,
      workgroups: grid1d(dw.size, 256),
    });
    partial.dispose();
  }
  return dw;
}

function checkDy(op: string, dy: Tensor, g: WindowGeometry, mult: number): void {
  const expected = [g.batch, g.outH, g.outW, g.channels * mult];
  if (dy.shape.some((d, i) => d !== expected[i])) {
    fail(op, `dy ${shapeStr(dy.shape)} does not match the depthwiseConv2d output shape ${shapeStr(expected)}`);
  }
}

export interface DepthwiseConv2dOps {
  /**
   * `tf.depthwiseConv2d`: x [n, h, w, c] (or one image), w [kh, kw, c, multiplier] →
   * [n, oh, ow, c·multiplier], with an optional bias and activation in the same dispatch.
   */
  depthwiseConv2d(x: Tensor, w: Tensor, opts?: FusedDepthwiseConv2dOptions): Tensor;
}

export interface DepthwiseConv2dGradKernels {
  depthwiseConv2dGradInput(dy: Tensor, w: Tensor, xShape: readonly number[], opts?: Conv2dOptions): Tensor;
  depthwiseConv2dGradFilter(x: Tensor, dy: Tensor, wShape: readonly number[], opts?: Conv2dOptions): Tensor;
}

export const depthwiseConv2dOps: Definitions<DepthwiseConv2dOps, DepthwiseConv2dGradKernels> = {
  /**
   * `tf.depthwiseConv2d`: x [n, h, w, c] (or one image), w [kh, kw, c, multiplier] →
   * [n, oh, ow, c·multiplier], with an optional fused bias and activation.
   */
  depthwiseConv2d: {
    kind: 'differentiable',
    forward: (e: Engine, x: Tensor, w: Tensor, opts: FusedDepthwiseConv2dOptions = {}) =>
      isImage(x) ? onImages(e, [x], ([x4]) => depthwiseConv2d(e, x4!, w, opts)) : depthwiseConv2d(e, x, w, opts),
    inputs: (x: Tensor, w: Tensor, opts: FusedDepthwiseConv2dOptions = {}) => [x, w, opts?.bias ?? null],
    gradient: ({ engine, g, needs, y }, x: Tensor, w: Tensor, opts: FusedDepthwiseConv2dOptions = {}): Grads =>
      withEpilogueGradient(engine, g, y, !!needs[2], opts, () => engine.depthwiseConv2d(x, w, { ...opts, activation: 'linear' }), (d) => [
        needs[0] ? engine.depthwiseConv2dGradInput(d, w, x.shape, opts) : null,
        needs[1] ? engine.depthwiseConv2dGradFilter(x, d, w.shape, opts) : null,
      ]),
  },
  depthwiseConv2dGradInput: { kind: 'plain', forward: (e, dy: Tensor, w: Tensor, xShape: readonly number[], opts: Conv2dOptions = {}) =>
    isImage(dy) && xShape?.length === 3
      ? onImages(e, [dy], ([dy4]) => depthwiseConv2dGradInput(e, dy4!, w, [1, ...xShape], opts))
      : depthwiseConv2dGradInput(e, dy, w, xShape, opts) },
  depthwiseConv2dGradFilter: { kind: 'plain', forward: (e, x: Tensor, dy: Tensor, wShape: readonly number[], opts: Conv2dOptions = {}) =>
    isImage(x) && isImage(dy)
      ? onImages(e, [x, dy], ([x4, dy4]) => depthwiseConv2dGradFilter(e, x4!, dy4!, wShape, opts), false)
      : depthwiseConv2dGradFilter(e, x, dy, wShape, opts) },
};
