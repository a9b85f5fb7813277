/**
 * The benchmark under Node.js with Dawn (the `webgpu` package) instead of a browser: for machines
 * with a GPU but no browser (../shared/GPU.md). Same suite, cases, measurement and report as
 * `npm run bench`; the baselines that run outside a page are TF.js (WebGPU and CPU backends) and
 * jax-js. Bundled to dist/bench-node.js by `npm run bench:node` (bench/build.mjs), which also runs it.
 *
 *   node dist/bench-node.js --shape vgg-block --samples 30 --out results   # writes results.json and results.md
 */
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { create, globals } from 'webgpu';
import { installGpuTimer } from './gpu_timer.js';
import { loadEngines } from './engines/load.js';
import { allCases, selectCases, runSuite } from './suite.js';
import { markdownReport } from './report.js';
import type { Engine } from '../src/engine.js';

const { values: a } = parseArgs({
  options: {
    op: { type: 'string' }, shape: { type: 'string' }, engines: { type: 'string', default: 'tfjs-webgpu,jax-webgpu,tfjs-cpu' },
    samples: { type: 'string', default: '30' }, rounds: { type: 'string', default: '3' }, warmup: { type: 'string', default: '3' },
    'max-seconds': { type: 'string', default: '0' }, variant: { type: 'string' }, out: { type: 'string' },
    'dawn-toggle': { type: 'string', multiple: true, default: [] },
  },
});

// Dawn's WebGPU classes become globals (the GPU timer patches their prototypes), and the suite finds
// the GPU where a page would: navigator.gpu.
Object.assign(globalThis, globals);
const gpu = create(a['dawn-toggle']);
Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: `Node.js ${process.version}, Dawn (webgpu npm package)` }, configurable: true });
installGpuTimer();

const cases = selectCases(allCases(), { ops: a.op, shapes: a.shape });
if (cases.length === 0) {
  console.error(`bench-node: no case matches --op '${a.op ?? ''}' --shape '${a.shape ?? ''}'`);
  process.exit(2);
}
const variant = a.variant as 'autotune' | 'block' | 'vec4' | 'few' | 'tiled' | undefined;
const engines = await loadEngines(a.engines.split(',').map((s) => s.trim()).filter(Boolean), { conv2dVariant: variant });
const ours = (engines[0] as unknown as { engine: Engine }).engine;
let exitCode = 0;
try {
  const result = await runSuite(engines, cases, {
    samples: Number(a.samples), rounds: Number(a.rounds), warmup: Number(a.warmup), maxSecondsPerMeasurement: Number(a['max-seconds']),
  }, {
    adapter: { ...ours.info },
    browser: navigator.userAgent,
    onProgress: (p) => process.stderr.write(`[${p.done}/${p.total}] ${p.caseId} · ${p.engine}: ${p.message}\n`),
  });
  process.stderr.write('\n');
  const markdown = markdownReport(result);
  console.log(markdown);
  if (a.out) {
    writeFileSync(`${a.out}.json`, JSON.stringify(result, null, 1));
    writeFileSync(`${a.out}.md`, markdown);
    console.log(`wrote ${a.out}.json and ${a.out}.md`);
  }
} catch (err) {
  console.error(`bench-node: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  exitCode = 1;
} finally {
  for (const e of engines) await e.dispose();
}
// Dawn keeps the process alive while the GPU object is referenced.
process.exit(exitCode);
