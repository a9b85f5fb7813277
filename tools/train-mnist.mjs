#!/usr/bin/env node
// `npm run train:mnist`: trains a digit network on all of MNIST with cnn-webgpu in headless Chromium
// (WebGPU; SwiftShader where there is no GPU), prints progress, evaluates on the 10,000 test digits,
// and writes the model in the TF.js layers format to demo/models/mnist/ (model.json + weights.bin).
// Options: --preset lenet|deeper|tiny  --epochs N  --batch N  --lr X  --seed N  --limit N  --out DIR
import { build } from 'esbuild';
import { wgslEsbuildPlugin } from './wgsl-module.mjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright';
import { startDemoServer } from './demo-server.mjs';
import { chromeArgs, findChrome } from './find-chrome.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const request = {
  preset: option('preset', 'lenet'),
  epochs: Number(option('epochs', 3)),
  batchSize: Number(option('batch', 64)),
  learningRate: Number(option('lr', 0.001)),
  seed: Number(option('seed', 1)),
  limit: option('limit') ? Number(option('limit')) : undefined,
};
const out = option('out', 'demo/models/mnist');

const chrome = findChrome();
if (!chrome) process.exit(1);
mkdirSync('dist', { recursive: true });
await build({
  entryPoints: ['tools/train-mnist/page.ts'],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  plugins: [wgslEsbuildPlugin],
  outfile: 'dist/train-mnist.js',
  logLevel: 'warning',
});
writeFileSync('dist/train-mnist.html', '<!doctype html><meta charset="utf-8"><title>train:mnist</title><script type="module" src="./train-mnist.js"></script>\n');

const server = await startDemoServer({ port: 0 });
const browser = await chromium.launch({ executablePath: chrome, headless: true, args: chromeArgs() });
try {
  const page = await browser.newPage();
  page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
  // Without a terminal (CI logs), one progress line every 30 s.
  let lastLogged = 0;
  await page.exposeFunction('cnnProgress', (line) => {
    if (process.stdout.isTTY) process.stdout.write(`\r\x1b[K${line.replace(/\n$/, '')}${line.endsWith('\n') ? '\n' : ''}`);
    else if (line.endsWith('\n') || line.startsWith('adapter') || Date.now() - lastLogged > 30_000) {
      lastLogged = Date.now();
      console.log(line.trimEnd());
    }
  });
  await page.goto(new URL('/dist/train-mnist.html', server.url).href);
  await page.waitForFunction(() => typeof window.cnnTrain === 'function');
  console.log(`training ${request.preset} for ${request.epochs} epochs, batch ${request.batchSize}, Adam lr ${request.learningRate}, seed ${request.seed}`);
  const result = await page.evaluate((req) => window.cnnTrain(req), request);
  console.log(`\ntest accuracy (our engine, 10,000 MNIST test digits): ${(result.test.accuracy * 100).toFixed(2)}%  loss ${result.test.loss.toFixed(4)}`);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'model.json'), JSON.stringify(result.modelJson));
  writeFileSync(join(out, 'weights.bin'), Buffer.from(result.weights, 'base64'));
  writeFileSync(
    join(out, 'TRAINING.md'),
    `Trained by cnn-webgpu with \`npm run train:mnist -- --preset ${request.preset} --epochs ${request.epochs} --batch ${request.batchSize} --lr ${request.learningRate} --seed ${request.seed}\`\n` +
      `on ${result.adapter}, on the 60,000 MNIST training digits (pixels scaled to [0, 1]).\n\n` +
      `Test accuracy on the 10,000 MNIST test digits, by our engine: ${(result.test.accuracy * 100).toFixed(2)}%.\n` +
      result.history.epochs.map((h) => `- epoch ${h.epoch + 1}: train loss ${h.loss.toFixed(4)}, ${h.seconds.toFixed(0)} s\n`).join(''),
  );
  console.log(`wrote ${out}/model.json and weights.bin`);
} finally {
  await browser.close();
  await server.close();
}
