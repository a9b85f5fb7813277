// End-to-end checks of the article (demo/index.html) and the embedding example (demo/embed.html) in
// headless Chromium, through the public bundle only, with both shipped models: the face network on
// the astronaut photo and the digit network on a drawn digit. Each page load runs the face network
// once (it is the slow part on a software adapter). Screenshots go to test-artifacts/.
import { join } from 'node:path';

const READY_MS = 120_000;
const GPU_ELEMENTS = 'cnn-layer-viewer, cnn-filter-viewer';
const FINAL = ['ready', 'error', 'unsupported'];

// shaders/colormap.wgsl's tables (matplotlib viridis, ColorBrewer RdBu), the specification the drawn pixels are checked against.
const VIRIDIS = [[68, 1, 84], [72, 36, 117], [65, 68, 135], [53, 95, 141], [42, 120, 142], [33, 145, 140], [34, 168, 132], [68, 191, 112], [122, 209, 81], [189, 223, 38], [253, 231, 37]];
const RDBU = [[5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240], [247, 247, 247], [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43], [103, 0, 31]];

function lookup(s, table) {
  const t = Math.min(Math.max(s, 0), 1) * 10;
  const i = Math.min(Math.floor(t), 9);
  const f = t - i;
  return [0, 1, 2].map((k) => Math.round(table[i][k] + (table[i + 1][k] - table[i][k]) * f));
}

function refColour(v, lo, hi, diverging) {
  if (!Number.isFinite(v)) return [128, 128, 128];
  if (diverging) {
    const m = Math.max(Math.abs(lo), Math.abs(hi));
    return lookup(m === 0 ? 0.5 : 0.5 + (0.5 * v) / m, RDBU);
  }
  return lookup(hi > lo ? (v - lo) / (hi - lo) : 0, VIRIDIS);
}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

/** Opens `path` in a fresh context and waits until every GPU element reached a final state. */
async function open({ server, getBrowser }, path, screenshot, setup) {
  const browser = await getBrowser();
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const pageErrors = [];
  const badResponses = [];
  const requests = [];
  page.on('request', (req) => requests.push(new URL(req.url()).pathname));
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('response', (res) => {
    if (res.status() >= 400) badResponses.push(`${res.status()} ${new URL(res.url()).pathname}`);
  });
  // Counts every cnn-ready per element id, from before the elements exist.
  await context.addInitScript(() => {
    window.__readyCounts = {};
    document.addEventListener('cnn-ready', (e) => {
      const id = e.target.id || e.target.localName;
      window.__readyCounts[id] = (window.__readyCounts[id] ?? 0) + 1;
    });
  });
  if (setup) await setup(context);
  try {
    await page.goto(new URL(path, server.url).href, { waitUntil: 'load', timeout: 30_000 });
    try {
      await page.waitForFunction(
        ([sel, final]) => {
          const els = [...document.querySelectorAll(sel)];
          return els.length > 0 && els.every((e) => customElements.get(e.localName) && final.includes(e.state));
        },
        [GPU_ELEMENTS, FINAL],
        { timeout: READY_MS, polling: 250 },
      );
    } catch {
      const states = await page.evaluate((sel) => [...document.querySelectorAll(sel)].map((e) => `${e.id || e.localName}: ${e.state}`).join(', '), GPU_ELEMENTS).catch(() => '?');
      throw new Error(`${path}: the elements did not finish within ${READY_MS / 1000} s (${states})`);
    }
    await page.screenshot({ path: screenshot, fullPage: true });
    return { context, page, pageErrors, badResponses, requests };
  } catch (err) {
    await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
    await context.close().catch(() => {});
    throw err;
  }
}

/** In the page: what each viewer shows, each tile's pixels, and the engine's values of the layers asked for. */
function inspectViewer(page, id, layers) {
  return page.evaluate(
    async ([id, layers]) => {
      const v = document.getElementById(id);
      const root = v.shadowRoot;
      const pixels = (c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
      const shown = v.shownLayers.map((s) => ({
        name: s.name, shape: s.shape, channels: s.channels, vector: s.vector, map: s.map, min: s.min, max: s.max,
        tileWidth: s.tileWidth, tileHeight: s.tileHeight, scales: s.channels.map((_, t) => s.scale(t)),
      }));
      const out = { state: v.state, shown, tiles: {}, values: {}, input: null, inputSize: null, predictions: v.topPredictions, notice: root.querySelector('.notice')?.textContent ?? '' };
      for (const s of shown) {
        out.tiles[s.name] = [...root.querySelectorAll(`section[data-layer="${s.name}"] button.tile canvas`)].map(pixels);
      }
      for (const name of layers) {
        const r = await v.readLayer(name);
        out.values[name] = { shape: r.shape, values: Array.from(r.values) };
      }
      if (v.input) {
        out.input = pixels(v.input);
        out.inputSize = [v.input.width, v.input.height];
      }
      return out;
    },
    [id, layers],
  );
}

function distinctColours(px) {
  const set = new Set();
  for (let i = 0; i < px.length; i += 4) set.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
  return set.size;
}

/** Pearson correlation. */
function correlation(a, b) {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let [sab, saa, sbb] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}

/** The drawn tiles of `layer` equal the engine's values through the colour map (every byte within 1). */
function checkDrawnEqualsEngine(info, layer, what) {
  const s = info.shown.find((l) => l.name === layer);
  expect(s, `${what}: layer ${layer} is not shown (shown: ${info.shown.map((l) => l.name).join(', ')})`);
  const { shape, values } = info.values[layer];
  const c = s.vector ? 1 : shape[shape.length - 1];
  s.channels.forEach((ch, t) => {
    const px = info.tiles[layer][t];
    const [lo, hi] = s.scales[t];
    let off = 0;
    for (let i = 0; i < s.tileWidth * s.tileHeight; i++) {
      const e = refColour(values[i * c + ch], lo, hi, s.map === 'diverging');
      if (e.some((v, k) => Math.abs(px[i * 4 + k] - v) > 1) || px[i * 4 + 3] !== 255) off++;
    }
    expect(off === 0, `${what}: ${layer} channel ${ch}: ${off} of ${s.tileWidth * s.tileHeight} drawn pixels differ from the engine's values through the ${s.map} map`);
  });
}

/** Layer-1 maps: non-blank, different from each other, and not a copy of the input. */
function checkFirstLayer(info, layer, what) {
  const s = info.shown.find((l) => l.name === layer);
  const tiles = info.tiles[layer];
  expect(tiles.length >= 4, `${what}: only ${tiles.length} tiles drawn for ${layer}`);
  tiles.forEach((px, t) => expect(distinctColours(px) >= 8, `${what}: ${layer} channel ${s.channels[t]} is blank (${distinctColours(px)} colours)`));
  const hashes = new Set(tiles.map((px) => px.join(',')));
  expect(hashes.size === tiles.length, `${what}: only ${hashes.size} of the ${tiles.length} ${layer} maps differ from each other`);
  // Each map against the input's luminance sampled at the map's pixel centres.
  const { shape, values } = info.values[layer];
  const [, h, w, c] = shape;
  const [iw, ih] = info.inputSize;
  const luma = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = Math.min(iw - 1, Math.floor(((x + 0.5) * iw) / w));
      const sy = Math.min(ih - 1, Math.floor(((y + 0.5) * ih) / h));
      const p = (sy * iw + sx) * 4;
      luma.push(0.299 * info.input[p] + 0.587 * info.input[p + 1] + 0.114 * info.input[p + 2]);
    }
  }
  const rs = s.channels.map((ch) => correlation(Array.from({ length: h * w }, (_, i) => values[i * c + ch]), luma));
  expect(rs.every((r) => Math.abs(r) < 0.99), `${what}: a ${layer} map is a copy of the input (correlations ${rs.map((r) => r.toFixed(2)).join(', ')})`);
  expect(rs.filter((r) => Math.abs(r) < 0.8).length >= 2, `${what}: the ${layer} maps look like the input itself (correlations ${rs.map((r) => r.toFixed(2)).join(', ')})`);
}

export const articleTests = [
  {
    name: 'article: the face and digit networks draw every layer; layer-1 maps are non-blank, differ from each other and from the input; the pixels are the engine’s values; drawing updates the digit viewer live',
    async run(env) {
      const { context, page, pageErrors, badResponses, requests } = await open(env, 'index.html', join(env.artifacts, 'article.png'));
      try {
        const states = await page.evaluate((sel) => [...document.querySelectorAll(sel)].map((e) => `${e.id || e.localName}: ${e.state}`), GPU_ELEMENTS);
        expect(states.every((s) => s.endsWith(': ready')), `not every element is ready: ${states.join(', ')}`);
        expect(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join(' | ')}`);
        expect(badResponses.length === 0, `failed requests: ${badResponses.join(', ')}`);

        const face = await inspectViewer(page, 'face', ['conv1_relu', 'embedding']);
        expect(face.inputSize?.join('×') === '150×150', `the face network's input is ${face.inputSize?.join('×')}`);
        checkFirstLayer(face, 'conv1_relu', 'face network');
        checkDrawnEqualsEngine(face, 'conv1_relu', 'face network');
        checkDrawnEqualsEngine(face, 'embedding', 'face network');
        expect(face.values.embedding.shape.join(',') === '1,128', `the embedding has shape ${face.values.embedding.shape}`);
        const fetched = requests.filter((p) => p.includes('/models/face-recognition/'));
        expect(fetched.length === 3, `the face model (model.json and 2 shards) was fetched ${fetched.length} times for its two elements: one copy per page expected (${fetched.join(', ')})`);
        const counts = await page.evaluate(() => window.__readyCounts);
        expect(counts.face === 1, `the face network ran ${counts.face} times for one page load`);

        const digits = await inspectViewer(page, 'digits', ['conv1', 'logits']);
        expect(digits.inputSize?.join('×') === '28×28', `the digit network's input is ${digits.inputSize?.join('×')}`);
        checkFirstLayer(digits, 'conv1', 'digit network');
        checkDrawnEqualsEngine(digits, 'conv1', 'digit network');
        checkDrawnEqualsEngine(digits, 'logits', 'digit network');
        const fed = digits.values.conv1 && (await page.evaluate(async () => Array.from((await document.getElementById('digits').readLayer(document.getElementById('digits').loadedModel.inputName)).values)));
        expect(fed.every((v) => v >= 0 && v <= 1) && Math.max(...fed) > 0.5, 'the drawn digit is not fed as pixels in [0, 1]');
        expect(digits.predictions?.length === 3, `the digit viewer lists ${digits.predictions?.length} predictions`);
        const sum = digits.values.logits.values.reduce((a, b) => a + b, 0);
        expect(Math.abs(sum - 1) < 1e-4, `the digit probabilities sum to ${sum}`);
        expect(digits.predictions[0].label === '3', `the sample 3 was read as ${digits.predictions.map((p) => `${p.label} ${(p.probability * 100).toFixed(0)}%`).join(', ')}`);

        const filters = await page.evaluate(() => {
          const f = document.querySelector('cnn-filter-viewer');
          return [...f.shadowRoot.querySelectorAll('canvas[data-filter]')].map((c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data));
        });
        expect(filters.length === 32, `${filters.length} filters drawn, expected conv1's 32`);
        expect(filters.every((px) => distinctColours(px) >= 10), 'a filter is drawn blank');

        // Draw a stroke across the pad: the digit viewer runs again while the mouse moves.
        const pad = page.locator('cnn-image-input[for="digits"]').locator('canvas.pad');
        await pad.scrollIntoViewIfNeeded();
        const box = await pad.boundingBox();
        const before = (await page.evaluate(() => window.__readyCounts.digits)) ?? 0;
        await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.15);
        await page.mouse.down();
        for (let i = 1; i <= 8; i++) {
          await page.mouse.move(box.x + box.width * (0.2 + i * 0.07), box.y + box.height * (0.15 + i * 0.09), { steps: 2 });
          await page.waitForTimeout(60);
        }
        const during = (await page.evaluate(() => window.__readyCounts.digits)) - before;
        await page.mouse.up();
        await page.waitForFunction((n) => window.__readyCounts.digits > n && document.getElementById('digits').state === 'ready', before + 1, { timeout: 30_000 });
        expect(during >= 1, 'the digit viewer did not update while the stroke was being drawn');

        // Open a first-layer tile of the face network: it shows large beside the input, with the value under the pointer.
        const tile = page.locator('#face').locator('section[data-layer="conv1_relu"] button.tile').nth(3);
        await tile.scrollIntoViewIfNeeded();
        await tile.click();
        const big = page.locator('#face').locator('canvas.detail-map');
        await big.waitFor({ timeout: 10_000 });
        const bb = await big.boundingBox();
        await page.mouse.move(bb.x + bb.width * 0.5, bb.y + bb.height * 0.4);
        await page.waitForFunction(() => /at \(x \d+, y \d+\)/.test(document.getElementById('face').shadowRoot.querySelector('.readout')?.textContent ?? ''), null, { timeout: 10_000 });
        await page.locator('#face').screenshot({ path: join(env.artifacts, 'article-face-detail.png') });
        await page.locator('#digits').screenshot({ path: join(env.artifacts, 'article-digits-drawn.png') });
        expect(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join(' | ')}`);
      } finally {
        await context.close().catch(() => {});
      }
    },
  },
  {
    name: 'article: without WebGPU every viewer shows a notice naming the browsers that work, and nothing throws',
    async run(env) {
      // A browser without WebGPU has neither navigator.gpu nor the GPU* globals (GPUBufferUsage…).
      const hide = (c) => c.addInitScript(() => {
        delete Navigator.prototype.gpu;
        for (const k of Object.getOwnPropertyNames(globalThis)) if (/^GPU/.test(k)) delete globalThis[k];
      });
      const { context, page, pageErrors } = await open(env, 'index.html', join(env.artifacts, 'article-no-webgpu.png'), hide);
      try {
        const notices = await page.evaluate((sel) => [...document.querySelectorAll(sel)].map((e) => ({ state: e.state, text: e.shadowRoot.querySelector('.notice')?.textContent ?? '' })), GPU_ELEMENTS);
        expect(notices.length === 3, `${notices.length} GPU elements on the page`);
        for (const n of notices) {
          expect(n.state === 'unsupported', `an element ended '${n.state}', expected 'unsupported'`);
          for (const word of ['WebGPU', 'Chrome', 'Safari', 'Firefox']) expect(n.text.includes(word), `a notice does not mention ${word}: '${n.text.slice(0, 160)}'`);
        }
        const pad = await page.locator('cnn-image-input[for="digits"]').locator('canvas.pad').count();
        expect(pad === 1, 'the drawing pad is not shown');
        expect(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join(' | ')}`);
      } finally {
        await context.close().catch(() => {});
      }
    },
  },
  {
    name: 'article: a missing and a truncated model file are reported in place, naming the file, and nothing throws',
    async run(env) {
      const setup = async (c) => {
        await c.route('**/models/face-recognition/model.json', (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' }));
        await c.route('**/models/mnist/weights.bin', (route) => route.fulfill({ status: 200, contentType: 'application/octet-stream', body: Buffer.alloc(1000) }));
      };
      const { context, page, pageErrors } = await open(env, 'index.html', join(env.artifacts, 'article-bad-models.png'), setup);
      try {
        const report = await page.evaluate((sel) => [...document.querySelectorAll(sel)].map((e) => ({ id: e.id || e.localName, state: e.state, text: e.shadowRoot.querySelector('.notice.error')?.textContent ?? '' })), GPU_ELEMENTS);
        for (const r of report) expect(r.state === 'error', `${r.id} ended '${r.state}', expected 'error'`);
        const face = report.find((r) => r.id === 'face');
        expect(/404/.test(face.text) && face.text.includes('face-recognition/model.json'), `the face viewer's error does not name the missing file: '${face.text.slice(0, 200)}'`);
        const digits = report.find((r) => r.id === 'digits');
        expect(digits.text.includes('weights.bin'), `the digit viewer's error does not name the truncated shard: '${digits.text.slice(0, 240)}'`);
        expect(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join(' | ')}`);
      } finally {
        await context.close().catch(() => {});
      }
    },
  },
  {
    name: 'embed.html: one script and one element show the digit network on an image',
    async run(env) {
      const { context, page, pageErrors, badResponses } = await open(env, 'embed.html', join(env.artifacts, 'embed.png'));
      try {
        await page.evaluate(() => {
          document.querySelector('cnn-layer-viewer').id = 'embedded';
        });
        const info = await inspectViewer(page, 'embedded', ['conv1']);
        expect(info.state === 'ready', `the viewer ended '${info.state}': ${info.notice.slice(0, 200)}`);
        checkDrawnEqualsEngine(info, 'conv1', 'embed');
        expect(info.shown.length >= 5, `${info.shown.length} layers shown`);
        expect(pageErrors.length === 0 && badResponses.length === 0, `errors: ${[...pageErrors, ...badResponses].join(' | ')}`);
      } finally {
        await context.close().catch(() => {});
      }
    },
  },
  {
    name: 'article: without the built bundle the page says how to build it',
    async run({ server, getBrowser, artifacts }) {
      const browser = await getBrowser();
      const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
      try {
        await context.route('**/dist/cnn-webgpu-elements.js', (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' }));
        const page = await context.newPage();
        await page.goto(server.url, { waitUntil: 'load' });
        await page.waitForFunction(() => document.body.dataset.bundle === 'missing', null, { timeout: 10_000 });
        const text = await page.locator('.bundle-missing').innerText();
        expect(text.includes('npm run build') && (await page.locator('.bundle-missing').isVisible()), `the notice is missing or hidden: '${text}'`);
        await page.screenshot({ path: join(artifacts, 'article-no-bundle.png') });
      } finally {
        await context.close().catch(() => {});
      }
    },
  },
];
