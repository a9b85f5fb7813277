import { expect } from '@esm-bundle/chai';
import { CnnElement, type CnnErrorDetail } from '../../components/internal/cnn-element.js';
import { CnnError, WebGpuUnavailableError } from '../../src/index.js';
import { fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../components/cnn-invariance.js';
import type { CnnInvariance, InvarianceReadyDetail } from '../../components/cnn-invariance.js';
import { sharedEngine } from '../../components/internal/shared-engine.js';
import { loadLayersModel, sequential, sweepValues, type Model } from '../../src/index.js';
import { tinyClassifier, blobModel, picture, pixelsOf, type SavedModel } from './tiny_model.js';

let saved: SavedModel;

async function classifier(): Promise<Model> {
  return loadLayersModel(await sharedEngine(), { modelJson: saved.modelJson, weights: saved.weightData });
}

/** A small embedding network (no softmax): 12×12 grey → conv → pool → flatten → 8 numbers. */
async function embedder(): Promise<Model> {
  return sequential(await sharedEngine(), {
    inputShape: [12, 12, 1],
    seed: 4,
    name: 'embed',
    layers: [
      { className: 'Conv2D', config: { name: 'c1', filters: 4, kernel_size: 3, activation: 'relu' } },
      { className: 'MaxPooling2D', config: { name: 'p1', pool_size: 2 } },
      { className: 'Conv2D', config: { name: 'c2', filters: 4, kernel_size: 3, activation: 'relu' } },
      { className: 'Flatten', config: { name: 'flat' } },
      { className: 'Dense', config: { name: 'embedding', units: 8, activation: 'linear' } },
    ],
  });
}

async function swept(template: ReturnType<typeof html>, model: Model): Promise<{ el: CnnInvariance; detail: InvarianceReadyDetail }> {
  const el = await fixture<CnnInvariance>(template);
  const ready = oneEvent(el, 'cnn-ready');
  el.setModel(model, model.name);
  el.setInput(picture());
  const detail = (await ready).detail as InvarianceReadyDetail;
  await el.updateComplete;
  return { el, detail };
}

const root = (el: Element) => el.shadowRoot!;

describe('cnn-invariance', function () {
  this.timeout(60_000);
  before(async () => {
    saved = await tinyClassifier();
  });

  it('a classifier under rotation: the class probabilities at each angle are the model’s own on the rotated image, from one batch', async () => {
    const model = await classifier();
    const { el, detail } = await swept(html`<cnn-invariance labels="a, b, c"></cnn-invariance>`, model);
    expect(el.state).to.equal('ready');
    expect(detail.transform).to.equal('rotation');
    expect(detail.values).to.deep.equal(sweepValues([-180, 180], 13));
    expect(detail.response).to.equal('classes');
    expect(detail.classes.map((c) => c.label).sort()).to.deep.equal(['a', 'b', 'c']);
    expect(el.inputs!.shape, 'one batch: the untransformed input and 13 angles').to.deep.equal([14, 12, 12, 1]);
    const batch = await el.inputs!.read();
    const engine = await sharedEngine();
    for (const b of [0, 3, 6, 10]) {
      const x = engine.tensor(batch.subarray((b + 1) * 144, (b + 2) * 144), [1, 12, 12, 1]);
      const y = model.predict(x);
      const p = await y.read();
      for (const c of detail.classes) expect(c.probabilities[b], `${c.label} at ${detail.values[b]}°`).to.be.closeTo(p[c.index]!, 1e-5);
      x.dispose();
      y.dispose();
    }
    for (let b = 0; b < 13; b++) expect(detail.classes.reduce((s, c) => s + c.probabilities[b]!, 0)).to.be.closeTo(1, 1e-5);
    // At 0° every layer's maps are the untransformed ones.
    expect(detail.layers.map((l) => l.name)).to.deep.equal(['conv', 'signed', 'pool', 'flat', 'probs']);
    for (const l of detail.layers) expect(l.similarity[6], l.name).to.be.closeTo(1, 1e-5);
    const svg = root(el).querySelector('svg.response')!;
    expect(svg.querySelectorAll('g.series')).to.have.length(detail.classes.length);
    expect(svg.getAttribute('aria-label')).to.include('rotation').and.include('Class a');
    expect(root(el).querySelectorAll('svg.layers g.heat-row')).to.have.length(5);
    expect(root(el).querySelectorAll('svg.layers g.heat-row rect')).to.have.length(5 * 13);
  });

  it('the slider scrubs: the transformed input, the classes read there, and the maps at that angle beside the untransformed ones', async () => {
    const { el, detail } = await swept(html`<cnn-invariance channels="2"></cnn-invariance>`, await classifier());
    const slider = root(el).querySelector<HTMLInputElement>('input[type="range"]')!;
    expect(slider.value, 'starts at the identity').to.equal('6');
    slider.value = '3';
    slider.dispatchEvent(new Event('input'));
    await el.updateComplete;
    await waitUntil(() => root(el).querySelector('.maps figcaption')?.textContent?.includes('-90'), 'maps at −90°');
    await el.updateComplete;
    expect(el.position).to.equal(3);
    expect(root(el).querySelector('.value')!.textContent).to.include('-90');
    const frame = root(el).querySelector<HTMLCanvasElement>('canvas.frame.transformed')!;
    const batch = await el.inputs!.read();
    const px = pixelsOf(frame);
    const off = Array.from({ length: 144 }, (_, i) => Math.abs(px[i * 4]! - Math.round(batch[4 * 144 + i]! * 255))).filter((d) => d > 1).length;
    expect(off, 'the frame is image 4 of the batch').to.equal(0);
    const top = [...detail.classes].sort((a, b) => b.probabilities[3]! - a.probabilities[3]!)[0]!;
    expect(root(el).querySelector('.readout li')!.textContent).to.include(top.label);
    const figures = root(el).querySelectorAll('.maps figure');
    expect(figures).to.have.length(3, 'the first, middle and last spatial layers');
    for (const f of figures) {
      expect(f.querySelectorAll('.tiles')).to.have.length(2);
      expect(f.querySelectorAll('canvas')).to.have.length(4);
    }
    expect(root(el).querySelector('svg.layers rect.column')!.getAttribute('x')).to.not.equal(null);
  });

  it('an embedding network under brightness: the output’s cosine similarity to the untransformed input’s, 1 at no change', async () => {
    const { el, detail } = await swept(html`<cnn-invariance transform="brightness" range="-0.5 0.5" steps="5"></cnn-invariance>`, await embedder());
    expect(detail.response).to.equal('embedding');
    expect(detail.values).to.deep.equal([-0.5, -0.25, 0, 0.25, 0.5]);
    expect(detail.similarity![2]).to.be.closeTo(1, 1e-5);
    expect(detail.similarity!.every((s) => s <= 1 + 1e-6)).to.equal(true);
    const out = await el.layerOutput('embedding')!.read();
    const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0) / Math.sqrt(a.reduce((s, v) => s + v * v, 0) * b.reduce((s, v) => s + v * v, 0));
    expect(detail.similarity![0]).to.be.closeTo(cos(out.subarray(8, 16), out.subarray(0, 8)), 1e-4);
    expect(root(el).querySelector('svg.response')!.querySelectorAll('g.series')).to.have.length(1);
    expect(root(el).querySelector('.readout')!.textContent).to.include('similarity');
  });

  it('speaks Simplified Chinese under lang="zh"', async () => {
    const { el } = await swept(html`<cnn-invariance lang="zh" steps="3"></cnn-invariance>`, await classifier());
    expect(root(el).querySelector('.controls label')!.textContent).to.include('变换');
    expect(root(el).querySelector('select option[value="rotation"]')!.textContent).to.equal('旋转');
    expect(root(el).querySelector('[part="layers"] figcaption')!.textContent).to.include('余弦相似度');
  });

  it('with url-state, the transformation, its range and the scrubbed step come back from a link and are written when changed', async () => {
    const bare = `${location.pathname}${location.search}`;
    history.replaceState(null, '', `${bare}#inv.transform=scale&inv.range=0.5,2&inv.at=1`);
    try {
      const { el, detail } = await swept(html`<cnn-invariance id="inv" url-state steps="3"></cnn-invariance>`, await classifier());
      expect(detail.transform).to.equal('scale');
      expect(detail.values).to.deep.equal([0.5, 1.25, 2]);
      expect(root(el).querySelector<HTMLInputElement>('input[type="range"]')!.value).to.equal('1');
      const ready = oneEvent(el, 'cnn-ready');
      const select = root(el).querySelector('select')!;
      select.value = 'blur';
      select.dispatchEvent(new Event('change'));
      await ready;
      el.writeUrlState();
      expect(location.hash).to.include('inv.transform=blur').and.not.include('inv.range').and.not.include('inv.at');
    } finally {
      history.replaceState(null, '', bare);
    }
  });

  it('choosing another transformation in the menu runs a new sweep over its own range', async () => {
    const { el } = await swept(html`<cnn-invariance steps="5"></cnn-invariance>`, await classifier());
    const select = root(el).querySelector('select')!;
    const ready = oneEvent(el, 'cnn-ready');
    select.value = 'scale';
    select.dispatchEvent(new Event('change'));
    const detail = (await ready).detail as InvarianceReadyDetail;
    expect(detail.transform).to.equal('scale');
    expect(detail.values).to.deep.equal(sweepValues([0.5, 2], 5));
  });

  it('a bad range is shown in place and fired as cnn-error', async () => {
    const el = await fixture<CnnInvariance>(html`<cnn-invariance range="left right"></cnn-invariance>`);
    const failed = oneEvent(el, 'cnn-error');
    el.setModel(await classifier());
    el.setInput(picture());
    expect(((await failed).detail as { message: string }).message).to.include('range must be two numbers');
    await el.updateComplete;
    expect(el.state).to.equal('error');
    expect(root(el).querySelector('.notice.error')).to.not.equal(null);
  });

  it('loading="lazy" waits until the element comes into view, then loads the model by URL and sweeps', async () => {
    const { url, revoke } = blobModel(saved);
    const png = URL.createObjectURL(await new Promise<Blob>((r) => picture().toBlob((b) => r(b!))));
    const box = await fixture<HTMLDivElement>(html`<div><div style="height: 4000px"></div><cnn-invariance loading="lazy" steps="3" model=${url} src=${png}></cnn-invariance></div>`);
    const el = box.querySelector('cnn-invariance')!;
    await new Promise((r) => setTimeout(r, 300));
    expect(el.state).to.equal('deferred');
    expect(el.loadedModel).to.equal(null);
    const ready = oneEvent(el, 'cnn-ready');
    el.scrollIntoView();
    await ready;
    expect(el.result!.values).to.deep.equal([-180, 0, 180]);
    revoke();
  });

  it('extends CnnElement; without WebGPU it shows the shared notice, fires cnn-error with a WebGpuUnavailableError and ends unsupported', async () => {
    Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
    try {
      const box = await fixture<HTMLDivElement>(html`<div></div>`);
      const errors: CnnErrorDetail[] = [];
      box.addEventListener('cnn-error', (e) => errors.push((e as CustomEvent<CnnErrorDetail>).detail));
      const el = document.createElement('cnn-invariance');
      expect(el).to.be.instanceOf(CnnElement);
      box.append(el);
      await el.updateComplete;
      expect(el.state).to.equal('unsupported');
      expect(el.shadowRoot!.querySelector('.notice')!.textContent).to.include('navigator.gpu is missing').and.include('Safari');
      expect(errors).to.have.length(1);
      expect(errors[0]!.phase).to.equal('webgpu');
      expect(errors[0]!.error).to.be.instanceOf(WebGpuUnavailableError).and.instanceOf(CnnError);
    } finally {
      delete (navigator as { gpu?: unknown }).gpu;
    }
  });
});
