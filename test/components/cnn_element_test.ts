import { expect } from '@esm-bundle/chai';
import { fixture, html, oneEvent } from '@open-wc/testing';
import '../../components/index.js';
import '../../components/cnn-kernel-bench.js';
import { CnnError, WebGpuUnavailableError, sequential } from '../../src/index.js';
import { sharedEngine } from '../../components/internal/shared-engine.js';
import { CnnElement, type CnnErrorDetail } from '../../components/internal/cnn-element.js';
import { ElementError, messageOf } from '../../components/internal/errors.js';
import type { CnnFilterViewer } from '../../components/cnn-filter-viewer.js';

const GPU_ELEMENTS = ['cnn-layer-viewer', 'cnn-filter-viewer', 'cnn-trainer', 'cnn-kernel-bench'] as const;

describe('CnnElement: what every element shares', function () {
  this.timeout(60_000);

  it('every element extends it', () => {
    for (const tag of [...GPU_ELEMENTS, 'cnn-image-input']) expect(document.createElement(tag), tag).to.be.instanceOf(CnnElement);
  });

  it('without WebGPU every GPU element shows the same notice and fires cnn-error with a WebGpuUnavailableError; the image input shows none', async () => {
    Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
    try {
      const box = await fixture<HTMLDivElement>(html`<div></div>`);
      const errors: { tag: string; detail: CnnErrorDetail }[] = [];
      box.addEventListener('cnn-error', (e) => errors.push({ tag: (e.target as Element).localName, detail: (e as CustomEvent<CnnErrorDetail>).detail }));
      const elements = GPU_ELEMENTS.map((tag) => document.createElement(tag));
      const input = document.createElement('cnn-image-input');
      box.append(...elements, input);
      await Promise.all([...elements, input].map((el) => el.updateComplete));
      const texts = elements.map((el) => el.shadowRoot!.querySelector('.notice')?.textContent?.replace(/\s+/g, ' ').trim() ?? '');
      expect(texts[0]).to.include('This browser does not offer WebGPU (navigator.gpu is missing).').and.include('Safari');
      for (let i = 1; i < texts.length; i++) expect(texts[i], GPU_ELEMENTS[i]).to.equal(texts[0]);
      expect(errors.map((e) => e.tag)).to.deep.equal([...GPU_ELEMENTS]);
      for (const { tag, detail } of errors) {
        expect(detail.phase, tag).to.equal('webgpu');
        expect(detail.error, tag).to.be.instanceOf(WebGpuUnavailableError).and.instanceOf(CnnError);
        expect(detail.message, tag).to.equal((detail.error as WebGpuUnavailableError).reason);
      }
      expect(input.shadowRoot!.querySelector('.notice'), 'the image input needs no GPU').to.equal(null);
    } finally {
      delete (navigator as { gpu?: unknown }).gpu;
    }
    expect(navigator.gpu, 'restored').to.not.equal(undefined);
  });

  it("an element's own error is a CnnError whose reason is what the element shows", async () => {
    const engine = await sharedEngine();
    const model = sequential(engine, { inputShape: [6, 6, 1], layers: [{ className: 'Conv2D', config: { name: 'conv', filters: 2, kernel_size: 3 } }] });
    const el = await fixture<CnnFilterViewer>(html`<cnn-filter-viewer layer="nope"></cnn-filter-viewer>`);
    const failed = oneEvent(el, 'cnn-error');
    el.setModel(model);
    const detail = (await failed).detail as CnnErrorDetail;
    expect(detail.error).to.be.instanceOf(CnnError);
    expect(detail.message).to.equal(messageOf(detail.error));
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('.notice.error')!.textContent).to.include(detail.message);
    expect(el.state).to.equal('error');
    model.dispose();

    const own = new ElementError('cnn-trainer', 'there is no model to save yet');
    expect(own).to.be.instanceOf(CnnError);
    expect([own.op, own.message, messageOf(own)]).to.deep.equal(['cnn-trainer', 'cnn-trainer: there is no model to save yet', 'there is no model to save yet']);
  });
});
