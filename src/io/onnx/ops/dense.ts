/**
 * Gemm and MatMul with a constant right-hand side: a fully connected layer whose kernel is
 * [in, units] (transB and alpha applied, and rows permuted when the input is a feature map
 * flattened in NHWC order), with beta·C as its bias. Kernels larger than one buffer binding are
 * split by columns.
 */
import { shapeStr } from '../../../errors.js';
import { attrFloat, attrInt } from '../attributes.js';
import { Constant, type Act, type Converter } from '../convert.js';
import { flatColumn, isPermuted } from '../layout.js';
import type { Handler } from './types.js';

/**
 * Adds the layer for x · kernel + bias: `w` holds the ONNX weight, [k, units] or with `transposed`
 * [units, k], scaled by `alpha`; `bias` (if any) has `units` values. Each part of a split kernel
 * is cut from one decoding of `w`, kept only until the last part is made.
 */
function dense(cv: Converter, x: Act, k: number, units: number, w: Constant, transposed: boolean, alpha: number, bias: (() => Float32Array) | undefined): void {
  const flat = isPermuted(x.flat) ? x.flat : undefined;
  // Columns per part: as many as fit one binding, in multiples of 4 (the kernels' vector width).
  const perPart = Math.max(4, Math.floor(cv.opts.maxBindingBytes / (4 * k) / 4) * 4);
  const splits: number[] = [];
  for (let at = 0; at < units; at += perPart) splits.push(Math.min(perPart, units - at));
  const y = cv.emit('OnnxGemm', { units, use_bias: !!bias, splits }, [x], { shape: [...x.shape.slice(0, -1), units] });
  const suffix = (i: number) => (splits.length === 1 ? '' : `_${i}`);
  // Row r of the kernel reads ONNX row rows[r] (a flattened feature map's rows come in NHWC order).
  const rows = Int32Array.from({ length: k }, (_, r) => (flat ? flatColumn(flat, r) : r));
  let source: ArrayLike<number> | undefined;
  let made = 0;
  let start = 0;
  splits.forEach((cols, i) => {
    const from = start;
    cv.weight(y.layer, `kernel${suffix(i)}`, [k, cols], () => {
      source ??= w.fresh().data;
      const data = source;
      const out = new Float32Array(k * cols);
      if (transposed) {
        for (let c = 0; c < cols; c++) {
          const base = (from + c) * k;
          for (let r = 0; r < k; r++) out[r * cols + c] = data[base + rows[r]!]!;
        }
      } else {
        for (let r = 0; r < k; r++) {
          const base = rows[r]! * units + from;
          for (let c = 0; c < cols; c++) out[r * cols + c] = data[base + c]!;
        }
      }
      if (alpha !== 1) for (let q = 0; q < out.length; q++) out[q] = out[q]! * alpha;
      if (++made === splits.length) source = undefined;
      return out;
    });
    if (bias) cv.weight(y.layer, `bias${suffix(i)}`, [cols], () => bias().slice(from, from + cols));
    start += cols;
  });
}

/** C (or nothing) as a bias of `units` values, scaled by beta; fails on a C that varies by row. */
function biasOf(cv: Converter, c: Constant | undefined, units: number, beta: number): (() => Float32Array) | undefined {
  if (!c || beta === 0) return undefined;
  const d = c.dims;
  const perColumn = c.size === units && (d.length === 1 || (d.length === 2 && d[0] === 1));
  if (!perColumn && c.size !== 1) cv.fail(`C has shape ${shapeStr(d)}; only a bias of [${units}], [1, ${units}] or one value is supported`);
  return () => {
    const v = c.fresh().data;
    return Float32Array.from({ length: units }, (_, i) => beta * (perColumn ? v[i]! : v[0]!));
  };
}

const gemm: Handler = (cv) => {
  const x = cv.act(0);
  if (x.shape.length !== 2) cv.fail(`A has shape ${shapeStr(x.shape)}; Gemm takes a 2-D A`);
  if (attrInt(cv.node, 'transA', 0, cv) !== 0) cv.fail('transA = 1 (a transposed activation) is not supported');
  const w = cv.constant(1, 'B (the weight)') ?? cv.fail('has no B');
  if (w.dims.length !== 2) cv.fail(`B has shape ${shapeStr(w.dims)}; expected 2-D`);
  const transB = attrInt(cv.node, 'transB', 0, cv) === 1;
  const alpha = attrFloat(cv.node, 'alpha', 1, cv);
  const beta = attrFloat(cv.node, 'beta', 1, cv);
  const [k, units] = transB ? [w.dims[1]!, w.dims[0]!] : [w.dims[0]!, w.dims[1]!];
  if (k !== x.shape[1]) cv.fail(`A ${shapeStr(x.shape)} and B ${shapeStr(w.dims)}${transB ? ' (transposed)' : ''} do not multiply`);
  dense(cv, x, k, units, w, transB, alpha, biasOf(cv, cv.constant(2, 'C (the bias)'), units, beta));
};

const matMul: Handler = (cv) => {
  if (!(cv.value(1) instanceof Constant)) cv.fail('its right-hand side is computed from the model\'s input; only a constant one (a fully connected layer) is supported');
  const x = cv.act(0);
  const w = cv.constant(1)!;
  if (w.dims.length !== 2) cv.fail(`the constant operand has shape ${shapeStr(w.dims)}; only a 2-D one is supported`);
  if (x.shape.length < 2 || x.shape.length === 4) cv.fail(`A has shape ${shapeStr(x.shape)}; MatMul is supported on 2-D and 3-D activations`);
  const [k, units] = w.dims as [number, number];
  if (k !== x.shape[x.shape.length - 1]) cv.fail(`A ${shapeStr(x.shape)} and B ${shapeStr(w.dims)} do not multiply`);
  dense(cv, x, k, units, w, false, 1, undefined);
};

export const denseHandlers: Record<string, Handler> = { Gemm: gemm, MatMul: matMul };
