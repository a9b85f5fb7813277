/** The result tables of <cnn-kernel-bench>: the geometric means and every row, as the Markdown report has them. */
import { html, nothing, type TemplateResult } from 'lit';
import { cell, familyLabel, fmtMs, fmtRate, fmtRatio } from '../../../bench/report.js';
import type { SuiteResult } from '../../../bench/types.js';

function ratioClass(r: number | null | undefined): string {
  if (r == null) return 'ratio';
  return r >= 1 ? 'ratio win' : 'ratio loss';
}

export function geomeanTable(r: SuiteResult): TemplateResult {
  const baselines = r.meta.engines.slice(1);
  return html`<table part="geomeans" class="geomeans">
    <caption>Geometric mean of our speed-up per op family (a baseline's median time over ours; above 1× we are faster)</caption>
    <thead><tr><th scope="col">op family</th>${baselines.map((b) => html`<th scope="col">vs ${b.label}</th>`)}</tr></thead>
    <tbody>
      ${Object.entries(r.geomeanByFamily).map(([fam, per]) => html`<tr>
        <th scope="row">${familyLabel(fam)}</th>
        ${baselines.map((b) => html`<td class=${ratioClass(per[b.id])}>${fmtRatio(per[b.id])}</td>`)}
      </tr>`)}
      <tr class="total"><th scope="row">all rows</th>${baselines.map((b) => html`<td class=${ratioClass(r.geomeanAll[b.id])}>${fmtRatio(r.geomeanAll[b.id])}</td>`)}</tr>
    </tbody>
  </table>`;
}

export function rowsTable(r: SuiteResult): TemplateResult {
  const [ours, ...baselines] = r.meta.engines;
  return html`<div class="scroll" part="table-scroll" tabindex="0" role="region" aria-label="Every row, scrollable">
    <table part="table" class="rows">
      <caption>Warm time per call in ms: median (p10–p90), "gpu" from timestamp queries; × is our speed-up</caption>
      <thead><tr>
        <th scope="col">layer</th><th scope="col">op</th><th scope="col">shapes</th>
        <th scope="col">${ours!.label}</th><th scope="col">rate</th>
        ${baselines.map((b) => html`<th scope="col">${b.label}</th><th scope="col">×</th>`)}
        <th scope="col">cold ms (ours)</th>
      </tr></thead>
      <tbody>
        ${r.rows.map((row) => {
          const m = row.results[ours!.id];
          return html`<tr>
            <th scope="row">${row.case.shape}</th><td>${row.case.family}</td><td class="dims">${row.case.dims}</td>
            <td class="num" title=${m?.note ?? nothing}>${cell(m)}</td>
            <td class="num">${m?.status === 'ok' ? `${fmtRate(m.rate)} ${row.case.unit}` : '–'}</td>
            ${baselines.map((b) => {
              const bm = row.results[b.id];
              return html`<td class="num" title=${bm?.note ?? nothing}>${cell(bm)}</td><td class=${ratioClass(row.ratios[b.id])}>${fmtRatio(row.ratios[b.id])}</td>`;
            })}
            <td class="num">${m?.coldMs != null ? fmtMs(m.coldMs) : '–'}</td>
          </tr>`;
        })}
      </tbody>
    </table>
  </div>`;
}
