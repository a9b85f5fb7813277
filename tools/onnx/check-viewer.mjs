// `npm run check:onnx-viewer`: <cnn-layer-viewer> on demo/onnx.html shows every layer of AlexNet
// (random weights, from test-artifacts/onnx-landmarks/: make it with tools/onnx/landmarks.py) for the
// astronaut photo, in headless Chromium; screenshot test-artifacts/alexnet-viewer.png. Outside the
// test suite: AlexNet's 240 MB take minutes on a software adapter. Builds the bundle first.
import { existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { chromium } from 'playwright';
import { startDemoServer } from '../demo-server.mjs';
import { chromeArgs, findChrome } from '../find-chrome.mjs';
import { checkOnnxViewer } from '../../test/e2e/onnx_viewer_checks.mjs';

const MODEL = process.env.ONNX_VIEWER_MODEL ?? 'test-artifacts/onnx-landmarks/alexnet.onnx';
if (!existsSync(MODEL)) {
  console.error(`${MODEL} is missing: run tools/onnx/landmarks.py first (see its header)`);
  process.exit(2);
}
if (spawnSync('node', ['esbuild.config.mjs'], { stdio: 'inherit' }).status !== 0) process.exit(1);
mkdirSync('test-artifacts', { recursive: true });
const server = await startDemoServer({ port: 0 });
const browser = await chromium.launch({ executablePath: findChrome(), headless: true, args: chromeArgs(), timeout: 120_000 });
const t0 = Date.now();
try {
  // AlexNet (bvlc) takes BGR bytes minus the mean, as Caffe did.
  const r = await checkOnnxViewer(
    { server, getBrowser: async () => browser, artifacts: 'test-artifacts' },
    { model: `../${MODEL}`, shot: 'alexnet-viewer.png', timeout: 570_000, extra: '&input-range=0%20255&mean=104%20117%20123&std=1&channel-order=bgr' },
  );
  console.log(`✓ ${r.rows.length} layer rows drawn, every tile (${r.rows.map((x) => x.name).join(', ')}); input ${r.inputShape.join('×')}; top class ${r.predictions?.[0]?.label ?? '–'}; ${((Date.now() - t0) / 1000).toFixed(0)} s; test-artifacts/alexnet-viewer.png`);
} catch (err) {
  console.error(`✗ ${err.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  await server.close?.();
}
