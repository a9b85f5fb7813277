/**
 * Integrated Gradients (Sundararajan et al., 2017): (x − x′) times the mean gradient along the
 * straight path from the baseline x′ to x. The path integral is the trapezoid rule over `steps`
 * intervals (steps + 1 points, the end points weighted ½), whose error falls as 1/steps² on smooth
 * targets, where the left or right Riemann sum's falls as 1/steps. The points run as batches.
 */
import type { Tensor } from '../tensor.js';
import { CnnError, shapeStr } from '../errors.js';
import type { Model } from '../nn/model.js';
import { resolveTarget, type Target } from './target.js';
import { checkInput, groupMajorImages, intOption, rowsPerPass, targetPass } from './pass.js';

export interface IntegratedGradientsOptions {
  target: Target;
  /** Intervals of the trapezoid rule (default 64; steps + 1 gradients are taken). */
  steps?: number;
  /** x′: a tensor shaped like x, or like one image ([1, ...]) for all of them, or one number for every value (default 0). */
  baseline?: Tensor | number;
  /** Rows per pass (default: as many as fit a memory budget). */
  batchSize?: number;
}

/**
 * The attributions, shaped like x (the caller disposes them). They are complete: their sum over
 * an image is target(x) − target(x′), up to the quadrature error.
 * @example
 * const ig = await explain.integratedGradients(model, x, { target: { class: 3 }, steps: 64 });
 */
export async function integratedGradients(model: Model, x: Tensor, opts: IntegratedGradientsOptions): Promise<Tensor> {
  const op = 'explain.integratedGradients';
  checkInput(op, model, x);
  const steps = intOption(op, 'steps', opts?.steps, 64);
  const n = x.shape[0]!;
  const rest = x.shape.slice(1);
  const engine = model.engine;
  const base = opts.baseline ?? 0;
  if (typeof base === 'number') {
    if (!Number.isFinite(base)) throw new CnnError(op, `baseline must be finite, got ${base}`);
  } else {
    const ok = !base.isDisposed && base.rank === x.rank && (base.shape[0] === n || base.shape[0] === 1) && rest.every((d, i) => base.shape[i + 1] === d);
    if (!ok) throw new CnnError(op, `baseline must be a number or a tensor shaped like x ${shapeStr(x.shape)} or [1, ${rest.join(', ')}], got ${base.isDisposed ? 'a disposed tensor' : shapeStr(base.shape)}`);
  }
  const target = resolveTarget(op, model, opts.target, n);
  const made: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => (made.push(t), t);
  let total: Tensor | null = null;
  try {
    const perPass = Math.max(1, Math.floor(rowsPerPass(op, model, opts.batchSize) / n));
    // Points as [k, n, ...rest], broadcast from x′ [1, n|1, ...] and x − x′ [1, n, ...].
    const b5 = typeof base === 'number' ? null : keep(engine.reshape(base, [1, ...base.shape]));
    const diff = keep(b5 ? engine.sub(x, base as Tensor) : engine.sub(x, base as number));
    const diff5 = keep(engine.reshape(diff, [1, ...diff.shape]));
    for (let first = 0; first <= steps; first += perPass) {
      const k = Math.min(perPass, steps + 1 - first);
      const alpha = new Float32Array(k);
      const weights = new Float32Array(k * n);
      for (let j = 0; j < k; j++) {
        const s = first + j;
        alpha[j] = s / steps;
        weights.fill(s === 0 || s === steps ? 0.5 / steps : 1 / steps, j * n, (j + 1) * n);
      }
      const a = engine.tensor(alpha, [k, 1, ...x.shape.map(() => 1)]);
      const along = engine.mul(a, diff5);
      const points = b5 ? engine.add(along, b5) : engine.add(along, base as number);
      const input = engine.reshape(points, [k * n, ...rest]);
      for (const t of [a, along, points]) t.dispose();
      try {
        targetPass(model, input, target, { imageOf: groupMajorImages(k, n), weights, wrt: () => [input] }, (p) => {
          // Each row's gradient already carries its weight: the sum over the pass's points is a partial integral.
          const g = engine.reshape(p.grads[0]!, [k, x.size]);
          const part = engine.sum(g, [0]);
          g.dispose();
          if (!total) total = part;
          else {
            const next = engine.add(total, part);
            total.dispose();
            part.dispose();
            total = next;
          }
        });
      } finally {
        input.dispose();
      }
    }
    const avg = keep(engine.reshape(total!, x.shape));
    return engine.mul(avg, diff);
  } finally {
    (total as Tensor | null)?.dispose();
    for (const t of made) t.dispose();
    target.dispose();
  }
}
