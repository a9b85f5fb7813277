import { expect } from '@esm-bundle/chai';

/** The demo pages as the server sends them, parsed (nothing runs). */
async function page(path: string): Promise<Document> {
  const res = await fetch(path);
  expect(res.ok, `${path}: HTTP ${res.status}`).to.equal(true);
  return new DOMParser().parseFromString(await res.text(), 'text/html');
}

describe('the demo pages, as a new reader opens them', () => {
  it('every page is laid out for a phone (a viewport meta tag), the smallest embedding included', async () => {
    for (const path of ['/demo/index.html', '/demo/embed.html', '/demo/train.html', '/demo/bench.html', '/demo/engine.html']) {
      const meta = (await page(path)).querySelector('meta[name="viewport"]');
      expect(meta?.getAttribute('content'), path).to.include('width=device-width');
    }
  });
});

describe('the training page', () => {
  it('describes the three networks a reader can choose', async () => {
    const text = (await page('/demo/train.html')).body.textContent!.replace(/\s+/g, ' ');
    for (const name of ['lenet', 'deeper', 'tiny']) expect(text, name).to.match(new RegExp(`${name}, [^.;]*convolution`, 'i'));
  });
});
