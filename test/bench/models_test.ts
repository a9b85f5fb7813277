import { expect } from '@esm-bundle/chai';
import { fixture, html } from '@open-wc/testing';
import '../../components/cnn-kernel-bench.js';
import type { CnnKernelBench } from '../../components/cnn-kernel-bench.js';
import { allModelCases, selectModelCases } from '../../bench/models/cases.js';
import { centredError } from '../../bench/models/suite.js';
import { modelChartSvg, modelMarkdown } from '../../bench/models/report.js';
import type { ModelCase, ModelMeasurement, ModelSuiteResult } from '../../bench/models/types.js';

const ok = (ms: number, images: number, memory = true): ModelMeasurement => ({
  status: 'ok', wallMs: { median: ms, p10: ms * 0.9, p90: ms * 1.1, min: ms * 0.8, n: 3 }, rate: images / (ms / 1000), coldMs: ms * 4,
  memory: memory ? { heldBytes: 5 * 2 ** 20, peakBytes: 9 * 2 ** 20, note: 'gpu' } : { heldBytes: null, peakBytes: null, note: 'does not report' },
});

/** Two forward rows (one with a mismatching baseline), a viewer row, a training row, one missing file. */
function result(): ModelSuiteResult {
  const cases = allModelCases();
  const pick = (id: string) => cases.find((c) => c.id === id)!;
  const engines = [
    { id: 'cnn-webgpu', label: 'cnn-webgpu' }, { id: 'ort-webgpu', label: 'ORT Web WebGPU' }, { id: 'ort-wasm', label: 'ORT Web wasm' },
    { id: 'tfjs-webgpu', label: 'TF.js WebGPU' }, { id: 'tfjs-cpu', label: 'TF.js CPU' },
  ];
  const na = { status: 'n/a' as const, note: 'not this format' };
  return {
    kind: 'models',
    meta: {
      date: '2026-12-02T00:00:00.000Z', adapter: { description: 'Test GPU', vendor: '', architecture: '', isSoftware: false, hasTimestampQuery: false },
      browser: 'Chromium', userAgent: '', options: { samples: 3, heavySamples: 2, rounds: 1, warmup: 1, minSampleMs: 25, maxInner: 8, maxSecondsPerMeasurement: 10, tolerance: 1e-3, gpuTimer: false, seed: 1 },
      engines, ours: 'cnn-webgpu', durationMs: 4000, missing: [{ model: 'resnet50.b1/forward', why: 'resnet50.onnx not found' }],
    },
    rows: [
      { case: pick('squeezenet.b1/forward'), reference: 'cnn-webgpu', ratios: { 'ort-webgpu': 4, 'ort-wasm': null, 'tfjs-webgpu': null, 'tfjs-cpu': null },
        results: { 'cnn-webgpu': ok(100, 1), 'ort-webgpu': ok(400, 1, false), 'ort-wasm': { status: 'mismatch', relError: 0.2, note: 'wrong numbers' }, 'tfjs-webgpu': na, 'tfjs-cpu': na } },
      { case: pick('mnist.b8/forward'), reference: 'cnn-webgpu', ratios: { 'ort-webgpu': null, 'ort-wasm': null, 'tfjs-webgpu': 3, 'tfjs-cpu': 0.5 },
        results: { 'cnn-webgpu': ok(20, 8), 'ort-webgpu': na, 'ort-wasm': na, 'tfjs-webgpu': ok(60, 8), 'tfjs-cpu': ok(10, 8) } },
      { case: pick('face.b1/viewer'), reference: 'cnn-webgpu', ratios: {}, results: { 'cnn-webgpu': ok(300, 1) } },
      { case: pick('lenet.b32/train'), reference: 'cnn-webgpu', ratios: { 'tfjs-webgpu': 5 }, results: { 'cnn-webgpu': ok(200, 64), 'tfjs-webgpu': ok(1000, 64) } },
    ],
    geomeanForward: { 'ort-webgpu': 4, 'ort-wasm': null, 'tfjs-webgpu': 3, 'tfjs-cpu': 0.5 },
  };
}

describe('whole-model rows (bench/models)', () => {
  it('take batch 8 only for the networks that are not heavy unless batches are named', () => {
    const all = allModelCases();
    const ids = (cs: ModelCase[]) => cs.map((c) => c.id);
    const byDefault = ids(selectModelCases(all, { models: 'squeezenet,resnet50' }));
    expect(byDefault).to.include.members(['squeezenet.b1/forward', 'squeezenet.b8/forward', 'resnet50.b1/forward', 'resnet50.b1/viewer']);
    expect(byDefault).to.not.include('resnet50.b8/forward');
    expect(ids(selectModelCases(all, { models: 'resnet50', kinds: 'forward', batches: '8' }))).to.deep.equal(['resnet50.b8/forward']);
    expect(ids(selectModelCases(all, { kinds: 'train' }))).to.deep.equal(['lenet.b32/train', 'deeper.b32/train']);
  });

  it('compare outputs up to a constant shift per row (logits before a softmax)', () => {
    const ref = Float32Array.from([1, 2, 3, 10, 20, 30]);
    expect(centredError(ref.map((v, i) => v + (i < 3 ? 5 : -7)), ref, 2)).to.be.below(1e-6);
    expect(centredError(Float32Array.from([3, 2, 1, 10, 20, 30]), ref, 2)).to.be.above(0.1);
    expect(centredError(new Float32Array(5), ref, 2)).to.equal(Infinity);
  });

  it('report a mismatch and a missing file in the Markdown, and draw a bar per timed engine', () => {
    const r = result();
    const md = modelMarkdown(r, 'chart.svg');
    expect(md).to.include('![images per second per network and engine](chart.svg)');
    expect(md).to.include('ORT Web wasm on squeezenet.b1/forward: **mismatch**');
    expect(md).to.include('resnet50.b1/forward: resnet50.onnx not found');
    expect(md).to.include('5.0 MiB / 9.0 MiB');
    const svg = new DOMParser().parseFromString(modelChartSvg(r), 'image/svg+xml');
    // squeezenet: ours and ORT WebGPU; MNIST b8: three; viewer: one; training: two.
    expect(svg.querySelectorAll('rect[height="9"]').length).to.equal(8);
  });
});

describe('<cnn-kernel-bench> Models tab', () => {
  it('shows a whole-model result as a chart and a table, with the Models tab selected', async () => {
    const el = await fixture<CnnKernelBench>(html`<cnn-kernel-bench engines=""></cnn-kernel-bench>`);
    el.showModelResult(result());
    await el.updateComplete;
    const root = el.shadowRoot!;
    expect(root.querySelector('#tab-models')!.getAttribute('aria-selected')).to.equal('true');
    expect(root.querySelector('[part="models-chart"] svg'), 'the chart').to.not.equal(null);
    const rows = [...root.querySelectorAll('table.models tbody th')].map((th) => th.textContent);
    expect(rows).to.deep.equal(['squeezenet.b1/forward', 'mnist.b8/forward', 'face.b1/viewer', 'lenet.b32/train']);
    expect(root.querySelector('[part="mismatches"]')!.textContent).to.include('resnet50.onnx not found');
    // The speed-up cells: ORT WebGPU 4× on SqueezeNet is a win, TF.js CPU 0.5× on MNIST a loss.
    expect(root.querySelectorAll('table.models td.win').length).to.be.at.least(2);
    expect(root.querySelectorAll('table.models td.loss').length).to.equal(1);
  });

  it('switches tabs with the arrow keys and keeps each tab its own settings', async () => {
    const el = await fixture<CnnKernelBench>(html`<cnn-kernel-bench engines="" models="mnist"></cnn-kernel-bench>`);
    const root = el.shadowRoot!;
    expect(root.querySelector('input[name="shapes"]'), 'kernel settings first').to.not.equal(null);
    root.querySelector<HTMLButtonElement>('#tab-kernels')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    await el.updateComplete;
    expect(el.view).to.equal('models');
    expect(root.querySelector<HTMLInputElement>('input[name="models"]')!.value).to.equal('mnist');
    expect(root.querySelector('input[name="shapes"]')).to.equal(null);
    root.querySelector<HTMLButtonElement>('#tab-kernels')!.click();
    await el.updateComplete;
    expect(el.view).to.equal('kernels');
  });
});
