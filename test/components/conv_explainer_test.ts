import { expect } from '@esm-bundle/chai';
import { CnnElement, type CnnErrorDetail } from '../../components/internal/cnn-element.js';
import { CnnError, WebGpuUnavailableError } from '../../src/index.js';
import { fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { sendKeys, sendMouse } from '@web/test-runner-commands';
import '../../components/cnn-layer-viewer.js';
import '../../components/cnn-conv-explainer.js';
import type { CnnLayerViewer } from '../../components/cnn-layer-viewer.js';
import type { CnnConvExplainer, ExplainerReadyDetail, UnitSelectDetail } from '../../components/cnn-conv-explainer.js';
import { sharedEngine } from '../../components/internal/shared-engine.js';
import { explain, loadLayersModel } from '../../src/index.js';
import { tinyClassifier, blobModel, picture, pixelsOf, type SavedModel } from './tiny_model.js';

let saved: SavedModel;

/** A viewer and an explainer that follows it, both drawn for the tiny model on the test picture. */
async function linked(attrs = html`<cnn-conv-explainer for="v" speed="30"></cnn-conv-explainer>`, waitReady = true): Promise<{ viewer: CnnLayerViewer; el: CnnConvExplainer }> {
  const box = await fixture<HTMLDivElement>(html`<div><cnn-layer-viewer id="v" channels="all"></cnn-layer-viewer>${attrs}</div>`);
  const viewer = box.querySelector('cnn-layer-viewer')!;
  const el = box.querySelector('cnn-conv-explainer')!;
  const model = await loadLayersModel(await sharedEngine(), { modelJson: saved.modelJson, weights: saved.weightData });
  const ready = waitReady ? oneEvent(el, 'cnn-ready') : null;
  viewer.setModel(model, 'tiny');
  viewer.setInput(picture());
  await ready;
  await el.updateComplete;
  return { viewer, el };
}

const root = (el: Element) => el.shadowRoot!;

/** The engine's value of `layer` at (y, x, channel), read back from the viewer's own pass. */
async function engineValue(viewer: CnnLayerViewer, layer: string, y: number, x: number, channel: number): Promise<number> {
  const { shape, values } = await viewer.readLayer(layer);
  return shape.length === 4 ? values[(y * shape[2]! + x) * shape[3]! + channel]! : values[channel]!;
}

function pixel(canvas: HTMLCanvasElement, x: number, y: number): number[] {
  return Array.from(canvas.getContext('2d')!.getImageData(x, y, 1, 1).data);
}

describe('cnn-conv-explainer', function () {
  this.timeout(60_000);
  before(async () => {
    saved = await tinyClassifier();
  });

  it('follows a viewer: the first convolution’s middle unit, written out, equals the engine’s output to float32 rounding', async () => {
    const { viewer, el } = await linked();
    expect(el.state).to.equal('ready');
    const u = el.explanation!;
    expect([u.layer, u.channel, u.x, u.y]).to.deep.equal(['conv', 0, 5, 5]);
    const engine = await engineValue(viewer, 'conv', 5, 5, 0);
    expect(u.engineValue).to.equal(engine);
    expect(Math.abs(u.value - engine)).to.be.at.most(u.tolerance);
    expect(u.tolerance).to.be.below(1e-5);
    const shown = root(el).querySelector('.arithmetic')!;
    expect(shown.querySelectorAll('.channel')).to.have.length(1, 'one input channel (grey image)');
    expect(shown.querySelectorAll('.grid.inputs .cell')).to.have.length(9);
    expect(shown.querySelectorAll('.grid.weights .cell')).to.have.length(9);
    expect(shown.querySelectorAll('.grid.products .cell')).to.have.length(9);
    expect(shown.querySelector('.engine')!.classList.contains('ok')).to.equal(true);
    expect(shown.querySelector('.engine')!.textContent).to.include('equal to float32 rounding');
  });

  it('mid-animation: the window has slid unit by unit, the map is filled that far, the same weights at every position, and the sum equals the engine', async () => {
    const { viewer, el } = await linked();
    el.restart();
    const weights0 = el.explanation!.terms[0]!.weights!.slice();
    el.play();
    await waitUntil(() => el.filledUnits >= 17, 'the window slides', { timeout: 20_000 });
    el.pause();
    await el.updateComplete;
    const n = el.filledUnits;
    const u = el.explanation!;
    expect([u.x, u.y], 'the unit is the last one filled').to.deep.equal([(n - 1) % 12, Math.floor((n - 1) / 12)]);
    expect(u.terms[0]!.weights, 'shared weights').to.deep.equal(weights0);
    const engine = await engineValue(viewer, 'conv', u.y, u.x, 0);
    expect(Math.abs(u.value - engine), `${u.value} vs ${engine}`).to.be.at.most(u.tolerance);
    // The output map shows the engine's values up to the unit, and nothing after it.
    const out = root(el).querySelector<HTMLCanvasElement>('canvas.output')!;
    const cell = Number(out.dataset.cell);
    const blank = pixel(out, Math.floor((n % 12) * cell + cell / 2), Math.floor(Math.floor(n / 12) * cell + cell / 2));
    expect(blank.slice(0, 3), 'a unit not yet reached is blank').to.deep.equal([244, 246, 249]);
    const drawn = pixel(out, Math.floor(cell / 2), Math.floor(cell / 2));
    expect(drawn.slice(0, 3)).to.not.deep.equal([244, 246, 249]);
    // The window on the input sits at the unit (padding 1 on each side of 'same' 3×3).
    const slide = root(el).querySelector<HTMLCanvasElement>('canvas.slide')!;
    expect([Number(slide.dataset.rows), Number(slide.dataset.cols)]).to.deep.equal([14, 14]);
    expect(root(el).querySelector('.geometry')!.textContent).to.include('1 1 1 1');
  });

  it('a padded unit: padding cells are drawn as such and read 0; a pooling unit names the input that won; a dense unit lists its largest contributions', async () => {
    const { viewer, el } = await linked(html`<cnn-conv-explainer for="v" x="0" y="0"></cnn-conv-explainer>`);
    const corner = el.explanation!;
    expect(corner.taps.filter((t) => t.padded)).to.have.length(5);
    expect(root(el).querySelectorAll('.grid.inputs .cell.pad')).to.have.length(5);
    expect(root(el).querySelectorAll('.grid.weights .cell.pad'), 'weights are never padding').to.have.length(0);
    const slide = root(el).querySelector<HTMLCanvasElement>('canvas.slide')!;
    const cell = Number(slide.dataset.cell);
    const hatch = pixel(slide, 13 * cell + cell / 2, 13 * cell + cell / 2);
    expect(hatch.slice(0, 3), 'the bottom-right corner is padding, outside the window').to.satisfy((p: number[]) => p.every((v) => v >= 150 && v <= 240));

    let ready = oneEvent(el, 'cnn-ready');
    el.layer = 'pool';
    el.channel = 1;
    await ready;
    await el.updateComplete;
    const pool = el.explanation!;
    expect(pool.kind).to.equal('max-pool');
    expect(pool.value).to.equal(await engineValue(viewer, 'pool', pool.y, pool.x, 1));
    expect(root(el).querySelectorAll('.grid.inputs .cell.won')).to.have.length(1);

    ready = oneEvent(el, 'cnn-ready');
    el.layer = 'probs';
    el.channel = 2;
    const detail = (await ready).detail as ExplainerReadyDetail;
    await el.updateComplete;
    const dense = el.explanation!;
    expect(detail.layer).to.equal('probs');
    expect(dense.logits).to.have.length(3);
    expect(Math.abs(dense.value - (await engineValue(viewer, 'probs', 0, 0, 2)))).to.be.at.most(dense.tolerance);
    expect(root(el).querySelectorAll('table.terms tbody tr')).to.have.length(10);
    expect(root(el).querySelector('table.terms tbody td')!.textContent, 'a flattened input is named by its place in the map').to.match(/\(y \d+, x \d+, c \d+\)/);
    expect(el.receptiveField).to.equal(null);
  });

  it('outlines the unit’s exact receptive field on the network’s input', async () => {
    const { el } = await linked(html`<cnn-conv-explainer for="v" layer="signed" channel="2" x="4" y="6"></cnn-conv-explainer>`);
    const model = el.loadedModel!;
    expect(el.receptiveField).to.deep.equal(explain.receptiveField(model, 'signed', { y: 6, x: 4 }));
    expect([el.receptiveField!.top, el.receptiveField!.left, el.receptiveField!.bottom, el.receptiveField!.right]).to.deep.equal([5, 3, 9, 7]);
    const rf = root(el).querySelector<HTMLCanvasElement>('canvas.rf')!;
    const scale = rf.width / 12;
    const edge = pixel(rf, Math.round(3 * scale + 1), Math.round(7 * scale));
    expect(edge.slice(0, 3), 'the outline').to.deep.equal([255, 176, 0]);
  });

  it('the keyboard moves the unit and Space plays; a click on the viewer’s opened map picks that unit of the opened layer', async () => {
    const { viewer, el } = await linked();
    const out = root(el).querySelector<HTMLCanvasElement>('canvas.output')!;
    out.focus();
    const picked = oneEvent(el, 'cnn-unit-select');
    await sendKeys({ press: 'ArrowRight' });
    expect(((await picked).detail as UnitSelectDetail).x).to.equal(6);
    await sendKeys({ press: 'ArrowDown' });
    expect([el.explanation!.x, el.explanation!.y]).to.deep.equal([6, 6]);
    await sendKeys({ press: 'Space' });
    expect(el.isPlaying).to.equal(true);
    await sendKeys({ press: 'Space' });
    expect(el.isPlaying).to.equal(false);

    // Open channel 1 of 'signed' in the viewer: the explainer follows; then click a unit of its map.
    const ready = oneEvent(el, 'cnn-ready');
    root(viewer).querySelector<HTMLButtonElement>('section[data-layer="signed"] button.tile[data-channel="1"]')!.click();
    await ready;
    expect([el.explanation!.layer, el.explanation!.channel]).to.deep.equal(['signed', 1]);
    await waitUntil(() => root(viewer).querySelector('canvas.detail-map'), 'the viewer opened the tile');
    const big = root(viewer).querySelector<HTMLCanvasElement>('canvas.detail-map')!;
    big.scrollIntoView();
    const r = big.getBoundingClientRect();
    await sendMouse({ type: 'click', position: [Math.round(r.left + (7.5 / 10) * r.width), Math.round(r.top + (2.5 / 10) * r.height)] });
    await el.updateComplete;
    expect([el.explanation!.x, el.explanation!.y]).to.deep.equal([7, 2]);
    expect(Math.abs(el.explanation!.value - (await engineValue(viewer, 'signed', 2, 7, 1)))).to.be.at.most(el.explanation!.tolerance);
  });

  it('speaks Simplified Chinese under lang="zh"', async () => {
    const { el } = await linked(html`<cnn-conv-explainer for="v" lang="zh"></cnn-conv-explainer>`);
    expect(root(el).querySelector('.arithmetic h4')!.textContent).to.include('单元 (x 5, y 5) 的计算');
    expect(root(el).querySelector('button.play')!.textContent).to.equal('播放');
    expect(root(el).querySelector('.engine')!.textContent).to.include('float32');
  });

  it('with url-state, the layer, channel and unit go into the page URL and come back from a link', async () => {
    const bare = `${location.pathname}${location.search}`;
    history.replaceState(null, '', `${bare}#ex.layer=signed&ex.channel=2&ex.unit=4,6`);
    try {
      const { el } = await linked(html`<cnn-conv-explainer id="ex" url-state for="v"></cnn-conv-explainer>`);
      const u = el.explanation!;
      expect([u.layer, u.channel, u.x, u.y]).to.deep.equal(['signed', 2, 4, 6]);
      el.selectUnit(1, 2);
      await el.updateComplete;
      el.writeUrlState();
      expect(location.hash).to.include('ex.layer=signed').and.include('ex.channel=2').and.include('ex.unit=1,2');
      expect(el.shareLink()).to.include('ex.unit=1,2');
    } finally {
      history.replaceState(null, '', bare);
    }
  });

  it('a layer without arithmetic of its own says which layers have some', async () => {
    const { el } = await linked(html`<cnn-conv-explainer for="v" layer="flat"></cnn-conv-explainer>`, false);
    await waitUntil(() => root(el).querySelector('.status')?.textContent?.includes('conv, signed, pool, probs'), 'the note');
  });

  it('alone, from model and src URLs, it runs the model itself', async () => {
    const { url } = blobModel(saved);
    const png = await new Promise<Blob>((r) => picture().toBlob((b) => r(b!)));
    const src = URL.createObjectURL(png);
    const el = await fixture<CnnConvExplainer>(html`<cnn-conv-explainer model=${url} src=${src}></cnn-conv-explainer>`);
    await waitUntil(() => el.state === 'ready' && el.explanation, 'ready', { timeout: 30_000 });
    const u = el.explanation!;
    expect(Math.abs(u.value - u.engineValue)).to.be.at.most(u.tolerance);
    expect(pixelsOf(root(el).querySelector<HTMLCanvasElement>('canvas.rf')!).some((v) => v > 0)).to.equal(true);
  });

  it('extends CnnElement; without WebGPU it shows the shared notice, fires cnn-error with a WebGpuUnavailableError and ends unsupported', async () => {
    Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
    try {
      const box = await fixture<HTMLDivElement>(html`<div></div>`);
      const errors: CnnErrorDetail[] = [];
      box.addEventListener('cnn-error', (e) => errors.push((e as CustomEvent<CnnErrorDetail>).detail));
      const el = document.createElement('cnn-conv-explainer');
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
