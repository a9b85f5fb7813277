/**
 * The two pictures of a sweep, as SVG: the network's response against the transformation's
 * parameter (one line per class, or one for an embedding's similarity), and a heat map of every
 * layer's similarity to the untransformed maps, one row per layer, one column per value. Both mark
 * the scrubbed value.
 */
import { svg, nothing, type SVGTemplateResult } from 'lit';
import { fmt } from '../attributes.js';
import { css, sequential } from '../conv-explainer/palette.js';

/** Okabe and Ito's colour-blind-safe qualitative palette. */
export const SERIES_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];

export interface Series {
  label: string;
  values: number[];
  colour: string;
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function xAt(f: Frame, i: number, n: number): number {
  return f.left + (n <= 1 ? 0.5 : i / (n - 1)) * (f.width - f.left - f.right);
}

/** Up to about six labels along the x axis, ends included. */
function xTicks(n: number): number[] {
  if (n <= 7) return Array.from({ length: n }, (_, i) => i);
  const step = Math.ceil((n - 1) / 6);
  const ticks = [];
  for (let i = 0; i < n; i += step) ticks.push(i);
  if (ticks[ticks.length - 1] !== n - 1) ticks.push(n - 1);
  return ticks;
}

/**
 * Lines of `series` over the values `xs` (evenly spaced by index), y from `yMin` to `yMax`, the
 * scrubbed index `at` marked.
 */
export function lineChart(xs: readonly number[], series: readonly Series[], o: { yMin: number; yMax: number; at: number; unit: string; width?: number; height?: number }): SVGTemplateResult {
  const f: Frame = { width: o.width ?? 460, height: o.height ?? 210, left: 40, right: 12, top: 10, bottom: 34 };
  const n = xs.length;
  const y = (v: number) => f.top + (1 - (Math.min(o.yMax, Math.max(o.yMin, v)) - o.yMin) / (o.yMax - o.yMin || 1)) * (f.height - f.top - f.bottom);
  const yTicks = [o.yMin, (o.yMin + o.yMax) / 2, o.yMax];
  const px = xAt(f, o.at, n);
  return svg`
    <g class="axes">
      ${yTicks.map((v) => svg`<line class="grid" x1=${f.left} x2=${f.width - f.right} y1=${y(v)} y2=${y(v)}></line><text class="tick" x=${f.left - 6} y=${y(v) + 4} text-anchor="end">${fmt(v)}</text>`)}
      ${xTicks(n).map((i) => svg`<text class="tick" x=${xAt(f, i, n)} y=${f.height - f.bottom + 14} text-anchor="middle">${fmt(xs[i]!)}</text>`)}
      <text class="unit" x=${(f.left + f.width - f.right) / 2} y=${f.height - 4} text-anchor="middle">${o.unit}</text>
    </g>
    <line class="marker" x1=${px} x2=${px} y1=${f.top} y2=${f.height - f.bottom}></line>
    ${series.map((s) => {
      const points = s.values.map((v, i) => `${xAt(f, i, n).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      return svg`<g class="series" data-label=${s.label}>
        <polyline points=${points} fill="none" stroke=${s.colour} stroke-width="2"></polyline>
        ${s.values.map((v, i) => svg`<circle cx=${xAt(f, i, n)} cy=${y(v)} r=${i === o.at ? 4 : 2.2} fill=${s.colour}></circle>`)}
      </g>`;
    })}
  `;
}

/** The SVG viewBox the chart above draws into. */
export function chartBox(width = 460, height = 210): string {
  return `0 0 ${width} ${height}`;
}

export interface HeatRow {
  name: string;
  values: number[];
}

/** The height a heat map of `rows` rows takes: rows shrink as there are more, down to 3 px. */
export function heatmapHeight(rows: number): { row: number; height: number } {
  const row = Math.max(3, Math.min(14, Math.floor(420 / Math.max(rows, 1))));
  return { row, height: rows * row + 30 };
}

/**
 * One row per layer, one column per value, coloured by similarity on viridis over [0, 1] (NaN
 * grey); names written where rows are tall enough, else every k-th; the scrubbed column outlined.
 */
export function heatmap(xs: readonly number[], rows: readonly HeatRow[], o: { at: number; width?: number; pick?: (row: number) => void }): SVGTemplateResult {
  const width = o.width ?? 460;
  const left = 120;
  const n = xs.length;
  const { row } = heatmapHeight(rows.length);
  const cw = (width - left - 8) / Math.max(n, 1);
  const every = row >= 10 ? 1 : Math.ceil(10 / row);
  return svg`
    ${rows.map((r, ri) => svg`<g class="heat-row" data-layer=${r.name}>
      <title>${r.name}: ${r.values.map((v) => (Number.isNaN(v) ? '—' : fmt(v))).join(', ')}</title>
      ${ri % every === 0 ? svg`<text class="row-name" x=${left - 6} y=${ri * row + row / 2 + 3.5} text-anchor="end">${r.name}</text>` : nothing}
      ${r.values.map((v, i) => svg`<rect x=${left + i * cw} y=${ri * row} width=${cw + 0.5} height=${row + 0.5} fill=${Number.isNaN(v) ? '#b8bec8' : css(sequential(Math.max(0, v), 0, 1))}></rect>`)}
    </g>`)}
    <rect class="column" x=${left + o.at * cw} y="0" width=${cw} height=${rows.length * row} fill="none"></rect>
    ${xTicks(n).map((i) => svg`<text class="tick" x=${left + (i + 0.5) * cw} y=${rows.length * row + 14} text-anchor="middle">${fmt(xs[i]!)}</text>`)}
  `;
}
