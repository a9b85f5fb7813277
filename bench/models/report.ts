/**
 * The whole-model result as Markdown (tables of warm time, cold time and memory) and as an SVG bar
 * chart of images per second (log scale), which the CLI writes beside the JSON, the README embeds and
 * <cnn-kernel-bench>'s Models tab shows.
 */
import { cell, fmtMs, fmtRate, fmtRatio } from '../report.js';
import type { ModelMeasurement, ModelRowResult, ModelSuiteResult } from './types.js';

const KIND_TITLE: Record<string, string> = {
  forward: 'Forward pass (inference, one call = one batch)',
  viewer: "The viewer's path: setInput → every layer's feature maps drawn",
  train: 'Training: Model.fit (one call = one epoch of the row’s steps)',
};

export function fmtBytes(b: number | null | undefined): string {
  if (b == null || !Number.isFinite(b)) return '–';
  const mib = b / (1024 * 1024);
  return mib >= 100 ? `${mib.toFixed(0)} MiB` : mib >= 1 ? `${mib.toFixed(1)} MiB` : `${(b / 1024).toFixed(0)} KiB`;
}

function memCell(m: ModelMeasurement | undefined): string {
  const r = m?.memory;
  if (!r) return '–';
  if (r.heldBytes == null && r.peakBytes == null) return 'n/r';
  const cpu = r.note?.startsWith('cpu') ? ' (CPU)' : '';
  return `${fmtBytes(r.heldBytes)} / ${fmtBytes(r.peakBytes)}${cpu}`;
}

/** Which engines take part in rows of this kind (a column of n/a everywhere is left out). */
function enginesFor(r: ModelSuiteResult, rows: readonly ModelRowResult[]) {
  return r.meta.engines.filter((e) => rows.some((row) => row.results[e.id] && row.results[e.id]!.status !== 'n/a'));
}

export function modelMarkdown(r: ModelSuiteResult, chartFile?: string): string {
  const o = r.meta.options;
  const lines: string[] = [];
  lines.push('# cnn-webgpu whole-model benchmark', '');
  lines.push(`- Adapter: **${r.meta.adapter.description}**${r.meta.adapter.isSoftware ? ' (software)' : ''}; timestamp-query ${r.meta.adapter.hasTimestampQuery ? 'yes' : 'no'}`);
  lines.push(`- Browser: ${r.meta.browser}`);
  lines.push(`- Date: ${r.meta.date} · ${r.rows.length} rows · ${(r.meta.durationMs / 1000).toFixed(0)} s`);
  lines.push(`- Samples: ${o.samples} (heavy rows ${o.heavySamples}; at most ${o.maxSecondsPerMeasurement || '∞'} s per engine and row, never under 2 samples where capped) in ${o.rounds} rounds after ${o.warmup} warm-up calls; median (p10–p90) ms per call to onSubmittedWorkDone. × = a baseline's median over ours (> 1: we are faster). Every engine's output was compared with the reference (row-centred relative L2 ≤ ${o.tolerance}) before it was timed.`);
  if (chartFile) lines.push('', `![images per second per network and engine](${chartFile})`);
  const geo = Object.entries(r.geomeanForward).filter(([, v]) => v != null);
  if (geo.length) {
    lines.push('', `Geometric mean of our speed-up over the forward rows: ${geo.map(([id, v]) => `${r.meta.engines.find((e) => e.id === id)?.label ?? id} ${fmtRatio(v)}`).join(' · ')}`);
  }
  for (const kind of ['forward', 'viewer', 'train'] as const) {
    const rows = r.rows.filter((row) => row.case.kind === kind);
    if (!rows.length) continue;
    const engines = enginesFor(r, rows);
    const [ours, ...bases] = engines.length && engines[0]!.id === r.meta.ours ? engines : [r.meta.engines[0]!, ...engines];
    lines.push('', `## ${KIND_TITLE[kind]}`, '');
    const tr = (cells: string[]) => `| ${cells.join(' | ')} |`;
    lines.push(tr(['row', 'what', ours!.label, 'images/s', ...bases.flatMap((b) => [b.label, '×'])]));
    lines.push(tr(['---', '---', '---:', '---:', ...bases.flatMap(() => ['---:', '---:'])]));
    for (const row of rows) {
      const m = row.results[ours!.id];
      lines.push(tr([row.case.id, row.case.about.replace(/\|/g, '\\|'), cell(m), m?.status === 'ok' ? fmtRate(m.rate) : '–', ...bases.flatMap((b) => [cell(row.results[b.id]), fmtRatio(row.ratios[b.id])])]));
    }
    lines.push('', `Cold (first call, shader compilation included, ms) and memory (held between calls / peak during one; "n/r": the engine does not report it):`, '');
    lines.push(`| row | ${engines.map((e) => `${e.label} cold | memory`).join(' | ')} |`);
    lines.push(`| --- | ${engines.map(() => '---: | ---:').join(' | ')} |`);
    for (const row of rows) {
      lines.push(`| ${row.case.id} | ${engines.map((e) => {
        const m = row.results[e.id];
        return `${m?.coldMs != null ? fmtMs(m.coldMs) : m?.status ?? '–'} | ${memCell(m)}`;
      }).join(' | ')} |`);
    }
  }
  const notes: string[] = [];
  for (const row of r.rows) {
    for (const e of r.meta.engines) {
      const m = row.results[e.id];
      if (m && (m.status === 'mismatch' || m.status === 'error')) notes.push(`- ${e.label} on ${row.case.id}: **${m.status}**: ${m.note ?? ''}`);
    }
  }
  if (notes.length) lines.push('', '## Not timed (mismatches and errors)', '', ...notes);
  if (r.meta.missing.length) lines.push('', '## Missing files (rows not run)', '', ...r.meta.missing.map((m) => `- ${m.model}: ${m.why}`));
  lines.push('');
  return lines.join('\n');
}

const PALETTE = ['#2563eb', '#f97316', '#16a34a', '#9333ea', '#dc2626', '#0891b2'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A horizontal bar chart: per row, one bar per engine of images per second on a log scale (longer
 * is faster), ours first; a row's mismatches and errors get no bar. Self-contained SVG text.
 */
export function modelChartSvg(r: ModelSuiteResult, opts: { width?: number } = {}): string {
  const width = opts.width ?? 860;
  const rows = r.rows.filter((row) => Object.values(row.results).some((m) => m.status === 'ok'));
  const engines = r.meta.engines.filter((e) => rows.some((row) => row.results[e.id]?.status === 'ok'));
  const colour = (id: string) => PALETTE[r.meta.engines.findIndex((e) => e.id === id) % PALETTE.length]!;
  const rates = rows.flatMap((row) => engines.map((e) => row.results[e.id]).filter((m) => m?.status === 'ok').map((m) => m!.rate!));
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(1e-3, Math.min(...rates, 1)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...rates, 10))));
  const left = 190;
  const right = 70;
  const bar = 11;
  // The legend wraps: as many engines a line as fit.
  const perLine = Math.max(1, Math.floor((width - 20) / 170));
  const legendLines = Math.ceil(engines.length / perLine);
  const top = 46 + (legendLines - 1) * 18;
  const plot = width - left - right;
  const x = (v: number) => left + (plot * Math.log10(v / lo)) / Math.log10(hi / lo);
  const parts: string[] = [];
  let y = top;
  for (const row of rows) {
    const shown = engines.filter((e) => row.results[e.id]?.status === 'ok');
    const h = shown.length * bar + 10;
    parts.push(`<text x="${left - 8}" y="${y + h / 2}" text-anchor="end" dominant-baseline="middle" font-size="12">${esc(row.case.id)}</text>`);
    shown.forEach((e, i) => {
      const m = row.results[e.id]!;
      const ratio = e.id === r.meta.ours ? '' : row.ratios[e.id] != null ? ` (ours ${fmtRatio(row.ratios[e.id])})` : '';
      const by = y + 4 + i * bar;
      parts.push(`<rect x="${left}" y="${by}" width="${Math.max(1, x(m.rate!) - left).toFixed(1)}" height="${bar - 2}" fill="${colour(e.id)}"><title>${esc(`${row.case.id} · ${e.label}: ${fmtRate(m.rate)} images/s, ${fmtMs(m.wallMs!.median)} ms${ratio}`)}</title></rect>`);
      parts.push(`<text x="${(x(m.rate!) + 4).toFixed(1)}" y="${by + bar / 2}" dominant-baseline="middle" font-size="10" fill="#444">${fmtRate(m.rate)}</text>`);
    });
    y += h + 6;
  }
  const height = y + 30;
  const ticks: string[] = [];
  for (let v = lo; v <= hi * 1.0001; v *= 10) {
    ticks.push(`<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${top - 4}" y2="${y}" stroke="#ddd"/><text x="${x(v).toFixed(1)}" y="${y + 14}" text-anchor="middle" font-size="10" fill="#666">${v >= 1 ? v : v.toPrecision(1)}</text>`);
  }
  const legend = engines.map((e, i) => {
    const lx = 10 + (i % perLine) * 170;
    const ly = 8 + Math.floor(i / perLine) * 18;
    return `<rect x="${lx}" y="${ly}" width="12" height="12" fill="${colour(e.id)}"/><text x="${lx + 16}" y="${ly + 10}" font-size="12">${esc(e.label)}</text>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, sans-serif" role="img" aria-label="Images per second per network and engine, log scale; longer bars are faster">
<rect width="100%" height="100%" fill="#fff"/>
${legend}
<text x="${left}" y="${top - 10}" font-size="11" fill="#444">images/s (log scale; longer is faster) · ${esc(r.meta.adapter.description)}</text>
${ticks.join('\n')}
${parts.join('\n')}
<text x="${left + plot / 2}" y="${height - 4}" text-anchor="middle" font-size="11" fill="#444">images per second</text>
</svg>
`;
}
