/**
 * BatchNormalization (inference form: the moving statistics are weights), LRN across channels,
 * Softmax and LogSoftmax (whose axis rule changed at opset 13), and ReduceMean / ReduceSum over
 * non-batch axes.
 */
import { shapeStr } from '../../../errors.js';
import { attrFloat, attrInt, attrInts } from '../attributes.js';
import type { Act } from '../convert.js';
import { normAxis } from '../fold.js';
import { flatColumn, isFreeTranspose, isIdentity, isPermuted, relayoutSteps, storedAxis, storedPerm } from '../layout.js';
import type { LayoutStep } from '../../../nn/layers/onnx/index.js';
import type { Handler } from './types.js';

const batchNorm: Handler = (cv) => {
  const x = cv.act(0);
  const r = x.shape.length;
  if (r !== 4 && r !== 2) cv.fail(`its input has shape ${shapeStr(x.shape)}; only 4-D feature maps and 2-D features are supported`);
  for (let i = 1; i < cv.node.outputs.length; i++) if (cv.isUsed(i)) cv.fail('its running statistics outputs (training mode) are used; only the inference form is supported');
  if (attrInt(cv.node, 'training_mode', 0, cv) === 1) cv.fail('training_mode = 1 is not supported');
  if (cv.opset < 9 && attrInt(cv.node, 'spatial', 1, cv) === 0) cv.fail('spatial = 0 (statistics per position) is not supported');
  const c = x.shape[1]!;
  const params = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((short, k) => {
    const t = cv.constant(k + 1, ['scale', 'B', 'mean', 'var'][k]) ?? cv.fail(`has no ${['scale', 'B', 'mean', 'var'][k]}`);
    if (t.size !== c) cv.fail(`its ${['scale', 'B', 'mean', 'var'][k]} has shape ${shapeStr(t.dims)}; expected [${c}]`);
    return { short, t };
  });
  const y = cv.emit('BatchNormalization', {
    axis: -1, epsilon: attrFloat(cv.node, 'epsilon', 1e-5, cv), momentum: attrFloat(cv.node, 'momentum', 0.9, cv), center: true, scale: true,
  }, [x], { shape: x.shape, flat: x.flat });
  const flat = isPermuted(x.flat) ? x.flat : undefined;
  for (const { short, t } of params) {
    cv.weight(y.layer, short, [c], () => {
      const v = t.fresh().data;
      return Float32Array.from({ length: c }, (_, j) => v[flat ? flatColumn(flat, j) : j]!);
    });
  }
};

function softmax(log: boolean): Handler {
  return (cv) => {
    const x = cv.act(0);
    const r = x.shape.length;
    const axis = normAxis(attrInt(cv.node, 'axis', cv.opset < 13 ? 1 : -1, cv), r, cv);
    if (axis === 0) cv.fail('normalises over the batch dim; only softmax within an example is supported');
    // Before opset 13 the input is coerced to 2-D at `axis`: the softmax runs over every axis from it on.
    const whole = axis === 1 && (cv.opset < 13 || r === 2);
    if (whole) {
      cv.emit('OnnxSoftmax', { log, whole: r > 2 }, [x], { shape: x.shape, flat: x.flat });
      return;
    }
    if (cv.opset < 13 && axis !== r - 1) cv.fail(`axis ${axis} spans axes ${axis}…${r - 1} of ${shapeStr(x.shape)} (opset < 13); only axis 1 or the last axis is supported`);
    const y = cv.unflat(x);
    cv.emit('OnnxSoftmax', { log, axis: storedAxis(r, axis) }, [y], { shape: x.shape });
  };
}

function reduce(kind: 'mean' | 'sum', axesFromInput: number): Handler {
  return (cv) => {
    let x: Act = cv.act(0);
    const r = x.shape.length;
    const axesInput = cv.opset >= axesFromInput ? cv.constValues(1, 'axes') : undefined;
    const raw = axesInput ? Array.from(axesInput.data) : attrInts(cv.node, 'axes', cv);
    const keep = attrInt(cv.node, 'keepdims', 1, cv) === 1;
    if (!raw || raw.length === 0) {
      if (attrInt(cv.node, 'noop_with_empty_axes', 0, cv) === 1) {
        cv.emit('OnnxIdentity', {}, [x], { shape: x.shape, flat: x.flat });
        return;
      }
      return cv.fail('reduces every axis, the batch included; only reductions within an example are supported');
    }
    const axes = [...new Set(raw.map((a) => normAxis(a, r, cv)))].sort((a, b) => a - b);
    if (axes.includes(0)) cv.fail('reduces the batch dim; only reductions within an example are supported');
    // A flattened map reduced over all its columns does not care about their order.
    if (!(r === 2 && axes.length === 1)) x = cv.unflat(x);
    const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const outNoKeep = kept.map((i) => x.shape[i]!);
    const out = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : outNoKeep;
    // The reduced tensor lists the kept ONNX axes in stored order; put them in ONNX order, then in out's stored layout.
    const keptStored = storedPerm(r).filter((a) => !axes.includes(a));
    const toOnnx = kept.map((a) => keptStored.indexOf(a));
    const steps: LayoutStep[] = [];
    const reducedShape = keptStored.map((a) => x.shape[a]!);
    if (!isIdentity(toOnnx)) {
      steps.push(isFreeTranspose(reducedShape, toOnnx) ? { reshape: outNoKeep.slice(1) } : { transpose: toOnnx });
    }
    steps.push(...relayoutSteps(outNoKeep, out));
    cv.emit('OnnxReduce', { reduce: kind, axes: axes.map((a) => storedAxis(r, a)), steps }, [x], { shape: out });
  };
}

const lrn: Handler = (cv) => {
  const x = cv.act(0);
  if (x.shape.length !== 4) cv.fail(`its input has shape ${shapeStr(x.shape)}; only 4-D feature maps are supported`);
  const size = attrInt(cv.node, 'size', undefined, cv);
  if (size < 1) cv.fail(`size ${size} must be positive`);
  cv.emit('OnnxLrn', {
    size, alpha: attrFloat(cv.node, 'alpha', 1e-4, cv), beta: attrFloat(cv.node, 'beta', 0.75, cv), bias: attrFloat(cv.node, 'bias', 1, cv),
  }, [x], { shape: x.shape });
};

export const normalizationHandlers: Record<string, Handler> = {
  BatchNormalization: batchNorm,
  Softmax: softmax(false),
  LogSoftmax: softmax(true),
  ReduceMean: reduce('mean', 18),
  ReduceSum: reduce('sum', 13),
  LRN: lrn,
};
