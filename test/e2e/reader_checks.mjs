// End-to-end checks of what a reader and a blog author meet: the Chinese article with a shared
// link's state restored, the training timeline scrubbed back, the article on a phone, the README's
// blog recipe served from a folder holding only the files it names, and one Node version said
// everywhere. Screenshots: zh-article.png, url-state-restored.png, training-timeline.png,
// article-phone.png, blog-recipe.png (in test-artifacts/).
import { createServer } from 'node:http';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const READY_MS = 150_000;

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

async function openPage({ getBrowser }, url, { width = 1200, height = 900 } = {}) {
  const browser = await getBrowser();
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const pageErrors = [];
  const badResponses = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('response', (res) => {
    if (res.status() >= 400) badResponses.push(`${res.status()} ${new URL(res.url()).pathname}`);
  });
  await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  return { context, page, pageErrors, badResponses };
}

/** Waits until every element matching `selector` is defined and in one of `states`. */
async function waitForStates(page, selector, states = ['ready', 'error', 'unsupported']) {
  try {
    await page.waitForFunction(
      ([sel, final]) => {
        const els = [...document.querySelectorAll(sel)];
        return els.length > 0 && els.every((e) => customElements.get(e.localName) && final.includes(e.state));
      },
      [selector, states],
      { timeout: READY_MS, polling: 250 },
    );
  } catch {
    const got = await page.evaluate((sel) => [...document.querySelectorAll(sel)].map((e) => `${e.id || e.localName}: ${e.state}`).join(', '), selector).catch(() => '?');
    throw new Error(`${selector} did not finish within ${READY_MS / 1000} s (${got})`);
  }
}

/** The text an element shows (its shadow tree, nested ones included). */
function shownText(page, selector) {
  return page.evaluate((sel) => {
    const walk = (root) => {
      let s = '';
      for (const n of root.childNodes) {
        if (n.nodeType === 3) s += n.textContent;
        else if (n.nodeType === 1 && n.localName !== 'style') s += ` ${walk(n)} ${n.shadowRoot ? walk(n.shadowRoot) : ''}`;
      }
      return s;
    };
    return [...document.querySelectorAll(sel)].map((e) => walk(e.shadowRoot).replace(/\s+/g, ' ').trim());
  }, selector);
}

// ---- the blog recipe ----

/** The README's recipe: the file list and the ```html snippet under "## Put a network in your blog". */
export async function readRecipe() {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('## Put a network in your blog');
  expect(at >= 0, 'README.md has no "## Put a network in your blog" section');
  const section = readme.slice(at, readme.indexOf('\n## ', at + 5) >>> 0 || undefined);
  const snippet = /```html\n([\s\S]*?)```/.exec(section)?.[1];
  expect(snippet, 'the recipe section has no ```html snippet');
  const copies = [...section.matchAll(/^\| `([^`]+)` \| `([^`]+)` \|/gm)].map((m) => ({ from: m[1], to: m[2] }));
  expect(copies.length >= 3, `the recipe names ${copies.length} files to copy (a | \`from\` | \`to\` | table expected)`);
  return { snippet, copies };
}

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.json': 'application/json', '.bin': 'application/octet-stream', '.png': 'image/png', '.map': 'application/json' };

/** A plain static server of `dir` (what any blog host does): files only, 404 for the rest. */
async function serveFolder(dir) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = resolve(dir, `.${path.endsWith('/') ? `${path}index.html` : path}`);
    try {
      if (!file.startsWith(resolve(dir))) throw new Error('outside');
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('404\n');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

/** The live elements of an article page: tag, id, and every attribute, with file attributes resolved against the page. */
async function articleElements(page) {
  const html = await readFile(join(ROOT, 'demo', page), 'utf8');
  const base = new URL(page, 'http://site/demo/');
  const FILES = new Set(['model', 'src', 'dataset', 'reference']);
  return [...html.matchAll(/<(cnn-[a-z-]+)\b([^>]*)>/g)].map(([, tag, attrs]) => {
    const fields = {};
    for (const [, name, value = ''] of attrs.matchAll(/([a-z-]+)(?:="([^"]*)")?/g)) {
      if (name === 'lang') continue;
      fields[name] = FILES.has(name) ? new URL(value, base).pathname : value.replace(/\s+/g, ' ').trim();
    }
    return { tag, fields };
  });
}

export const readerTests = [
  {
    name: 'Chinese article (demo/zh/) holds every live element of the English one, with the same settings, and every file it points at exists',
    async run() {
      const en = await articleElements('index.html');
      const zh = await articleElements('zh/index.html');
      const key = (e) => `${e.tag}#${e.fields.id ?? ''}@${e.fields.for ?? ''}`;
      const zhByKey = new Map(zh.map((e) => [key(e), e]));
      const missing = en.filter((e) => !zhByKey.has(key(e))).map(key);
      expect(missing.length === 0, `the Chinese article lacks ${missing.join(', ')}`);
      for (const e of en) {
        const z = zhByKey.get(key(e));
        for (const [name, value] of Object.entries(e.fields)) {
          expect(z.fields[name] === value, `${key(e)}: ${name} is “${z.fields[name]}” in Chinese, “${value}” in English`);
        }
      }
      for (const e of zh) {
        for (const name of ['model', 'src', 'dataset', 'reference']) {
          const path = e.fields[name];
          if (!path || !path.startsWith('/demo/')) continue;
          const file = join(ROOT, decodeURI(path));
          const exists = await stat(file).then(() => true, () => false);
          expect(exists, `${key(e)}: ${name}="${path}" does not exist`);
        }
      }
    },
  },
  {
    name: 'Chinese article (demo/zh/): both networks draw, every element speaks Chinese, and a shared link reopens its layer, channel, unit and sample',
    async run(env) {
      const hash = '#digits.layer=conv2&digits.channel=5&digits.unit=3,4&digits-input.sample=7';
      const { context, page, pageErrors, badResponses } = await openPage(env, new URL(`zh/index.html${hash}`, env.server.url).href);
      try {
        await waitForStates(page, 'cnn-layer-viewer, cnn-filter-viewer');
        await page.screenshot({ path: join(env.artifacts, 'zh-article.png'), fullPage: true });
        expect(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join(' | ')}`);
        expect(badResponses.length === 0, `failed requests: ${badResponses.join(', ')}`);
        const states = await page.evaluate(() => [...document.querySelectorAll('cnn-layer-viewer, cnn-filter-viewer')].map((e) => `${e.id || e.localName}: ${e.state}`));
        expect(states.every((s) => s.endsWith(': ready')), `not every element is ready: ${states.join(', ')}`);
        for (const [sel, words] of [
          ['#face', ['输入', '个通道中的', '每个小图按各自的取值范围着色']],
          ['#digits', ['softmax：各类别的概率', '类别中的前']],
          ['cnn-filter-viewer', ['个滤波器']],
          ['#digits-input', ['清除', '示例']],
        ]) {
          const [text] = await shownText(page, sel);
          for (const w of words) expect(text.includes(w), `${sel} does not say “${w}” in Chinese: ${text.slice(0, 200)}`);
        }
        // The link's state: conv2, channel 5 (not among the 8 shown: all are shown), the unit (3, 4), and a 7 on the pad.
        await page.waitForFunction(() => document.querySelector('#digits').shadowRoot.querySelector('.detail h3')?.textContent.includes('conv2 · 通道 5'), null, { timeout: 30_000 });
        const restored = await page.evaluate(() => {
          const v = document.querySelector('#digits');
          return {
            readout: v.shadowRoot.querySelector('.readout').textContent,
            field: v.receptiveField,
            sample: document.querySelector('#digits-input').shadowRoot.querySelector('select').value,
          };
        });
        expect(restored.readout.includes('x 3, y 4'), `the unit was not restored: ${restored.readout}`);
        expect(restored.field && restored.field.bottom > restored.field.top, `no receptive field outlined: ${JSON.stringify(restored.field)}`);
        expect(restored.sample === '7', `the pad shows sample ${restored.sample}, the link said 7`);
        await page.locator('#digits').scrollIntoViewIfNeeded();
        await page.locator('#digits').screenshot({ path: join(env.artifacts, 'url-state-restored.png') });
      } finally {
        await context.close();
      }
    },
  },
  {
    name: 'training timeline: after a short run the slider scrubs back to an early snapshot, whose filters differ from the last',
    async run(env) {
      const { context, page, pageErrors } = await openPage(env, new URL('train.html?subset&preset=tiny&train-size=512&test-size=200&batch-size=32&epochs=1&learning-rate=0.01&autorun', env.server.url).href);
      try {
        await page.waitForFunction(() => ['done', 'error', 'unsupported'].includes(document.body.dataset.status), null, { timeout: READY_MS, polling: 200 });
        const status = await page.evaluate(() => `${document.body.dataset.status} ${document.body.dataset.error ?? ''}`);
        expect(status.startsWith('done'), `the run did not complete: ${status}`);
        const frames = await page.evaluate(() => document.querySelector('cnn-trainer').timeline.map((f) => f.step));
        expect(frames.length >= 5 && frames[0] === 0 && frames[frames.length - 1] === 16, `snapshots at steps ${frames.join(', ')}`);
        const filters = () =>
          page.evaluate(() => [...document.querySelector('cnn-trainer').shadowRoot.querySelectorAll('canvas.filter')].map((c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(',')).join('|'));
        const last = await filters();
        const scrub = page.locator('cnn-trainer').locator('input.scrub');
        await scrub.focus();
        await page.keyboard.press('Home');
        await page.keyboard.press('ArrowRight');
        await page.waitForFunction(() => document.querySelector('cnn-trainer').snapshotShown === 1, null, { timeout: 5_000 });
        const early = await filters();
        expect(early !== last, 'the filters of snapshot 1 look like the last ones');
        const when = await page.evaluate(() => document.querySelector('cnn-trainer').shadowRoot.querySelector('.timeline .when').textContent);
        expect(/Step \d+ of 16/.test(when), `the timeline says “${when}”`);
        await page.locator('cnn-trainer').screenshot({ path: join(env.artifacts, 'training-timeline.png') });
        expect(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join(' | ')}`);
      } finally {
        await context.close();
      }
    },
  },
  {
    name: 'article on a phone (390 px): nothing runs off the side of the page, and embed.html is laid out for the phone too',
    async run(env) {
      const { context, page } = await openPage(env, new URL('index.html', env.server.url).href, { width: 390, height: 844 });
      try {
        await waitForStates(page, '#digits');
        const overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
        await page.screenshot({ path: join(env.artifacts, 'article-phone.png'), fullPage: false });
        expect(overflow <= 1, `the article is ${overflow} px wider than the phone`);
        const embed = await context.newPage();
        await embed.goto(new URL('embed.html', env.server.url).href, { waitUntil: 'load' });
        const width = await embed.evaluate(() => window.innerWidth);
        expect(width === 390, `embed.html lays out ${width} px wide on a 390 px phone (no viewport meta tag?)`);
      } finally {
        await context.close();
      }
    },
  },
  {
    name: 'blog recipe: a folder holding only the files the README names draws the README’s snippet (the same element as demo/embed.html)',
    async run(env) {
      const { snippet, copies } = await readRecipe();
      const embed = await readFile(join(ROOT, 'demo/embed.html'), 'utf8');
      const element = /<cnn-layer-viewer[^>]*><\/cnn-layer-viewer>/.exec(snippet)?.[0];
      expect(element, 'the snippet has no <cnn-layer-viewer>');
      expect(embed.includes(element), `demo/embed.html does not hold the snippet's element ${element}`);
      const dir = await mkdtemp(join(tmpdir(), 'cnn-blog-'));
      let site = null;
      try {
        for (const { from, to } of copies) {
          await mkdir(dirname(join(dir, to)), { recursive: true });
          await copyFile(join(ROOT, from), join(dir, to));
        }
        await writeFile(join(dir, 'index.html'), `<!doctype html>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n${snippet}`);
        site = await serveFolder(dir);
        const { context, page, pageErrors, badResponses } = await openPage(env, site.url);
        try {
          await waitForStates(page, 'cnn-layer-viewer');
          await page.screenshot({ path: join(env.artifacts, 'blog-recipe.png'), fullPage: true });
          expect(badResponses.length === 0, `the page asked for files the recipe does not name: ${badResponses.join(', ')}`);
          expect(pageErrors.length === 0, `uncaught page errors: ${pageErrors.join(' | ')}`);
          const drawn = await page.evaluate(() => {
            const v = document.querySelector('cnn-layer-viewer');
            const tiles = [...v.shadowRoot.querySelectorAll('button.tile canvas')];
            const colours = tiles.map((c) => {
              const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              const seen = new Set();
              for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
              return seen.size;
            });
            return { state: v.state, layers: v.shownLayers.map((s) => s.name), colours, top: v.topPredictions?.[0]?.index };
          });
          expect(drawn.state === 'ready', `the viewer is ${drawn.state}`);
          expect(drawn.layers.includes('conv1') && drawn.colours.filter((n) => n > 1).length >= 4, `nothing was drawn: ${JSON.stringify(drawn)}`);
          expect(drawn.top === 3, `the digit 3 was read as ${drawn.top}`);
        } finally {
          await context.close();
        }
      } finally {
        await site?.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'Node version: README, package.json engines and .ci/run say the same, the running Node satisfies it, and only browser-side packages ask for more',
    async run() {
      const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
      const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
      const ci = await readFile(join(ROOT, '.ci/run'), 'utf8');
      const min = Number(/^>=(\d+)$/.exec(pkg.engines?.node ?? '')?.[1]);
      expect(Number.isInteger(min), `package.json engines.node is “${pkg.engines?.node}”, expected >=N`);
      expect(readme.includes(`Node.js ${min} or newer`), `README.md does not say “Node.js ${min} or newer”`);
      expect(ci.includes(`-lt ${min} ]`), `.ci/run does not check for Node.js ${min}`);
      const running = Number(process.versions.node.split('.')[0]);
      expect(running >= min, `the tests run on Node ${process.versions.node}, below the ${min} the package says it needs`);
      const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8'));
      const wanting = Object.entries(lock.packages ?? {})
        .filter(([, v]) => /^>=\s*(\d+)/.test(v.engines?.node ?? '') && Number(/^>=\s*(\d+)/.exec(v.engines.node)[1]) > min)
        .map(([k]) => k);
      // @open-wc/testing's DOM-diff plugin pins @web packages that declare Node 22; the runner never loads them in Node.
      const unexpected = wanting.filter((k) => !k.startsWith('node_modules/@open-wc/semantic-dom-diff/node_modules/'));
      expect(unexpected.length === 0, `packages that declare a newer Node than ${min}: ${unexpected.join(', ')}`);
      expect(readme.includes('EBADENGINE'), 'README.md does not explain the EBADENGINE warnings of npm install');
    },
  },
];
