/** The Markdown report of a suite result: the head, the warm table, the geometric means, cold times, notes. */
import { TARGET_GROUPS, type Measurement, type RowResult, type SuiteResult } from './types.js';

const FAMILY_LABEL: Record<string, string> = {
  conv2d: 'conv2d forward',
  conv2dGradInput: 'conv2d input gradient',
  conv2dGradFilter: 'conv2d filter gradient',
  depthwiseConv2d: 'depthwise forward',
  depthwiseConv2dGradInput: 'depthwise input gradient',
  depthwiseConv2dGradFilter: 'depthwise filter gradient',
  maxPool: 'max pool',
  maxPoolGrad: 'max pool gradient',
  avgPool: 'avg pool',
  avgPoolGrad: 'avg pool gradient',
  matMul: 'matMul (dense)',
  trainStep: 'LeNet training step',
  convLayer: 'conv layer (conv2d + bias + relu)',
  denseLayer: 'dense layer (matMul + bias + relu)',
  modelForward: 'whole-model forward pass',
  pooling: 'pooling (all four)',
  depthwise: 'depthwise (all three)',
  convForward: 'every conv forward (with depthwise)',
  convGradInput: 'every conv input gradient',
  convGradFilter: 'every conv filter gradient',
};

export function familyLabel(f: string): string {
  return FAMILY_LABEL[f] ?? f;
}

export function fmtMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toPrecision(2);
}

export function fmtRate(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '–';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(2);
}

export function fmtRatio(r: number | null | undefined): string {
  if (r == null || !Number.isFinite(r)) return '–';
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

/** A table cell for one engine's warm time. */
export function cell(m: Measurement | undefined): string {
  if (!m) return '–';
  if (m.status === 'ok') {
    const w = m.wallMs!;
    const gpu = m.gpuMs ? ` · gpu ${fmtMs(m.gpuMs.median)}` : '';
    return `${fmtMs(w.median)} (${fmtMs(w.p10)}–${fmtMs(w.p90)})${gpu}`;
  }
  if (m.status === 'mismatch') return `mismatch${m.relError != null && Number.isFinite(m.relError) ? ` (${m.relError.toExponential(1)})` : ''}`;
  return m.status;
}

function esc(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** The first target, family by family: the lowest ratio against any baseline, and whether it is ≥ 1. */
function targetLines(r: SuiteResult, baselines: readonly { id: string; label: string }[]): string[] {
  const lines = [`First target (every geometric mean ≥ 1.0 against every baseline):`, ''];
  for (const group of TARGET_GROUPS) {
    const per = r.geomeanByFamily[group];
    if (!per) continue;
    const ratios = baselines.map((b) => ({ b, v: per[b.id] })).filter((x): x is { b: { id: string; label: string }; v: number } => x.v != null && Number.isFinite(x.v));
    if (ratios.length === 0) continue;
    const worst = ratios.reduce((a, c) => (c.v < a.v ? c : a));
    lines.push(`- ${familyLabel(group)}: ${worst.v >= 1 ? 'holds' : '**misses**'} (lowest ${fmtRatio(worst.v)}, vs ${worst.b.label})`);
  }
  return lines;
}

export function markdownReport(r: SuiteResult): string {
  const engines = r.meta.engines;
  const ours = engines[0]!;
  const baselines = engines.slice(1);
  const lines: string[] = [];
  const o = r.meta.options;
  lines.push(`# cnn-webgpu kernel benchmark`, '');
  lines.push(`- Adapter: **${r.meta.adapter.description}** (${[r.meta.adapter.vendor, r.meta.adapter.architecture].filter(Boolean).join(' / ') || 'unknown'}${r.meta.adapter.isSoftware ? ', software' : ''}; timestamp-query ${r.meta.adapter.hasTimestampQuery ? 'yes' : 'no'})`);
  lines.push(`- Browser: ${r.meta.browser}`);
  lines.push(`- Date: ${r.meta.date} · ${r.rows.length} rows · ${(r.meta.durationMs / 1000).toFixed(0)} s`);
  lines.push(`- Samples: ${o.samples} after ${o.warmup} warm-up calls (median, p10–p90 in ms per call, wall time to onSubmittedWorkDone; "gpu": timestamp-query time of the compute passes). Ratios: a baseline's median wall time over ours (> 1: we are faster).`);
  lines.push('');
  lines.push(`## Geometric means of our speed-up (wall time)`, '');
  lines.push(`| op family | ${baselines.map((b) => `vs ${b.label}`).join(' | ')} |`);
  lines.push(`| --- | ${baselines.map(() => '---:').join(' | ')} |`);
  for (const [fam, per] of Object.entries(r.geomeanByFamily)) {
    lines.push(`| ${familyLabel(fam)} | ${baselines.map((b) => fmtRatio(per[b.id])).join(' | ')} |`);
  }
  lines.push(`| **all rows** | ${baselines.map((b) => `**${fmtRatio(r.geomeanAll[b.id])}**`).join(' | ')} |`);
  lines.push('');
  const gpuBaselines = baselines.filter((b) => Object.values(r.gpuGeomeanByFamily).some((per) => per[b.id] != null));
  if (gpuBaselines.length) {
    lines.push(`By GPU time (timestamp queries; engines on the GPU only):`, '');
    lines.push(`| op family | ${gpuBaselines.map((b) => `vs ${b.label}`).join(' | ')} |`);
    lines.push(`| --- | ${gpuBaselines.map(() => '---:').join(' | ')} |`);
    for (const [fam, per] of Object.entries(r.gpuGeomeanByFamily)) {
      lines.push(`| ${familyLabel(fam)} | ${gpuBaselines.map((b) => fmtRatio(per[b.id])).join(' | ')} |`);
    }
    lines.push('');
  }
  lines.push(...targetLines(r, baselines), '');
  lines.push(`## Warm time per call (ms)`, '');
  lines.push(`| layer | op | shapes | ${ours.label} | rate | ${baselines.map((b) => `${b.label} | ×`).join(' | ')} |`);
  lines.push(`| --- | --- | --- | ---: | ---: | ${baselines.map(() => '---: | ---:').join(' | ')} |`);
  for (const row of r.rows) lines.push(rowLine(row, ours.id, baselines.map((b) => b.id)));
  lines.push('');
  lines.push(`## Cold time (first call, pipeline compilation included, ms)`, '');
  lines.push(`| layer | op | ${engines.map((e) => e.label).join(' | ')} |`);
  lines.push(`| --- | --- | ${engines.map(() => '---:').join(' | ')} |`);
  for (const row of r.rows) {
    lines.push(`| ${row.case.shape} | ${row.case.family} | ${engines.map((e) => {
      const m = row.results[e.id];
      return m?.coldMs != null ? fmtMs(m.coldMs) : m?.status ?? '–';
    }).join(' | ')} |`);
  }
  // One line per engine and reason, with the rows it covers (an n/a reason repeats on every row).
  const byReason = new Map<string, string[]>();
  for (const row of r.rows) {
    for (const e of engines) {
      const m = row.results[e.id];
      if (!m || m.status === 'ok' || !m.note) continue;
      const key = m.status === 'n/a' ? `${e.label}: n/a: ${m.note}` : `${e.label} on ${row.case.id}: ${m.status}: ${m.note}`;
      byReason.set(key, [...(byReason.get(key) ?? []), row.case.id]);
    }
  }
  const notes = [...byReason].map(([k, ids]) => `- ${esc(k)}${k.includes(': n/a: ') ? ` (${ids.length} row${ids.length > 1 ? 's' : ''})` : ''}`);
  const variants = r.rows.filter((row) => row.results[ours.id]?.variant).map((row) => {
    const m = row.results[ours.id]!;
    return `${row.case.id}: ${m.variant}${m.dispatches != null && m.dispatches > 1 ? ` (${m.dispatches} dispatches)` : ''}`;
  });
  if (notes.length) lines.push('', '## Not timed', '', ...notes);
  if (variants.length) lines.push('', '## Our kernel variants', '', variants.join(' · '));
  lines.push('');
  return lines.join('\n');
}

function rowLine(row: RowResult, ours: string, baselines: string[]): string {
  const c = row.case;
  const m = row.results[ours];
  const rate = m?.status === 'ok' ? `${fmtRate(m.rate)} ${c.unit}` : '–';
  const cells = baselines.map((b) => `${cell(row.results[b])} | ${fmtRatio(row.ratios[b])}`);
  return `| ${c.shape} | ${c.family} | ${esc(c.dims)} | ${cell(m)} | ${rate} | ${cells.join(' | ')} |`;
}
