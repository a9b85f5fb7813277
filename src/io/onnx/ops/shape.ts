/**
 * Operators that move data rather than compute it: Reshape, Flatten, Squeeze, Unsqueeze and
 * Transpose (worked out as the shortest reshapes and transposes between the stored layouts, often
 * none), Concat and Split along a rewritten axis, Slice, Pad, and the no-ops Identity, Dropout and
 * Cast to float. Shape and Size of an activation are constants: every shape is known at load.
 */
import { shapeStr } from '../../../errors.js';
import { attrFloat, attrInt, attrInts, attrString } from '../attributes.js';
import { Constant, type Act, type Converter } from '../convert.js';
import { axesOf, constOf, normAxis, reshapeDims, shapeConst, sliceArgs, splitSizes, squeezeDims, unsqueezeDims } from '../fold.js';
import { inverse, isFreeTranspose, isIdentity, isPermuted, permute, relayoutSteps, storedAxis, storedPerm, storedShape } from '../layout.js';
import { DataType } from '../schema.js';
import { elementCount } from '../tensor_data.js';
import type { Handler } from './types.js';

/**
 * Output 0 as activation `x` given the ONNX shape `to`: a flattened feature map keeps NHWC column
 * order where every reader allows it (a fully connected layer permutes its rows instead).
 */
export function reshapeTo(cv: Converter, x: Act, to: number[]): void {
  if (to[0] !== x.shape[0]) cv.fail(`reshaping ${shapeStr(x.shape)} to ${shapeStr(to)} would change the batch dim; only reshapes that keep dim 0 are supported`);
  if (x.shape.length === 4 && to.length === 2 && to[1] === elementCount(x.shape.slice(1))) {
    const [, c, h, w] = x.shape as [number, number, number, number];
    if (isPermuted({ c, h, w }) && cv.flatOrderAllowed()) {
      cv.emit('OnnxRelayout', { steps: [{ reshape: [to[1]!] }] }, [x], { shape: to, flat: { c, h, w } });
      return;
    }
  }
  if (isPermuted(x.flat) && to.length === 2 && to[1] === x.shape[1] && cv.flatOrderAllowed()) {
    cv.emit('OnnxIdentity', {}, [x], { shape: to, flat: x.flat });
    return;
  }
  const steps = relayoutSteps(x.shape, to, x.flat);
  if (steps.length === 0) cv.emit('OnnxIdentity', {}, [x], { shape: to });
  else cv.emit('OnnxRelayout', { steps }, [x], { shape: to });
}

const reshape: Handler = (cv) => {
  const x = cv.act(0);
  const target = cv.constValues(1, 'the shape') ?? cv.fail('has no shape input');
  reshapeTo(cv, x, reshapeDims(x.shape, Array.from(target.data), attrInt(cv.node, 'allowzero', 0, cv) === 1, cv));
};

const flatten: Handler = (cv) => {
  const x = cv.act(0);
  const axis = normAxis(attrInt(cv.node, 'axis', 1, cv), x.shape.length + 1, cv);
  const outer = elementCount(x.shape.slice(0, axis));
  if (axis === 0 || outer !== x.shape[0]) cv.fail(`Flatten at axis ${axis} of ${shapeStr(x.shape)} merges the batch dim; only axis 1 (or axes after dims of size 1) are supported`);
  reshapeTo(cv, x, [outer, elementCount(x.shape.slice(axis))]);
};

function noBatchAxis(cv: Converter, axes: readonly number[], rank: number, what: string): void {
  if (axes.some((a) => normAxis(a, rank, cv) === 0)) cv.fail(`${what} the batch dim (axis 0); it must stay first`);
}

const squeeze: Handler = (cv) => {
  const x = cv.act(0);
  const axes = axesOf(cv.node, cv.constValues(1, 'axes'), cv);
  if (axes) noBatchAxis(cv, axes, x.shape.length, 'squeezes');
  const keepBatch = axes ?? x.shape.map((_, i) => i).filter((i) => i > 0 && x.shape[i] === 1);
  reshapeTo(cv, x, squeezeDims(x.shape, keepBatch, cv));
};

const unsqueeze: Handler = (cv) => {
  const x = cv.act(0);
  const axes = axesOf(cv.node, cv.constValues(1, 'axes'), cv) ?? cv.fail('has no axes');
  noBatchAxis(cv, axes, x.shape.length + axes.length, 'inserts a dim before');
  reshapeTo(cv, x, unsqueezeDims(x.shape, axes, cv));
};

const transpose: Handler = (cv) => {
  let x = cv.act(0);
  const r = x.shape.length;
  const p = attrInts(cv.node, 'perm', cv) ?? x.shape.map((_, i) => r - 1 - i);
  if (p.length !== r || new Set(p).size !== r || p.some((d) => d < 0 || d >= r)) cv.fail(`perm ${shapeStr(p)} is not a permutation of ${r} dims`);
  if (p[0] !== 0) cv.fail(`perm ${shapeStr(p)} moves the batch dim; it must stay first`);
  x = cv.unflat(x);
  const to = permute(x.shape, p);
  // Stored output axis i holds ONNX output axis Pout[i] = ONNX input axis p[Pout[i]], which sits at
  // stored input axis inverse(Pin)[…].
  const inv = inverse(storedPerm(r));
  const q = storedPerm(r).map((a) => inv[p[a]!]!);
  if (isIdentity(q)) cv.emit('OnnxIdentity', {}, [x], { shape: to });
  else if (isFreeTranspose(storedShape(x.shape), q)) cv.emit('OnnxRelayout', { steps: [{ reshape: storedShape(to).slice(1) }] }, [x], { shape: to });
  else cv.emit('OnnxRelayout', { steps: [{ transpose: q }] }, [x], { shape: to });
};

const concat: Handler = (cv) => {
  const present = cv.node.inputs.map((n, i) => (n ? i : -1)).filter((i) => i >= 0);
  const xs = present.map((i) => cv.unflat(cv.act(i)));
  const r = xs[0]?.shape.length ?? cv.fail('has no inputs');
  const axis = normAxis(attrInt(cv.node, 'axis', undefined, cv), r, cv);
  if (axis === 0) cv.fail('concatenates along the batch dim; it must stay the batch');
  for (const x of xs) {
    if (x.shape.length !== r || x.shape.some((d, i) => i !== axis && d !== xs[0]!.shape[i])) cv.fail(`its inputs ${xs.map((y) => shapeStr(y.shape)).join(', ')} differ on an axis other than ${axis}`);
  }
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis]!, 0);
  if (xs.length === 1) cv.emit('OnnxIdentity', {}, xs, { shape });
  else cv.emit('Concatenate', { axis: storedAxis(r, axis) }, xs, { shape });
};

/** A block of x (ONNX begin and size per axis) as an OnnxSlice on the stored tensor. */
function sliceOf(cv: Converter, x: Act, begin: number[], size: number[], out: number): void {
  if (begin[0] !== 0 || size[0] !== x.shape[0]) cv.fail('slices the batch dim; it must be kept whole');
  const perm = storedPerm(x.shape.length);
  if (size.every((d, i) => d === x.shape[i])) {
    cv.emit('OnnxIdentity', {}, [x], { shape: size }, out);
    return;
  }
  cv.emit('OnnxSlice', { begin: permute(begin, perm).slice(1), size: permute(size, perm).slice(1) }, [x], { shape: size }, out);
}

const slice: Handler = (cv) => {
  const x = cv.unflat(cv.act(0));
  const consts = cv.node.inputs.map((_, i) => (i === 0 ? undefined : cv.constValues(i)));
  const args = sliceArgs(cv.node, x.shape, consts, cv);
  if (args.steps.some((s) => s !== 1)) cv.fail(`steps ${shapeStr(args.steps)}: only steps of 1 are supported on activations`);
  sliceOf(cv, x, args.starts, args.counts, 0);
};

const split: Handler = (cv) => {
  const x = cv.unflat(cv.act(0));
  const axis = normAxis(attrInt(cv.node, 'axis', 0, cv), x.shape.length, cv);
  const sizes = splitSizes(cv.node, x.shape[axis]!, cv.constValues(1, 'split'), cv);
  if (sizes.length !== cv.node.outputs.length) cv.fail(`splits into ${sizes.length} parts but has ${cv.node.outputs.length} outputs`);
  let at = 0;
  sizes.forEach((n, i) => {
    const begin = x.shape.map((_, k) => (k === axis ? at : 0));
    const size = x.shape.map((d, k) => (k === axis ? n : d));
    at += n;
    if (cv.node.outputs[i]) sliceOf(cv, x, begin, size, i);
  });
};

const pad: Handler = (cv) => {
  const x = cv.unflat(cv.act(0));
  const r = x.shape.length;
  const mode = attrString(cv.node, 'mode', 'constant', cv);
  if (mode !== 'constant') cv.fail(`mode '${mode}' is not supported (only 'constant')`);
  let pads: number[];
  let value: number;
  if (cv.opset < 11) {
    pads = attrInts(cv.node, 'pads', cv) ?? cv.fail('has no pads');
    value = attrFloat(cv.node, 'value', 0, cv);
  } else {
    const p = Array.from((cv.constValues(1, 'pads') ?? cv.fail('has no pads')).data);
    value = cv.constValues(2, 'constant_value')?.data[0] ?? 0;
    const axesT = cv.constValues(3, 'axes');
    if (axesT) {
      const axes = Array.from(axesT.data, (a) => normAxis(a, r, cv));
      pads = Array<number>(2 * r).fill(0);
      axes.forEach((a, k) => {
        pads[a] = p[k]!;
        pads[a + r] = p[k + axes.length]!;
      });
    } else {
      pads = p;
    }
  }
  if (pads.length !== 2 * r) cv.fail(`pads ${shapeStr(pads)} must have ${2 * r} entries for rank ${r}`);
  if (pads.some((d) => d < 0)) cv.fail(`negative pads ${shapeStr(pads)} (cropping) are not supported`);
  if (pads[0] !== 0 || pads[r] !== 0) cv.fail('pads the batch dim');
  const pairs = x.shape.map((_, i) => [pads[i]!, pads[i + r]!] as [number, number]);
  const shape = x.shape.map((d, i) => d + pairs[i]![0] + pairs[i]![1]);
  cv.emit('OnnxPad', { paddings: permute(pairs, storedPerm(r)).slice(1), value }, [x], { shape });
};

const identity: Handler = (cv) => {
  const x = cv.act(0);
  cv.emit('OnnxIdentity', {}, [x], { shape: x.shape, flat: x.flat });
};

const dropout: Handler = (cv) => {
  const x = cv.act(0);
  if (cv.isUsed(1)) cv.fail('its mask output is used; it is not supported');
  const ratio = cv.opset < 12 ? attrFloat(cv.node, 'ratio', 0.5, cv) : (cv.constValues(1, 'ratio')?.data[0] ?? 0.5);
  cv.emit('OnnxIdentity', { rate: ratio }, [x], { shape: x.shape, flat: x.flat });
};

const cast: Handler = (cv) => {
  const x = cv.act(0);
  const to = attrInt(cv.node, 'to', undefined, cv);
  if (to !== DataType.FLOAT && to !== DataType.DOUBLE && to !== DataType.FLOAT16) cv.fail(`casts an activation to type ${to}; only casts to a floating type are supported`);
  cv.emit('OnnxIdentity', {}, [x], { shape: x.shape, flat: x.flat });
};

const shape: Handler = (cv) => {
  cv.setValue(0, Constant.of(shapeConst(cv.act(0).shape, cv.node, cv)));
};

const size: Handler = (cv) => {
  cv.setValue(0, Constant.of(constOf('int', [], [elementCount(cv.act(0).shape)])));
};

export const shapeHandlers: Record<string, Handler> = {
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Concat: concat,
  Slice: slice,
  Split: split,
  Pad: pad,
  Identity: identity,
  Dropout: dropout,
  Cast: cast,
  Shape: shape,
  Size: size,
};
