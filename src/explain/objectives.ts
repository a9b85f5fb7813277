/**
 * What feature visualisation maximises, one objective per image of a batch: row i of the batch is
 * optimised for objective i alone. A grid of channels of one layer (the usual request) is one
 * reduction and one mask over the whole batch, however many channels; other mixes fall back to
 * one pass of each objective's own rule, masked to its row.
 */
import type { Tensor } from '../tensor.js';
import type { Model } from '../nn/model.js';
import type { Layer } from '../nn/layer.js';
import { channelOrUnit, namedLayer, resolveTarget, type ResolvedTarget, type Target } from './target.js';
import { preActivation } from './pre_activation.js';

/** What to maximise: a target as the other methods take it, or `{layer}` alone: the mean square of the layer's output (DeepDream). */
export type Objective = Target | { layer: string; channel?: undefined };

/** The objectives of a batch, resolved: `perRow` gives row i's value of objective i. */
export function resolveObjectives(op: string, model: Model, targets: readonly Objective[], pre: boolean): ResolvedTarget {
  const n = targets.length;
  if (n === 1) return resolveObjective(op, model, targets[0]!, pre);
  if (targets.every((t) => t && typeof t === 'object' && 'class' in t && typeof t.class === 'number')) {
    return resolveTarget(op, model, { class: targets.map((t) => (t as { class: number }).class) }, n);
  }
  const layered = targets.every((t) => t && typeof t === 'object' && 'layer' in t && t.channel !== undefined);
  if (layered && new Set(targets.map((t) => (t as { layer: string }).layer)).size === 1) return sameLayer(op, model, targets as { layer: string; channel: number; y?: number; x?: number }[], pre);
  return masked(op, model, targets, pre);
}

/** How a layer objective reads its layer: the output, or what the layer's activation was given. */
function layerSource(model: Model, layer: Layer, pre: boolean): (ops: Parameters<ResolvedTarget['perRow']>[0], acts: Parameters<ResolvedTarget['perRow']>[1]) => Tensor {
  const strip = pre ? preActivation(layer) : null;
  const source = model.inboundOf(layer.name)[0];
  return (ops, acts) => (strip ? strip(ops, acts.outputs.get(source!)!) : acts.outputs.get(layer.name)!);
}

/**
 * A target, or a whole layer's mean square. A layer objective is taken before the layer's
 * activation where it has one to strip (see pre_activation.ts), unless `pre` is false.
 */
export function resolveObjective(op: string, model: Model, target: Objective, pre: boolean): ResolvedTarget {
  if (!target || typeof target !== 'object' || !('layer' in target)) return resolveTarget(op, model, target as Target, 1);
  const layer = namedLayer(op, model, target.layer);
  if (target.channel !== undefined) resolveTarget(op, model, target, 1).dispose(); // checks the channel and unit
  const read = layerSource(model, layer, pre);
  return {
    logits: false,
    perRow(ops, acts) {
      const a = read(ops, acts);
      if (target.channel !== undefined) return channelOrUnit(ops, a, target);
      return ops.mean(ops.square(a), a.shape.slice(1).map((_, i) => i + 1));
    },
    dispose() {},
  };
}

/**
 * Channels and units of one layer: channels as the spatial mean [n, c] times a one-hot row per
 * image, units as the output times a one-hot map per image (made once, kept for every step).
 */
function sameLayer(op: string, model: Model, targets: { layer: string; channel: number; y?: number; x?: number }[], pre: boolean): ResolvedTarget {
  for (const t of targets) resolveTarget(op, model, t, 1).dispose();
  const layer = namedLayer(op, model, targets[0]!.layer);
  const read = layerSource(model, layer, pre);
  const rest = layer.outputShape;
  const c = rest[rest.length - 1]!;
  const n = targets.length;
  const units = targets.some((t) => t.y !== undefined || t.x !== undefined);
  const spatial = rest.slice(0, -1).reduce((p, d) => p * d, 1);
  let mask: Tensor | null = null;
  return {
    logits: false,
    perRow(ops, acts) {
      const a = read(ops, acts);
      if (!units) {
        mask ??= model.engine.tensor(oneHot(n, c, targets.map((t) => t.channel)), [n, c]);
        const means = rest.length === 1 ? a : ops.mean(a, rest.slice(0, -1).map((_, i) => i + 1));
        return ops.sum(ops.mul(means, mask), [1]);
      }
      if (!mask) {
        const m = new Float32Array(n * spatial * c);
        targets.forEach((t, i) => {
          if (t.y !== undefined) m[(i * spatial + t.y * rest[1]! + t.x!) * c + t.channel] = 1;
          else for (let p = 0; p < spatial; p++) m[(i * spatial + p) * c + t.channel] = 1 / spatial;
        });
        mask = model.engine.tensor(m, [n, ...rest]);
      }
      return ops.sum(ops.mul(a, mask), rest.map((_, i) => i + 1));
    },
    dispose() {
      mask?.dispose();
    },
  };
}

/** Any mix: each objective over the whole batch, kept on its own row by a one-hot mask. */
function masked(op: string, model: Model, targets: readonly Objective[], pre: boolean): ResolvedTarget {
  const n = targets.length;
  const parts: ResolvedTarget[] = [];
  try {
    for (const t of targets) parts.push(resolveObjective(op, model, t, pre));
  } catch (err) {
    for (const p of parts) p.dispose();
    throw err;
  }
  const rows = targets.map((_, i) => model.engine.tensor(oneHot(1, n, [i]), [n]));
  return {
    logits: parts.some((p) => p.logits),
    perRow(ops, acts, _imageOf, temps) {
      const zeros = new Int32Array(n); // each objective was resolved for one image
      let total: Tensor | null = null;
      parts.forEach((p, i) => {
        const v = ops.mul(p.perRow(ops, acts, zeros, temps), rows[i]!);
        total = total ? ops.add(total, v) : v;
      });
      return total!;
    },
    dispose() {
      for (const p of parts) p.dispose();
      for (const r of rows) r.dispose();
    },
  };
}

function oneHot(rows: number, width: number, at: readonly number[]): Float32Array {
  const m = new Float32Array(rows * width);
  at.forEach((k, i) => (m[i * width + k] = 1));
  return m;
}
