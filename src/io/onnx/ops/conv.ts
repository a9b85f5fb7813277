/**
 * Conv and the pools: NCHW attributes (kernel_shape, strides, dilations, pads or auto_pad, group,
 * ceil_mode, count_include_pad) read into explicit NHWC window geometry, and conv weights
 * transposed from ONNX's [filters, in / group, kh, kw] to the engine's HWIO once, at load.
 */
import { shapeStr } from '../../../errors.js';
import { attrInt, attrInts, attrString } from '../attributes.js';
import type { Act, Converter } from '../convert.js';
import { transposeConst } from '../fold.js';
import type { ConstTensor } from '../tensor_data.js';
import type { Handler } from './types.js';

type Pads = [[number, number], [number, number]];

interface Window {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [[top, bottom], [left, right]], with what ceil_mode adds at the end. */
  pads: Pads;
  /** The pads the node declares (or auto_pad implies), without ceil_mode's extra. */
  declared: Pads;
  out: [number, number];
}

function pair(cv: Converter, name: string, dflt: number): [number, number] {
  const v = attrInts(cv.node, name, cv) ?? [dflt, dflt];
  if (v.length !== 2) cv.fail(`${name} ${shapeStr(v)} has ${v.length} entries; only 2-D windows (2 entries) are supported`);
  if (v.some((d) => !Number.isInteger(d) || d < 1)) cv.fail(`${name} ${shapeStr(v)} must be positive`);
  return [v[0]!, v[1]!];
}

/**
 * The window's geometry over an input of spatial size `size`: explicit pads or auto_pad
 * (SAME_UPPER puts an odd total's extra pixel at the end, SAME_LOWER at the start), and with
 * ceil_mode the output rounded up, the extra row and column padded at the end.
 */
function windowOf(cv: Converter, size: [number, number], kernel: [number, number], ceil = false): Window {
  const strides = pair(cv, 'strides', 1);
  const dilations = pair(cv, 'dilations', 1);
  const autoPad = attrString(cv.node, 'auto_pad', 'NOTSET', cv);
  const eff = [0, 1].map((i) => (kernel[i]! - 1) * dilations[i]! + 1);
  const pads: Pads = [[0, 0], [0, 0]];
  const declared: Pads = [[0, 0], [0, 0]];
  const out: [number, number] = [0, 0];
  for (const i of [0, 1]) {
    const n = size[i]!;
    const s = strides[i]!;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      out[i] = Math.ceil(n / s);
      const total = Math.max((out[i]! - 1) * s + eff[i]! - n, 0);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
      declared[i] = pads[i]!;
      continue;
    }
    if (autoPad === 'VALID') {
      pads[i] = [0, 0];
    } else if (autoPad === 'NOTSET') {
      const p = attrInts(cv.node, 'pads', cv) ?? [0, 0, 0, 0];
      if (p.length !== 4) cv.fail(`pads ${shapeStr(p)} must have 4 entries for a 2-D window`);
      if (p.some((d) => d < 0)) cv.fail(`pads ${shapeStr(p)} must not be negative`);
      pads[i] = [p[i]!, p[i + 2]!];
    } else {
      cv.fail(`auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
    }
    const span = n + pads[i]![0] + pads[i]![1] - eff[i]!;
    if (span < 0) cv.fail(`the window (${eff[i]} with dilation) is larger than the padded input (${n + pads[i]![0] + pads[i]![1]})`);
    out[i] = ceil ? Math.ceil(span / s) + 1 : Math.floor(span / s) + 1;
    // A last window that would start in the end padding is dropped (as ONNX Runtime and PyTorch do).
    if (ceil && (out[i]! - 1) * s >= n + pads[i]![0]) out[i]!--;
    declared[i] = pads[i]!;
    const extra = Math.max((out[i]! - 1) * s + eff[i]! - (n + pads[i]![0] + pads[i]![1]), 0);
    pads[i] = [pads[i]![0], pads[i]![1] + extra];
  }
  return { kernel, strides, dilations, pads, declared, out };
}

function feature(cv: Converter, i = 0): Act {
  const x = cv.act(i);
  if (x.shape.length !== 4) cv.fail(`its input has shape ${shapeStr(x.shape)}; only 4-D (2-D spatial, NCHW) inputs are supported`);
  return x;
}

/** [m, c, kh, kw] → [kh, kw, c, m]. */
function toHwio(w: ConstTensor): Float32Array {
  return Float32Array.from(transposeConst(w, [2, 3, 1, 0]).data);
}

/** [c·mult, 1, kh, kw] → [kh, kw, c, mult]. */
function toDepthwise(w: ConstTensor, c: number): Float32Array {
  const [m, , kh, kw] = w.dims as [number, number, number, number];
  return Float32Array.from(transposeConst({ ...w, dims: [c, m / c, kh, kw] }, [2, 3, 0, 1]).data);
}

const conv: Handler = (cv) => {
  const x = feature(cv);
  const w = cv.constant(1, 'the weight (input 2)') ?? cv.fail('has no weight');
  const b = cv.constant(2, 'the bias (input 3)');
  if (w.dims.length !== 4) cv.fail(`its weight has shape ${shapeStr(w.dims)}; only 2-D convolutions (4-D weights) are supported`);
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [m, cg, kh, kw] = w.dims as [number, number, number, number];
  const group = attrInt(cv.node, 'group', 1, cv);
  const ks = attrInts(cv.node, 'kernel_shape', cv);
  if (ks && (ks[0] !== kh || ks[1] !== kw)) cv.fail(`kernel_shape ${shapeStr(ks)} disagrees with the weight's ${shapeStr(w.dims)}`);
  if (group < 1 || cg * group !== c || m % group !== 0) cv.fail(`the weight ${shapeStr(w.dims)} with group ${group} does not fit the input's ${c} channels`);
  if (b && (b.size !== m)) cv.fail(`the bias has shape ${shapeStr(b.dims)}; expected [${m}]`);
  const win = windowOf(cv, [h, wd], [kh, kw]);
  const depthwise = group === c && group > 1;
  const y = cv.emit('OnnxConv', {
    filters: m, group, kernel_size: win.kernel, strides: win.strides, dilation_rate: win.dilations, pads: win.pads, use_bias: !!b,
  }, [x], { shape: [n, m, ...win.out] });
  cv.weight(y.layer, 'kernel', depthwise ? [kh, kw, c, m / c] : [kh, kw, cg, m], () => (depthwise ? toDepthwise(w.fresh(), c) : toHwio(w.fresh())));
  if (b) cv.weight(y.layer, 'bias', [m], () => Float32Array.from(b.fresh().data));
};

function pool(kind: 'max' | 'avg'): Handler {
  return (cv) => {
    const x = feature(cv);
    if (cv.isUsed(1)) cv.fail('its second output (the indices of the maxima) is used; it is not supported');
    const ks = attrInts(cv.node, 'kernel_shape', cv) ?? cv.fail('lacks kernel_shape');
    if (ks.length !== 2) cv.fail(`kernel_shape ${shapeStr(ks)}: only 2-D pools are supported`);
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const ceil = attrInt(cv.node, 'ceil_mode', 0, cv) === 1;
    const win = windowOf(cv, [h, w], [ks[0]!, ks[1]!], ceil);
    const includePad = kind === 'avg' && attrInt(cv.node, 'count_include_pad', 0, cv) === 1;
    cv.emit('OnnxPool', {
      pool: kind, kernel_size: win.kernel, strides: win.strides, dilations: win.dilations, pads: win.declared,
      ceil_mode: ceil && attrString(cv.node, 'auto_pad', 'NOTSET', cv) === 'NOTSET', count_include_pad: includePad,
    }, [x], { shape: [n, c, ...win.out] });
  };
}

function globalPool(kind: 'max' | 'avg'): Handler {
  return (cv) => {
    const x = feature(cv);
    cv.emit('OnnxPool', { pool: kind, kernel_size: null }, [x], { shape: [x.shape[0]!, x.shape[1]!, 1, 1] });
  };
}

export const convHandlers: Record<string, Handler> = {
  Conv: conv,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalMaxPool: globalPool('max'),
  GlobalAveragePool: globalPool('avg'),
};
