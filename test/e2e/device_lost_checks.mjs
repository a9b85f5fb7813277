// End-to-end check of a lost GPU on demo/embed.html (one <cnn-layer-viewer> with a model and an
// image by URL): the page's GPU device is destroyed under it, the viewer says so, reloads its model
// on a new engine and draws again by itself, and nothing is thrown. Screenshot: gpu-lost-recovered.png.
import { join } from 'node:path';

const PAGE_TIMEOUT_MS = 120_000;

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

export const deviceLostTests = [
  {
    name: 'a lost GPU: the embedded viewer says so, starts again on a new device and redraws',
    async run(env) {
      const browser = await env.getBrowser();
      const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
      const page = await context.newPage();
      const pageErrors = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      try {
        await page.goto(new URL('embed.html', env.server.url).href, { waitUntil: 'load', timeout: 30_000 });
        await page.waitForFunction(() => document.querySelector('cnn-layer-viewer')?.state === 'ready', null, { timeout: PAGE_TIMEOUT_MS });
        const before = await page.evaluate(() => {
          const v = document.querySelector('cnn-layer-viewer');
          window.__lostEngine = v.loadedModel.engine;
          window.__lossSeen = [];
          // Every state the notice goes through, as it happens (the restart may be quick).
          new MutationObserver(() => {
            const n = v.shadowRoot.querySelector('[part~="gpu-lost"]');
            if (n && window.__lossSeen.at(-1) !== n.dataset.loss) window.__lossSeen.push(n.dataset.loss);
          }).observe(v.shadowRoot, { subtree: true, childList: true, attributes: true, characterData: true });
          window.__lostEngine.device.destroy();
          return v.shownLayers.map((l) => l.name);
        });
        await page.waitForFunction(
          () => {
            const v = document.querySelector('cnn-layer-viewer');
            const n = v.shadowRoot.querySelector('[part~="gpu-lost"]');
            return n?.dataset.loss === 'restarted' && v.state === 'ready' && v.loadedModel?.engine !== window.__lostEngine;
          },
          null,
          { timeout: PAGE_TIMEOUT_MS },
        );
        const after = await page.evaluate(() => {
          const v = document.querySelector('cnn-layer-viewer');
          return {
            seen: window.__lossSeen,
            notice: v.shadowRoot.querySelector('[part~="gpu-lost"]').textContent.trim(),
            layers: v.shownLayers.map((l) => l.name),
            lostNow: v.loadedModel.engine.isLost,
            oldLost: window.__lostEngine.isLost,
          };
        });
        await page.locator('cnn-layer-viewer').screenshot({ path: join(env.artifacts, 'gpu-lost-recovered.png') });
        expect(after.oldLost, 'the old engine knows it was lost');
        expect(!after.lostNow, 'the viewer runs on a new engine');
        expect(after.seen[0] === 'restarting', `the notice first said it was starting again (seen: ${after.seen.join(' → ')})`);
        expect(/The GPU was lost\..*new GPU device/.test(after.notice), `the notice: ${after.notice}`);
        expect(after.layers.join() === before.join() && after.layers.length > 0, `the same layers are drawn again (${before.join()} → ${after.layers.join()})`);
        expect(pageErrors.length === 0, `page errors: ${pageErrors.join(' | ')}`);
      } finally {
        await context.close();
      }
    },
  },
];
