// End-to-end checks of demo/train.html in headless Chromium: a short run of the tiny network on the
// packed subset trains to the end, draws its curves, filters and feature maps, and hands the model
// to the layer viewer on the page; without WebGPU the page shows the notice and throws nothing.
// Screenshots: train-running.png (mid-run), train.png (after), train-no-webgpu.png.
import { join } from 'node:path';

const PAGE_TIMEOUT_MS = 120_000;
const SHORT_RUN = '?subset&preset=tiny&train-size=512&test-size=200&batch-size=32&epochs=2&learning-rate=0.003&redraw-interval=250&autorun';

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

async function openPage({ server, getBrowser }, query, setup) {
  const browser = await getBrowser();
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const pageErrors = [];
  const badResponses = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('response', (res) => {
    if (res.status() >= 400) badResponses.push(`${res.status()} ${new URL(res.url()).pathname}`);
  });
  if (setup) await setup(context);
  await page.goto(new URL(`train.html${query}`, server.url).href, { waitUntil: 'load', timeout: 30_000 });
  return { context, page, pageErrors, badResponses };
}

async function waitForStatus(page, statuses) {
  try {
    await page.waitForFunction((s) => s.includes(document.body.dataset.status), statuses, { timeout: PAGE_TIMEOUT_MS, polling: 100 });
  } catch {
    const status = await page.evaluate(() => `${document.body.dataset.status} ${document.body.dataset.error ?? ''}`).catch(() => '?');
    throw new Error(`the page did not reach ${statuses.join(' or ')} within ${PAGE_TIMEOUT_MS / 1000} s (status ${status})`);
  }
}

/** Distinct colours of every canvas matching `selector` inside the element's shadow root. */
function canvasColours(page, host, selector) {
  return page.evaluate(
    ([h, sel]) =>
      [...document.querySelector(h).shadowRoot.querySelectorAll(sel)].map((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
        return seen.size;
      }),
    [host, selector],
  );
}

export const trainPageTests = [
  {
    name: 'train page: a short run trains to the end, draws curves, filters and feature maps, and fills the layer viewer',
    async run(env) {
      const { context, page, pageErrors, badResponses } = await openPage(env, SHORT_RUN);
      try {
        await waitForStatus(page, ['training', 'done', 'error', 'unsupported']);
        await page.waitForFunction(() => (document.querySelector('cnn-trainer').lastProgress?.step ?? 0) >= 12, null, { timeout: PAGE_TIMEOUT_MS }).catch(() => {});
        await page.screenshot({ path: join(env.artifacts, 'train-running.png'), fullPage: true });
        await waitForStatus(page, ['done', 'error', 'unsupported']);
        await page.waitForFunction(() => document.querySelector('cnn-layer-viewer').state === 'ready', null, { timeout: 60_000 }).catch(() => {});
        await page.screenshot({ path: join(env.artifacts, 'train.png'), fullPage: true });
        const state = await page.evaluate(() => {
          const t = document.querySelector('cnn-trainer');
          const v = document.querySelector('cnn-layer-viewer');
          const last = t.curves.test[t.curves.test.length - 1];
          return {
            status: document.body.dataset.status,
            error: document.body.dataset.error ?? '',
            trainPoints: t.curves.train.length,
            testPoints: t.curves.test.length,
            firstTestLoss: t.curves.test[0]?.loss,
            lastTest: last,
            progress: t.shadowRoot.querySelector('[role="progressbar"]').getAttribute('aria-valuenow'),
            statusText: t.shadowRoot.querySelector('[role="status"]').textContent,
            viewerState: v.state,
            viewerHasModel: v.loadedModel === t.model && t.model !== null,
            viewerLayers: v.shownLayers.map((l) => l.name),
          };
        });
        expect(state.status === 'done', `the run ended with status '${state.status}': ${state.error}`);
        expect(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join(' | ')}`);
        expect(badResponses.length === 0, `failed requests: ${badResponses.join(', ')}`);
        expect(state.progress === '100', `the progress bar ends at ${state.progress}`);
        expect(state.trainPoints >= 5 && state.testPoints >= 4, `too few curve points: ${state.trainPoints} training, ${state.testPoints} test`);
        expect(state.lastTest.loss < state.firstTestLoss * 0.8, `the test loss did not fall: ${state.firstTestLoss} → ${state.lastTest.loss}`);
        expect(state.lastTest.accuracy > 0.5, `test accuracy ${state.lastTest.accuracy} after 32 steps`);
        expect(/^Done: 32 steps/.test(state.statusText), `status: ${state.statusText}`);
        expect(state.viewerHasModel && state.viewerState === 'ready', `the viewer did not get the trained model (state ${state.viewerState})`);
        expect(state.viewerLayers.join(' ') === 'conv1 pool1 flatten logits', `viewer layers: ${state.viewerLayers.join(' ')}`);
        for (const [sel, min] of [['canvas.plot', 20], ['canvas.filter', 6], ['canvas.map', 2]]) {
          const colours = await canvasColours(page, 'cnn-trainer', sel);
          expect(colours.length > 0, `no ${sel} in the trainer`);
          expect(colours.every((n) => n >= min), `a blank ${sel}: distinct colours ${colours.join(', ')}`);
        }
      } finally {
        await context.close().catch(() => {});
      }
    },
  },
  {
    name: 'train page: without WebGPU shows the notice naming the browsers that work, and throws nothing',
    async run(env) {
      const hideWebGpu = () => {
        delete Navigator.prototype.gpu;
      };
      const { context, page, pageErrors } = await openPage(env, '', (c) => c.addInitScript(hideWebGpu));
      try {
        await waitForStatus(page, ['unsupported', 'ready', 'error']);
        await page.screenshot({ path: join(env.artifacts, 'train-no-webgpu.png'), fullPage: true });
        const notice = await page.evaluate(() => document.querySelector('cnn-trainer').shadowRoot.querySelector('.notice')?.textContent ?? '');
        const status = await page.evaluate(() => document.body.dataset.status);
        expect(status === 'unsupported', `status '${status}', expected 'unsupported'`);
        for (const word of ['WebGPU', 'Chrome', 'Safari', 'Firefox']) expect(notice.includes(word), `the notice does not mention ${word}`);
        expect(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join(' | ')}`);
      } finally {
        await context.close().catch(() => {});
      }
    },
  },
];
