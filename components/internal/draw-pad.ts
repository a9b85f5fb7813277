/**
 * The drawing pad's pieces that need no element: strokes of sample digits (so a keyboard user can
 * feed a digit too, and a page starts with one drawn), and the MNIST-style preprocessing that turns
 * a big drawing into the 28×28 image a digit network was trained on: white ink on black, the
 * digit's bounding box scaled to fit 20×20, its centre of mass moved to the centre (LeCun et al.'s
 * description of how MNIST was made).
 */

export type Stroke = [number, number][];

function ellipse(cx: number, cy: number, rx: number, ry: number, from = 0, to = 2 * Math.PI, steps = 28): Stroke {
  return Array.from({ length: steps + 1 }, (_, i) => {
    const a = from + ((to - from) * i) / steps;
    return [cx + rx * Math.sin(a), cy - ry * Math.cos(a)] as [number, number];
  });
}

/** Strokes of the digits 0–9 in a unit square, written the way people tend to write them. */
export const SAMPLE_DIGITS: Stroke[][] = [
  [ellipse(0.5, 0.5, 0.2, 0.32)],
  [[[0.4, 0.28], [0.52, 0.18], [0.52, 0.82]]],
  [[[0.3, 0.32], [0.38, 0.2], [0.52, 0.16], [0.66, 0.22], [0.7, 0.35], [0.62, 0.5], [0.3, 0.8], [0.72, 0.8]]],
  [[[0.3, 0.2], [0.6, 0.17], [0.68, 0.3], [0.5, 0.46], [0.68, 0.58], [0.68, 0.74], [0.55, 0.83], [0.3, 0.78]]],
  [[[0.6, 0.82], [0.6, 0.18], [0.28, 0.6], [0.74, 0.6]]],
  [[[0.68, 0.18], [0.37, 0.18], [0.34, 0.47], [0.55, 0.44], [0.68, 0.56], [0.66, 0.74], [0.52, 0.83], [0.32, 0.77]]],
  [[[0.62, 0.17], [0.44, 0.34], [0.35, 0.58], [0.4, 0.78], [0.55, 0.83], [0.66, 0.71], [0.62, 0.56], [0.48, 0.52], [0.36, 0.62]]],
  [[[0.3, 0.2], [0.72, 0.2], [0.48, 0.83]]],
  [ellipse(0.5, 0.33, 0.14, 0.15), ellipse(0.5, 0.67, 0.18, 0.17)],
  [ellipse(0.48, 0.36, 0.15, 0.16), [[0.63, 0.36], [0.6, 0.83]]],
];

export function strokeStyle(ctx: CanvasRenderingContext2D, size: number): void {
  ctx.strokeStyle = '#fff';
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.lineWidth = Math.max(2, size * 0.075);
}

/** Clears the pad to black. */
export function clearPad(canvas: HTMLCanvasElement): void {
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
}

/** Draws strokes given in unit coordinates onto the pad. */
export function drawStrokes(canvas: HTMLCanvasElement, strokes: Stroke[]): void {
  const ctx = canvas.getContext('2d')!;
  strokeStyle(ctx, canvas.width);
  for (const s of strokes) {
    ctx.beginPath();
    s.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x * canvas.width, y * canvas.height) : ctx.lineTo(x * canvas.width, y * canvas.height)));
    ctx.stroke();
  }
}

/**
 * The pad as a 28×28 MNIST-style image (a new canvas): ink's bounding box scaled into 20×20 and
 * its centre of mass put at the centre. A blank pad gives a black image.
 */
export function mnistFrame(pad: HTMLCanvasElement, size = 28, box = 20): HTMLCanvasElement {
  const out = document.createElement('canvas');
  out.width = out.height = size;
  const octx = out.getContext('2d', { willReadFrequently: true })!;
  octx.fillStyle = '#000';
  octx.fillRect(0, 0, size, size);
  const { width, height } = pad;
  const data = pad.getContext('2d', { willReadFrequently: true })!.getImageData(0, 0, width, height).data;
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[(y * width + x) * 4]! > 16) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return out;
  const [bw, bh] = [x1 - x0 + 1, y1 - y0 + 1];
  const s = box / Math.max(bw, bh);
  const [dw, dh] = [bw * s, bh * s];
  octx.imageSmoothingEnabled = true;
  octx.imageSmoothingQuality = 'high';
  octx.drawImage(pad, x0, y0, bw, bh, (size - dw) / 2, (size - dh) / 2, dw, dh);
  // Move the centre of mass to the centre.
  const img = octx.getImageData(0, 0, size, size).data;
  let [m, mx, my] = [0, 0, 0];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = img[(y * size + x) * 4]!;
      m += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  if (m === 0) return out;
  const [sx, sy] = [Math.round(size / 2 - mx / m), Math.round(size / 2 - my / m)];
  if (sx === 0 && sy === 0) return out;
  const shifted = document.createElement('canvas');
  shifted.width = shifted.height = size;
  const sctx = shifted.getContext('2d', { willReadFrequently: true })!;
  sctx.fillStyle = '#000';
  sctx.fillRect(0, 0, size, size);
  sctx.drawImage(out, sx, sy);
  return shifted;
}
