// End-to-end checks of the engine demo page (demo/engine.html: the engine alone, no elements) in
// headless Chromium: with WebGPU it draws eight non-blank, different feature maps; without WebGPU
// it shows the notice and throws nothing. The article (demo/index.html) is checked in article_checks.mjs.
import { join } from 'node:path';

/** The page waits on shader compilation and a software adapter on CI machines: allow two minutes. */
const PAGE_TIMEOUT_MS = 120_000;
const MIN_MAPS = 8;
/** A drawn 80×80 map through a 256-step colour map has hundreds of colours; a blank one has one. */
const MIN_DISTINCT_COLOURS = 16;

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

/** Opens the demo in a fresh context, waits until the page reports a final status, and screenshots it. */
async function openDemo({ server, getBrowser }, screenshotPath, setup) {
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
  try {
    await page.goto(new URL('engine.html', server.url).href, { waitUntil: 'load', timeout: 30_000 });
    try {
      await page.waitForFunction(() => ['done', 'error', 'unsupported'].includes(document.body.dataset.status), null, {
        timeout: PAGE_TIMEOUT_MS,
        polling: 250,
      });
    } catch {
      const status = await page.evaluate(() => `${document.body.dataset.status}: ${document.getElementById('status')?.textContent}`).catch(() => '?');
      throw new Error(`the page did not finish within ${PAGE_TIMEOUT_MS / 1000} s (status ${status})`);
    } finally {
      await page.screenshot({ path: screenshotPath, fullPage: true }).catch(() => {});
    }
    const state = await page.evaluate(() => ({
      status: document.body.dataset.status,
      error: document.body.dataset.error,
      errorAt: document.body.dataset.errorAt,
      notice: document.getElementById('notice')?.hidden ? '' : document.getElementById('notice')?.innerText ?? '',
    }));
    return { context, page, state, pageErrors, badResponses };
  } catch (err) {
    await context.close().catch(() => {});
    throw err;
  }
}

export const pageTests = [
  {
    name: 'engine demo page: draws 8 non-blank, different feature maps from conv2d → add → relu → maxPool2d',
    async run(env) {
      const { context, page, state, pageErrors, badResponses } = await openDemo(env, join(env.artifacts, 'engine-demo.png'));
      try {
        if (state.status === 'error') {
          throw new Error(`the page reported an error: ${state.error}${state.errorAt ? ` (${state.errorAt})` : ''}`);
        }
        expect(state.status === 'done', `the page ended with status '${state.status}': ${state.notice.replace(/\s+/g, ' ').slice(0, 300)}`);
        expect(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join(' | ')}`);
        expect(badResponses.length === 0, `failed requests: ${badResponses.join(', ')}`);

        const maps = await page.evaluate(() =>
          [...document.querySelectorAll('canvas.fmap')].map((c) => {
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const colours = new Set();
            let hash = 0;
            for (let i = 0; i < data.length; i += 4) {
              const v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
              colours.add(v);
              hash = (Math.imul(hash, 31) + v) | 0;
            }
            return { name: c.dataset.filter, size: `${c.width}×${c.height}`, distinct: colours.size, hash, min: Number(c.dataset.min), max: Number(c.dataset.max) };
          }),
        );
        expect(maps.length >= MIN_MAPS, `found ${maps.length} feature-map canvases (canvas.fmap), expected at least ${MIN_MAPS}`);
        for (const m of maps) {
          expect(m.distinct >= MIN_DISTINCT_COLOURS, `feature map '${m.name}' (${m.size}) is blank: ${m.distinct} distinct colours`);
          // relu then max pooling: nothing negative can come out, and a working filter is not constant here.
          expect(m.min >= 0, `feature map '${m.name}' has min ${m.min} < 0 after relu`);
          expect(m.max > m.min, `feature map '${m.name}' is constant (${m.min})`);
        }
        expect(new Set(maps.map((m) => m.hash)).size > 1, 'all feature maps are identical');

        const timing = await page.evaluate(() => document.getElementById('timing')?.textContent ?? '');
        expect(/\d+(\.\d+)? ms/.test(timing), `the page did not print its timing (got '${timing}')`);
      } finally {
        await context.close().catch(() => {});
      }
    },
  },
  {
    name: 'engine demo page: without WebGPU shows a notice naming the browsers that work, and throws nothing',
    async run(env) {
      const hideWebGpu = () => {
        delete Navigator.prototype.gpu;
      };
      const { context, state, pageErrors } = await openDemo(env, join(env.artifacts, 'engine-demo-no-webgpu.png'), (c) => c.addInitScript(hideWebGpu));
      try {
        expect(state.status === 'unsupported', `the page ended with status '${state.status}'${state.error ? `: ${state.error}` : ''}, expected 'unsupported'`);
        for (const word of ['WebGPU', 'Chrome', 'Safari', 'Firefox']) {
          expect(state.notice.includes(word), `the notice does not mention ${word}: '${state.notice.slice(0, 200)}'`);
        }
        expect(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join(' | ')}`);
      } finally {
        await context.close().catch(() => {});
      }
    },
  },
  {
    name: 'engine demo page: when the engine fails, shows the error instead of a blank page',
    async run(env) {
      // An engine whose conv2d throws, and then no bundle at all (someone forgot to build).
      const failingEngine = `export async function createEngine() {
        const t = { dispose() {} };
        return { info: { description: 'a test double', isSoftware: false }, tensor: () => t, conv2d() { throw new Error('conv2d: test failure'); } };
      }`;
      const cases = [
        ['a throwing op', (route) => route.fulfill({ contentType: 'text/javascript', body: failingEngine }), 'conv2d: test failure'],
        ['a missing bundle', (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' }), 'npm run build'],
      ];
      for (const [what, handler, expected] of cases) {
        const setup = (context) => context.route('**/dist/cnn-webgpu.js', handler);
        const { context, state, pageErrors } = await openDemo(env, join(env.artifacts, 'engine-demo-error.png'), setup);
        try {
          expect(state.status === 'error', `with ${what} the page ended with status '${state.status}', expected 'error'`);
          expect(state.notice.includes(expected), `with ${what} the notice does not show '${expected}': '${state.notice.slice(0, 200)}'`);
          expect(pageErrors.length === 0, `with ${what}, uncaught page errors: ${pageErrors.join(' | ')}`);
        } finally {
          await context.close().catch(() => {});
        }
      }
    },
  },
];
