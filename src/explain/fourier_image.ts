/**
 * The image featureVis optimises, parameterised as in Olah et al., "Feature Visualization" (Distill,
 * 2017): per channel, real Fourier coefficients scaled by 1/frequency (so every frequency moves at
 * the same rate under gradient descent, instead of high frequencies winning, as they do in pixel
 * space), three channels mixed by a fixed colour-decorrelation matrix, and a sigmoid into the
 * input range. The inverse transform is two matrix products with a real orthonormal Fourier basis,
 * so the image and its gradient are ordinary ops on the tape.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import type { Ops } from '../nn/ops_like.js';
import type { SeededRandom } from '../nn/random.js';

/**
 * The square root of the colour correlation of ImageNet pixels (the matrix Lucid publishes), its
 * columns scaled so the largest has norm 1: decorrelated parameters become correlated colours.
 */
const COLOUR = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
];

export class FourierImage {
  /**
   * The coefficients of every image and channel, [h, n·c·w] (row frequency, then image, channel and
   * column frequency): one parameter, so one optimiser update serves the batch.
   */
  readonly params: Tensor[];
  private readonly basisH: Tensor;
  private readonly basisW: Tensor;
  private readonly scale: Tensor;
  private readonly colour: Tensor | null;

  constructor(
    engine: Engine,
    readonly n: number,
    readonly h: number,
    readonly w: number,
    readonly channels: number,
    private readonly range: [number, number],
    rng: SeededRandom,
  ) {
    this.basisH = engine.tensor(realFourierBasis(h), [h, h]);
    this.basisW = engine.tensor(realFourierBasis(w), [w, w]);
    this.scale = engine.tensor(frequencyScale(h, w), [h, 1, w]);
    this.colour = channels === 3 ? engine.tensor(colourMatrix(), [3, 3]) : null;
    // Small random coefficients, as Lucid starts (σ 0.01): a grey image with faint noise.
    this.params = [engine.tensor(Float32Array.from({ length: h * n * channels * w }, () => 0.01 * rng.normal()), [h, n * channels * w])];
  }

  /** The images [n, h, w, c] from the parameters, computed through `ops` (a tape, to differentiate). */
  render(ops: Ops): Tensor {
    const { n, h, w, channels: c } = this;
    // Per image and channel X = B_h · (S ⊙ P) · B_wᵀ: the row transform on [h, n·c·w], the column
    // transform on [h·n·c, w], then one transpose to NHWC.
    const spectrum = ops.reshape(ops.mul(ops.reshape(this.params[0]!, [h, n * c, w]), this.scale), [h, n * c * w]);
    const rows = ops.matMul(this.basisH, spectrum);
    const cols = ops.matMul(ops.reshape(rows, [h * n * c, w]), this.basisW, { transposeB: true });
    let x = ops.transpose(ops.reshape(cols, [h, n, c, w]), [1, 0, 3, 2]);
    if (this.colour) x = ops.reshape(ops.matMul(ops.reshape(x, [n * h * w, 3]), this.colour, { transposeB: true }), [n, h, w, 3]);
    const [lo, hi] = this.range;
    return ops.add(ops.mul(ops.sigmoid(x), hi - lo), lo);
  }

  dispose(): void {
    for (const t of [...this.params, this.basisH, this.basisW, this.scale, this.colour]) t?.dispose();
  }
}

/**
 * B [n, n], column k a real orthonormal Fourier mode: the constant, then cos and sin of each
 * frequency, then (n even) the alternating Nyquist mode. x = B·c turns coefficients into samples.
 */
export function realFourierBasis(n: number): Float32Array {
  const b = new Float32Array(n * n);
  for (let k = 0; k < n; k++) {
    const [f, kind] = modeOf(k, n);
    for (let i = 0; i < n; i++) {
      let v: number;
      if (f === 0) v = 1 / Math.sqrt(n);
      else if (2 * f === n) v = (i % 2 ? -1 : 1) / Math.sqrt(n);
      else v = Math.sqrt(2 / n) * (kind === 'cos' ? Math.cos : Math.sin)((2 * Math.PI * f * i) / n);
      b[i * n + k] = v;
    }
  }
  return b;
}

/** Column k's frequency (cycles per image) and whether it is the cosine or the sine of it. */
function modeOf(k: number, n: number): [number, 'cos' | 'sin'] {
  if (k === 0) return [0, 'cos'];
  const f = Math.ceil(k / 2);
  return [f, 2 * f === n || k % 2 === 1 ? 'cos' : 'sin'];
}

/** 1 / max(|f|, 1/max(h, w)) per coefficient (f in cycles per pixel), over 4 as Lucid scales it. */
export function frequencyScale(h: number, w: number): Float32Array {
  const s = new Float32Array(h * w);
  const floor = 1 / Math.max(h, w);
  for (let i = 0; i < h; i++) {
    const fy = modeOf(i, h)[0] / h;
    for (let j = 0; j < w; j++) {
      const fx = modeOf(j, w)[0] / w;
      s[i * w + j] = 1 / (4 * Math.max(Math.hypot(fy, fx), floor));
    }
  }
  return s;
}

export function colourMatrix(): Float32Array {
  const norms = [0, 1, 2].map((j) => Math.hypot(...COLOUR.map((row) => row[j]!)));
  const max = Math.max(...norms);
  return Float32Array.from(COLOUR.flat().map((v) => v / max));
}
