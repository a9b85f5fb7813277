// End-to-end checks of <cnn-conv-explainer> and <cnn-invariance> in headless Chromium, through the
// public elements bundle and the shipped models: the explainer following a digit viewer, stopped
// mid-animation with its arithmetic equal to the engine's output; the article's section "What a CNN
// cannot do" with the digit network (a turned 6 becomes a 9) and the face network. Screenshots go
// to test-artifacts/ (conv-explainer-mid-animation.png, conv-explainer-dense.png,
// invariance-digit.png, invariance-face.png).
import { join } from 'node:path';

const READY_MS = 150_000;

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

/** A fresh page at `path` (relative to the demo), collecting uncaught errors; `setup(context)` runs first. */
async function openPage({ server, getBrowser }, path, setup) {
  const browser = await getBrowser();
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const pageErrors = [];
  if (setup) await setup(context);
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(new URL(path, server.url).href, { waitUntil: 'load', timeout: 30_000 });
  return { context, page, pageErrors };
}

/** Waits until element `sel` reaches a final state; fails with its state and notice otherwise. */
async function waitFinal(page, sel, timeout = READY_MS) {
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

/** The explainer page: a digit viewer and an explainer that follows it (served only to the test). */
const EXPLAINER_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" />
<link rel="stylesheet" href="article.css" />
<script type="module" src="../dist/cnn-webgpu-elements.js"></script></head>
<body><main>
<cnn-layer-viewer id="digits" model="models/mnist/model.json" src="images/digit-3.png" channels="all" labels="0,1,2,3,4,5,6,7,8,9" top-k="3"></cnn-layer-viewer>
<cnn-conv-explainer id="explainer" for="digits" layer="conv2" channel="5" in-channels="2" speed="40"></cnn-conv-explainer>
</main></body></html>`;

/** In the page: the explainer's unit, the engine's value of that unit read from the viewer, and what the element shows. */
function readUnit(page) {
  return page.evaluate(async () => {
    const el = document.getElementById('explainer');
    const viewer = document.getElementById('digits');
    const u = el.explanation;
    const { shape, values } = await viewer.readLayer(u.layer);
    const engine = shape.length === 4 ? values[(u.y * shape[2] + u.x) * shape[3] + u.channel] : values[u.channel];
    const root = el.shadowRoot;
    return {
      layer: u.layer, kind: u.kind, x: u.x, y: u.y, channel: u.channel, value: u.value, engineValue: u.engineValue, tolerance: u.tolerance, magnitude: u.magnitude, engine,
      terms: u.terms.length, taps: u.taps.length, filled: el.filledUnits, playing: el.isPlaying, rf: el.receptiveField,
      shownValue: root.querySelector('.result .value')?.textContent?.trim(),
      verdict: root.querySelector('.engine')?.className ?? '',
      channelsShown: root.querySelectorAll('.arithmetic .channel').length,
      others: root.querySelector('.arithmetic .others')?.textContent ?? '',
    };
  });
}

function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

export const lessonTests = [
  {
    name: 'conv explainer: follows the digit viewer; stopped mid-animation, the unit written out equals the engine’s output, the map is filled that far, and the receptive field is exact; a dense unit likewise',
    async run(env) {
      const setup = (c) => c.route('**/demo/explainer-check.html', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: EXPLAINER_PAGE }));
      const { context, page, pageErrors } = await openPage(env, 'explainer-check.html', setup);
      try {
        await waitFinal(page, '#digits');
        await waitFinal(page, '#explainer');
        const first = await readUnit(page);
        expect(first.layer === 'conv2' && first.channel === 5 && first.x === 3 && first.y === 3, `the explainer opened ${first.layer} channel ${first.channel} at (${first.x}, ${first.y}), expected conv2 channel 5 at the middle (3, 3)`);
        // For the picture, the channel of conv2 that responds most to this digit (the most units above 0).
        await page.evaluate(async () => {
          const el = document.getElementById('explainer');
          const { shape, values } = await document.getElementById('digits').readLayer('conv2');
          const c = shape[3];
          const on = Array.from({ length: c }, (_, k) => values.filter((v, i) => i % c === k && v > 0).length);
          const best = on.indexOf(Math.max(...on));
          if (best === el.channel) return;
          const ready = new Promise((r) => el.addEventListener('cnn-ready', r, { once: true }));
          el.channel = best;
          await ready;
        });
        expect(first.terms === 16 && first.taps === 25, `conv2's unit should sum 16 input channels × 25 taps, got ${first.terms} × ${first.taps}`);
        expect(first.channelsShown === 2 && /14 input channels/.test(first.others), `in-channels="2" should write out 2 channels and sum the other 14 in one line ('${first.others}')`);

        // Play from the first unit, then stop part-way.
        await page.locator('#explainer').locator('button.restart').click();
        await page.locator('#explainer').locator('button.play').click();
        await page.waitForFunction(() => document.getElementById('explainer').filledUnits >= 27, null, { timeout: 60_000 });
        await page.locator('#explainer').locator('button.play').click();
        const u = await readUnit(page);
        expect(!u.playing && u.filled >= 27 && u.filled < 64, `the animation should have stopped part-way through the 8×8 map (filled ${u.filled}, playing ${u.playing})`);
        expect(u.x === (u.filled - 1) % 8 && u.y === Math.floor((u.filled - 1) / 8), `the unit (${u.x}, ${u.y}) is not the last one filled (${u.filled})`);
        expect(u.engineValue === u.engine, `the element's engine value ${u.engineValue} is not the viewer's ${u.engine}`);
        expect(Math.abs(u.value - u.engine) <= u.tolerance, `the arithmetic gives ${u.value}, the engine ${u.engine} (tolerance ${u.tolerance})`);
        // The element's tolerance is the worst case for any summation order; the real difference is a few roundings.
        const ulps = Math.abs(u.value - u.engine) / (2 ** -23 * u.magnitude);
        expect(ulps <= 16, `the arithmetic and the engine differ by ${ulps.toFixed(1)} float32 roundings of the terms' magnitude ${u.magnitude}`);
        expect(u.shownValue === fmt(u.value) && u.verdict.includes('ok'), `the element shows ${u.shownValue} (${u.verdict}), expected ${fmt(u.value)} marked equal`);
        // conv2 after conv1 (5×5) and pool1 (2×2): unit (x, y) sees input rows 2y … 2y + 13, columns 2x … 2x + 13.
        expect(u.rf && [u.rf.top, u.rf.left, u.rf.bottom, u.rf.right].join() === [2 * u.y, 2 * u.x, 2 * u.y + 13, 2 * u.x + 13].join(), `receptive field ${JSON.stringify(u.rf)} for conv2 (${u.x}, ${u.y})`);
        const blank = await page.evaluate((n) => {
          const c = document.getElementById('explainer').shadowRoot.querySelector('canvas.output');
          const cell = Number(c.dataset.cell);
          const at = (i) => Array.from(c.getContext('2d').getImageData((i % 8) * cell + cell / 2, Math.floor(i / 8) * cell + cell / 2, 1, 1).data.slice(0, 3));
          return { next: at(n), first: at(0) };
        }, u.filled);
        expect(blank.next.join() === '244,246,249' && blank.first.join() !== '244,246,249', `the output map is not filled up to the unit alone (${JSON.stringify(blank)})`);
        await page.locator('#explainer').screenshot({ path: join(env.artifacts, 'conv-explainer-mid-animation.png') });

        // The viewer's logits tile opened: the explainer follows to the dense layer; its unit 3 is the probability of a 3.
        await page.locator('#digits').locator('section[data-layer="logits"] button.tile').first().click();
        await page.waitForFunction(() => document.getElementById('explainer').explanation?.layer === 'logits', null, { timeout: 30_000 });
        await page.locator('#explainer').locator('canvas.output').focus();
        for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
        await page.waitForFunction(() => document.getElementById('explainer').explanation?.channel === 3, null, { timeout: 30_000 });
        const d = await readUnit(page);
        expect(d.kind === 'dense' && Math.abs(d.value - d.engine) <= d.tolerance && d.engine > 0.5, `the dense unit 3 gives ${d.value}, the engine ${d.engine} (tolerance ${d.tolerance})`);
        await page.locator('#explainer').screenshot({ path: join(env.artifacts, 'conv-explainer-dense.png') });
        expect(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join(' | ')}`);
      } finally {
        await context.close().catch(() => {});
      }
    },
  },
  {
    name: 'article, “What a CNN cannot do”: the digit network’s probabilities for a turned 6 are its own on each turned image; it stays a 6 near upright and reads a 9 upside down; a shift of a sixth of its width loses it',
    async run(env) {
      // The face network is not needed here: its model is refused, so the page's face elements stop at once.
      const setup = (c) => c.route('**/models/face-recognition/**', (route) => route.abort());
      const { context, page, pageErrors } = await openPage(env, 'index.html', setup);
      try {
        const el = page.locator('#inv-digits');
        await page.waitForFunction(() => customElements.get('cnn-invariance') && document.getElementById('inv-digits').state, null, { timeout: 30_000 });
        const early = await page.evaluate(() => document.getElementById('inv-digits').state);
        expect(early === 'deferred', `the lazy sweep should wait until it comes into view, but its state is '${early}'`);
        await el.scrollIntoViewIfNeeded();
        await waitFinal(page, '#inv-digits');
        const r = await page.evaluate(async () => {
          const e = document.getElementById('inv-digits');
          const m = e.loadedModel;
          const all = await e.inputs.read();
          const own = [];
          for (const b of [0, 6, 12]) {
            const x = m.engine.tensor(all.subarray((b + 1) * 784, (b + 2) * 784), [1, 28, 28, 1]);
            const y = m.predict(x);
            own.push(Array.from(await y.read()));
            x.dispose();
            y.dispose();
          }
          return { result: e.result, own };
        });
        const { result, own } = r;
        expect(result.response === 'classes' && result.values.length === 13, `response ${result.response} over ${result.values.length} values`);
        const prob = (label, i) => result.classes.find((c) => c.label === label)?.probabilities[i] ?? 0;
        [0, 6, 12].forEach((b, k) => {
          for (const c of result.classes) expect(Math.abs(c.probabilities[b] - own[k][c.index]) < 1e-5, `class ${c.label} at ${result.values[b]}°: plotted ${c.probabilities[b]}, the model gives ${own[k][c.index]}`);
        });
        const top = (i) => [...result.classes].sort((a, b) => b.probabilities[i] - a.probabilities[i])[0].label;
        expect(top(6) === '6' && prob('6', 6) > 0.9, `upright the sample reads ${top(6)} (${prob('6', 6)})`);
        expect(top(5) === '6' && top(7) === '6', `at ±30° it reads ${top(5)} and ${top(7)}, the article says still a 6`);
        expect(top(4) === '5', `at −60° it reads ${top(4)}, the article says a 5`);
        expect(top(0) === '9' && top(12) === '9' && prob('9', 12) > 0.99 && top(2) === '9' && top(10) === '9', `at ±120° and ±180° it reads ${[top(2), top(10), top(0), top(12)].join(', ')}, the article says a 9 (${prob('9', 12)} upside down)`);
        const conv1 = result.layers.find((l) => l.name === 'conv1');
        expect(Math.abs(conv1.similarity[6] - 1) < 1e-5 && conv1.similarity[12] < 0.6 && conv1.similarity[5] < 0.6 && conv1.similarity[7] < 0.6, `conv1's similarity: ${conv1.similarity.map((s) => s.toFixed(2)).join(' ')}; the article says half alike already at ±30°`);
        // Scrub to 180° for the picture.
        await page.evaluate(() => (document.getElementById('inv-digits').position = 12));
        await page.waitForFunction(() => document.getElementById('inv-digits').shadowRoot.querySelector('.maps figcaption')?.textContent.includes('180'), null, { timeout: 30_000 });
        await page.waitForTimeout(200);
        await page.locator('#inv-digits').locator('xpath=..').screenshot({ path: join(env.artifacts, 'invariance-digit.png') });

        const shifted = await page.evaluate(async () => {
          const e = document.getElementById('inv-digits');
          const done = new Promise((res) => e.addEventListener('cnn-ready', (ev) => res(ev.detail), { once: true }));
          e.shadowRoot.querySelector('select').value = 'translation';
          e.shadowRoot.querySelector('select').dispatchEvent(new Event('change'));
          return done;
        });
        const six = shifted.classes.find((c) => c.label === '6').probabilities;
        expect(Math.abs(shifted.values[4] + 1 / 6) < 1e-6 && six[4] < 0.5 && six[8] < 0.5 && six[6] > 0.9, `shifted by ∓1/6 of the width the 6 keeps ${six[4].toFixed(2)} and ${six[8].toFixed(2)}; the article says it is lost`);
        expect(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join(' | ')}`);
      } finally {
        await context.close().catch(() => {});
      }
    },
  },
  {
    name: 'article, “What a CNN cannot do”: the face turned by up to 90° — the first layer’s maps fall to about half, the last block’s and the embedding stay near the original’s',
    async run(env) {
      const { context, page, pageErrors } = await openPage(env, 'index.html');
      try {
        await page.locator('#inv-face').scrollIntoViewIfNeeded();
        await waitFinal(page, '#inv-face', 170_000);
        const result = await page.evaluate(() => document.getElementById('inv-face').result);
        expect(result.response === 'embedding' && result.values.join() === '-90,-67.5,-45,-22.5,0,22.5,45,67.5,90', `response ${result.response} over ${result.values.join(', ')}`);
        const layer = (n) => result.layers.find((l) => l.name === n).similarity;
        const sims = result.similarity;
        expect(Math.abs(sims[4] - 1) < 1e-4, `the untransformed photo's similarity is ${sims[4]}`);
        expect(sims.every((s) => s > 0.8) && Math.min(...sims) < 0.97, `the embedding's similarity ${sims.map((s) => s.toFixed(3)).join(' ')}: the article says near 0.9`);
        expect([0, 2, 6, 8].every((i) => layer('conv1_relu')[i] < 0.7), `conv1_relu's similarity ${layer('conv1_relu').map((s) => s.toFixed(2)).join(' ')}: the article says about 0.55`);
        expect(layer('res5d_relu').every((s) => s > 0.9), `res5d_relu's similarity ${layer('res5d_relu').map((s) => s.toFixed(2)).join(' ')}: the article says above 0.9`);
        await page.evaluate(() => (document.getElementById('inv-face').position = 2));
        await page.waitForFunction(() => document.getElementById('inv-face').shadowRoot.querySelector('.maps figcaption')?.textContent.includes('-45'), null, { timeout: 60_000 });
        const frame = await page.evaluate(() => {
          const c = document.getElementById('inv-face').shadowRoot.querySelector('canvas.frame.transformed');
          const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let black = 0;
          for (let i = 0; i < px.length; i += 4) if (px[i] + px[i + 1] + px[i + 2] === 0) black++;
          return { w: c.width, h: c.height, black: black / (px.length / 4) };
        });
        expect(frame.w === 150 && frame.h === 150 && frame.black > 0.05 && frame.black < 0.5, `the photo turned by −45° should be 150×150 with black corners (${JSON.stringify(frame)})`);
        await page.waitForTimeout(200);
        await page.locator('#inv-face').screenshot({ path: join(env.artifacts, 'invariance-face.png') });
        expect(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join(' | ')}`);
      } finally {
        await context.close().catch(() => {});
      }
    },
  },
];
