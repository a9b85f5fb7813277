/**
 * Transformation robustness for feature visualisation (Olah et al., "Feature Visualization",
 * Distill 2017; Lucid's standard transforms: pad 12, jitter 8, scale 0.9–1.1, rotate ±10°,
 * jitter 4): each step the network sees the image moved, scaled and turned at random, so what
 * the optimisation keeps is what the unit responds to wherever, however large and at whatever
 * small angle it appears, instead of high-frequency patterns that only work pixel-exact.
 *
 * Lucid applies the steps one after another (pad, crop, resize, rotate, crop), resampling each
 * time. Here they compose into one affine map per image, applied by one bilinear resampling
 * (`affineWarp`, differentiable): the padding is the warp's fill (the middle of the input range,
 * as Lucid pads with 0.5), and the crops become shifts. One resampling blurs less than three.
 */
import { CnnError } from '../errors.js';
import type { SeededRandom } from '../nn/random.js';

export interface Robustness {
  /** Pixels of the first random shift, each way (integer). */
  jitter: number;
  /** The range of the random scale factor. */
  scale: [number, number];
  /** The largest random rotation, in degrees, either way. */
  rotate: number;
  /** Pixels of the second random shift, after scaling and rotation (integer). */
  jitterAfter: number;
}

/**
 * Lucid's defaults, sized to the image: its shifts of 8 and 4 pixels are for images of about 128
 * pixels, so a 28-pixel digit gets shifts of 2 and 1 and a 150-pixel face 9 and 5.
 */
export function defaultRobustness(h: number, w: number): Robustness {
  const side = Math.max(h, w);
  return { jitter: Math.max(1, Math.round((8 * side) / 128)), scale: [0.9, 1.1], rotate: 10, jitterAfter: Math.max(1, Math.round((4 * side) / 128)) };
}

export function checkRobustness(op: string, r: Robustness): Robustness {
  for (const k of ['jitter', 'jitterAfter'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 0) throw new CnnError(op, `${k} must be an integer ≥ 0, got ${JSON.stringify(r[k])}`);
  }
  const [lo, hi] = r.scale ?? [];
  if (!Array.isArray(r.scale) || r.scale.length !== 2 || !(lo! > 0) || !(hi! >= lo!) || !Number.isFinite(hi)) throw new CnnError(op, `scale must be [lo, hi] with 0 < lo ≤ hi, got ${JSON.stringify(r.scale)}`);
  if (typeof r.rotate !== 'number' || !Number.isFinite(r.rotate) || r.rotate < 0) throw new CnnError(op, `rotate must be a number of degrees ≥ 0, got ${JSON.stringify(r.rotate)}`);
  return r;
}

/** Whether a step would leave the image as it is. */
export function isIdentity(r: Robustness): boolean {
  return r.jitter === 0 && r.jitterAfter === 0 && r.rotate === 0 && r.scale[0] === 1 && r.scale[1] === 1;
}

/**
 * One random map per image, six numbers each as `affineWarp` takes them: output pixel o (what the
 * network sees) reads the image at c + R(θ)·(o + j₂ − c)/s + j₁, c the image's centre: shifted by
 * j₁, scaled by s and turned by θ about the centre, shifted by j₂.
 */
export function randomMaps(r: Robustness, n: number, h: number, w: number, rng: SeededRandom): number[] {
  const shift = (j: number) => (j ? Math.floor(rng.next() * (2 * j + 1)) - j : 0);
  const [cx, cy] = [(w - 1) / 2, (h - 1) / 2];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const [j1x, j1y] = [shift(r.jitter), shift(r.jitter)];
    const s = r.scale[0] + rng.next() * (r.scale[1] - r.scale[0]);
    const theta = ((2 * rng.next() - 1) * r.rotate * Math.PI) / 180;
    const [j2x, j2y] = [shift(r.jitterAfter), shift(r.jitterAfter)];
    const [cos, sin] = [Math.cos(theta) / s, Math.sin(theta) / s];
    const [px, py] = [cx - j2x, cy - j2y];
    out.push(cos, -sin, cx - (cos * px - sin * py) + j1x, sin, cos, cy - (sin * px + cos * py) + j1y);
  }
  return out;
}
