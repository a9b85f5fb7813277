#!/usr/bin/env node
// `npm run bench`: bundles the suite, serves the repository, runs the suite in headless Chromium
// (WebGPU; SwiftShader where there is no GPU), shows a progress line, prints the Markdown table and
// writes bench/results/<date>-<adapter>.json and .md.
//
//   npm run bench -- --op conv2d --shape lenet --samples 30 --engines tfjs-webgpu,tfjs-cpu
//   npm run bench -- --list --op pool          (the case ids that would run)
//   npm run bench -- --models squeezenet,mnist --samples 3   (whole networks: bench/models/)
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright';
import { buildBench } from './build.mjs';
import { startDemoServer } from '../tools/demo-server.mjs';
import { findChrome, chromeArgs } from '../tools/find-chrome.mjs';

const ALL_ENGINES = 'tfjs-webgpu,jax-webgpu,ort-webgpu,tfjs-cpu';
const MODEL_ENGINES = 'ort-webgpu,ort-wasm,tfjs-webgpu,tfjs-cpu,jax-webgpu';
const HELP = `npm run bench -- [options]
  --op LIST        op families to run, comma-separated substrings (conv2d, conv2dGradInput, maxPool, matMul, trainStep, …)
  --shape LIST     layers, comma-separated substrings (lenet, alexnet-b8.conv3, vgg-block, face.conv64, …)
  --engines LIST   baselines (default ${ALL_ENGINES}); ours always runs; cnn-webgpu-unfused adds ours with the layers unfused as a column, cnn-webgpu-blocks ours with every convolution on the register-block kernels
  --samples N      timed samples per measurement (default 30)
  --rounds N       take the samples in N rounds, every engine in turn (default 3)
  --warmup N       untimed calls first (default 3)
  --min-sample-ms T  repeat calls within a sample until it lasts about T ms (default 25): amortises the wait for the GPU
  --max-seconds S  fewer samples (not under 5) where samples × a call would pass S seconds (default: no cap)
  --variant V      our conv2d forward kernel (conv2d and convLayer rows): block, vec4, few, tiled; or autotune (time the conv2d, matMul and depthwise variants per shape class first; default: the engine's rules)
  --unfused        our layer rows and training step with bias add and relu as dispatches of their own (as before the fused epilogues)
  --trace FILE     also write a Chrome trace (chrome://tracing, ui.perfetto.dev) of one call of each of our rows, every dispatch submitted alone and timed by timestamp queries
  --no-gpu-timer   no timestamp queries
  --out DIR        where to write the results (default bench/results)
  --no-write       print the table only (quick checks)
  --list           print the selected case ids and exit
  --timeout S      give up after S seconds (default 3600)

Whole networks (bench/models/; writes <date>-<adapter>-models.json, .md and .svg):
  --models [LIST]  run the model rows instead of the kernel rows: all, or networks, comma-separated
                   (squeezenet, shufflenet, alexnet, inception_v1, resnet50, densenet121, vgg19, mnist, face, lenet, deeper)
  --kinds LIST     forward, viewer, train (default all)
  --batches LIST   forward batch sizes (default: 1 everywhere, 8 for the networks that are not heavy)
  --onnx-dir DIR   the landmark .onnx files, a folder inside the repository (default test-artifacts/onnx-landmarks/;
                   make them with /tmp/onnxenv/bin/python tools/onnx/landmarks.py [--batch 8])
  --heavy-samples N  samples of the heavy rows (ResNet-50, VGG-19, DenseNet-121, Inception v1, AlexNet, face b8; default 3)
  With --models: --engines defaults to ${MODEL_ENGINES}, --samples to 10, --rounds to 2, --warmup to 1, --max-seconds to 60 (under the cap, at least 2 samples)`;

// `--models` alone means every network.
const argv = process.argv.slice(2);
const at = argv.indexOf('--models');
if (at >= 0 && (at === argv.length - 1 || argv[at + 1].startsWith('--'))) argv.splice(at + 1, 0, 'all');
const { values: a } = parseArgs({
  args: argv,
  options: {
    op: { type: 'string' }, shape: { type: 'string' }, engines: { type: 'string' },
    models: { type: 'string' }, kinds: { type: 'string' }, batches: { type: 'string' }, 'onnx-dir': { type: 'string' }, 'heavy-samples': { type: 'string' },
    samples: { type: 'string' }, rounds: { type: 'string' }, warmup: { type: 'string' }, 'min-sample-ms': { type: 'string', default: '25' }, 'max-seconds': { type: 'string' },
    variant: { type: 'string' }, unfused: { type: 'boolean', default: false }, trace: { type: 'string' }, 'no-gpu-timer': { type: 'boolean', default: false }, out: { type: 'string', default: 'bench/results' }, 'no-write': { type: 'boolean', default: false },
    list: { type: 'boolean', default: false }, timeout: { type: 'string', default: '3600' }, help: { type: 'boolean', default: false },
  },
});
if (a.help) {
  console.log(HELP);
  process.exit(0);
}

const chrome = findChrome();
if (!chrome) process.exit(1);

await buildBench({ quiet: true });
const server = await startDemoServer({ port: 0 });
const origin = new URL(server.url).origin;
// Unquantised timestamps need the developer features; SwiftShader is Chromium's adapter without a GPU.
const browser = await chromium.launch({ executablePath: chrome, headless: true, args: [...chromeArgs(), '--enable-webgpu-developer-features'] });
let exitCode = 0;
// Ctrl-C (or a CI timeout's SIGTERM) closes the browser and the server instead of orphaning them.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    console.error(`\nnpm run bench: stopped (${sig})`);
    Promise.allSettled([browser.close(), server.close()]).then(() => process.exit(130));
  });
}
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') process.stderr.write(`\n[page] ${m.text().slice(0, 400)}\n`);
  });
  page.on('pageerror', (e) => process.stderr.write(`\n[page error] ${e.message}\n`));
  const tty = process.stdout.isTTY;
  let lastLen = 0;
  await page.exposeFunction('cnnBenchProgress', (p) => {
    const line = `[${p.done}/${p.total}] ${p.message}`;
    if (tty) {
      const cols = process.stdout.columns || 120;
      const shown = line.slice(0, cols - 1);
      process.stdout.write(`\r${shown}${' '.repeat(Math.max(0, lastLen - shown.length))}`);
      lastLen = shown.length;
    } else {
      console.log(line);
    }
  });
  await page.goto(`${origin}/bench/runner.html`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60_000 });
  const engineList = (d) => (a.engines ?? d).split(',').map((s) => s.trim()).filter(Boolean);
  if (a.models !== undefined) {
    const dir = (a['onnx-dir'] ?? 'test-artifacts/onnx-landmarks').replace(/^\.?\//, '').replace(/\/?$/, '/');
    const o = {
      models: a.models === 'all' ? '' : a.models, kinds: a.kinds, batches: a.batches, onnxDir: dir, engines: engineList(MODEL_ENGINES),
      samples: Number(a.samples ?? 10), heavySamples: Number(a['heavy-samples'] ?? 3), rounds: Number(a.rounds ?? 2), warmup: Number(a.warmup ?? 1),
      minSampleMs: Number(a['min-sample-ms']), maxSecondsPerMeasurement: Number(a['max-seconds'] ?? 60), gpuTimer: !a['no-gpu-timer'],
      ortWasmPaths: '/dist/bench/ort/', browser: `Chromium ${browser.version()} (headless, Playwright)`,
    };
    if (a.list) {
      const ids = await page.evaluate((x) => window.cnnBench.modelCases(x), o);
      console.log(`${ids.join('\n')}\n${ids.length} rows`);
    } else {
      page.setDefaultTimeout(Number(a.timeout) * 1000);
      const stampNow = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
      const { result, markdown, svg } = await page.evaluate((x) => window.cnnBench.runModels(x), { ...o, chartFile: '__CHART__' });
      if (tty) process.stdout.write(`\r${' '.repeat(lastLen)}\r`);
      const slug = result.meta.adapter.description.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'adapter';
      const stamp = result.meta.date.replace(/[:]/g, '-').replace(/\..*$/, '') || stampNow;
      const name = `${stamp}-${slug}-models`;
      console.log(markdown.replace('__CHART__', `${name}.svg`));
      if (!a['no-write']) {
        mkdirSync(a.out, { recursive: true });
        writeFileSync(`${a.out}/${name}.json`, `${JSON.stringify(result, null, 2)}\n`);
        writeFileSync(`${a.out}/${name}.md`, markdown.replace('__CHART__', `${name}.svg`));
        writeFileSync(`${a.out}/${name}.svg`, svg);
        // The README shows the latest chart under a name that does not change.
        writeFileSync(`${a.out}/models-latest.svg`, svg);
        console.log(`wrote ${a.out}/${name}.json, .md and .svg (and ${a.out}/models-latest.svg)`);
      }
    }
  } else if (a.list) {
    const ids = await page.evaluate((o) => window.cnnBench.cases(o), { ops: a.op, shapes: a.shape });
    console.log(ids.join('\n'));
    console.log(`${ids.length} cases`);
  } else {
    const options = {
      ops: a.op, shapes: a.shape, engines: engineList(ALL_ENGINES),
      samples: Number(a.samples ?? 30), rounds: Number(a.rounds ?? 3), warmup: Number(a.warmup ?? 3), minSampleMs: Number(a['min-sample-ms']), maxSecondsPerMeasurement: Number(a['max-seconds'] ?? 0),
      gpuTimer: !a['no-gpu-timer'], conv2dVariant: a.variant, unfused: a.unfused, trace: !!a.trace, ortWasmPaths: '/dist/bench/ort/',
      browser: `Chromium ${browser.version()} (headless, Playwright)`,
    };
    page.setDefaultTimeout(Number(a.timeout) * 1000);
    const { result, markdown, trace } = await page.evaluate((o) => window.cnnBench.run(o), options);
    if (tty) process.stdout.write(`\r${' '.repeat(lastLen)}\r`);
    console.log(markdown);
    if (a.trace && trace) {
      writeFileSync(a.trace, `${JSON.stringify(trace)}\n`);
      console.log(`wrote ${a.trace} (${trace.traceEvents.filter((e) => e.ph !== 'M').length} dispatches; open it in ui.perfetto.dev or chrome://tracing)`);
    }
    if (!a['no-write']) {
      mkdirSync(a.out, { recursive: true });
      const slug = result.meta.adapter.description.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'adapter';
      const stamp = result.meta.date.replace(/[:]/g, '-').replace(/\..*$/, '');
      const base = `${a.out}/${stamp}-${slug}`;
      writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
      writeFileSync(`${base}.md`, markdown);
      console.log(`wrote ${base}.json and ${base}.md`);
    }
  }
} catch (err) {
  console.error(`\nnpm run bench: ${err?.message ?? err}`);
  exitCode = 1;
} finally {
  await browser.close();
  await server.close();
}
process.exit(exitCode);
