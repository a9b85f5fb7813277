/**
 * One heat map per method, at the input's resolution, from the library's explain functions:
 * gradient maps reduced over colour channels (the largest magnitude for saliency and SmoothGrad,
 * the signed sum for Integrated Gradients, whose attributions add up), Grad-CAM's coarse map
 * resized bilinearly to the input, and occlusion's window scores spread over the pixels each
 * window covers.
 */
import { explain, type Engine, type Model, type Tensor } from '../../../src/index.js';

export const METHODS = ['saliency', 'smoothgrad', 'integrated-gradients', 'gradcam', 'occlusion'] as const;
export type Method = (typeof METHODS)[number];

/** A method by any usual spelling: 'smoothGrad', 'integratedGradients', 'grad-cam', 'Grad-CAM'… ('saliency' for anything else). */
export function parseMethod(text: string): Method {
  const k = String(text ?? '').toLowerCase().replace(/[^a-z]/g, '');
  const byKey: Record<string, Method> = { saliency: 'saliency', smoothgrad: 'smoothgrad', integratedgradients: 'integrated-gradients', ig: 'integrated-gradients', gradcam: 'gradcam', occlusion: 'occlusion' };
  return Object.hasOwn(byKey, k) ? byKey[k]! : 'saliency';
}

export interface Heatmap {
  /** [h, w] values, row-major. */
  values: Float32Array;
  h: number;
  w: number;
  /** 'diverging' for signed maps (centred on 0), 'sequential' for magnitudes. */
  map: 'sequential' | 'diverging';
}

export interface MethodOptions {
  /** Grad-CAM's layer. */
  layer: string;
  /** SmoothGrad's samples. */
  samples: number;
  /** Integrated Gradients' steps. */
  steps: number;
  /** Occlusion's window side. */
  window: number;
}

/** The occlusion window for an h × w input: a seventh of its side (4 for a digit, 21 for a 150-pixel face), at least 2. */
export function defaultWindow(h: number, w: number): number {
  return Math.max(2, Math.round(Math.min(h, w) / 7));
}

/** The heat map of `method` for x [1, h, w, c] and `target`. */
export async function heatmap(engine: Engine, model: Model, x: Tensor, method: Method, target: explain.Target, o: MethodOptions): Promise<Heatmap> {
  const [, h, w, c] = x.shape as [number, number, number, number];
  if (method === 'gradcam') {
    const cam = await explain.gradCam(model, x, { target, layer: o.layer });
    const [, hl, wl] = cam.shape as [number, number, number];
    const four = engine.reshape(cam, [1, hl, wl, 1]);
    const big = engine.resize(four, { size: [h, w], mode: 'linear', coordinateTransform: 'half_pixel' });
    try {
      return { values: await big.read(), h, w, map: 'sequential' };
    } finally {
      for (const t of [cam, four, big]) t.dispose();
    }
  }
  if (method === 'occlusion') {
    const size = Math.min(o.window, h, w);
    const stride = Math.max(1, Math.floor(size / 2));
    const occ = await explain.occlusion(model, x, { target, window: size, stride });
    const [, ho, wo] = occ.shape as [number, number, number];
    const drops = await occ.read();
    occ.dispose();
    return { values: spread(drops, ho, wo, h, w, size, stride), h, w, map: 'diverging' };
  }
  const g = method === 'saliency' ? await explain.saliency(model, x, { target })
    : method === 'smoothgrad' ? await explain.smoothGrad(model, x, { target, samples: o.samples, noise: 0.15, seed: 1 })
    : await explain.integratedGradients(model, x, { target, steps: o.steps });
  const v = await g.read();
  g.dispose();
  const values = new Float32Array(h * w);
  for (let p = 0; p < h * w; p++) {
    let s = method === 'integrated-gradients' ? 0 : -Infinity;
    for (let k = 0; k < c; k++) {
      const a = v[p * c + k]!;
      s = method === 'integrated-gradients' ? s + a : Math.max(s, Math.abs(a));
    }
    values[p] = s;
  }
  return { values, h, w, map: method === 'integrated-gradients' ? 'diverging' : 'sequential' };
}

/** Each pixel: the mean score of the windows that cover it (0 where none does). */
function spread(scores: Float32Array, ho: number, wo: number, h: number, w: number, size: number, stride: number): Float32Array {
  const sum = new Float32Array(h * w);
  const count = new Float32Array(h * w);
  for (let i = 0; i < ho; i++) {
    for (let j = 0; j < wo; j++) {
      const s = scores[i * wo + j]!;
      for (let y = i * stride; y < i * stride + size; y++) {
        for (let x = j * stride; x < j * stride + size; x++) {
          sum[y * w + x] += s;
          count[y * w + x]! += 1;
        }
      }
    }
  }
  return sum.map((s, p) => (count[p] ? s / count[p]! : 0));
}
