// The demo's eight hand-designed 3×3 filters, packed as one HWIO tensor [3, 3, 3, 8] plus a bias [8].
// Nothing here is learned: each filter is a textbook kernel (Sobel, a Gaussian blur) applied to the
// colour channels in a stated way, so a reader can check what every feature map should show.

const SOBEL_Y = [
  [-1, -2, -1],
  [0, 0, 0],
  [1, 2, 1],
]; // brighter below → positive (the engine, like tf.conv2d, correlates: no kernel flip)
const SOBEL_X = [
  [-1, 0, 1],
  [-2, 0, 2],
  [-1, 0, 1],
]; // brighter to the right → positive
const DIAGONAL = [
  [-2, -1, 0],
  [-1, 0, 1],
  [0, 1, 2],
]; // brighter toward the lower right → positive
const GAUSS = [
  [1, 2, 1],
  [2, 4, 2],
  [1, 2, 1],
];

const LUMA = [1 / 3, 1 / 3, 1 / 3]; // the plain mean of R, G and B
const RED = [1, 0, 0];
const RED_MINUS_GREEN = [1, -1, 0];
const BLUE_MINUS_YELLOW = [-0.5, -0.5, 1];

/**
 * Each filter is a spatial kernel times a colour mix: weight[ky][kx][c] = kernel[ky][kx] · scale · mix[c].
 * Edge kernels are scaled by 1/4 so that a full-contrast step (0 → 1) gives about 1; the blur by 1/16
 * so that it averages. Edge filters get a small negative bias: a threshold below which ReLU outputs 0.
 */
export const FILTERS = [
  { name: 'Horizontal edges', what: 'Sobel on the mean of R, G, B: brighter below', kernel: SOBEL_Y, scale: 1 / 4, mix: LUMA, bias: -0.05 },
  { name: 'Vertical edges', what: 'Sobel on the mean of R, G, B: brighter to the right', kernel: SOBEL_X, scale: 1 / 4, mix: LUMA, bias: -0.05 },
  { name: 'Vertical edges, other sign', what: 'the filter above negated: ReLU drops negatives, so each sign needs its own filter', kernel: SOBEL_X, scale: -1 / 4, mix: LUMA, bias: -0.05 },
  { name: 'Diagonal edges', what: 'on the mean of R, G, B: brighter toward the lower right', kernel: DIAGONAL, scale: 1 / 4, mix: LUMA, bias: -0.05 },
  { name: 'Red-channel edges', what: 'Sobel on red only: more red to the right', kernel: SOBEL_X, scale: 1 / 4, mix: RED, bias: -0.05 },
  { name: 'Brightness', what: 'Gaussian blur of the mean of R, G, B', kernel: GAUSS, scale: 1 / 16, mix: LUMA, bias: 0 },
  { name: 'Red vs green', what: 'blurred R − G: red areas light up, green ones go to 0', kernel: GAUSS, scale: 1 / 16, mix: RED_MINUS_GREEN, bias: 0 },
  { name: 'Blue vs yellow', what: 'blurred B − (R + G)/2: blue areas light up', kernel: GAUSS, scale: 1 / 16, mix: BLUE_MINUS_YELLOW, bias: 0 },
];

/** The filters as HWIO weights: index ((ky · 3 + kx) · 3 + c) · 8 + filter. */
export function filterWeights() {
  const cout = FILTERS.length;
  const w = new Float32Array(3 * 3 * 3 * cout);
  FILTERS.forEach((f, o) => {
    for (let ky = 0; ky < 3; ky++) {
      for (let kx = 0; kx < 3; kx++) {
        for (let c = 0; c < 3; c++) w[((ky * 3 + kx) * 3 + c) * cout + o] = f.kernel[ky][kx] * f.scale * f.mix[c];
      }
    }
  });
  return w;
}

export function filterBias() {
  return Float32Array.from(FILTERS, (f) => f.bias);
}

/**
 * Draws filter `o` as a 3×3 RGB swatch: each pixel's red, green and blue are that tap's weights on the
 * red, green and blue inputs, scaled so that 0 is mid-grey and the filter's largest |weight| is 0 or 255.
 */
export function drawKernel(canvas, weights, o) {
  const cout = FILTERS.length;
  let maxAbs = 0;
  for (let i = o; i < weights.length; i += cout) maxAbs = Math.max(maxAbs, Math.abs(weights[i]));
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(3, 3);
  for (let p = 0; p < 9; p++) {
    for (let c = 0; c < 3; c++) {
      const v = weights[(p * 3 + c) * cout + o] / (maxAbs || 1);
      img.data[p * 4 + c] = Math.round(127.5 + 127.5 * v);
    }
    img.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
