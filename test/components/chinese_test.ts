import { expect } from '@esm-bundle/chai';
import { fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../components/index.js';
import '../../components/cnn-kernel-bench.js';
import type { CnnLayerViewer } from '../../components/cnn-layer-viewer.js';
import type { CnnFilterViewer } from '../../components/cnn-filter-viewer.js';
import { sharedEngine } from '../../components/internal/shared-engine.js';
import { registry } from '../../components/internal/i18n.js';
import { loadLayersModel } from '../../src/index.js';
import { tinyClassifier, picture } from './tiny_model.js';

/** Every text node and every aria-label, title and placeholder in an element's shadow tree (and nested ones). */
function shownText(el: Element): string[] {
  const out: string[] = [];
  const walk = (root: ParentNode) => {
    for (const node of root.querySelectorAll('*')) {
      for (const a of ['aria-label', 'title', 'placeholder', 'aria-valuetext']) {
        const v = node.getAttribute(a);
        if (v) out.push(v);
      }
      if (node.shadowRoot) walk(node.shadowRoot);
    }
    const tw = document.createTreeWalker(root as Node, NodeFilter.SHOW_TEXT);
    for (let n = tw.nextNode(); n; n = tw.nextNode()) if (n.parentElement?.localName !== 'style' && n.textContent!.trim()) out.push(n.textContent!.trim());
  };
  walk(el.shadowRoot!);
  return out;
}

/** Words of four letters or more that the English catalogues use and the Chinese ones do not (names such as WebGPU stay). */
function englishOnlyWords(): Set<string> {
  const words = (m: unknown) => (typeof m === 'string' ? m.replace(/\{\w+\}/g, '').match(/[A-Za-z]{4,}/g) ?? [] : []);
  const en = new Set<string>();
  const zh = new Set<string>();
  for (const set of registry) {
    for (const m of Object.values(set.en)) for (const w of words(m)) en.add(w.toLowerCase());
    for (const m of Object.values(set['zh-Hans'])) for (const w of words(m)) zh.add(w.toLowerCase());
  }
  for (const w of zh) en.delete(w);
  // Keras class names (Dense, Flatten…) are the model's data, shown as the model names them.
  for (const w of ['dense', 'flatten', 'softmax']) en.delete(w);
  // The presets' names (lenet, deeper, tiny) are names, as the attribute takes them.
  for (const w of ['lenet', 'deeper', 'tiny']) en.delete(w);
  return en;
}

describe('every element speaks Simplified Chinese under lang="zh-Hans"', function () {
  this.timeout(120_000);

  it('shows no English word of its own: layer viewer, filter viewer, image input, trainer, kernel bench', async () => {
    const saved = await tinyClassifier();
    const box = await fixture<HTMLDivElement>(html`<div lang="zh-Hans">
      <cnn-layer-viewer id="v" channels="2" labels="猫, 狗, 鸟"></cnn-layer-viewer>
      <cnn-filter-viewer id="f"></cnn-filter-viewer>
      <cnn-image-input for="none"></cnn-image-input>
      <cnn-image-input mode="draw" for="none"></cnn-image-input>
      <cnn-trainer></cnn-trainer>
      <cnn-kernel-bench engines=""></cnn-kernel-bench>
    </div>`);
    const engine = await sharedEngine();
    const viewer = box.querySelector<CnnLayerViewer>('#v')!;
    const ready = oneEvent(viewer, 'cnn-ready');
    viewer.setModel(await loadLayersModel(engine, { modelJson: saved.modelJson, weights: saved.weightData }), 'tiny');
    viewer.setInput(picture());
    await ready;
    (viewer.shadowRoot!.querySelector('button.tile') as HTMLButtonElement).click();
    await waitUntil(() => viewer.shadowRoot!.querySelector('.detail'), 'a tile opened');
    const filters = box.querySelector<CnnFilterViewer>('#f')!;
    const drawn = oneEvent(filters, 'cnn-ready');
    filters.setModel(await loadLayersModel(engine, { modelJson: saved.modelJson, weights: saved.weightData }));
    await drawn;
    const elements = [...box.children];
    await Promise.all(elements.map((e) => (e as unknown as { updateComplete: Promise<unknown> }).updateComplete));
    const stop = englishOnlyWords();
    expect(stop.size).to.be.greaterThan(50);
    for (const el of elements) {
      const texts = shownText(el);
      expect(texts.join(' '), el.localName).to.match(/[\u4e00-\u9fff]/);
      const english = texts.filter((t) => (t.match(/[A-Za-z]{4,}/g) ?? []).some((w) => stop.has(w.toLowerCase())));
      expect(english, `${el.localName} shows English`).to.deep.equal([]);
    }
  });
});
