// Canvas drawing for the demo: the input scene (drawn at run time, so no image file and no licence
// question) and the feature maps through a perceptual colour map.

/**
 * Draws the input: a horizontal grey gradient with a red disk, a green diamond, a blue triangle,
 * vertical and horizontal stripes and some text, each there to light up some filter.
 * Returns the pixels as NHWC float32 values in [0, 1] without the alpha channel.
 */
export function drawScene(canvas) {
  const { width: w, height: h } = canvas;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });

  const bg = ctx.createLinearGradient(0, 0, w, 0);
  bg.addColorStop(0, '#1f2937');
  bg.addColorStop(1, '#e5e7eb');
  ctx.fillStyle = bg;
  ctx.fillRect(0, 0, w, h);

  ctx.fillStyle = '#e63946';
  ctx.beginPath();
  ctx.arc(40, 40, 26, 0, 2 * Math.PI);
  ctx.fill();

  ctx.fillStyle = '#2fa84f';
  ctx.beginPath();
  ctx.moveTo(118, 14);
  ctx.lineTo(144, 40);
  ctx.lineTo(118, 66);
  ctx.lineTo(92, 40);
  ctx.closePath();
  ctx.fill();

  ctx.fillStyle = '#2563eb';
  ctx.beginPath();
  ctx.moveTo(118, 80);
  ctx.lineTo(148, 124);
  ctx.lineTo(88, 124);
  ctx.closePath();
  ctx.fill();

  for (let x = 12; x < 68; x += 8) {
    ctx.fillStyle = '#0f172a';
    ctx.fillRect(x, 82, 4, 44);
    ctx.fillStyle = '#f8fafc';
    ctx.fillRect(x + 4, 82, 4, 44);
  }

  for (let y = 134; y < 154; y += 6) {
    ctx.fillStyle = '#f59e0b';
    ctx.fillRect(88, y, 60, 3);
    ctx.fillStyle = '#111827';
    ctx.fillRect(88, y + 3, 60, 3);
  }

  ctx.fillStyle = '#facc15';
  ctx.font = 'bold 22px system-ui, sans-serif';
  ctx.textBaseline = 'alphabetic';
  ctx.fillText('CNN', 14, 153);

  const rgba = ctx.getImageData(0, 0, w, h).data;
  const out = new Float32Array(w * h * 3);
  for (let p = 0; p < w * h; p++) {
    out[p * 3] = rgba[p * 4] / 255;
    out[p * 3 + 1] = rgba[p * 4 + 1] / 255;
    out[p * 3 + 2] = rgba[p * 4 + 2] / 255;
  }
  return out;
}

// Viridis at ten evenly spaced points: perceptually uniform, readable in grey and by colour-blind readers.
const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'].map(
  (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)),
);

/** The colour map at t in [0, 1] as [r, g, b] bytes. */
export function colormap(t) {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f));
}

export function drawLegend(canvas) {
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(canvas.width, 1);
  for (let x = 0; x < canvas.width; x++) {
    const [r, g, b] = colormap(x / (canvas.width - 1));
    img.data.set([r, g, b, 255], x * 4);
  }
  ctx.putImageData(img, 0, 0);
}

/**
 * Draws channel `c` of an NHWC [1, h, w, channels] tensor's values onto a w×h canvas, stretched to
 * its own min..max (a constant map is drawn at the low end). Returns that min and max.
 */
export function drawFeatureMap(canvas, values, h, w, channels, c) {
  let min = Infinity;
  let max = -Infinity;
  for (let p = 0; p < h * w; p++) {
    const v = values[p * channels + c];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(w, h);
  for (let p = 0; p < h * w; p++) {
    const t = span > 0 ? (values[p * channels + c] - min) / span : 0;
    const [r, g, b] = colormap(t);
    img.data[p * 4] = r;
    img.data[p * 4 + 1] = g;
    img.data[p * 4 + 2] = b;
    img.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return { min, max };
}
