#!/usr/bin/env node
// Lists the rows of a results file where our engine loses to a baseline, worst first, and the
// mismatches: the to-do list of the performance work.
//   node bench/losses.mjs bench/results/<file>.json [--baseline tfjs-cpu]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: a, positionals } = parseArgs({ allowPositionals: true, options: { baseline: { type: 'string' } } });
if (!positionals[0]) {
  console.error('usage: node bench/losses.mjs <results.json> [--baseline id]');
  process.exit(1);
}
const r = JSON.parse(readFileSync(positionals[0], 'utf8'));
const ours = r.meta.ours;
const label = Object.fromEntries(r.meta.engines.map((e) => [e.id, e.label]));
const losses = [];
for (const row of r.rows) {
  for (const [b, ratio] of Object.entries(row.ratios)) {
    if (a.baseline && b !== a.baseline) continue;
    if (ratio != null && ratio < 1) {
      const m = row.results[ours];
      losses.push({ ratio, text: `${row.case.id.padEnd(42)} ${label[b].padEnd(15)} ${ratio.toFixed(2)}×  ours ${m.wallMs.median.toPrecision(3)} ms (gpu ${m.gpuMs?.median.toPrecision(3) ?? '–'}) vs ${row.results[b].wallMs.median.toPrecision(3)} ms  [${m.variant ?? ''}]` });
    }
  }
}
losses.sort((x, y) => x.ratio - y.ratio);
console.log(`${losses.length} losing row×baseline pairs of ${r.rows.length} rows\n`);
for (const l of losses) console.log(l.text);
const bad = r.rows.flatMap((row) => Object.entries(row.results).filter(([, m]) => m.status === 'mismatch' || m.status === 'error').map(([id, m]) => `${row.case.id} · ${label[id]}: ${m.status}: ${m.note}`));
if (bad.length) console.log(`\nnot timed:\n${bad.join('\n')}`);
