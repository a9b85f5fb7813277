import { expect } from '@esm-bundle/chai';
import { fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../components/cnn-feature-vis.js';
import type { CnnFeatureVis, FeatureVisReadyDetail, FeatureVisSelectDetail } from '../../components/cnn-feature-vis.js';
import { sharedEngine } from '../../components/internal/shared-engine.js';
import { CnnElement, type CnnErrorDetail } from '../../components/internal/cnn-element.js';
import { explain, loadLayersModel, WebGpuUnavailableError, type Model } from '../../src/index.js';
import { Rng } from '../helpers/random.js';
import { tinyClassifier, pixelsOf, type SavedModel } from './tiny_model.js';

let saved: SavedModel;
let model: Model;
const root = (el: Element) => el.shadowRoot!;

async function ran(template: ReturnType<typeof html>): Promise<{ el: CnnFeatureVis; detail: FeatureVisReadyDetail }> {
  const el = await fixture<CnnFeatureVis>(template);
  const ready = oneEvent(el, 'cnn-ready');
  el.setModel(model, 'tiny');
  const detail = (await ready).detail as FeatureVisReadyDetail;
  await el.updateComplete;
  return { el, detail };
}

describe('cnn-feature-vis', function () {
  this.timeout(60_000);
  before(async () => {
    saved = await tinyClassifier();
    model = await loadLayersModel(await sharedEngine(), { modelJson: saved.modelJson, weights: saved.weightData });
  });

  it('draws one optimised image per channel, all from one batched run: the images explain.featureVis gives for the same seed', async () => {
    const steps: number[] = [];
    const el = await fixture<CnnFeatureVis>(html`<cnn-feature-vis layer="conv" channels="all" steps="5" seed="3"></cnn-feature-vis>`);
    const ready = oneEvent(el, 'cnn-ready');
    el.setModel(model, 'tiny');
    const poll = setInterval(() => steps.push(el.stepsTaken), 5);
    const detail = (await ready).detail as FeatureVisReadyDetail;
    clearInterval(poll);
    await el.updateComplete;
    expect(el.state).to.equal('ready');
    expect(detail).to.include({ model: 'tiny', layer: 'conv', steps: 5 });
    expect(detail.channels).to.deep.equal([0, 1, 2, 3]);
    expect(detail.objectives).to.have.length(4);
    expect(steps.some((s) => s > 0 && s < 5), 'the step count moved while it ran').to.equal(true);
    const canvases = root(el).querySelectorAll<HTMLCanvasElement>('canvas[data-tile]');
    expect(canvases).to.have.length(4);
    expect(root(el).querySelector('.count')!.textContent).to.equal('Step 5 of 5');
    expect(root(el).querySelector('h3')!.textContent).to.include('conv');

    const { image } = await explain.featureVis(model, { target: [0, 1, 2, 3].map((channel) => ({ layer: 'conv', channel })), steps: 5, seed: 3 }).done;
    const want = await image.read();
    image.dispose();
    canvases.forEach((c, i) => {
      expect([c.width, c.height]).to.deep.equal([12, 12]);
      const px = pixelsOf(c);
      let off = 0;
      for (let p = 0; p < 144; p++) if (Math.abs(px[p * 4]! - want[i * 144 + p]! * 255) > 1) off++;
      expect(off, `tile ${i} is image ${i} of the batch`).to.equal(0);
    });
  });

  it('Stop holds the run, Resume goes on, Start again begins afresh; the buttons say so', async () => {
    const el = await fixture<CnnFeatureVis>(html`<cnn-feature-vis layer="signed" channels="2" steps="400"></cnn-feature-vis>`);
    el.setModel(model, 'tiny');
    await waitUntil(() => el.stepsTaken >= 2, 'steps run', { timeout: 20_000 });
    await el.updateComplete;
    root(el).querySelector<HTMLButtonElement>('button.stop')!.click();
    expect(el.state).to.equal('stopped');
    await new Promise((r) => setTimeout(r, 200));
    const held = el.stepsTaken;
    await new Promise((r) => setTimeout(r, 300));
    expect(el.stepsTaken, 'no step while stopped').to.equal(held);
    await el.updateComplete;
    expect(root(el).querySelector('.status')!.textContent).to.include(`Stopped after step ${held} of 400`);
    expect(root(el).querySelector('button.stop')).to.equal(null);
    root(el).querySelector<HTMLButtonElement>('button.resume')!.click();
    expect(el.state).to.equal('running');
    await waitUntil(() => el.stepsTaken > held + 12, 'steps again', { timeout: 20_000 });
    el.stop();
    await el.updateComplete;
    const before = el.stepsTaken;
    root(el).querySelector<HTMLButtonElement>('button.restart')!.click();
    await waitUntil(() => el.state === 'running', 'a fresh run', { timeout: 20_000 });
    el.stop();
    expect(el.stepsTaken, 'the count starts again').to.be.below(before);
    el.remove(); // cancels the run
  });

  it('loading="lazy" waits until it comes into view, and holds its run while it is out of view', async () => {
    const box = await fixture<HTMLDivElement>(html`<div><div style="height: 4000px"></div><cnn-feature-vis loading="lazy" layer="conv" channels="1" steps="400"></cnn-feature-vis></div>`);
    const el = box.querySelector<CnnFeatureVis>('cnn-feature-vis')!;
    el.setModel(model, 'tiny');
    await el.updateComplete;
    expect(el.state).to.equal('deferred');
    expect(root(el).querySelector('.status')!.textContent).to.include('comes into view');
    el.scrollIntoView();
    await waitUntil(() => el.stepsTaken >= 2, 'runs once in view', { timeout: 20_000 });
    window.scrollTo(0, 0);
    await new Promise((r) => setTimeout(r, 400));
    const held = el.stepsTaken;
    await new Promise((r) => setTimeout(r, 400));
    expect(el.stepsTaken, 'held out of view').to.be.at.most(held + 1);
    expect(el.state).to.equal('running');
    el.scrollIntoView();
    await waitUntil(() => el.stepsTaken > held + 2, 'goes on in view', { timeout: 20_000 });
    el.remove();
  });

  it('a tile opens large beside its dataset examples, cut to the unit’s receptive field; arrows move, Escape closes', async () => {
    const el = await fixture<CnnFeatureVis>(html`<cnn-feature-vis layer="signed" channels="all" steps="2" examples="3"></cnn-feature-vis>`);
    const ready = oneEvent(el, 'cnn-ready');
    el.setModel(model, 'tiny');
    const data = new Rng(8).uniform(7 * 144, 0, 1);
    el.setDataset(data, 7); // while the run goes on
    await ready;
    await el.updateComplete;
    const tiles = root(el).querySelectorAll<HTMLButtonElement>('button.tile');
    expect(tiles).to.have.length(3);
    const select = oneEvent(el, 'cnn-layer-select');
    tiles[1]!.click();
    const sel = (await select).detail as FeatureVisSelectDetail;
    expect(sel).to.deep.include({ layer: 'signed', channel: 1, className: 'Conv2D' });
    await waitUntil(() => root(el).querySelectorAll('canvas[data-example]').length === 3, 'three examples', { timeout: 20_000 });
    await el.updateComplete;
    expect(tiles[1]!.getAttribute('aria-pressed')).to.equal('true');
    const x = (await sharedEngine()).tensor(data, [7, 12, 12, 1]);
    const [best] = await explain.datasetExamples(model, x, { layer: 'signed', channels: [1], k: 3 });
    x.dispose();
    const shown = root(el).querySelectorAll<HTMLCanvasElement>('canvas[data-example]');
    best!.forEach((ex, i) => {
      const c = shown[i]!;
      expect([c.width, c.height], `example ${i}`).to.deep.equal([ex.field.right - ex.field.left + 1, ex.field.bottom - ex.field.top + 1]);
      const px = pixelsOf(c);
      expect(px[0]).to.be.closeTo(Math.round(data[ex.index * 144 + ex.field.top * 12 + ex.field.left]! * 255), 1);
      expect(c.getAttribute('aria-label')).to.include(`Input ${ex.index}`);
    });
    const large = root(el).querySelector<HTMLCanvasElement>('canvas.large')!;
    expect([...pixelsOf(large)]).to.deep.equal([...pixelsOf(root(el).querySelector<HTMLCanvasElement>('canvas[data-tile="1"]')!)]);
    tiles[1]!.focus();
    tiles[1]!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true, composed: true }));
    await el.updateComplete;
    await el.updateComplete;
    expect(root(el).activeElement).to.equal(tiles[2]);
    tiles[2]!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
    await el.updateComplete;
    expect(root(el).querySelector('.detail')).to.equal(null);
  });

  it('speaks Simplified Chinese under lang="zh-Hans", and says where no dataset is given', async () => {
    const { el } = await ran(html`<cnn-feature-vis lang="zh-Hans" layer="conv" channels="2" steps="2"></cnn-feature-vis>`);
    expect(root(el).querySelector('h3')!.textContent).to.equal('conv 在寻找什么');
    expect(root(el).querySelector('.count')!.textContent).to.equal('第 2 步，共 2 步');
    el.openTile(0);
    await el.updateComplete;
    expect(root(el).querySelector('.examples')!.textContent).to.include('没有给出数据集');
    el.lang = 'en';
    await new Promise((r) => setTimeout(r, 0)); // the language observer hears the change
    await el.updateComplete;
    expect(root(el).querySelector('.examples')!.textContent).to.include('No dataset is given');
  });

  it('extends CnnElement: without WebGPU it shows the notice and fires cnn-error', async () => {
    expect(document.createElement('cnn-feature-vis')).to.be.instanceOf(CnnElement);
    Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
    try {
      const box = await fixture<HTMLDivElement>(html`<div></div>`);
      const error = oneEvent(box, 'cnn-error');
      box.append(document.createElement('cnn-feature-vis'));
      const detail = (await error).detail as CnnErrorDetail;
      expect(detail.error).to.be.instanceOf(WebGpuUnavailableError);
      const el = box.firstElementChild as CnnFeatureVis;
      await el.updateComplete;
      expect(el.state).to.equal('unsupported');
      expect(root(el).querySelector('.notice')!.textContent).to.include('WebGPU');
    } finally {
      delete (navigator as { gpu?: unknown }).gpu;
    }
  });
});
