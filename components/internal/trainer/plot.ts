/**
 * The loss and accuracy curves, drawn on a 2D canvas at the screen's pixel density: the training
 * curve (each read-back faint, a running average solid) and the test curve (points joined by a
 * line), against the steps of the whole run so the curve grows from left to right as training goes.
 */
import type { CurvePoint } from './run.js';
import type { TrainerStrings } from './messages.js';

export type Metric = 'loss' | 'accuracy';

/** The words drawn on a plot: the legend's and the step axis's ("938 steps"; "steps" before a run). */
export interface PlotLabels {
  training: string;
  test: string;
  steps: string;
}

export interface PlotColors {
  train: string;
  test: string;
  axis: string;
  grid: string;
  text: string;
  font: string;
}

/** A running average of noisy batch values (what TensorBoard calls smoothing), so the trend reads at a glance. */
export function smooth(values: readonly number[], weight = 0.8): number[] {
  const out: number[] = [];
  let avg = NaN;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) return out.push(avg);
    avg = i === 0 || !Number.isFinite(avg) ? v : weight * avg + (1 - weight) * v;
    out.push(avg);
  });
  return out;
}

/** A round number at least `v` (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten): the top of the loss axis. */
export function niceCeil(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v - 1e-12) return m * p;
  return 10 * p;
}

/**
 * Draws one metric's training and test curves. `steps` is the x range (the run's total steps; null
 * before a run); `marker`, a step to mark with a vertical line (the snapshot a reader scrubbed to).
 */
export function drawPlot(
  canvas: HTMLCanvasElement,
  metric: Metric,
  train: readonly CurvePoint[],
  test: readonly CurvePoint[],
  steps: number | null,
  colors: PlotColors,
  labels: PlotLabels,
  marker: number | null = null,
): void {
  const dpr = globalThis.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || canvas.width;
  const cssH = canvas.clientHeight || canvas.height;
  const w = Math.max(1, Math.round(cssW * dpr));
  const h = Math.max(1, Math.round(cssH * dpr));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);

  const value = (p: CurvePoint) => (metric === 'loss' ? p.loss : p.accuracy);
  const finite = [...train, ...test].map(value).filter(Number.isFinite);
  const yMax = metric === 'accuracy' ? 1 : niceCeil(Math.max(0.1, ...finite));
  const xMax = Math.max(1, steps ?? 1);
  // The legend sits in the top margin, clear of the curves.
  const pad = { left: 38, right: 10, top: 24, bottom: 22 };
  const pw = Math.max(1, cssW - pad.left - pad.right);
  const ph = Math.max(1, cssH - pad.top - pad.bottom);
  const X = (step: number) => pad.left + (Math.min(step, xMax) / xMax) * pw;
  const Y = (v: number) => pad.top + ph - (Math.min(Math.max(v, 0), yMax) / yMax) * ph;

  // Grid and axis labels.
  ctx.font = `11px ${colors.font}`;
  ctx.lineWidth = 1;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    const y = Math.round(Y(v)) + 0.5;
    ctx.strokeStyle = i === 0 ? colors.axis : colors.grid;
    ctx.beginPath();
    ctx.moveTo(pad.left, y);
    ctx.lineTo(pad.left + pw, y);
    ctx.stroke();
    ctx.fillStyle = colors.text;
    ctx.fillText(metric === 'accuracy' ? `${Math.round(v * 100)}%` : String(Number(v.toPrecision(3))), pad.left - 4, y);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.fillText('0', X(0), pad.top + ph + 5);
  ctx.textAlign = 'right';
  ctx.fillText(labels.steps, pad.left + pw, pad.top + ph + 5);
  if (marker !== null) {
    const x = Math.round(X(marker)) + 0.5;
    ctx.strokeStyle = colors.axis;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(x, pad.top);
    ctx.lineTo(x, pad.top + ph);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  // Training: every read-back faint, the running average solid.
  const trainY = train.map(value);
  line(ctx, train.map((p) => X(p.step)), trainY.map(Y), colors.train, 1, 0.3);
  const smoothed = smooth(trainY);
  line(ctx, train.map((p) => X(p.step)), smoothed.map(Y), colors.train, 2, 1);
  // A dot at the head of the curve: where training is now (and the only mark while there is one point).
  const head = smoothed[smoothed.length - 1];
  if (head !== undefined && Number.isFinite(head)) {
    ctx.fillStyle = colors.train;
    ctx.beginPath();
    ctx.arc(X(train[train.length - 1]!.step), Y(head), 3, 0, Math.PI * 2);
    ctx.fill();
  }
  // Test: a line through dots.
  const testY = test.map(value);
  line(ctx, test.map((p) => X(p.step)), testY.map(Y), colors.test, 1.5, 1);
  ctx.fillStyle = colors.test;
  test.forEach((p, i) => {
    if (!Number.isFinite(testY[i]!)) return;
    ctx.beginPath();
    ctx.arc(X(p.step), Y(testY[i]!), 2.5, 0, Math.PI * 2);
    ctx.fill();
  });

  // Legend.
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  let lx = pad.left;
  for (const [label, color] of [[labels.training, colors.train], [labels.test, colors.test]] as const) {
    ctx.fillStyle = color;
    ctx.fillRect(lx, 9, 12, 3);
    ctx.fillStyle = colors.text;
    ctx.fillText(label, lx + 16, 11);
    lx += 16 + ctx.measureText(label).width + 14;
  }
}

function line(ctx: CanvasRenderingContext2D, xs: number[], ys: number[], color: string, width: number, alpha: number): void {
  ctx.save();
  ctx.globalAlpha = alpha;
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.lineJoin = 'round';
  ctx.beginPath();
  let open = false;
  xs.forEach((x, i) => {
    const y = ys[i]!;
    if (!Number.isFinite(y)) {
      open = false;
      return;
    }
    if (open) ctx.lineTo(x, y);
    else ctx.moveTo(x, y);
    open = true;
  });
  ctx.stroke();
  ctx.restore();
}

/** The plot in words, for its description. */
export function describePlot(metric: Metric, train: readonly CurvePoint[], test: readonly CurvePoint[], t: TrainerStrings): string {
  const f = (p: CurvePoint | undefined) => (p === undefined ? null : metric === 'loss' ? p.loss.toFixed(3) : `${(p.accuracy * 100).toFixed(1)}%`);
  const last = f(train[train.length - 1]);
  const lastTest = f(test[test.length - 1]);
  const first = f(train[0]);
  const name = t(metric === 'loss' ? 'lossWord' : 'accuracyWord');
  if (!last && !lastTest) return t('plotEmpty', { metric: name });
  const parts = [t('plotCurves', { metric: name })];
  if (last) parts.push(t('plotTrain', { first: first!, firstStep: train[0]!.step, last, lastStep: train[train.length - 1]!.step }));
  if (lastTest) parts.push(t('plotTest', { last: lastTest, lastStep: test[test.length - 1]!.step }));
  return `${parts.join('; ')}.`;
}
