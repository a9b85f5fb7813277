import { expect } from '@esm-bundle/chai';
import { fixture, html, oneEvent } from '@open-wc/testing';
import '../../components/cnn-filter-viewer.js';
import type { CnnFilterViewer } from '../../components/cnn-filter-viewer.js';
import { sharedEngine } from '../../components/internal/shared-engine.js';
import { loadLayersModel } from '../../src/index.js';
import { tinyClassifier, blobModel, pixelsOf, type SavedModel } from './tiny_model.js';
import { refColour, countOff } from './colour_ref.js';

const root = (el: Element) => el.shadowRoot!;
const canvases = (el: Element) => [...root(el).querySelectorAll<HTMLCanvasElement>('canvas[data-filter]')];

async function viewerOf(saved: SavedModel, attrs: Partial<Pick<CnnFilterViewer, 'layer' | 'inChannel' | 'normalization'>> = {}): Promise<CnnFilterViewer> {
  const el = await fixture<CnnFilterViewer>(html`<cnn-filter-viewer></cnn-filter-viewer>`);
  Object.assign(el, attrs);
  const model = await loadLayersModel(await sharedEngine(), { modelJson: saved.modelJson, weights: saved.weightData });
  const ready = oneEvent(el, 'cnn-ready');
  el.setModel(model);
  await ready;
  await el.updateComplete;
  return el;
}

describe('cnn-filter-viewer', function () {
  this.timeout(60_000);
  let rgb: SavedModel;
  let grey: SavedModel;
  before(async () => {
    rgb = await tinyClassifier(3, 11);
    grey = await tinyClassifier(1, 12);
  });

  it('draws a first layer on RGB input in colour: each filter’s weights as red, green, blue around grey 0', async () => {
    const el = await viewerOf(rgb);
    expect(el.state).to.equal('ready');
    expect(el.shown!.layer).to.equal('conv');
    expect(el.shown!.rgb).to.equal(true);
    const w = (rgb.tfModel.getLayer('conv').getWeights()[0]!.dataSync() as Float32Array);
    const [kh, kw, ci, co] = [3, 3, 3, 4];
    expect(canvases(el)).to.have.length(co);
    canvases(el).forEach((canvas, o) => {
      let m = 0;
      for (let i = o; i < w.length; i += co) m = Math.max(m, Math.abs(w[i]!));
      const expected = Array.from({ length: kh * kw }, (_, p) => [0, 1, 2].map((k) => Math.round((0.5 + (0.5 * w[(p * ci + k) * co + o]!) / m) * 255)).concat(255));
      expect(countOff(pixelsOf(canvas), expected), `filter ${o}`).to.equal(0);
      expect(canvas.getAttribute('aria-label')).to.match(new RegExp(`^Filter ${o}: 3 by 3, weights`));
    });
    expect(root(el).querySelector('.meta')!.textContent).to.include('4 filters of 3×3×3');
  });

  it('draws other layers one input channel at a time on the diverging map, per layer on request', async () => {
    const el = await viewerOf(grey, { layer: 'signed', inChannel: 2, normalization: 'layer' });
    expect(el.shown!.rgb).to.equal(false);
    const w = grey.tfModel.getLayer('signed').getWeights()[0]!.dataSync() as Float32Array; // [3, 3, 4, 3]
    const [ci, co] = [4, 3];
    const lo = Math.min(...w);
    const hi = Math.max(...w);
    canvases(el).forEach((canvas, o) => {
      const expected = Array.from({ length: 9 }, (_, p) => refColour(w[(p * ci + 2) * co + o]!, lo, hi, true));
      expect(countOff(pixelsOf(canvas), expected), `filter ${o}`).to.equal(0);
    });
    expect(root(el).querySelector('.legend')!.textContent).to.include('input channel 2').and.include('All filters on one scale');
  });

  it('names the convolution layers when asked for one that does not exist', async () => {
    const el = await fixture<CnnFilterViewer>(html`<cnn-filter-viewer layer="nope"></cnn-filter-viewer>`);
    const failed = oneEvent(el, 'cnn-error');
    el.setModel(await loadLayersModel(await sharedEngine(), { modelJson: grey.modelJson, weights: grey.weightData }));
    await failed;
    await el.updateComplete;
    expect(el.state).to.equal('error');
    expect(root(el).querySelector('.notice.error')!.textContent).to.include("no layer named 'nope'").and.include('conv, signed');
  });

  it('loads by URL with the same shared copy as other elements', async () => {
    const served = blobModel(grey);
    try {
      const el = await fixture<CnnFilterViewer>(html`<cnn-filter-viewer model=${served.url}></cnn-filter-viewer>`);
      await oneEvent(el, 'cnn-ready');
      expect(el.shown!.shape).to.deep.equal([3, 3, 1, 4]);
    } finally {
      served.revoke();
    }
  });

  it('without WebGPU shows the notice instead of filters', async () => {
    Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
    try {
      const el = await fixture<CnnFilterViewer>(html`<cnn-filter-viewer model="/x/model.json"></cnn-filter-viewer>`);
      expect(el.state).to.equal('unsupported');
      expect(root(el).querySelector('.notice')!.textContent).to.include('Safari');
    } finally {
      delete (navigator as { gpu?: unknown }).gpu;
    }
  });
});
