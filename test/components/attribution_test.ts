import { expect } from '@esm-bundle/chai';
import { fixture, html, oneEvent } from '@open-wc/testing';
import '../../components/cnn-attribution.js';
import '../../components/cnn-layer-viewer.js';
import type { CnnAttribution, AttributionReadyDetail } from '../../components/cnn-attribution.js';
import type { CnnLayerViewer } from '../../components/cnn-layer-viewer.js';
import { sharedEngine } from '../../components/internal/shared-engine.js';
import { CnnElement, type CnnErrorDetail } from '../../components/internal/cnn-element.js';
import { parseMethod } from '../../components/internal/attribution/compute.js';
import { parseTarget } from '../../components/internal/attribution/targets.js';
import { canvasPixels, drawInput } from '../../components/internal/image-pixels.js';
import { explain, loadLayersModel, sequential, WebGpuUnavailableError, type Model, type Tensor } from '../../src/index.js';
import { tinyClassifier, picture, pixelsOf, type SavedModel } from './tiny_model.js';

let saved: SavedModel;
let model: Model;
const root = (el: Element) => el.shadowRoot!;
const VIRIDIS_TOP = [253, 231, 37];

/** The tiny model's input for the test picture, as the element makes it. */
async function input(): Promise<Tensor> {
  return (await sharedEngine()).tensor(canvasPixels(drawInput(picture(), 12, 12, 'cover'), 1, [0, 1]), [1, 12, 12, 1]);
}

async function drawn(template: ReturnType<typeof html>, m: Model = model): Promise<{ el: CnnAttribution; detail: AttributionReadyDetail }> {
  const el = await fixture<CnnAttribution>(template);
  const ready = oneEvent(el, 'cnn-ready');
  el.setModel(m, m.name);
  el.setInput(picture());
  const detail = (await ready).detail as AttributionReadyDetail;
  await el.updateComplete;
  return { el, detail };
}

async function next(el: CnnAttribution, change: () => void): Promise<AttributionReadyDetail> {
  const ready = oneEvent(el, 'cnn-ready');
  change();
  const d = (await ready).detail as AttributionReadyDetail;
  await el.updateComplete;
  return d;
}

function choose(el: CnnAttribution, sel: string, value: string): void {
  const s = root(el).querySelector<HTMLSelectElement>(sel)!;
  s.value = value;
  s.dispatchEvent(new Event('change'));
}

describe('cnn-attribution', function () {
  this.timeout(60_000);
  before(async () => {
    saved = await tinyClassifier();
    model = await loadLayersModel(await sharedEngine(), { modelJson: saved.modelJson, weights: saved.weightData });
  });

  it('parses methods and targets as the attributes spell them', () => {
    expect(['smoothGrad', 'integratedGradients', 'Grad-CAM', 'occlusion', 'IG', 'nonsense'].map(parseMethod)).to.deep.equal(['smoothgrad', 'integrated-gradients', 'gradcam', 'occlusion', 'integrated-gradients', 'saliency']);
    expect(parseTarget('', model)).to.equal(null);
    expect(parseTarget('2', model)).to.deep.equal({ class: 2 });
    expect(parseTarget('class:1', model)).to.deep.equal({ class: 1 });
    expect(parseTarget('class:3', model)).to.equal('bad');
    expect(parseTarget('conv:3', model)).to.deep.equal({ layer: 'conv', channel: 3 });
    expect(parseTarget('signed:2@4,5', model)).to.deep.equal({ layer: 'signed', channel: 2, y: 4, x: 5 });
    expect(parseTarget('signed:2@10,5', model)).to.equal('bad');
    expect(parseTarget('nope:0', model)).to.equal('bad');
  });

  it('saliency of the top class over the input: the map is max |∂ logit / ∂ pixel|, coloured low to high, with a legend and a class picker', async () => {
    const { el, detail } = await drawn(html`<cnn-attribution labels="a, b, c"></cnn-attribution>`);
    expect(el.state).to.equal('ready');
    const x = await input();
    const y = model.predict(x);
    const p = await y.read();
    y.dispose();
    const top = [...p].indexOf(Math.max(...p));
    expect(detail).to.deep.include({ method: 'saliency', targetKey: `class:${top}`, map: 'sequential', size: [12, 12] });
    expect(detail.target).to.deep.equal({ class: top });
    const g = await explain.saliency(model, x, { target: { class: top } });
    const want = Array.from(await g.read(), Math.abs);
    g.dispose();
    x.dispose();
    const heat = el.heatmap!;
    want.forEach((v, i) => expect(heat.values[i]!, `pixel ${i}`).to.be.closeTo(v, 1e-6));
    const colours = pixelsOf(root(el).querySelector<HTMLCanvasElement>('canvas.heat')!);
    const at = (i: number) => [colours[i * 4]!, colours[i * 4 + 1]!, colours[i * 4 + 2]!];
    const hi = want.indexOf(Math.max(...want));
    const lo = want.indexOf(Math.min(...want));
    at(hi).forEach((v, k) => expect(v).to.be.closeTo(VIRIDIS_TOP[k]!, 2));
    expect(colours[hi * 4 + 3], 'the strongest pixel is opaque').to.equal(255);
    expect(colours[lo * 4 + 3], 'the weakest is transparent: the input shows through').to.equal(0);
    const mid = want.findIndex((v) => v > 0.2 * want[hi]! && v < 0.8 * want[hi]!);
    if (mid >= 0) expect(colours[mid * 4 + 3]).to.be.closeTo(255 * Math.sqrt((want[mid]! - want[lo]!) / (want[hi]! - want[lo]!)), 2);
    const inputPx = pixelsOf(root(el).querySelector<HTMLCanvasElement>('canvas.input')!);
    expect(inputPx.length).to.equal(12 * 12 * 4);
    const options = [...root(el).querySelectorAll<HTMLOptionElement>('select.target option')];
    expect(options.map((o) => o.value)).to.have.length(3);
    expect(options[0]!.textContent).to.match(/^class [abc] · \d+\.\d%$/);
    expect(root(el).querySelector('.legend .hi')!.textContent).to.not.equal('');
    expect(root(el).querySelector('.stack')!.getAttribute('aria-label')).to.include('Saliency');

    const other = options[2]!.value;
    const d2 = await next(el, () => choose(el, 'select.target', other));
    expect(d2.targetKey).to.equal(other);
    expect(root(el).querySelector<HTMLSelectElement>('select.target')!.value).to.equal(other);
  });

  it('Grad-CAM gets a layer picker with the last convolution first; Integrated Gradients is signed (the library’s attributions, summed over colour channels); occlusion spreads window scores', async () => {
    const { el } = await drawn(html`<cnn-attribution method="gradcam"></cnn-attribution>`);
    expect(root(el).querySelector<HTMLSelectElement>('select.layer')!.value).to.equal('signed');
    const x = await input();
    expect((await next(el, () => (el.target = 'class:1'))).targetKey).to.equal('class:1');
    const target = { class: 1 };
    const cam = await explain.gradCam(model, x, { target, layer: 'signed' });
    const e = await sharedEngine();
    const four = e.reshape(cam, [1, 10, 10, 1]);
    const big = e.resize(four, { size: [12, 12], mode: 'linear', coordinateTransform: 'half_pixel' });
    const want = await big.read();
    for (const t of [cam, four, big]) t.dispose();
    want.forEach((v, i) => expect(el.heatmap!.values[i]!).to.be.closeTo(v, 1e-5));
    const d = await next(el, () => choose(el, 'select.layer', 'conv'));
    expect(d.layer).to.equal('conv');

    const ig = await next(el, () => choose(el, 'select.method', 'integrated-gradients'));
    expect(ig.map).to.equal('diverging');
    expect(root(el).querySelector('select.layer')).to.equal(null);
    const igWant = await explain.integratedGradients(model, x, { target, steps: 32 });
    const igv = await igWant.read();
    igWant.dispose();
    igv.forEach((v, i) => expect(el.heatmap!.values[i]!, `pixel ${i}`).to.be.closeTo(v, 1e-6));
    expect(Math.min(...el.heatmap!.values), 'signed').to.be.below(0);
    expect(root(el).querySelector('.legend .words')!.textContent).to.include('lowers').and.include('raises');

    const occ = await next(el, () => (el.method = 'occlusion'));
    expect(occ.map).to.equal('diverging');
    const scores = await explain.occlusion(model, x, { target, window: 2, stride: 1 });
    const s = await scores.read(); // [1, 11, 11]
    scores.dispose();
    // Pixel (0, 0) is covered by window (0, 0) alone.
    expect(el.heatmap!.values[0]!).to.be.closeTo(s[0]!, 1e-5);
    x.dispose();
  });

  it('the opacity slider fades the heat map without computing again', async () => {
    const { el } = await drawn(html`<cnn-attribution opacity="0.6"></cnn-attribution>`);
    let readies = 0;
    el.addEventListener('cnn-ready', () => readies++);
    const slider = root(el).querySelector<HTMLInputElement>('input.opacity')!;
    expect(slider.value).to.equal('60');
    slider.value = '25';
    slider.dispatchEvent(new Event('input'));
    await el.updateComplete;
    expect(el.opacity).to.equal(0.25);
    expect(root(el).querySelector<HTMLCanvasElement>('canvas.heat')!.style.opacity).to.equal('0.25');
    await new Promise((r) => setTimeout(r, 100));
    expect(readies).to.equal(0);
  });

  it('follows a linked <cnn-layer-viewer>: its model and input, and the tile opened there becomes the target', async () => {
    const box = await fixture<HTMLDivElement>(html`<div><cnn-layer-viewer id="lv" channels="all"></cnn-layer-viewer><cnn-attribution viewer="lv" method="gradcam"></cnn-attribution></div>`);
    const viewer = box.querySelector<CnnLayerViewer>('cnn-layer-viewer')!;
    const el = box.querySelector<CnnAttribution>('cnn-attribution')!;
    const first = oneEvent(el, 'cnn-ready');
    viewer.setModel(model, 'tiny');
    viewer.setInput(picture());
    await first;
    expect(el.loadedModel).to.equal(model);
    await viewer.updateComplete;
    const tile = viewer.shadowRoot!.querySelector<HTMLButtonElement>('button.tile[data-channel="2"][data-layer="0"]')!;
    const layer = viewer.shownLayers[0]!.name;
    const d = await next(el, () => tile.click());
    expect(d.targetKey).to.equal(`${layer}:2`);
    expect(d.target).to.deep.equal({ layer, channel: 2 });
    expect(root(el).querySelector<HTMLSelectElement>('select.target')!.value).to.equal(`${layer}:2`);
  });

  it('a network without classes: the strongest channels of the last convolution, and the similarity to a reference image', async () => {
    const e = await sharedEngine();
    const embed = sequential(e, {
      inputShape: [12, 12, 1], seed: 4, name: 'embed',
      layers: [
        { className: 'Conv2D', config: { name: 'c1', filters: 4, kernel_size: 3, activation: 'relu' } },
        { className: 'Conv2D', config: { name: 'c2', filters: 5, kernel_size: 3, activation: 'relu' } },
        { className: 'Flatten', config: { name: 'flat' } },
        { className: 'Dense', config: { name: 'embedding', units: 8, activation: 'linear' } },
      ],
    });
    const { el, detail } = await drawn(html`<cnn-attribution top-k="3"></cnn-attribution>`, embed);
    const x = await input();
    const acts = embed.run(x);
    const means = e.mean(acts.outputs.get('c2')!, [1, 2]);
    const m = await means.read();
    means.dispose();
    acts.dispose();
    const best = [...m].indexOf(Math.max(...m));
    expect(detail.targetKey).to.equal(`c2:${best}`);
    expect(root(el).querySelectorAll('select.target option')).to.have.length(3);
    const ref = picture();
    const url = await new Promise<string>((r) => ref.toBlob((b) => r(URL.createObjectURL(b!))));
    const d = await next(el, () => {
      el.reference = url;
      el.target = 'embedding';
    });
    expect(d.targetKey).to.equal('embedding');
    expect(d.target).to.have.property('embedding');
    expect(root(el).querySelector<HTMLSelectElement>('select.target')!.value).to.equal('embedding');
    URL.revokeObjectURL(url);
    x.dispose();
  });

  it('speaks Simplified Chinese; a bad target is shown in place', async () => {
    const { el } = await drawn(html`<cnn-attribution lang="zh-Hans" method="integrated-gradients"></cnn-attribution>`);
    expect(root(el).querySelector('select.method')!.textContent).to.include('积分梯度');
    expect(root(el).querySelector('.about')!.textContent).to.include('像素');
    const error = oneEvent(el, 'cnn-error');
    el.target = 'nope:1';
    const d = (await error).detail as CnnErrorDetail;
    expect(d.phase).to.equal('run');
    await el.updateComplete;
    expect(el.state).to.equal('error');
    expect(root(el).querySelector('.notice')!.textContent).to.include('nope:1');
  });

  it('extends CnnElement: without WebGPU it shows the notice and fires cnn-error', async () => {
    expect(document.createElement('cnn-attribution')).to.be.instanceOf(CnnElement);
    Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
    try {
      const box = await fixture<HTMLDivElement>(html`<div></div>`);
      const error = oneEvent(box, 'cnn-error');
      box.append(document.createElement('cnn-attribution'));
      expect(((await error).detail as CnnErrorDetail).error).to.be.instanceOf(WebGpuUnavailableError);
      const el = box.firstElementChild as CnnAttribution;
      await el.updateComplete;
      expect(root(el).querySelector('.notice')!.textContent).to.include('WebGPU');
    } finally {
      delete (navigator as { gpu?: unknown }).gpu;
    }
  });
});
