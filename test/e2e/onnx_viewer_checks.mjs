// End-to-end check of demo/onnx.html: <cnn-layer-viewer> given an ONNX model by URL (the small
// free-size classifier fixture, or with ONNX_VIEWER_MODEL any other, e.g. AlexNet from
// test-artifacts/onnx-landmarks) and the astronaut photo draws every layer row; and a .onnx given as
// files (as a drop or a file picker does) loads the same way. Screenshot: test-artifacts/onnx-viewer.png.
import { join } from 'node:path';

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

/** Opens demo/onnx.html on `model`, waits for the viewer, checks every layer row is drawn, saves `shot`. */
export async function checkOnnxViewer({ server, getBrowser, artifacts }, { model, shot, timeout = 150_000, extra = '' }) {
  const browser = await getBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  try {
    const url = new URL(`onnx.html?model=${encodeURIComponent(model)}&src=images/astronaut-224.png${extra}`, server.url).href;
    await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    await page.waitForFunction(() => ['ready', 'error', 'unsupported'].includes(document.getElementById('viewer')?.state), null, { timeout, polling: 500 });
    const r = await page.evaluate(() => {
      const el = document.getElementById('viewer');
      const root = el.shadowRoot;
      const rows = [...root.querySelectorAll('section.layer')].map((s) => {
        const canvases = [...s.querySelectorAll('canvas')];
        const drawn = canvases.filter((c) => c.width > 0 && c.height > 0 && c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 === 3 && v > 0)).length;
        return { name: s.dataset.layer, meta: s.querySelector('.meta')?.textContent ?? '', tiles: canvases.length, drawn };
      });
      const wanted = el.loadedModel ? el.loadedModel.layers.filter((l) => l.className !== 'InputLayer' && l.className !== 'OnnxIdentity' && l.className !== 'Dropout').map((l) => l.name) : [];
      return { state: el.state, notice: root.querySelector('.notice')?.textContent?.trim() ?? '', rows, wanted, inputShape: el.loadedModel?.inputShape, predictions: el.topPredictions };
    });
    expect(r.state === 'ready', `the viewer ended '${r.state}': ${r.notice.slice(0, 300)}`);
    expect(r.rows.length > 0, 'no layer rows drawn');
    for (const row of r.rows) expect(row.tiles > 0 && row.drawn === row.tiles, `layer ${row.name}: ${row.drawn} of ${row.tiles} tiles drawn`);
    const shown = new Set(r.rows.map((x) => x.name));
    const missing = r.wanted.filter((n) => !shown.has(n));
    expect(missing.length === 0, `layers without a row: ${missing.join(', ')}`);
    expect(pageErrors.length === 0, `page errors: ${pageErrors.join('; ')}`);
    await page.screenshot({ path: join(artifacts, shot), fullPage: true });
    return r;
  } finally {
    await context.close();
  }
}

export const onnxViewerTests = [
  {
    name: 'ONNX viewer page: a free-size .onnx by URL and the astronaut photo, every layer row drawn with its op, top classes from the file\u2019s metadata; the same model as dropped files (screenshot onnx-viewer.png)',
    async run(env) {
      const r = await checkOnnxViewer(env, { model: '../test/fixtures/onnx/small_classifier.onnx', shot: 'onnx-viewer.png' });
      expect(r.inputShape.join(',') === '224,224,3', `input ${r.inputShape} (the free size should take the photo's 224×224)`);
      expect(r.rows.some((x) => x.meta.includes('(Conv)')), 'no row names its ONNX op');
      expect(r.predictions?.[0]?.label && !/^\d+$/.test(r.predictions[0].label), `top class ${r.predictions?.[0]?.label} is not a name from the metadata`);
      // As files (what a drop or the picker hands over).
      const browser = await env.getBrowser();
      const context = await browser.newContext();
      const page = await context.newPage();
      try {
        await page.goto(new URL('onnx.html', env.server.url).href, { waitUntil: 'load' });
        await page.setInputFiles('#files', 'test/fixtures/onnx/small_classifier.onnx');
        await page.waitForFunction(() => document.getElementById('viewer')?.state === 'ready' && document.getElementById('viewer').loadedModel, null, { timeout: 120_000, polling: 500 });
        const n = await page.evaluate(() => document.getElementById('viewer').shadowRoot.querySelectorAll('section.layer').length);
        expect(n >= 8, `${n} layer rows after picking the file`);
      } finally {
        await context.close();
      }
    },
  },
];
