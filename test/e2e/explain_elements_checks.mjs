// End-to-end checks of <cnn-feature-vis> and <cnn-attribution> in headless Chromium, through the
// public elements bundle and the shipped models: the digit network's conv2 channels optimised as
// one batch for a short run, a tile opened beside its dataset examples from the packed MNIST
// subset; Integrated Gradients of the digit network on a 3 and Grad-CAM of the face network on the
// astronaut photo. Screenshots go to test-artifacts/ (feature-vis-grid.png, feature-vis-examples.png,
// attribution-digit.png, attribution-face.png).
import { join } from 'node:path';

const READY_MS = 120_000;

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

/** The page, served only to the test: the elements as an article embeds them. */
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" />
<link rel="stylesheet" href="article.css" />
<script type="module" src="../dist/cnn-webgpu-elements.js"></script></head>
<body><main>
<cnn-feature-vis id="fv" model="models/mnist/model.json" layer="conv2" channels="8" steps="24" dataset="data/mnist-subset/"></cnn-feature-vis>
<cnn-attribution id="digit" model="models/mnist/model.json" src="images/digit-3.png" method="integrated-gradients" labels="0,1,2,3,4,5,6,7,8,9"></cnn-attribution>
<cnn-attribution id="face" model="models/face-recognition/model.json" src="images/astronaut-face.png" input-range="0 255" method="gradcam" layer="res4c_relu" reference="images/astronaut.png" target="embedding"></cnn-attribution>
</main></body></html>`;

async function openPage({ server, getBrowser }) {
  const browser = await getBrowser();
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  await context.route('**/demo/explain-check.html', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: PAGE }));
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(new URL('explain-check.html', server.url).href, { waitUntil: 'load', timeout: 30_000 });
  return { context, page, pageErrors };
}

async function waitReady(page, sel, timeout = READY_MS) {
  try {
    await page.waitForFunction((sel) => ['ready', 'error', 'unsupported'].includes(document.querySelector(sel)?.state), sel, { timeout, polling: 250 });
  } catch {
    const s = await page.evaluate((sel) => document.querySelector(sel)?.state, sel).catch(() => '?');
    throw new Error(`${sel} did not finish within ${timeout / 1000} s (state ${s})`);
  }
  const { state, notice } = await page.evaluate((sel) => {
    const el = document.querySelector(sel);
    return { state: el.state, notice: el.shadowRoot.querySelector('.notice')?.textContent?.trim() ?? '' };
  }, sel);
  expect(state === 'ready', `${sel} ended '${state}': ${notice.slice(0, 300)}`);
}

/** The spread (standard deviation, 0–255) of a canvas's red channel and its size, in the page. */
function canvasStats(page, sel, inner) {
  return page.evaluate(([sel, inner]) => [...document.querySelector(sel).shadowRoot.querySelectorAll(inner)].map((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const r = [];
    for (let i = 0; i < d.length; i += 4) r.push(d[i]);
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    return { w: c.width, h: c.height, sd: Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length) };
  }), [sel, inner]);
}

export const explainElementTests = [
  {
    name: 'feature vis and attribution: the digit network’s conv2 channels formed in one batch with dataset examples; Integrated Gradients on a 3; Grad-CAM of the face network’s embedding against a reference photo',
    async run(env) {
      const { context, page, pageErrors } = await openPage(env);
      try {
        await waitReady(page, '#fv');
        const fv = await page.evaluate(() => {
          const el = document.getElementById('fv');
          return { steps: el.stepsTaken, shown: el.shownChannels, count: el.shadowRoot.querySelector('.count').textContent };
        });
        expect(fv.steps === 24 && fv.count === 'Step 24 of 24', `the run took ${fv.steps} steps (${fv.count})`);
        expect(fv.shown.layer === 'conv2' && fv.shown.channels.join() === '0,1,2,3,4,5,6,7', `shown ${JSON.stringify(fv.shown)}`);
        const tiles = await canvasStats(page, '#fv', 'canvas[data-tile]');
        expect(tiles.length === 8 && tiles.every((t) => t.w === 28 && t.h === 28 && t.sd > 20), `the eight 28×28 tiles should show patterns: ${JSON.stringify(tiles)}`);
        await page.locator('#fv').screenshot({ path: join(env.artifacts, 'feature-vis-grid.png') });

        await page.locator('#fv').locator('button.tile').nth(2).click();
        await page.waitForFunction(() => document.getElementById('fv').shadowRoot.querySelectorAll('canvas[data-example]').length === 6, null, { timeout: 60_000 });
        const examples = await canvasStats(page, '#fv', 'canvas[data-example]');
        // conv2's receptive field is 14×14 (5×5, pool 2, 5×5) wherever it lies inside the 28×28 digit.
        expect(examples.every((e) => e.w === 14 && e.h === 14), `examples cut to conv2's 14×14 receptive field: ${JSON.stringify(examples)}`);
        const labels = await page.evaluate(() => [...document.getElementById('fv').shadowRoot.querySelectorAll('canvas[data-example]')].map((c) => c.getAttribute('aria-label')));
        expect(labels.every((l) => /^Input \d+, unit \(\d, \d\) of conv2/.test(l)), `example labels: ${labels.join(' | ')}`);
        await page.waitForTimeout(100);
        await page.locator('#fv').screenshot({ path: join(env.artifacts, 'feature-vis-examples.png') });

        await waitReady(page, '#digit');
        const digit = await page.evaluate(() => {
          const el = document.getElementById('digit');
          const h = el.heatmap;
          let pos = 0;
          let neg = 0;
          for (const v of h.values) v > 0 ? (pos += v) : (neg += v);
          return { target: el.shadowRoot.querySelector('select.target').value, pos, neg, size: [h.h, h.w], legend: el.shadowRoot.querySelector('.legend').textContent };
        });
        expect(digit.target === 'class:3' && digit.size.join() === '28,28', `the digit's target is ${digit.target} at ${digit.size}`);
        expect(digit.pos > 0 && digit.neg < 0 && digit.pos + digit.neg > 0, `Integrated Gradients on the 3 should raise more than lower its logit: +${digit.pos} ${digit.neg}`);
        expect(digit.legend.includes('raises'), 'the signed legend');
        await page.locator('#digit').screenshot({ path: join(env.artifacts, 'attribution-digit.png') });

        await waitReady(page, '#face');
        // The article's claims: the photo is about 0.89 alike to the portrait it was cut from; the last block's maps
        // are 2×2 and res4c_relu's 8×8; Grad-CAM there puts the evidence between the eyes and along the nose.
        const face = await page.evaluate(async () => {
          const el = document.getElementById('face');
          const m = el.loadedModel;
          const load = (u) => new Promise((r) => { const i = new Image(); i.onload = () => r(i); i.src = u; });
          const embed = async (u) => {
            const img = await load(u);
            const c = document.createElement('canvas');
            c.width = c.height = 150;
            const ctx = c.getContext('2d');
            ctx.drawImage(img, 0, 0, 150, 150);
            const d = ctx.getImageData(0, 0, 150, 150).data;
            const f = new Float32Array(150 * 150 * 3);
            for (let p = 0; p < 22500; p++) for (let k = 0; k < 3; k++) f[p * 3 + k] = d[p * 4 + k];
            const x = m.engine.tensor(f, [1, 150, 150, 3]);
            const y = m.predict(x);
            const v = await y.read();
            x.dispose();
            y.dispose();
            return v;
          };
          const [a, b] = [await embed('images/astronaut-face.png'), await embed('images/astronaut.png')];
          let [dot, na, nb] = [0, 0, 0];
          for (let i = 0; i < a.length; i++) [dot, na, nb] = [dot + a[i] * b[i], na + a[i] ** 2, nb + b[i] ** 2];
          const h = el.heatmap;
          const at = h.values.indexOf(Math.max(...h.values));
          return {
            similarity: dot / Math.sqrt(na * nb), size: [h.h, h.w], peak: [at % h.w, Math.floor(at / h.w)],
            shapes: ['res4c_relu', 'res5d_relu'].map((n) => m.layer(n).outputShape.slice(0, 2).join('×')),
            layer: el.shadowRoot.querySelector('select.layer')?.value, target: el.shadowRoot.querySelector('select.target').value,
          };
        });
        expect(Math.abs(face.similarity - 0.89) < 0.02, `the photo's similarity to the portrait is ${face.similarity}; the article says about 0.89`);
        expect(face.shapes.join() === '8×8,2×2', `res4c_relu and res5d_relu are ${face.shapes.join(' and ')}; the article says 8×8 and 2×2`);
        expect(face.size.join() === '150,150' && face.target === 'embedding' && face.layer === 'res4c_relu', `face Grad-CAM ${JSON.stringify(face)}`);
        const [px, py] = face.peak;
        expect(px >= 45 && px <= 105 && py >= 35 && py <= 115, `Grad-CAM's peak at (${px}, ${py}) is not between the eyes and along the nose`);
        await page.locator('#face').screenshot({ path: join(env.artifacts, 'attribution-face.png') });
        const byDefault = await page.evaluate(() => {
          const el = document.getElementById('face');
          const done = new Promise((r) => el.addEventListener('cnn-ready', (e) => r(e.detail.layer), { once: true }));
          el.removeAttribute('layer');
          return done;
        });
        expect(byDefault === 'res5d_relu', `Grad-CAM's layer should default to the last convolution's finished output (res5d_relu), got ${byDefault}`);
        expect(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join(' | ')}`);
      } finally {
        await context.close().catch(() => {});
      }
    },
  },
];
