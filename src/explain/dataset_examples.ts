/**
 * Dataset examples (Olah et al., "Feature Visualization", 2017): for a channel, the inputs of a
 * dataset that make it fire hardest, each with the unit where it fires and that unit's receptive
 * field, so a page can show the patch of each input the channel looked at beside its optimised
 * image. A channel's response to an input is its largest value over the positions (found on the GPU
 * by a max pool over the whole map, so only [images, channels] is read back); the units are found
 * in a second pass over the chosen inputs alone.
 */
import type { Tensor } from '../tensor.js';
import { CnnError } from '../errors.js';
import type { Model } from '../nn/model.js';
import { namedLayer } from './target.js';
import { checkInput, intOption, rowsPerPass } from './pass.js';
import { receptiveField, type ReceptiveField } from './receptive_field.js';
import { neededLayers, runPartial } from './partial_run.js';

export interface DatasetExamplesOptions {
  /** The layer whose channels are ranked. */
  layer: string;
  /** The channels to rank (default: every channel of the layer). */
  channels?: readonly number[];
  /** How many examples per channel (default 9). */
  k?: number;
  /** Rows per pass (default: as many as fit a memory budget). */
  batchSize?: number;
}

/** One example: which input, where in the layer's map, how strongly, and the input pixels that unit sees. */
export interface DatasetExample {
  /** The input's index in the dataset. */
  index: number;
  /** The unit (row, column of the layer's map); 0, 0 for a layer without positions. */
  y: number;
  x: number;
  /** The channel's value there. */
  value: number;
  /** The unit's receptive field on the input (the whole input for a layer without positions). */
  field: Pick<ReceptiveField, 'top' | 'left' | 'bottom' | 'right'>;
}

/**
 * For each channel, its `k` strongest examples in `images` [N, ...model input], best first. With
 * fewer inputs than `k`, an input gives several units, kept apart by half a receptive field so
 * that no two show the same patch.
 * @example
 * const best = await explain.datasetExamples(model, digits, { layer: 'conv2', channels: [0, 1, 2], k: 6 });
 * best[0][0]; // {index: 412, y: 3, x: 5, value: 7.9, field: {top: 6, left: 10, bottom: 19, right: 23}}
 */
export async function datasetExamples(model: Model, images: Tensor, opts: DatasetExamplesOptions): Promise<DatasetExample[][]> {
  const op = 'explain.datasetExamples';
  checkInput(op, model, images);
  const layer = namedLayer(op, model, opts?.layer);
  const shape = layer.outputShape;
  const c = shape[shape.length - 1]!;
  const channels = opts.channels ? [...opts.channels] : Array.from({ length: c }, (_, i) => i);
  for (const ch of channels) if (!Number.isInteger(ch) || ch < 0 || ch >= c) throw new CnnError(op, `channel ${JSON.stringify(ch)} is out of range: layer '${layer.name}' has ${c} channels (0 to ${c - 1})`);
  const k = intOption(op, 'k', opts.k, 9);
  const spatial = shape.length === 3;
  const n = images.shape[0]!;
  const rest = images.shape.slice(1);
  const engine = model.engine;
  const rows = rowsPerPass(op, model, opts.batchSize);
  const need = neededLayers(model, [layer.name]);

  // Pass 1: each input's largest value of every channel, [n, c].
  const best = new Float32Array(n * c);
  for (let start = 0; start < n; start += rows) {
    const b = Math.min(rows, n - start);
    const part = b === n ? images : engine.slice(images, [start, ...rest.map(() => 0)], [b, ...rest]);
    const acts = runPartial(model, part, engine, need);
    try {
      const a = acts.outputs.get(layer.name)!;
      const peak = spatial ? engine.maxPool2d(a, { filterSize: [shape[0]!, shape[1]!] }) : null;
      best.set(await (peak ?? a).read(), start * c);
      peak?.dispose();
    } finally {
      acts.dispose();
      if (part !== images) part.dispose();
    }
  }

  const perImage = spatial && n < k ? Math.ceil(k / n) * 4 : 1;
  const ranked = channels.map((ch) => {
    const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => best[j * c + ch]! - best[i * c + ch]! || i - j);
    return order.slice(0, Math.min(n, k));
  });
  if (!spatial) {
    const whole = { top: 0, left: 0, bottom: (model.inputShape[0] ?? 1) - 1, right: (model.inputShape[1] ?? 1) - 1 };
    return channels.map((ch, i) => ranked[i]!.map((index) => ({ index, y: 0, x: 0, value: best[index * c + ch]!, field: whole })));
  }

  // Pass 2: the chosen inputs' maps of the channels, for the units.
  const chosen = [...new Set(ranked.flat())].sort((a, b) => a - b);
  const maps = new Map<number, Float32Array>();
  const [h, w] = shape as [number, number, number];
  for (let s = 0; s < chosen.length; s += rows) {
    const ids = chosen.slice(s, s + rows);
    const parts = ids.map((i) => engine.slice(images, [i, ...rest.map(() => 0)], [1, ...rest]));
    const batch = parts.length === 1 ? parts[0]! : engine.concat(parts, 0);
    const acts = runPartial(model, batch, engine, need);
    try {
      const v = await acts.outputs.get(layer.name)!.read();
      ids.forEach((id, j) => maps.set(id, v.subarray(j * h * w * c, (j + 1) * h * w * c)));
    } finally {
      acts.dispose();
      for (const p of new Set([...parts, batch])) p.dispose();
    }
  }
  const rf = receptiveField(model, layer.name, { y: 0, x: 0 });
  const apart = [Math.max(1, Math.ceil(rf.size[0] / rf.stride[0] / 2)), Math.max(1, Math.ceil(rf.size[1] / rf.stride[1] / 2))];
  return channels.map((ch, ci) => {
    const found: DatasetExample[] = [];
    for (const index of ranked[ci]!) {
      const map = maps.get(index)!;
      const units = Array.from({ length: h * w }, (_, p) => p).sort((p, q) => map[q * c + ch]! - map[p * c + ch]! || p - q);
      const taken: [number, number][] = [];
      for (const p of units) {
        if (taken.length >= perImage) break;
        const [y, x] = [Math.floor(p / w), p % w];
        if (taken.some(([ty, tx]) => Math.abs(ty - y) < apart[0]! && Math.abs(tx - x) < apart[1]!)) continue;
        taken.push([y, x]);
        const f = receptiveField(model, layer.name, { y, x });
        found.push({ index, y, x, value: map[p * c + ch]!, field: { top: f.top, left: f.left, bottom: f.bottom, right: f.right } });
      }
    }
    return found.sort((a, b) => b.value - a.value).slice(0, k);
  });
}
