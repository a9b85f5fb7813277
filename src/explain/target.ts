/**
 * What an explanation explains: one number per image, computed from a forward pass through the
 * ops it is given (a tape, so that its gradient can be taken). A class logit, a channel's mean, a
 * single unit, or the cosine similarity of the output to a reference embedding.
 *
 * A batch passed to the model may hold several rows per image (SmoothGrad's samples, Integrated
 * Gradients' steps, occlusion's windows); `imageOf[row]` says which image of the caller's batch a
 * row stands for, so a target that differs per image (`{class: [3, 7]}`) picks the right one.
 */
import { Tensor } from '../tensor.js';
import { CnnError, shapeStr } from '../errors.js';
import type { Model, Activations } from '../nn/model.js';
import type { Ops } from '../nn/ops_like.js';

/**
 * - `{class: k}`: the output layer's logit k (a softmax ending the model is left out); `k` may
 *   also be one class per image.
 * - `{layer, channel}`: the mean of that channel of the layer's output over its spatial positions
 *   (for a layer without them, e.g. a Dense layer, the unit itself).
 * - `{layer, channel, y, x}`: one unit of a layer with spatial positions.
 * - `{embedding}`: the cosine similarity of the model's output (flattened per image) to this
 *   reference vector.
 */
export type Target =
  | { class: number | readonly number[] }
  | { layer: string; channel: number; y?: number; x?: number }
  | { embedding: ArrayLike<number> | Tensor };

/** A target checked against a model, ready to compute per-row values. */
export interface ResolvedTarget {
  /** Whether the pass must leave out a final softmax (class targets). */
  readonly logits: boolean;
  /** The target of each row: a tensor [rows] made through `ops`; helper tensors made on the engine go to `temps`. */
  perRow(ops: Ops, acts: Activations, imageOf: Int32Array, temps: Tensor[]): Tensor;
  /** Frees what resolving made (the normalised reference of an embedding target). */
  dispose(): void;
}

/** Checks `target` against `model` and `images` (the caller's batch size); throws a CnnError naming `op`. */
export function resolveTarget(op: string, model: Model, target: Target, images: number): ResolvedTarget {
  if (target === null || typeof target !== 'object') fail(op, `target must be {class}, {layer, channel}, {layer, channel, y, x} or {embedding}, got ${describe(target)}`);
  if ('class' in target) return classTarget(op, model, target.class, images);
  if ('layer' in target) return layerTarget(op, model, target);
  if ('embedding' in target) return embeddingTarget(op, model, target.embedding);
  fail(op, `target must have a 'class', 'layer' or 'embedding' field, got ${describe(target)}`);
}

/** The layer of that name, or a CnnError naming `op` and the layers there are. */
export function namedLayer(op: string, model: Model, name: unknown) {
  const layer = typeof name === 'string' ? model.layers.find((l) => l.name === name) : undefined;
  if (!layer) fail(op, `model '${model.name}' has no layer named ${JSON.stringify(name)} (layers: ${model.layers.map((l) => l.name).join(', ')})`);
  return layer;
}

function classTarget(op: string, model: Model, cls: number | readonly number[], images: number): ResolvedTarget {
  const out = model.outputShape;
  if (out.length !== 1) fail(op, `a class target needs a model whose output is [batch, classes]; '${model.name}' outputs [batch, ${out.join(', ')}] (use {layer, channel})`);
  const classes = out[0]!;
  const list = typeof cls === 'number' ? Array<number>(images).fill(cls) : Array.isArray(cls) ? [...cls] : null;
  if (!list) fail(op, `class must be a class index or one per image, got ${describe(cls)}`);
  if (list.length !== images) fail(op, `class lists ${list.length} classes for a batch of ${images} images`);
  for (const k of list) {
    if (!Number.isInteger(k) || k < 0 || k >= classes) fail(op, `class ${describe(k)} is out of range: model '${model.name}' has ${classes} classes (0 to ${classes - 1})`);
  }
  return {
    logits: true,
    // A one-hot row per batch row: the gradient of Σ logits·mask is the mask itself, exactly.
    perRow(ops, acts, imageOf, temps) {
      const mask = new Float32Array(imageOf.length * classes);
      imageOf.forEach((img, r) => (mask[r * classes + list[img]!] = 1));
      const m = model.engine.tensor(mask, [imageOf.length, classes]);
      temps.push(m);
      return ops.sum(ops.mul(acts.output, m), [1]);
    },
    dispose() {},
  };
}

function layerTarget(op: string, model: Model, t: { layer: string; channel: number; y?: number; x?: number }): ResolvedTarget {
  const layer = namedLayer(op, model, t.layer);
  const shape = layer.outputShape;
  const channels = shape[shape.length - 1]!;
  const where = `layer '${layer.name}' (output [batch, ${shape.join(', ')}])`;
  if (!Number.isInteger(t.channel) || t.channel < 0 || t.channel >= channels) {
    fail(op, `channel ${describe(t.channel)} is out of range: ${where} has ${channels} channels (0 to ${channels - 1})`);
  }
  const unit = t.y !== undefined || t.x !== undefined;
  if (unit) {
    if (shape.length !== 3) fail(op, `a unit target {layer, channel, y, x} needs a layer with an [h, w, c] output; ${where} has none (leave out y and x)`);
    const [h, w] = shape as [number, number];
    if (!Number.isInteger(t.y) || t.y! < 0 || t.y! >= h) fail(op, `y ${describe(t.y)} is out of range: ${where} has rows 0 to ${h - 1}`);
    if (!Number.isInteger(t.x) || t.x! < 0 || t.x! >= w) fail(op, `x ${describe(t.x)} is out of range: ${where} has columns 0 to ${w - 1}`);
  }
  return {
    logits: false,
    perRow: (ops, acts) => channelOrUnit(ops, acts.outputs.get(layer.name)!, t),
    dispose() {},
  };
}

/** Per row of a layer's output a [rows, ...]: the mean of channel `t.channel` over the positions, or the unit at (t.y, t.x). */
export function channelOrUnit(ops: Ops, a: Tensor, t: { channel: number; y?: number; x?: number }): Tensor {
  const rows = a.shape[0]!;
  const rest = a.shape.slice(1);
  const inner = rest.map((_, i) => i + 1);
  if (t.y !== undefined || t.x !== undefined) return ops.sum(ops.slice(a, [0, t.y!, t.x!, t.channel], [rows, 1, 1, 1]), inner);
  const begin = [0, ...rest.map((_, i) => (i === rest.length - 1 ? t.channel : 0))];
  const size = [rows, ...rest.map((d, i) => (i === rest.length - 1 ? 1 : d))];
  return ops.mean(ops.slice(a, begin, size), inner);
}

function embeddingTarget(op: string, model: Model, ref: ArrayLike<number> | Tensor): ResolvedTarget {
  const d = model.outputShape.reduce((p, k) => p * k, 1);
  const engine = model.engine;
  let unitRef: Tensor;
  if (ref instanceof Tensor) {
    if (ref.isDisposed || ref.size !== d) fail(op, `the reference embedding must hold ${d} values (the model's output [batch, ${model.outputShape.join(', ')}]), got ${ref.isDisposed ? 'a disposed tensor' : `a tensor ${shapeStr(ref.shape)}`}`);
    // Normalised on the GPU, so a reference computed there is never read back.
    const flat = engine.reshape(ref, [d]);
    const sq = engine.sum(engine.square(flat));
    const inv = engine.rsqrt(sq);
    unitRef = engine.mul(flat, inv);
    for (const t of [flat, sq, inv]) t.dispose();
  } else {
    const v = ref && typeof ref === 'object' && typeof ref.length === 'number' ? Float32Array.from(ref) : null;
    if (!v || v.length !== d) fail(op, `the reference embedding must hold ${d} values (the model's output [batch, ${model.outputShape.join(', ')}]), got ${v ? v.length : describe(ref)}`);
    const norm = Math.hypot(...v);
    if (!(norm > 0) || !Number.isFinite(norm)) fail(op, `the reference embedding must be finite and not all zeros`);
    unitRef = engine.tensor(v.map((x) => x / norm), [d]);
  }
  return {
    logits: false,
    perRow(ops, acts) {
      const y = acts.output;
      const rows = y.shape[0]!;
      const flat = y.rank === 2 ? y : ops.reshape(y, [rows, d]);
      const dot = ops.sum(ops.mul(flat, unitRef), [1]);
      // ε keeps an all-zero output finite (its similarity is 0) without moving any other value.
      const norm = ops.sqrt(ops.add(ops.sum(ops.square(flat), [1]), 1e-12));
      return ops.div(dot, norm);
    },
    dispose() {
      unitRef.dispose();
    },
  };
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v instanceof Tensor) return `a tensor ${shapeStr(v.shape)}`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function fail(op: string, message: string): never {
  throw new CnnError(op, message);
}
