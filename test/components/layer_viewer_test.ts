import { expect } from '@esm-bundle/chai';
import { fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { sendKeys, sendMouse } from '@web/test-runner-commands';
import * as tf from '../helpers/tf_oracle.js';
import '../../components/cnn-layer-viewer.js';
import type { CnnLayerViewer, ErrorDetail, LayerSelectDetail, ReadyDetail } from '../../components/cnn-layer-viewer.js';
import type { CnnFeatureVis } from '../../components/cnn-feature-vis.js';
import { sharedEngine } from '../../components/internal/shared-engine.js';
import { loadLayersModel } from '../../src/index.js';
import { fmt } from '../../components/internal/attributes.js';
import { tinyClassifier, blobModel, picture, pixelsOf, save, type SavedModel } from './tiny_model.js';
import { refColour, countOff } from './colour_ref.js';

let saved: SavedModel;

async function viewerWith(template: ReturnType<typeof html>, input = picture()): Promise<CnnLayerViewer> {
  const el = await fixture<CnnLayerViewer>(template);
  const model = await loadLayersModel(await sharedEngine(), { modelJson: saved.modelJson, weights: saved.weightData });
  const ready = oneEvent(el, 'cnn-ready');
  el.setModel(model, 'tiny');
  el.setInput(input);
  await ready;
  await el.updateComplete;
  return el;
}

const root = (el: Element) => el.shadowRoot!;
const tiles = (el: Element, layer: string) => [...root(el).querySelectorAll<HTMLButtonElement>(`section[data-layer="${layer}"] button.tile`)];

/** Each tile's drawn pixels against the reference colours of the engine's values for its channel. */
async function expectDrawnEqualsEngine(el: CnnLayerViewer, layer: string): Promise<void> {
  const s = el.shownLayers.find((l) => l.name === layer)!;
  const { values, shape } = await el.readLayer(layer);
  const c = s.vector ? 1 : shape[shape.length - 1]!;
  tiles(el, layer).forEach((tile, t) => {
    const ch = s.channels[t]!;
    const [lo, hi] = s.scale(t);
    const n = s.tileWidth * s.tileHeight;
    const expected = Array.from({ length: n }, (_, i) => refColour(values[i * c + ch]!, lo, hi, s.map === 'diverging'));
    const off = countOff(pixelsOf(tile.querySelector('canvas')!), expected);
    expect(off, `${layer} channel ${ch}: pixels off the reference`).to.equal(0);
  });
}

describe('cnn-layer-viewer', function () {
  this.timeout(30_000);
  before(async () => {
    saved = await tinyClassifier();
  });

  it('draws every layer but the input: names, shapes, value ranges, one tile per channel shown', async () => {
    const el = await viewerWith(html`<cnn-layer-viewer channels="all"></cnn-layer-viewer>`);
    expect(el.state).to.equal('ready');
    const names = [...root(el).querySelectorAll('section.layer h3')].map((h) => h.textContent);
    expect(names).to.deep.equal(['conv', 'signed', 'pool', 'flat', 'probs']);
    expect(tiles(el, 'conv')).to.have.length(4);
    expect(tiles(el, 'signed')).to.have.length(3);
    expect(tiles(el, 'probs')).to.have.length(1, 'a dense output is one strip');
    const meta = root(el).querySelector('section[data-layer="conv"] .meta')!.textContent!;
    const conv = el.shownLayers[0]!;
    expect(meta).to.include('Conv2D').and.include('12×12×4').and.include(`${fmt(conv.min)} … ${fmt(conv.max)}`);
    expect(conv.min).to.be.at.least(0);
    for (const tile of tiles(el, 'conv')) {
      const px = pixelsOf(tile.querySelector('canvas')!);
      expect(new Set(Array.from({ length: px.length / 4 }, (_, i) => px[i * 4]! * 65536 + px[i * 4 + 1]! * 256 + px[i * 4 + 2]!)).size, 'distinct colours').to.be.greaterThan(1);
    }
  });

  it('the pixels drawn are the engine’s outputs through the colour maps (viridis ≥ 0, RdBu for signed)', async () => {
    const el = await viewerWith(html`<cnn-layer-viewer channels="all"></cnn-layer-viewer>`);
    const signed = el.shownLayers.find((l) => l.name === 'signed')!;
    expect(signed.min).to.be.below(0);
    expect(signed.map).to.equal('diverging');
    expect(el.shownLayers.find((l) => l.name === 'conv')!.map).to.equal('sequential');
    for (const layer of ['conv', 'signed', 'pool', 'probs']) await expectDrawnEqualsEngine(el, layer);
  });

  it('the layer outputs equal TensorFlow.js running the same model on the same input', async () => {
    const el = await viewerWith(html`<cnn-layer-viewer></cnn-layer-viewer>`);
    const fed = pixelsOf(el.input!);
    const x = tf.tensor4d(Float32Array.from({ length: 144 }, (_, i) => (0.299 * fed[i * 4]! + 0.587 * fed[i * 4 + 1]! + 0.114 * fed[i * 4 + 2]!) / 255), [1, 12, 12, 1]);
    const ref = (saved.tfModel.predict(x) as tf.Tensor).dataSync();
    const got = (await el.readLayer('probs')).values;
    for (let i = 0; i < 3; i++) expect(got[i]).to.be.closeTo(ref[i]!, 1e-5);
    const top = el.topPredictions!;
    expect(top.map((p) => p.index)).to.deep.equal([0, 1, 2].sort((a, b) => ref[b]! - ref[a]!));
  });

  it('lists a classifier’s top-k classes with the labels given', async () => {
    const el = await viewerWith(html`<cnn-layer-viewer labels='["cat", "dog", "owl"]' top-k="2"></cnn-layer-viewer>`);
    const items = [...root(el).querySelectorAll('.predictions li')];
    expect(items).to.have.length(2);
    const best = el.topPredictions![0]!;
    expect(items[0]!.textContent).to.include(['cat', 'dog', 'owl'][best.index]!).and.include(`${(best.probability * 100).toFixed(1)}%`);
    const url = URL.createObjectURL(new Blob([JSON.stringify(['zero', 'one', 'two'])], { type: 'application/json' }));
    el.labels = url;
    await waitUntil(() => root(el).querySelector('.predictions li .label')?.textContent === ['zero', 'one', 'two'][best.index], 'labels from a JSON URL');
    URL.revokeObjectURL(url);
    el.topK = 0;
    await el.updateComplete;
    expect(root(el).querySelector('.predictions') === null, 'no predictions with top-k 0').to.equal(true);
  });

  it('attributes choose the layers and their order, the channels, the colour map and the normalisation', async () => {
    const el = await viewerWith(html`<cnn-layer-viewer layers="signed conv nope" channels="1, 3"></cnn-layer-viewer>`);
    expect(el.shownLayers.map((l) => l.name)).to.deep.equal(['signed', 'conv']);
    expect(tiles(el, 'conv').map((t) => t.dataset.channel)).to.deep.equal(['1', '3']);
    expect(tiles(el, 'signed').map((t) => t.dataset.channel)).to.deep.equal(['1'], 'channel 3 does not exist in signed');
    expect(root(el).querySelector('.warning')!.textContent).to.include("No layer named 'nope'").and.include('conv, signed');
    el.colormap = 'sequential';
    el.normalization = 'layer';
    el.channels = 'all';
    await waitUntil(() => el.shownLayers[0]?.map === 'sequential' && el.shownLayers[0]?.channels.length === 3, 'redrawn');
    await el.updateComplete;
    const s = el.shownLayers[0]!;
    expect(s.scale(0)).to.deep.equal([s.min, s.max]);
    expect(s.scale(2)).to.deep.equal([s.min, s.max]);
    await expectDrawnEqualsEngine(el, 'signed');
    el.normalization = 'global';
    await waitUntil(() => el.shownLayers[1]?.scale(0)[1] === Math.max(el.shownLayers[0]!.max, el.shownLayers[1]!.max), 'global scale');
    await el.updateComplete;
    await expectDrawnEqualsEngine(el, 'conv');
  });

  it('keyboard: arrows move through channels and layers, Enter opens a tile, Escape closes it', async () => {
    const el = await viewerWith(html`<cnn-layer-viewer channels="all"></cnn-layer-viewer>`);
    const active = () => root(el).activeElement as HTMLElement | null;
    const first = tiles(el, 'conv')[0]!;
    expect(first.tabIndex).to.equal(0);
    expect(tiles(el, 'conv')[1]!.tabIndex).to.equal(-1, 'one tab stop for all tiles');
    first.focus();
    await sendKeys({ press: 'ArrowRight' });
    await el.updateComplete;
    expect(active()?.dataset.channel).to.equal('1');
    await sendKeys({ press: 'End' });
    await el.updateComplete;
    expect(active()?.dataset.channel).to.equal('3');
    await sendKeys({ press: 'ArrowDown' });
    await el.updateComplete;
    expect(active()?.closest('section')?.dataset.layer).to.equal('signed');
    expect(active()?.dataset.channel).to.equal('2', 'clamped to the last channel of the shorter layer');
    const selected = oneEvent(el, 'cnn-layer-select');
    await sendKeys({ press: 'Enter' });
    const ev = (await selected) as CustomEvent<LayerSelectDetail>;
    expect(ev.detail).to.include({ layer: 'signed', className: 'Conv2D', channel: 2 });
    expect(ev.detail.shape).to.deep.equal([1, 10, 10, 3]);
    expect(ev.bubbles && ev.composed).to.equal(true);
    await el.updateComplete;
    expect(root(el).querySelector('.detail h3')!.textContent).to.include('signed · channel 2');
    await sendKeys({ press: 'Escape' });
    await el.updateComplete;
    await el.updateComplete;
    expect(root(el).querySelector('.detail') === null, 'detail closed').to.equal(true);
    expect(active()?.dataset.channel).to.equal('2', 'focus returns to the tile');
  });

  it('an opened tile opens beside the one input and reads the value under the pointer (mouse and keyboard)', async () => {
    const el = await viewerWith(html`<cnn-layer-viewer channels="all" style="--cnn-detail-size: 240px"></cnn-layer-viewer>`);
    tiles(el, 'conv')[2]!.click();
    await waitUntil(() => root(el).querySelector('canvas.detail-map'), 'detail open');
    const big = root(el).querySelector<HTMLCanvasElement>('canvas.detail-map')!;
    expect(root(el).querySelector('.top .detail'), 'the detail sits beside the input').to.not.equal(null);
    expect(root(el).querySelectorAll('canvas.input-canvas, canvas.detail-input').length, 'the input is drawn once').to.equal(1);
    expect([...pixelsOf(big)]).to.deep.equal([...pixelsOf(tiles(el, 'conv')[2]!.querySelector('canvas')!)]);
    const { values } = await el.readLayer('conv');
    // A pointer at the centre of cell (x 7, y 4) of the 12×12 map.
    await waitUntil(() => !root(el).querySelector('.readout')!.textContent!.includes('…') || true);
    const r = big.getBoundingClientRect();
    await sendMouse({ type: 'move', position: [Math.round(r.left + (7.5 / 12) * r.width), Math.round(r.top + (4.5 / 12) * r.height)] });
    await waitUntil(() => root(el).querySelector('.readout')!.textContent!.includes('x 7, y 4'), 'readout follows the pointer');
    expect(root(el).querySelector('.readout')!.textContent).to.include(fmt(values[(4 * 12 + 7) * 4 + 2]!));
    big.focus();
    await sendKeys({ press: 'ArrowLeft' });
    await el.updateComplete;
    expect(root(el).querySelector('.readout')!.textContent).to.include('x 6, y 4').and.include(fmt(values[(4 * 12 + 6) * 4 + 2]!));
  });

  it('an opened tile shows, on request, what its channel looks for: the optimised image forming, beside its dataset examples', async () => {
    const flipped = document.createElement('canvas');
    flipped.width = flipped.height = 48;
    flipped.getContext('2d')!.drawImage(picture(), 0, 48, 48, -48);
    const dataset = [picture().toDataURL(), flipped.toDataURL()].join(' ');
    const el = await viewerWith(html`<cnn-layer-viewer channels="all" dataset=${dataset}></cnn-layer-viewer>`);
    tiles(el, 'conv')[2]!.click();
    await waitUntil(() => root(el).querySelector('button.looks-for-ask'), 'the question is offered');
    expect(root(el).querySelector('cnn-feature-vis'), 'nothing runs before the reader asks').to.equal(null);
    const ask = root(el).querySelector<HTMLButtonElement>('button.looks-for-ask')!;
    expect(ask.textContent).to.include('What does channel 2 look for?');
    const heard: string[] = [];
    for (const type of ['cnn-ready', 'cnn-layer-select']) el.addEventListener(type, () => heard.push(type));
    ask.click();
    await el.updateComplete;
    const vis = root(el).querySelector<CnnFeatureVis>('cnn-feature-vis')!;
    expect(vis, 'a feature visualisation of the channel').to.not.equal(null);
    expect([vis.layer, vis.channels], 'channel 2 alone (a bare number would be a count)').to.deep.equal(['conv', '2-2']);
    await oneEvent(vis, 'cnn-ready');
    expect(vis.loadedModel).to.equal(el.loadedModel);
    // Six examples (the default), the strongest positions in the two pictures.
    await waitUntil(() => vis.shadowRoot!.querySelectorAll('canvas[data-example]').length === 6, 'dataset examples beside the image', { timeout: 20_000 });
    const from = [...vis.shadowRoot!.querySelectorAll('canvas[data-example]')].map((c) => c.getAttribute('aria-label')!.match(/Input (\d+)/)![1]);
    expect(new Set(from)).to.deep.equal(new Set(['0', '1']));
    expect(vis.shadowRoot!.querySelector('button.tile')!.getAttribute('aria-pressed'), 'opened large').to.equal('true');
    expect(heard, 'the inner element’s events do not pass for the viewer’s').to.deep.equal([]);
    const drawn = pixelsOf(vis.shadowRoot!.querySelector<HTMLCanvasElement>('canvas.large')!);
    expect(new Set(Array.from({ length: 144 }, (_, i) => drawn[i * 4])).size, 'an image, not a flat grey').to.be.above(8);
    // Another tile: the question again, for its own channel.
    tiles(el, 'conv')[1]!.click();
    await waitUntil(() => root(el).querySelector('button.looks-for-ask')?.textContent?.includes('channel 1'), 'asks about channel 1');
    expect(root(el).querySelector('cnn-feature-vis')).to.equal(null);
  });

  it('loads a model by URL with a progress bar, one copy shared by two viewers, and cnn-ready details', async () => {
    const served = blobModel(saved);
    try {
      const box = await fixture<HTMLDivElement>(html`<div>
        <cnn-layer-viewer id="a" model=${served.url}></cnn-layer-viewer>
        <cnn-layer-viewer id="b" model=${served.url} layers="conv"></cnn-layer-viewer>
      </div>`);
      const [a, b] = [...box.querySelectorAll('cnn-layer-viewer')] as CnnLayerViewer[];
      expect(['loading', 'waiting']).to.include(a!.state);
      if (a!.state === 'loading') expect(root(a!).querySelector('[part="progress"] progress') !== null, 'a progress bar while loading').to.equal(true);
      await waitUntil(() => a!.state === 'waiting' && b!.state === 'waiting', 'both loaded');
      expect(a!.loadedModel).to.equal(b!.loadedModel);
      const ready = oneEvent(box, 'cnn-ready');
      a!.setInput(picture());
      const ev = (await ready) as CustomEvent<ReadyDetail>;
      expect(ev.detail.model).to.equal(served.url);
      expect(ev.detail.inputShape).to.deep.equal([12, 12, 1]);
      expect(ev.detail.layers.map((l) => l.name)).to.deep.equal(['conv', 'signed', 'pool', 'flat', 'probs']);
      expect(ev.detail.predictions).to.have.length(3);
    } finally {
      served.revoke();
    }
  });

  it('a truncated weight file: an error in place naming the shard, a cnn-error event, no exception', async () => {
    const served = blobModel(saved, saved.weightData.slice(0, 100));
    try {
      const el = await fixture<CnnLayerViewer>(html`<cnn-layer-viewer></cnn-layer-viewer>`);
      const failed = oneEvent(el, 'cnn-error');
      el.model = served.url;
      const ev = (await failed) as CustomEvent<ErrorDetail>;
      expect(ev.detail.phase).to.equal('model');
      await el.updateComplete;
      expect(el.state).to.equal('error');
      const notice = root(el).querySelector('.notice.error')!;
      expect(notice.getAttribute('role')).to.equal('alert');
      expect(notice.textContent).to.include('could not be loaded').and.match(/shard|bytes|truncated/i);
    } finally {
      served.revoke();
    }
  });

  it('a model whose input is too large to draw: a styled error naming the input size and the limit, a cnn-error, no exception', async () => {
    // Convolutions only, so the weights stay small whatever the input size.
    await tf.setBackend('cpu');
    const huge = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [100000, 100000, 1], filters: 2, kernelSize: 3, name: 'conv' })] });
    const { modelJson, weightData } = await save(huge);
    const el = await fixture<CnnLayerViewer>(html`<cnn-layer-viewer></cnn-layer-viewer>`);
    const engine = await sharedEngine();
    const before = engine.memory().buffers;
    const model = await loadLayersModel(engine, { modelJson, weights: weightData });
    const failed = oneEvent(el, 'cnn-error');
    el.setModel(model, 'huge');
    el.setInput(picture());
    const ev = (await failed) as CustomEvent<ErrorDetail>;
    expect(ev.detail.message).to.match(/100000×100000 pixels is more than the 4096×4096/);
    await el.updateComplete;
    expect(el.state).to.equal('error');
    const notice = root(el).querySelector('.notice.error')!;
    expect(notice.getAttribute('role')).to.equal('alert');
    expect(notice.textContent).to.include('100000×100000').and.include('4096×4096');
    model.dispose();
    expect(engine.memory().buffers).to.equal(before);
  });

  it('a missing model file and a broken image are reported in words', async () => {
    const el = await fixture<CnnLayerViewer>(html`<cnn-layer-viewer></cnn-layer-viewer>`);
    let failed = oneEvent(el, 'cnn-error');
    el.model = '/no/such/model.json';
    expect(((await failed) as CustomEvent<ErrorDetail>).detail.message).to.include('404');
    failed = oneEvent(el, 'cnn-error');
    el.src = '/no/such/picture.png';
    const ev = (await failed) as CustomEvent<ErrorDetail>;
    expect(ev.detail.phase).to.equal('image');
    expect(ev.detail.message).to.include('/no/such/picture.png');
  });

  it('frees its GPU activations when removed, draws again when put back, and reruns the last input for a new model', async () => {
    const el = await viewerWith(html`<cnn-layer-viewer></cnn-layer-viewer>`);
    const engine = await sharedEngine();
    const held = engine.memory().buffers;
    const parent = el.parentNode!;
    el.remove();
    expect(engine.memory().buffers).to.be.below(held - 5, 'the activations were freed');
    const back = oneEvent(el, 'cnn-ready');
    parent.append(el);
    await back;
    expect(engine.memory().buffers).to.equal(held);
    const rgb = await tinyClassifier(3, 9);
    const again = oneEvent(el, 'cnn-ready');
    el.setModel(await loadLayersModel(engine, { modelJson: rgb.modelJson, weights: rgb.weightData }), 'rgb');
    const ev = (await again) as CustomEvent<ReadyDetail>;
    expect(ev.detail.model).to.equal('rgb');
    expect(ev.detail.inputShape).to.deep.equal([12, 12, 3]);
    expect(el.input!.width).to.equal(12);
  });

  it('describes each layer for screen readers and labels every tile', async () => {
    const el = await viewerWith(html`<cnn-layer-viewer channels="2"></cnn-layer-viewer>`);
    const section = root(el).querySelector('section[data-layer="signed"]')!;
    expect(section.getAttribute('role')).to.equal('group');
    const desc = root(el).getElementById(section.getAttribute('aria-describedby')!)!;
    expect(desc.classList.contains('sr-only')).to.equal(true);
    expect(desc.textContent).to.include('Layer 2 of 5: signed, a Conv2D layer').and.include('10 by 10 pixels with 3 channels').and.include('channels 0 to 1 of 3').and.include('blue below zero');
    expect(tiles(el, 'signed')[1]!.getAttribute('aria-label')).to.match(/^signed channel 1, values -?[\d.]+(e-?\d+)? to -?[\d.]+/);
    expect(root(el).querySelector('canvas.input-canvas')!.getAttribute('aria-label')).to.include('input');
  });

  it('is themed through --cnn-* custom properties and ::part', async () => {
    const el = await viewerWith(html`<cnn-layer-viewer style="--cnn-border: rgb(1, 2, 3); --cnn-tile-size: 50px"></cnn-layer-viewer>`);
    const tile = tiles(el, 'conv')[0]!;
    expect(getComputedStyle(tile).borderTopColor).to.equal('rgb(1, 2, 3)');
    expect(getComputedStyle(tile.querySelector('canvas')!).width).to.equal('50px');
    for (const part of ['base', 'input', 'layer', 'layer-header', 'tile', 'tile-canvas', 'predictions']) {
      expect(root(el).querySelector(`[part~="${part}"]`) !== null, part).to.equal(true);
    }
  });

  it('without WebGPU: a styled notice naming the browsers that work, a cnn-error, and no exception', async () => {
    Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
    try {
      const box = await fixture<HTMLDivElement>(html`<div></div>`);
      const errors: ErrorDetail[] = [];
      box.addEventListener('cnn-error', (e) => errors.push((e as CustomEvent<ErrorDetail>).detail));
      const el = document.createElement('cnn-layer-viewer');
      el.model = '/demo/models/face-recognition/model.json';
      box.append(el);
      await el.updateComplete;
      expect(el.state).to.equal('unsupported');
      const notice = root(el).querySelector('.notice')!;
      for (const word of ['WebGPU', 'Chrome', 'Edge', 'Safari', 'Firefox']) expect(notice.textContent).to.include(word);
      expect(getComputedStyle(notice).borderLeftStyle).to.equal('solid');
      expect(errors.map((e) => e.phase)).to.include('webgpu');
    } finally {
      delete (navigator as { gpu?: unknown }).gpu;
    }
    expect(navigator.gpu, 'restored').to.not.equal(undefined);
  });
});

describe('cnn-layer-viewer: what a new reader sees at a glance', function () {
  this.timeout(30_000);
  before(async () => {
    saved ??= await tinyClassifier();
  });

  it('says how many channels of how many each row shows, with a button that shows them all and back', async () => {
    const el = await viewerWith(html`<cnn-layer-viewer channels="2"></cnn-layer-viewer>`);
    const head = (layer: string) => root(el).querySelector(`section[data-layer="${layer}"] header`)!;
    expect(head('conv').querySelector('.count')!.textContent).to.include('2 of 4 channels');
    expect(head('signed').querySelector('.count')!.textContent).to.include('2 of 3 channels');
    const more = head('conv').querySelector<HTMLButtonElement>('button.more')!;
    expect(more.textContent!.trim()).to.equal('Show all 4');
    more.click();
    await waitUntil(() => tiles(el, 'conv').length === 4, 'every channel of conv');
    expect(tiles(el, 'signed')).to.have.length(2, 'the other rows keep the attribute’s choice');
    expect(head('conv').querySelector('.count')!.textContent).to.include('4 of 4 channels');
    head('conv').querySelector<HTMLButtonElement>('button.more')!.click();
    await waitUntil(() => tiles(el, 'conv').length === 2, 'back to 2');
    const all = await viewerWith(html`<cnn-layer-viewer channels="all"></cnn-layer-viewer>`);
    expect(root(all).querySelector('section[data-layer="conv"] button.more'), 'nothing to show when all are shown').to.equal(null);
  });

  it('says in the legend that each tile has its own range, or that the layer shares one', async () => {
    const el = await viewerWith(html`<cnn-layer-viewer></cnn-layer-viewer>`);
    const legend = () => root(el).querySelector('section[data-layer="conv"] .legend')!.textContent!;
    expect(legend()).to.include('each tile on its own range');
    el.normalization = 'layer';
    await waitUntil(() => legend().includes('one range for the layer'), 'layer legend');
  });

  it('puts the channel numbers beside the maps, not on them (a 5×5 map keeps every cell visible)', async () => {
    const el = await viewerWith(html`<cnn-layer-viewer channels="all"></cnn-layer-viewer>`);
    for (const tile of tiles(el, 'pool')) {
      const a = tile.querySelector('canvas')!.getBoundingClientRect();
      const b = tile.querySelector('.ch')!.getBoundingClientRect();
      const overlap = Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
      expect(overlap, `channel ${tile.dataset.channel}`).to.equal(0);
    }
  });

  it('names a softmax output as class probabilities, in percent, with each cell labelled by its class', async () => {
    const el = await viewerWith(html`<cnn-layer-viewer labels="cat, dog, owl"></cnn-layer-viewer>`);
    const head = root(el).querySelector('section[data-layer="probs"] header')!.textContent!;
    expect(head).to.include('softmax: class probabilities').and.match(/probabilities [\d.]+% … [\d.]+%/);
    expect(head).to.not.match(/\de-\d/, 'no scientific notation');
    const labels = [...root(el).querySelectorAll('section[data-layer="probs"] .classes [role=listitem]')].map((c) => c.textContent);
    expect(labels).to.deep.equal(['cat', 'dog', 'owl']);
    expect(root(el).querySelector('section[data-layer="conv"] .kind'), 'only the softmax layer').to.equal(null);
  });

  it('outlines the receptive field of the unit under the pointer on the input', async () => {
    const el = await viewerWith(html`<cnn-layer-viewer channels="all"></cnn-layer-viewer>`);
    tiles(el, 'signed')[0]!.click();
    await waitUntil(() => root(el).querySelector('canvas.detail-map'), 'detail open');
    expect(root(el).querySelector('.receptive-field'), 'nothing before the pointer comes').to.equal(null);
    const big = root(el).querySelector<HTMLCanvasElement>('canvas.detail-map')!;
    const r = big.getBoundingClientRect();
    // Unit (x 0, y 9) of signed (3×3 valid after conv 3×3 same) reads conv rows 9…11 and columns 0…2, so input rows 8…12 and columns -1…3, clipped to the 12×12 image.
    await sendMouse({ type: 'move', position: [Math.round(r.left + (0.5 / 10) * r.width), Math.round(r.top + (9.5 / 10) * r.height)] });
    await waitUntil(() => root(el).querySelector('.receptive-field'), 'outlined');
    expect(el.receptiveField).to.deep.equal({ top: 8, left: 0, bottom: 11, right: 3 });
    const box = root(el).querySelector<HTMLElement>('.receptive-field')!;
    const input = root(el).querySelector('canvas.input-canvas')!.getBoundingClientRect();
    const rf = box.getBoundingClientRect();
    expect(rf.left - input.left).to.be.closeTo(0, 1.5);
    expect(rf.width).to.be.closeTo((4 / 12) * input.width, 1.5);
    expect(rf.top - input.top).to.be.closeTo((8 / 12) * input.height, 1.5);
    expect(rf.height).to.be.closeTo((4 / 12) * input.height, 1.5);
  });

  it('shows no prediction for a blank input (an empty drawing pad), only a note', async () => {
    const el = await viewerWith(html`<cnn-layer-viewer></cnn-layer-viewer>`);
    expect(root(el).querySelectorAll('.predictions li').length).to.be.greaterThan(0);
    const blank = document.createElement('canvas');
    blank.width = blank.height = 12;
    blank.getContext('2d')!.fillRect(0, 0, 12, 12);
    const ready = oneEvent(el, 'cnn-ready');
    el.setInput(blank);
    expect(((await ready) as CustomEvent<ReadyDetail>).detail.predictions).to.equal(null);
    await el.updateComplete;
    expect(root(el).querySelectorAll('.predictions li').length).to.equal(0);
    expect(root(el).querySelector('.predictions.blank')!.textContent).to.include('blank');
  });
});
