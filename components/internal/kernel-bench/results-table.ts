/** The result tables of <cnn-kernel-bench>: the geometric means and every row, as the Markdown report has them. */
import { html, nothing, type TemplateResult } from 'lit';
import { cell, fmtMs, fmtRate, fmtRatio } from '../../../bench/report.js';
import type { SuiteResult } from '../../../bench/types.js';
import type { benchText } from './messages.js';

type T = ReturnType<typeof benchText.strings>;

function ratioClass(r: number | null | undefined): string {
  if (r == null) return 'ratio';
  return r >= 1 ? 'ratio win' : 'ratio loss';
}

/** The geometric means, in a box that scrolls sideways on a narrow screen instead of overflowing the card. */
export function geomeanTable(r: SuiteResult, t: T, family: (id: string) => string): TemplateResult {
  const baselines = r.meta.engines.slice(1);
  return html`<div class="scroll" part="geomeans-scroll" tabindex="0" role="region" aria-label=${t('summaryAria')}>
    <table part="geomeans" class="geomeans">
      <caption>${t('geomeanCaption')}</caption>
      <thead><tr><th scope="col">${t('opFamily')}</th>${baselines.map((b) => html`<th scope="col">${t('versus', { engine: b.label })}</th>`)}</tr></thead>
      <tbody>
        ${Object.entries(r.geomeanByFamily).map(([fam, per]) => html`<tr>
          <th scope="row">${family(fam)}</th>
          ${baselines.map((b) => html`<td class=${ratioClass(per[b.id])}>${fmtRatio(per[b.id])}</td>`)}
        </tr>`)}
        <tr class="total"><th scope="row">${t('allRows')}</th>${baselines.map((b) => html`<td class=${ratioClass(r.geomeanAll[b.id])}>${fmtRatio(r.geomeanAll[b.id])}</td>`)}</tr>
      </tbody>
    </table>
  </div>`;
}

/** Every baseline whose output differed from ours or that failed, said at the top rather than in a cell off-screen. */
export function problemsList(r: SuiteResult, t: T): TemplateResult | typeof nothing {
  const items: string[] = [];
  for (const row of r.rows) {
    for (const e of r.meta.engines) {
      const m = row.results[e.id];
      if (m?.status === 'mismatch') {
        const error = m.relError != null && Number.isFinite(m.relError) ? m.relError.toExponential(1) : '?';
        items.push(t('mismatch', { engine: e.label, row: row.case.id, error }));
      } else if (m?.status === 'error') {
        items.push(t('errored', { engine: e.label, row: row.case.id, note: m.note ?? 'error' }));
      }
    }
  }
  if (items.length === 0) return nothing;
  return html`<div class="notice error problems" part="mismatches" role="note">
    <h3>${t('problemsTitle')}</h3>
    <ul>${items.map((i) => html`<li>${i}</li>`)}</ul>
  </div>`;
}

export function rowsTable(r: SuiteResult, t: T): TemplateResult {
  const [ours, ...baselines] = r.meta.engines;
  return html`<div class="scroll" part="table-scroll" tabindex="0" role="region" aria-label=${t('rowsAria')}>
    <table part="table" class="rows">
      <caption>${t('rowsCaption')}</caption>
      <thead><tr>
        <th scope="col">${t('layer')}</th><th scope="col">${t('op')}</th><th scope="col">${t('shapes')}</th>
        <th scope="col">${ours!.label}</th><th scope="col">${t('rate')}</th>
        ${baselines.map((b) => html`<th scope="col">${b.label}</th><th scope="col">×</th>`)}
        <th scope="col">${t('cold')}</th>
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
