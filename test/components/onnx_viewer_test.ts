import { expect } from '@esm-bundle/chai';
import { fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../components/cnn-layer-viewer.js';
import '../../components/cnn-filter-viewer.js';
import type { CnnLayerViewer, ReadyDetail } from '../../components/cnn-layer-viewer.js';
import { normalizePixels } from '../../components/internal/preprocess.js';
import { labelLines, labelsFromMetadata, parseChannelList, parseInputSize } from '../../components/internal/attributes.js';

const MODEL = new URL("../fixtures/onnx/small_classifier.onnx", import.meta.url).href;
const IMAGE = '/demo/images/astronaut-224.png';
const LABELS = ['tench', 'goldfish', 'great white shark', 'tiger shark', 'hammerhead', 'electric ray', 'stingray', 'cock', 'hen', 'ostrich'];

describe('input preprocessing and ONNX label metadata', () => {
  it('mean, std and BGR order per channel, on the pixels read', () => {
    const px = new Float32Array([0.1, 0.5, 0.9, 1, 0, 0.25]);
    normalizePixels(px, 3, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    const want = [(0.1 - 0.485) / 0.229, (0.5 - 0.456) / 0.224, (0.9 - 0.406) / 0.225, (1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (0.25 - 0.406) / 0.225];
    px.forEach((v, i) => expect(v).to.be.closeTo(want[i]!, 1e-6));
    const bgr = normalizePixels(new Float32Array([10, 20, 30]), 3, { channelOrder: 'bgr', mean: [1, 2, 3] });
    expect([...bgr]).to.deep.equal([29, 18, 7], 'blue first, then the mean of the channel it now sits in');
    expect(() => normalizePixels(new Float32Array(6), 3, { mean: [1, 2] })).to.throw(/mean has 2 values/);
  });

  it('parses input-size, channel lists and label lists', () => {
    expect(parseInputSize('224')).to.deep.equal([224, 224]);
    expect(parseInputSize('240 320')).to.deep.equal([240, 320]);
    expect(parseInputSize('240x320')).to.deep.equal([240, 320]);
    expect(parseInputSize('big')).to.equal(undefined);
    expect(parseChannelList('0.485 0.456 0.406', 'mean')).to.deep.equal([0.485, 0.456, 0.406]);
    expect(parseChannelList('[104, 117, 123]', 'mean')).to.deep.equal([104, 117, 123]);
    expect(() => parseChannelList('0 1 x', 'std')).to.throw(/std/);
    expect(labelLines('cat\ndog\n')).to.deep.equal(['cat', 'dog']);
    expect(labelsFromMetadata(new Map([['Labels', '["a","b"]']]))).to.deep.equal(['a', 'b']);
    expect(labelsFromMetadata(new Map([['classes', '{"0": "a", "1": "b"}']]))).to.deep.equal(['a', 'b']);
    expect(labelsFromMetadata(new Map([['author', 'x']]))).to.equal(null);
  });
});

describe('cnn-layer-viewer with an ONNX model', function () {
  this.timeout(60_000);

  it('loads a free-size .onnx by URL at the image size, draws every layer with its op and names classes from the metadata', async () => {
    const el = await fixture<CnnLayerViewer>(html`<cnn-layer-viewer mean="0.485 0.456 0.406" std="0.229 0.224 0.225"></cnn-layer-viewer>`);
    const ready = oneEvent(el, 'cnn-ready');
    el.model = MODEL;
    el.src = IMAGE;
    const detail = (await ready).detail as ReadyDetail;
    await el.updateComplete;
    expect(detail.inputShape).to.deep.equal([224, 224, 3]);
    const names = detail.layers.map((l) => l.name);
    for (const n of ['conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'gap', 'logits', 'prob']) expect(names).to.include(n);
    const sections = [...el.shadowRoot!.querySelectorAll('section.layer')];
    expect(sections).to.have.length(detail.layers.length);
    for (const s of sections) expect(s.querySelectorAll('button.tile').length, s.getAttribute('data-layer')!).to.be.greaterThan(0);
    expect(el.shadowRoot!.querySelector('section[data-layer="conv1"] .meta')!.textContent).to.include('(Conv)');
    expect(detail.predictions).to.have.length(5);
    for (const p of detail.predictions!) expect(LABELS).to.include(p.label);
  });

  it('normalises the input as mean and std say: (x - 0.5) / 0.5 on [0, 1] equals input-range "-1 1"', async () => {
    const run = async (range: string, mean: string, std: string) => {
      const el = await fixture<CnnLayerViewer>(html`<cnn-layer-viewer input-size="32" input-range=${range} mean=${mean} std=${std} layers="conv1"></cnn-layer-viewer>`);
      const ready = oneEvent(el, 'cnn-ready');
      el.model = MODEL;
      el.src = IMAGE;
      await ready;
      expect(el.loadedModel!.inputShape).to.deep.equal([32, 32, 3], 'input-size picks the free size');
      return (await el.readLayer('conv1')).values;
    };
    const normalised = await run('0 1', '0.5 0.5 0.5', '0.5');
    const ranged = await run('-1 1', '', '');
    const raw = await run('0 1', '', '');
    normalised.forEach((v, i) => expect(v).to.be.closeTo(ranged[i]!, 1e-4));
    expect(raw.some((v, i) => Math.abs(v - normalised[i]!) > 1e-3)).to.equal(true, 'without mean/std the conv sees other values');
  });

  it('the filter viewer takes the same .onnx by URL and draws its first conv\'s filters', async () => {
    const el = await fixture<HTMLElement & { state: string }>(html`<cnn-filter-viewer layer="conv1"></cnn-filter-viewer>`);
    el.setAttribute('model', MODEL);
    await waitUntil(() => el.state === 'ready' || el.state === 'error', 'filter viewer never finished', { timeout: 30_000 });
    expect(el.state, el.shadowRoot!.textContent!.slice(0, 300)).to.equal('ready');
    expect(el.shadowRoot!.querySelectorAll('canvas').length).to.be.greaterThan(0);
  });
});
