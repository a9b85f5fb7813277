/**
 * The explainer's pictures, drawn on 2-D canvases from numbers already read back: the layer's input
 * with its padding ring and the window at the current unit (each tap tinted by the weight it
 * meets, so the same weights are seen sliding), the output map filling in, and the receptive field
 * outlined on the network's input.
 */
import type { explain, UnitExplanation, UnitSource } from '../../../src/index.js';

type ReceptiveField = explain.ReceptiveField;
import { css, diverging, grey, mapColour, rangeOf } from './palette.js';

/** Pixels per cell for a map of rows × cols drawn about `target` pixels wide. */
export function cellSize(rows: number, cols: number, target: number): number {
  return Math.min(18, Math.max(2, Math.floor(target / Math.max(rows, cols, 1))));
}

function ctxOf(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

function hatch(ctx: CanvasRenderingContext2D, x: number, y: number, size: number): void {
  ctx.fillStyle = '#e4e7ec';
  ctx.fillRect(x, y, size, size);
  if (size < 5) return;
  ctx.save();
  ctx.beginPath();
  ctx.rect(x, y, size, size);
  ctx.clip();
  ctx.strokeStyle = '#9aa3b0';
  ctx.lineWidth = 1;
  for (let d = -size; d < size; d += 4) {
    ctx.beginPath();
    ctx.moveTo(x + d, y + size);
    ctx.lineTo(x + d + size, y);
    ctx.stroke();
  }
  ctx.restore();
}

/**
 * The layer's input (channel `focus`) with its padding, and the window of unit `u`: tapped cells
 * outlined and tinted by their weights (convolutions) or the winner marked (max pooling). Sets
 * data-cell, data-rows, data-cols, data-pad-top and data-pad-left on the canvas.
 */
export function paintSlide(canvas: HTMLCanvasElement, src: UnitSource, u: UnitExplanation, focus: number, target = 300): void {
  const g = src.geometry!;
  const [h, w, c] = src.inputShape as [number, number, number];
  const rows = h + g.padTop + g.padBottom;
  const cols = w + g.padLeft + g.padRight;
  const cell = cellSize(rows, cols, target);
  const ctx = ctxOf(canvas, cols * cell, rows * cell);
  Object.assign(canvas.dataset, { cell: String(cell), rows: String(rows), cols: String(cols), padTop: String(g.padTop), padLeft: String(g.padLeft) });
  const [lo, hi] = rangeOf(src.input, focus, c);
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < cols; q++) {
      const [iy, ix] = [r - g.padTop, q - g.padLeft];
      if (iy < 0 || ix < 0 || iy >= h || ix >= w) hatch(ctx, q * cell, r * cell, cell);
      else {
        ctx.fillStyle = css(grey(src.input[(iy * w + ix) * c + focus]!, lo, hi));
        ctx.fillRect(q * cell, r * cell, cell, cell);
      }
    }
  }
  const term = u.terms.find((t) => t.channel === focus) ?? u.terms[0];
  const limit = term?.weights ? Math.max(...term.weights.map(Math.abs)) : 0;
  ctx.lineWidth = Math.max(1, Math.min(2, cell / 6));
  u.taps.forEach((tap, i) => {
    const [px, py] = [(tap.ix + g.padLeft) * cell, (tap.iy + g.padTop) * cell];
    if (term?.weights) {
      ctx.fillStyle = css(diverging(term.weights[i]!, limit), 0.6);
      ctx.fillRect(px, py, cell, cell);
    }
    const won = u.winner?.tap === i;
    ctx.strokeStyle = won ? '#e8590c' : '#2f5fd0';
    ctx.strokeRect(px + 0.5, py + 0.5, cell - 1, cell - 1);
    if (won) {
      ctx.lineWidth *= 2;
      ctx.strokeRect(px + 1, py + 1, cell - 2, cell - 2);
      ctx.lineWidth /= 2;
    }
  });
  // The window's extent (with dilation, the taps lie inside it with gaps).
  const first = u.taps[0]!;
  const last = u.taps[u.taps.length - 1]!;
  ctx.strokeStyle = '#1d2430';
  ctx.lineWidth = 2;
  ctx.strokeRect((first.ix + g.padLeft) * cell - 1, (first.iy + g.padTop) * cell - 1, (last.ix - first.ix + 1) * cell + 2, (last.iy - first.iy + 1) * cell + 2);
}

/** The unit under a pointer on a canvas painted by paintOutput: [x, y], or null outside. */
export function unitAt(canvas: HTMLCanvasElement, clientX: number, clientY: number): [number, number] | null {
  const rect = canvas.getBoundingClientRect();
  const cols = Number(canvas.dataset.cols);
  const rows = Number(canvas.dataset.rows);
  if (!rect.width || !rect.height || !cols || !rows) return null;
  const x = Math.floor(((clientX - rect.left) / rect.width) * cols);
  const y = Math.floor(((clientY - rect.top) / rect.height) * rows);
  return x >= 0 && y >= 0 && x < cols && y < rows ? [x, y] : null;
}

/**
 * The output channel as the engine computed it, cells 0…filled − 1 (row-major) drawn and the rest
 * blank, unit (x, y) outlined. For a dense layer, its units as one row, unit `channel` outlined.
 */
export function paintOutput(canvas: HTMLCanvasElement, src: UnitSource, filled: number, x: number, y: number, target = 200): void {
  const dense = src.kind === 'dense';
  const [rows, cols] = dense ? [1, src.output.length] : (src.outputShape as [number, number]);
  const cell = dense ? Math.min(18, Math.max(3, Math.floor(Math.max(target, 240) / cols))) : cellSize(rows, cols, target);
  const ctx = ctxOf(canvas, cols * cell, rows * cell);
  Object.assign(canvas.dataset, { cell: String(cell), rows: String(rows), cols: String(cols) });
  const [lo, hi] = rangeOf(src.output);
  ctx.fillStyle = '#f4f6f9';
  ctx.fillRect(0, 0, cols * cell, rows * cell);
  const n = dense ? cols : Math.min(filled, rows * cols);
  for (let i = 0; i < n; i++) {
    ctx.fillStyle = css(mapColour(src.output[i]!, lo, hi));
    ctx.fillRect((i % cols) * cell, Math.floor(i / cols) * cell, cell, cell);
  }
  if (cell >= 6) {
    ctx.strokeStyle = 'rgb(0 0 0 / 0.08)';
    for (let q = 1; q < cols; q++) ctx.strokeRect(q * cell, 0, 0, rows * cell);
    for (let r = 1; r < rows; r++) ctx.strokeRect(0, r * cell, cols * cell, 0);
  }
  const [ux, uy] = dense ? [src.channel, 0] : [x, y];
  ctx.strokeStyle = '#e8590c';
  ctx.lineWidth = 2;
  ctx.strokeRect(ux * cell + 1, uy * cell + 1, cell - 2, cell - 2);
}

/** The network's input at its own resolution, scaled up, with the receptive field outlined. */
export function paintReceptiveField(canvas: HTMLCanvasElement, input: HTMLCanvasElement, rf: ReceptiveField | null, target = 200): void {
  const scale = Math.max(1, Math.floor(target / Math.max(input.width, input.height)));
  const ctx = ctxOf(canvas, input.width * scale, input.height * scale);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(input, 0, 0, input.width * scale, input.height * scale);
  if (!rf || rf.empty) return;
  const x = rf.left * scale;
  const y = rf.top * scale;
  const wd = (rf.right - rf.left + 1) * scale;
  const ht = (rf.bottom - rf.top + 1) * scale;
  ctx.fillStyle = 'rgb(0 0 0 / 0.45)';
  ctx.fillRect(0, 0, canvas.width, y);
  ctx.fillRect(0, y + ht, canvas.width, canvas.height - y - ht);
  ctx.fillRect(0, y, x, ht);
  ctx.fillRect(x + wd, y, canvas.width - x - wd, ht);
  ctx.strokeStyle = '#ffb000';
  ctx.lineWidth = 2;
  ctx.strokeRect(x + 1, y + 1, Math.max(1, wd - 2), Math.max(1, ht - 2));
}
