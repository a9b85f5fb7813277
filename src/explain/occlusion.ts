/**
 * Occlusion (Zeiler and Fergus, 2014): how much the target drops when a window of the image is
 * covered. Every window position is a row of a batch, built on the GPU from x and a mask of the
 * windows, so the forward passes run many windows at once. Also the target's value itself,
 * which occlusion compares against.
 */
import type { Tensor } from '../tensor.js';
import { CnnError } from '../errors.js';
import type { Model } from '../nn/model.js';
import { resolveTarget, type Target } from './target.js';
import { checkInput, groupMajorImages, rowsPerPass, targetPass } from './pass.js';

/**
 * Each image's target value: a tensor [n] the caller disposes.
 * @example
 * const t = await explain.targetValues(model, x, { target: { class: 3 } }); // the logit of class 3
 */
export async function targetValues(model: Model, x: Tensor, opts: { target: Target }): Promise<Tensor> {
  const op = 'explain.targetValues';
  checkInput(op, model, x);
  const n = x.shape[0]!;
  const target = resolveTarget(op, model, opts?.target, n);
  try {
    return targetPass(model, x, target, { imageOf: groupMajorImages(1, n) }, (p) => model.engine.sum(p.values, []));
  } finally {
    target.dispose();
  }
}

export interface OcclusionOptions {
  target: Target;
  /** The window's size, [h, w] or one number for both (default 4). */
  window?: number | readonly [number, number];
  /** How far the window moves, [h, w] or one number (default: the window, so windows do not overlap). */
  stride?: number | readonly [number, number];
  /** What the covered pixels are set to (default 0). */
  value?: number;
  /** Rows (window positions × images) per pass (default: as many as fit a memory budget). */
  batchSize?: number;
}

/**
 * target(x) − target(x with the window at (p·stride, q·stride) set to `value`), for every window
 * position that lies inside the image: a tensor [n, h_o, w_o] (h_o = ⌊(h − window)/stride⌋ + 1)
 * the caller disposes. Windows cover every channel.
 * @example
 * const occ = await explain.occlusion(model, x, { target: { class: 3 }, window: 4, stride: 2 }); // [1, 13, 13]
 */
export async function occlusion(model: Model, x: Tensor, opts: OcclusionOptions): Promise<Tensor> {
  const op = 'explain.occlusion';
  checkInput(op, model, x);
  if (x.rank !== 4) throw new CnnError(op, `occlusion needs images [batch, h, w, c]; model '${model.name}' takes [batch, ${model.inputShape.join(', ')}]`);
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const [wh, ww] = pairOption(op, 'window', opts?.window, 4);
  const [sh, sw] = pairOption(op, 'stride', opts.stride, opts.window ?? 4);
  if (wh > h || ww > w) throw new CnnError(op, `the ${wh}×${ww} window is larger than the ${h}×${w} image`);
  const value = opts.value ?? 0;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new CnnError(op, `value must be a finite number, got ${JSON.stringify(opts.value)}`);
  const ho = Math.floor((h - wh) / sh) + 1;
  const wo = Math.floor((w - ww) / sw) + 1;
  const windows = ho * wo;
  const target = resolveTarget(op, model, opts.target, n);
  const engine = model.engine;
  const parts: Tensor[] = [];
  const made: Tensor[] = [];
  try {
    const perPass = Math.max(1, Math.floor(rowsPerPass(op, model, opts.batchSize) / n));
    const base = targetPass(model, x, target, { imageOf: groupMajorImages(1, n) }, (p) => engine.reshape(p.values, [n, 1]));
    made.push(base);
    const x5 = engine.reshape(x, [n, 1, h, w, c]);
    made.push(x5);
    for (let first = 0; first < windows; first += perPass) {
      const k = Math.min(perPass, windows - first);
      // keep is 1 outside the window and 0 inside; rows are image-major ([n, k]) so each image's values stay together.
      const keep = new Float32Array(k * h * w).fill(1);
      for (let j = 0; j < k; j++) {
        const top = Math.floor((first + j) / wo) * sh;
        const left = ((first + j) % wo) * sw;
        for (let y = top; y < top + wh; y++) keep.fill(0, (j * h + y) * w + left, (j * h + y) * w + left + ww);
      }
      const keepT = engine.tensor(keep, [1, k, h, w, 1]);
      const kept = engine.mul(x5, keepT);
      let filled = kept;
      if (value !== 0) {
        const cover = engine.sub(1, keepT);
        const fill = engine.mul(cover, value);
        filled = engine.add(kept, fill);
        for (const t of [cover, fill, kept]) t.dispose();
      }
      const input = engine.reshape(filled, [n * k, h, w, c]);
      for (const t of [keepT, filled]) t.dispose();
      try {
        const imageOf = Int32Array.from({ length: n * k }, (_, r) => Math.floor(r / k));
        parts.push(targetPass(model, input, target, { imageOf }, (p) => engine.reshape(p.values, [n, k])));
      } finally {
        input.dispose();
      }
    }
    const all = parts.length === 1 ? parts[0]! : engine.concat(parts, 1);
    if (all !== parts[0]) made.push(all);
    const drop = engine.sub(base, all);
    made.push(drop);
    return engine.reshape(drop, [n, ho, wo]);
  } finally {
    for (const t of [...parts, ...made]) t.dispose();
    target.dispose();
  }
}

function pairOption(op: string, name: string, v: unknown, dflt: unknown): [number, number] {
  const raw = v ?? dflt;
  const p = typeof raw === 'number' ? [raw, raw] : raw;
  if (!Array.isArray(p) || p.length !== 2 || p.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new CnnError(op, `${name} must be a positive integer or [h, w] of them, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}
