#!/usr/bin/env node
// Runs demo/bench.html's <cnn-kernel-bench> on a small selection in headless Chromium and saves a
// screenshot of the page with its table and chart (test-artifacts/bench.png by default).
//   node bench/screenshot.mjs [--shapes lenet.pool1,lenet.fc1] [--samples 5] [--out test-artifacts/bench.png]
//   node bench/screenshot.mjs --models-json bench/results/X-models.json   (the Models tab showing a saved result, and its chart alone)
import { parseArgs } from 'node:util';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from 'playwright';
import { buildBench } from './build.mjs';
import { startDemoServer } from '../tools/demo-server.mjs';
import { findChrome, chromeArgs } from '../tools/find-chrome.mjs';

const { values: a } = parseArgs({
  options: {
    shapes: { type: 'string', default: 'lenet.pool1,lenet.fc1,lenet.train' }, ops: { type: 'string', default: '' },
    samples: { type: 'string', default: '5' }, engines: { type: 'string', default: 'tfjs-webgpu,jax-webgpu,ort-webgpu,tfjs-cpu' },
    out: { type: 'string', default: 'test-artifacts/bench.png' }, 'models-json': { type: 'string' },
  },
});
/**
 * A full-page PNG through the DevTools protocol: Playwright's page.screenshot waited forever for
 * fonts on this machine's headless Chromium (a busy 2-core VM), where this returns at once.
 */
async function capture(page, path) {
  const cdp = await page.context().newCDPSession(page);
  const { data } = await cdp.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
  writeFileSync(path, Buffer.from(data, 'base64'));
  await cdp.detach();
}

const chrome = findChrome();
if (!chrome) process.exit(1);
await buildBench({ quiet: true });
const server = await startDemoServer({ port: 0 });
const browser = await chromium.launch({ executablePath: chrome, headless: true, args: [...chromeArgs(), '--enable-webgpu-developer-features'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  if (a['models-json']) {
    const result = JSON.parse(readFileSync(a['models-json'], 'utf8'));
    await page.goto(`${new URL(server.url).origin}/demo/bench.html`);
    await page.waitForFunction(() => customElements.get('cnn-kernel-bench'));
    await page.evaluate((r) => document.querySelector('cnn-kernel-bench').showModelResult(r), result);
    await page.waitForTimeout(500);
    mkdirSync(dirname(a.out), { recursive: true });
    await capture(page, a.out);
    const svg = a['models-json'].replace(/\.json$/, '.svg');
    await page.setContent(`<body style="margin:0">${readFileSync(svg, 'utf8')}</body>`);
    const chart = a.out.replace(/\.png$/, '-chart.png');
    await capture(page, chart);
    console.log(`wrote ${a.out} and ${chart}`);
  } else {
    const q = new URLSearchParams({ shapes: a.shapes, ops: a.ops, samples: a.samples, engines: a.engines, autorun: '' });
    await page.goto(`${new URL(server.url).origin}/demo/bench.html?${q}`);
    const status = await page.waitForFunction(() => {
      const el = document.querySelector('cnn-kernel-bench');
      const s = el?.status;
      return s === 'done' || s === 'error' ? s : false;
    }, null, { timeout: 30 * 60_000, polling: 1000 });
    console.log(`element status: ${await status.jsonValue()}`);
    mkdirSync(dirname(a.out), { recursive: true });
    await page.screenshot({ path: a.out, fullPage: true });
    console.log(`wrote ${a.out}`);
  }
} finally {
  await browser.close();
  await server.close();
}
