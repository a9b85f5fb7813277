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

/**
 * The one-pixel × 16-channel kernels (the shaders' _wide entries) or the register blocks. The wide
 * ones apply to mult 1 with channels in sixteens; the rule takes them on software adapters, where
 * their memory locality beats the blocks' reuse (see depthwise_conv2d.wgsl); `tuning.depthwise`
 * forces either; with the autotuner on, its winner for the shape class.
 */
export function pickDepthwiseVariant(engine: Engine, op: 'forward' | 'gradInput', g: WindowGeometry, mult: number): 'wide' | 'block' {
  const fits = mult === 1 && g.channels % 16 === 0;
  const forced = engine.tuning.depthwise;
  if (forced !== 'auto' || !fits) return fits && forced === 'wide' ? 'wide' : 'block';
  const rule = engine.info.isSoftware ? 'wide' : 'block';
  const key = `depthwise:${op}:${g.kH}x${g.kW}/${g.strideH}x${g.strideW}:P${sizeClassOf(g.batch * g.outH * g.outW)}:C${sizeClassOf(g.channels)}`;
  return tunedVariant(engine, key, rule, ['wide', 'block'] as const, () => {
    const x = engine.zeros([g.batch, g.inH, g.inW, g.channels]);
    const w = engine.zeros([g.kH, g.kW, g.channels, 1]);
    const dy = engine.zeros([g.batch, g.outH, g.outW, g.channels]);
    const opts: Conv2dOptions = { strides: [g.strideH, g.strideW], dilations: [g.dilH, g.dilW], pad: [[g.padTop, g.padBottom], [g.padLeft, g.padRight]] };
    return {
      run: (name) => {
        const previous = engine.tuning.depthwise;
        engine.tuning.depthwise = name;
        try {
          (op === 'forward' ? depthwiseConv2d(engine, x, w, opts) : depthwiseConv2dGradInput(engine, dy, w, x.shape, opts)).dispose();
        } finally {
          engine.tuning.depthwise = previous;
        }
      },
      dispose: () => [x, w, dy].forEach((t) => t.dispose()),
    };
  });
}

/**
 * Depthwise convolution: each input channel is convolved with its own `mult` filters.
 * @example
 * const y = engine.depthwiseConv2d(x, w, { strides: 2, pad: 'same' }); // x [1, 8, 8, 3], w [3, 3, 3, 2] → [1, 4, 4, 6]
 */
export function depthwiseConv2d(engine: Engine, x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  const op = 'depthwiseConv2d';
  checkTensor(op, 'x', x, 4);
  checkTensor(op, 'w', w, 4);
  const g = geometry(op, x.shape, w.shape, opts);
  const mult = w.shape[3]!;
  const outC = g.channels * mult;
  const y = engine.empty([g.batch, g.outH, g.outW, outC], op);
  if (y.size === 0) return y;
  if (pickDepthwiseVariant(engine, 'forward', g, mult) === 'wide') {
    engine.run({
      shader: forwardShader, entry: 'depthwise_conv2d_wide',
      buffers: { x4: x.buffer, w4: w.buffer, y4: y.buffer },
      params: { ...params(g, mult), ow_blocks: 0 },
      workgroups: grid1d(y.size / 16, 64),
    });
    return y;
  }
  const owBlocks = Math.ceil(g.outW / 4);
  const groups = Math.ceil(outC / 4);
  const wg = blockWorkgroup(groups);
  engine.run({
    shader: forwardShader, entry: 'depthwise_conv2d_block',
    constants: { ...wg, VEC4: vec4(g, mult) ? 1 : 0 },
    buffers: { x: x.buffer, w: w.buffer, y: y.buffer, x4: x.buffer, w4: w.buffer },
    params: { ...params(g, mult), ow_blocks: owBlocks },
    workgroups: blockGrid(groups, g.batch * g.outH * owBlocks, wg),
  });
  return y;
}

/** The gradient of `depthwiseConv2d(x, w, opts)` with respect to x, given dy and x's shape. */
export function depthwiseConv2dGradInput(engine: Engine, dy: Tensor, w: Tensor, xShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  const op = 'depthwiseConv2dGradInput';
  checkTensor(op, 'dy', dy, 4);
  checkTensor(op, 'w', w, 4);
  checkShapeArg(op, 'xShape', xShape, 4);
  const g = geometry(op, xShape, w.shape, opts);
  const mult = w.shape[3]!;
  checkDy(op, dy, g, mult);
  const dx = engine.empty(xShape, op);
  if (dx.size === 0) return dx;
  if (mult === 0) {
    // No output channels: nothing flows back.
    engine.scheduler.upload(dx.buffer, new Float32Array(dx.size));
    return dx;
  }
  if (pickDepthwiseVariant(engine, 'gradInput', g, mult) === 'wide') {
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
