import { expect } from '@esm-bundle/chai';
import { fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../components/index.js';
import '../../components/cnn-kernel-bench.js';
import type { CnnLayerViewer } from '../../components/cnn-layer-viewer.js';
import type { CnnTrainer } from '../../components/cnn-trainer.js';
import type { CnnImageInput } from '../../components/cnn-image-input.js';
import type { CnnKernelBench } from '../../components/cnn-kernel-bench.js';
import '../../components/cnn-attribution.js';
import '../../components/cnn-feature-vis.js';
import type { CnnAttribution, AttributionReadyDetail } from '../../components/cnn-attribution.js';
import type { CnnFeatureVis } from '../../components/cnn-feature-vis.js';
import { parseFragment, readState, withState } from '../../components/internal/url-state.js';
import { sharedEngine } from '../../components/internal/shared-engine.js';
import { loadLayersModel } from '../../src/index.js';
import { tinyClassifier, picture, type SavedModel } from './tiny_model.js';

const setHash = (h: string) => history.replaceState(null, '', `${location.pathname}${location.search}${h}`);
const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));

describe('shareable state in the URL fragment', function () {
  this.timeout(60_000);
  let saved: SavedModel;
  before(async () => {
    saved = await tinyClassifier();
  });
  afterEach(() => setHash(''));

  async function viewer(template: ReturnType<typeof html>): Promise<CnnLayerViewer> {
    const el = await fixture<CnnLayerViewer>(template);
    const ready = oneEvent(el, 'cnn-ready');
    el.setModel(await loadLayersModel(await sharedEngine(), { modelJson: saved.modelJson, weights: saved.weightData }), 'tiny');
    el.setInput(picture());
    await ready;
    await el.updateComplete;
    return el;
  }

  it('each element keeps its own keys: other elements’ keys and a plain anchor stay', () => {
    const hash = '#intro&face.layer=conv1&digits.channel=3';
    expect(readState('face', hash)).to.deep.equal({ layer: 'conv1' });
    expect(withState('digits', { channel: '5', unit: '1,2', layer: null }, hash)).to.equal('intro&face.layer=conv1&digits.channel=5&digits.unit=1,2');
    expect(withState('face', {}, hash)).to.equal('intro&digits.channel=3');
    expect(parseFragment('#a%20b=c%26d')).to.deep.equal([['a b', 'c&d']]);
    expect(readState('x', `#${withState('x', { src: 'images/a b&c.png' }, '')}`)).to.deep.equal({ src: 'images/a b&c.png' });
  });

  it('a link reopens this channel of this layer at this unit, showing all channels if it must', async () => {
    setHash('#v.layer=signed&v.channel=2&v.unit=3,4');
    const el = await viewer(html`<cnn-layer-viewer id="v" url-state channels="1"></cnn-layer-viewer>`);
    await waitUntil(() => el.shadowRoot!.querySelector('.detail'), 'the tile opened from the link');
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('.detail h3')!.textContent).to.include('signed · channel 2');
    expect(el.shadowRoot!.querySelector('.readout')!.textContent).to.include('x 3, y 4');
    expect(el.receptiveField).to.not.equal(null);
    expect(el.shownLayers.find((s) => s.name === 'signed')!.channels).to.deep.equal([0, 1, 2], 'channel 2 was not among those shown: all are');
  });

  it('what the reader opens is written to the fragment (replacing the history entry), and read back on hashchange', async () => {
    setHash('#intro');
    const before = history.length;
    const el = await viewer(html`<cnn-layer-viewer id="w" url-state="digits" channels="all"></cnn-layer-viewer>`);
    (el.shadowRoot!.querySelector('section[data-layer="conv"] button.tile[data-channel="3"]') as HTMLButtonElement).click();
    await waitUntil(() => el.shadowRoot!.querySelector('.detail'), 'opened');
    await frame();
    expect(location.hash).to.equal('#intro&digits.layer=conv&digits.channel=3');
    expect(history.length).to.equal(before);
    expect(el.shareLink()).to.include('#intro&digits.layer=conv&digits.channel=3');
    location.hash = 'digits.layer=pool&digits.channel=1';
    await waitUntil(() => el.shadowRoot!.querySelector('.detail h3')?.textContent?.includes('pool · channel 1'), 'followed the new link');
  });

  it('without the attribute nothing is read or written', async () => {
    setHash('#v.layer=signed&v.channel=2');
    const el = await viewer(html`<cnn-layer-viewer id="v"></cnn-layer-viewer>`);
    await frame();
    expect(el.shadowRoot!.querySelector('.detail')).to.equal(null);
    (el.shadowRoot!.querySelector('button.tile') as HTMLButtonElement).click();
    await frame();
    expect(location.hash).to.equal('#v.layer=signed&v.channel=2');
  });

  it('the image input, the trainer and the benchmark keep their settings too', async () => {
    setHash('#pad.mode=draw&pad.sample=7&t.preset=tiny&t.lr=0.01&t.epochs=3&b.shapes=lenet&b.samples=9');
    const box = await fixture<HTMLDivElement>(html`<div>
      <cnn-image-input id="pad" url-state for="nothing"></cnn-image-input>
      <cnn-trainer id="t" url-state></cnn-trainer>
      <cnn-kernel-bench id="b" url-state engines=""></cnn-kernel-bench>
    </div>`);
    const pad = box.querySelector<CnnImageInput>('#pad')!;
    const trainer = box.querySelector<CnnTrainer>('#t')!;
    const bench = box.querySelector<CnnKernelBench>('#b')!;
    expect(pad.mode).to.equal('draw');
    await waitUntil(() => pad.shadowRoot!.querySelector('select')?.value === '7', 'the sample from the link is drawn');
    expect([trainer.preset, trainer.learningRate, trainer.epochs]).to.deep.equal(['tiny', 0.01, 3]);
    expect([bench.shapes, bench.samples]).to.deep.equal(['lenet', 9]);
    trainer.epochs = 2;
    await trainer.updateComplete;
    await frame();
    expect(readState('t')).to.include({ preset: 'tiny', epochs: '2' });
    expect(readState('pad')).to.deep.equal({ mode: 'draw', sample: '7' });
  });
  it('the attribution keeps its method, target and layer, and the feature visualisation its layer, channels and opened tile', async () => {
    const model = await loadLayersModel(await sharedEngine(), { modelJson: saved.modelJson, weights: saved.weightData });
    setHash('#a.method=gradcam&a.target=class:1&a.layer=conv&f.layer=conv&f.channels=all&f.open=2');
    const box = await fixture<HTMLDivElement>(html`<div>
      <cnn-attribution id="a" url-state method="saliency"></cnn-attribution>
      <cnn-feature-vis id="f" url-state layer="signed" steps="2"></cnn-feature-vis>
    </div>`);
    const attribution = box.querySelector<CnnAttribution>('#a')!;
    const vis = box.querySelector<CnnFeatureVis>('#f')!;
    const drawn = oneEvent(attribution, 'cnn-ready');
    attribution.setModel(model, 'tiny');
    attribution.setInput(picture());
    const d = (await drawn).detail as AttributionReadyDetail;
    expect([d.method, d.targetKey, d.layer]).to.deep.equal(['gradcam', 'class:1', 'conv']);
    const visReady = oneEvent(vis, 'cnn-ready');
    vis.setModel(model, 'tiny');
    await visReady;
    await vis.updateComplete;
    expect(vis.shadowRoot!.querySelectorAll('canvas[data-tile]')).to.have.length(4, 'channels=all from the link');
    expect(vis.shadowRoot!.querySelector('button[aria-pressed="true"]')?.getAttribute('data-index')).to.equal('2');
    const again = oneEvent(attribution, 'cnn-ready');
    attribution.method = 'occlusion';
    await again;
    await frame();
    expect(readState('a')).to.deep.equal({ method: 'occlusion', target: 'class:1', layer: 'conv' });
    expect(readState('f')).to.deep.equal({ layer: 'conv', channels: 'all', open: '2' });
    setHash('#a.method=constructor');
    attribution.method = 'saliency';
    await attribution.updateComplete;
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    await frame();
    expect(attribution.method, 'a method name that every object inherits is not a method').to.equal('saliency');
  });
});
