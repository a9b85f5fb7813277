/**
 * The Models tab of <cnn-kernel-bench>: whole networks (bench/models/) as a chart of images per
 * second per engine (the same SVG the CLI writes beside its Markdown) and a table of warm time,
 * our speed-up, cold time and memory per engine.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { unsafeSVG } from 'lit/directives/unsafe-svg.js';
import { cell, fmtMs, fmtRatio } from '../../../bench/report.js';
import { fmtBytes, modelChartSvg } from '../../../bench/models/report.js';
import type { ModelSuiteResult } from '../../../bench/models/types.js';
import type { benchText } from './messages.js';

type T = ReturnType<typeof benchText.strings>;

export function modelsView(r: ModelSuiteResult, t: T): TemplateResult {
  const [ours, ...baselines] = r.meta.engines;
  const shown = baselines.filter((b) => r.rows.some((row) => row.results[b.id] && row.results[b.id]!.status !== 'n/a'));
  const problems = r.rows.flatMap((row) => r.meta.engines
    .filter((e) => row.results[e.id]?.status === 'mismatch' || row.results[e.id]?.status === 'error')
    .map((e) => t('errored', { engine: e.label, row: row.case.id, note: row.results[e.id]!.note ?? row.results[e.id]!.status })));
  return html`
    <p class="head">${t('modelsHead', { adapter: r.meta.adapter.description, software: r.meta.adapter.isSoftware ? t('software') : '', browser: r.meta.browser, rows: r.rows.length, seconds: (r.meta.durationMs / 1000).toFixed(0) })}</p>
    ${problems.length || r.meta.missing.length
      ? html`<div class="notice error problems" part="mismatches" role="note"><h3>${t('problemsTitle')}</h3><ul>
          ${problems.map((p) => html`<li>${p}</li>`)}${r.meta.missing.map((m) => html`<li>${t('missing', { row: m.model, why: m.why })}</li>`)}
        </ul></div>`
      : nothing}
    <figure class="models-chart" part="models-chart" role="group" aria-label=${t('modelsChartAria')}>${unsafeSVG(modelChartSvg(r))}</figure>
    <div class="scroll" part="models-scroll" tabindex="0" role="region" aria-label=${t('rowsAria')}>
      <table part="models-table" class="rows models">
        <caption>${t('modelsCaption')}</caption>
        <thead><tr>
          <th scope="col">${t('network')}</th><th scope="col">${ours!.label}</th><th scope="col">images/s</th>
          ${shown.map((b) => html`<th scope="col">${b.label}</th><th scope="col">×</th>`)}
          <th scope="col">${t('cold')}</th><th scope="col">${t('memory')}</th>
        </tr></thead>
        <tbody>${r.rows.map((row) => {
          const m = row.results[ours!.id];
          return html`<tr>
            <th scope="row" title=${row.case.about}>${row.case.id}</th>
            <td class="num" title=${m?.note ?? nothing}>${cell(m)}</td>
            <td class="num">${m?.status === 'ok' ? m.rate!.toPrecision(3) : '–'}</td>
            ${shown.map((b) => {
              const bm = row.results[b.id];
              const ratio = row.ratios[b.id];
              return html`<td class="num" title=${bm?.note ?? nothing}>${cell(bm)}</td><td class=${ratio == null ? 'ratio' : ratio >= 1 ? 'ratio win' : 'ratio loss'}>${fmtRatio(ratio)}</td>`;
            })}
            <td class="num">${m?.coldMs != null ? fmtMs(m.coldMs) : '–'}</td>
            <td class="num">${m?.memory ? `${fmtBytes(m.memory.heldBytes)} / ${fmtBytes(m.memory.peakBytes)}` : '–'}</td>
          </tr>`;
        })}</tbody>
      </table>
    </div>`;
}
