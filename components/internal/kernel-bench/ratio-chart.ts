/**
 * The bar chart of our speed-up per op family and baseline (the geometric means), drawn as SVG on
 * a log scale centred on 1× so "twice as fast" and "half as fast" are bars of the same length.
 */
import { svg, html, type TemplateResult } from 'lit';
import { fmtRatio } from '../../../bench/report.js';

export interface ChartSeries {
  id: string;
  label: string;
}

const ROW = 18;
/** Width of a label character at the chart's 11px: generous, so no label is ever cut at the left edge. */
const CHAR_W = 7;
const BAR_W = 360;
const PAD = 8;
/** Ratios outside [1/LIMIT, LIMIT] are drawn at the edge (the number says the rest). */
const LIMIT = 100;

/** One colour per baseline, readable on white and telling the series apart in greyscale by order. */
export const SERIES_COLOURS = ['#2f5fd0', '#d9822b', '#2e9e6a', '#8e44ad', '#b3261e', '#5b6575'];

export interface ChartWords {
  aria: string;
  family(id: string): string;
  bar(family: string, engine: string, ratio: string): string;
}

/** A label's width in the chart's units: wide characters (CJK) count double. */
export function labelWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += /[\u2e80-\uffff]/.test(ch) ? 2 * CHAR_W : CHAR_W;
  return w;
}

export function ratioChart(byFamily: Record<string, Record<string, number | null>>, series: readonly ChartSeries[], words: ChartWords): TemplateResult {
  const families = Object.keys(byFamily);
  // The label column is as wide as the longest label (the text is right-aligned against the bars).
  const LABEL_W = Math.max(120, ...families.map((f) => labelWidth(words.family(f)) + 16));
  const groupH = series.length * ROW + PAD;
  const height = families.length * groupH + 28;
  const width = LABEL_W + BAR_W + 70;
  const mid = LABEL_W + BAR_W / 2;
  const scale = (r: number) => (Math.log10(Math.min(LIMIT, Math.max(1 / LIMIT, r))) / Math.log10(LIMIT)) * (BAR_W / 2);
  const ticks = [0.01, 0.1, 1, 10, 100];
  return html`<svg part="chart" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img"
      aria-label=${words.aria}>
    ${ticks.map((t) => svg`<line x1="${mid + scale(t)}" x2="${mid + scale(t)}" y1="0" y2="${height - 20}" class="${t === 1 ? 'axis' : 'grid'}"></line>
      <text x="${mid + scale(t)}" y="${height - 6}" class="tick" text-anchor="middle">${t}×</text>`)}
    ${families.map((fam, fi) => {
      const y0 = fi * groupH;
      return svg`<text x="${LABEL_W - 8}" y="${y0 + (series.length * ROW) / 2 + 4}" text-anchor="end" class="family">${words.family(fam)}</text>
        ${series.map((s, si) => {
          const r = byFamily[fam]![s.id];
          const y = y0 + si * ROW + 2;
          if (r == null) return svg`<text x="${mid + 4}" y="${y + 11}" class="none">–</text>`;
          const w = scale(r);
          const x = w >= 0 ? mid : mid + w;
          return svg`<rect x="${x}" y="${y}" width="${Math.max(1, Math.abs(w))}" height="${ROW - 5}" fill="${SERIES_COLOURS[si % SERIES_COLOURS.length]}">
              <title>${words.bar(words.family(fam), s.label, fmtRatio(r))}</title></rect>
            <text x="${w >= 0 ? mid + w + 4 : mid + w - 4}" y="${y + 11}" text-anchor="${w >= 0 ? 'start' : 'end'}" class="value">${fmtRatio(r)}</text>`;
        })}`;
    })}
  </svg>`;
}

export function chartLegend(series: readonly ChartSeries[], versus: (engine: string) => string): TemplateResult {
  return html`<ul class="legend" part="legend">
    ${series.map((s, i) => html`<li><span class="swatch" style="background:${SERIES_COLOURS[i % SERIES_COLOURS.length]}"></span>${versus(s.label)}</li>`)}
  </ul>`;
}
