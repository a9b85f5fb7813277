#!/usr/bin/env node
// Runs demo/bench.html's <cnn-kernel-bench> on a small selection in headless Chromium and saves a
// screenshot of the page with its table and chart (test-artifacts/bench.png by default).
//   node bench/screenshot.mjs [--shapes lenet.pool1,lenet.fc1] [--samples 5] [--out test-artifacts/bench.png]
import { parseArgs } from 'node:util';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from 'playwright';
import { buildBench } from './build.mjs';
import { startDemoServer } from '../tools/demo-server.mjs';
import { findChrome, chromeArgs } from '../tools/find-chrome.mjs';

const { values: a } = parseArgs({
  options: {
    shapes: { type: 'string', default: 'lenet.pool1,lenet.fc1,lenet.train' }, ops: { type: 'string', default: '' },
    samples: { type: 'string', default: '5' }, engines: { type: 'string', default: 'tfjs-webgpu,jax-webgpu,ort-webgpu,tfjs-cpu' },
    out: { type: 'string', default: 'test-artifacts/bench.png' },
  },
});
const chrome = findChrome();
if (!chrome) process.exit(1);
await buildBench({ quiet: true });
const server = await startDemoServer({ port: 0 });
const browser = await chromium.launch({ executablePath: chrome, headless: true, args: [...chromeArgs(), '--enable-webgpu-developer-features'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
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
} finally {
  await browser.close();
  await server.close();
}
