import { expect } from '@esm-bundle/chai';
import { fixture, html } from '@open-wc/testing';
import '../../components/cnn-kernel-bench.js';
import type { CnnKernelBench } from '../../components/cnn-kernel-bench.js';
import type { Measurement, SuiteResult } from '../../bench/types.js';

const ok = (ms: number): Measurement => ({ status: 'ok', wallMs: { median: ms, p10: ms * 0.9, p90: ms * 1.1 } as never, rate: 1, coldMs: ms * 3 });

/** A result as a run on a phone would show it: several baselines, long family names, one mismatch. */
function result(): SuiteResult {
  const engines = [
    { id: 'cnn-webgpu', label: 'cnn-webgpu' },
    { id: 'tfjs-webgpu', label: 'TF.js WebGPU' },
    { id: 'jax-webgpu', label: 'jax-js WebGPU' },
    { id: 'ort-webgpu', label: 'ORT Web WebGPU' },
    { id: 'tfjs-cpu', label: 'TF.js CPU' },
  ];
  const row = (id: string, family: string, mismatch = false) => ({
    case: { id, shape: id.split('/')[0]!, network: 'lenet', family, spec: {} as never, flops: 1, bytes: 1, unit: 'GFLOP/s', dims: '1×28×28×1 ⊛ 5×5×1×16' },
    results: {
      'cnn-webgpu': ok(1),
      'tfjs-webgpu': mismatch ? { status: 'mismatch', relError: 0.3 } : ok(2),
      'jax-webgpu': ok(1.5),
      'ort-webgpu': ok(0.8),
      'tfjs-cpu': ok(10),
    },
    ratios: { 'tfjs-webgpu': mismatch ? null : 2, 'jax-webgpu': 1.5, 'ort-webgpu': 0.8, 'tfjs-cpu': 10 },
    gpuRatios: {},
    reference: 'cnn-webgpu',
  });
  const per = { 'tfjs-webgpu': 2, 'jax-webgpu': 1.5, 'ort-webgpu': 0.8, 'tfjs-cpu': 10 };
  return {
    meta: { date: '', adapter: { description: 'Test GPU', vendor: '', architecture: '', isSoftware: false, hasTimestampQuery: false }, browser: 'Chromium', userAgent: '', options: { samples: 12 } as never, engines, ours: 'cnn-webgpu', durationMs: 5000 },
    rows: [row('lenet.conv1/conv2d', 'conv2d', true), row('lenet.conv1/convLayer', 'convLayer')],
    geomeanByFamily: { conv2d: per, convLayer: per, convForward: per, denseLayer: per },
    geomeanAll: per,
    gpuGeomeanByFamily: {},
  } as unknown as SuiteResult;
}

describe('<cnn-kernel-bench> results, read on a phone', () => {
  it('the summary table scrolls inside its card instead of overflowing it', async () => {
    const el = await fixture<CnnKernelBench>(html`<cnn-kernel-bench style="width: 340px" engines=""></cnn-kernel-bench>`);
    el.showResult(result());
    await el.updateComplete;
    const table = el.shadowRoot!.querySelector('table.geomeans')!;
    const box = table.closest('.scroll') as HTMLElement | null;
    expect(box, 'in a scroll box').to.not.equal(null);
    expect(box!.getBoundingClientRect().right).to.be.at.most(el.getBoundingClientRect().right + 0.5);
    const base = el.shadowRoot!.querySelector<HTMLElement>('[part="base"]')!;
    expect(base.scrollWidth).to.be.at.most(base.clientWidth + 1);
  });

  it('the chart shows every family label whole (none cut at the left edge)', async () => {
    const el = await fixture<CnnKernelBench>(html`<cnn-kernel-bench engines=""></cnn-kernel-bench>`);
    el.showResult(result());
    await el.updateComplete;
    const labels = [...el.shadowRoot!.querySelectorAll<SVGTextElement>('svg.chart text.family')];
    expect(labels.map((l) => l.textContent)).to.include('every conv forward (with depthwise)');
    for (const l of labels) expect(l.getBBox().x, l.textContent!).to.be.at.least(0);
  });

  it('a baseline whose output differs from ours is said at the top of the results', async () => {
    const el = await fixture<CnnKernelBench>(html`<cnn-kernel-bench engines=""></cnn-kernel-bench>`);
    el.showResult(result());
    await el.updateComplete;
    const problems = el.shadowRoot!.querySelector('[part="mismatches"]')!;
    expect(problems.textContent).to.include('TF.js WebGPU on lenet.conv1/conv2d').and.include('3.0e-1');
    const chart = el.shadowRoot!.querySelector('svg.chart')!;
    expect(problems.compareDocumentPosition(chart) & Node.DOCUMENT_POSITION_FOLLOWING, 'before the chart and tables').to.not.equal(0);
  });

  it('says how many samples each time is the median of, as set', async () => {
    const el = await fixture<CnnKernelBench>(html`<cnn-kernel-bench samples="7" engines=""></cnn-kernel-bench>`);
    const hint = () => el.shadowRoot!.querySelector('.hint')!.textContent!;
    expect(hint()).to.include('median of 7 samples');
    const input = el.shadowRoot!.querySelector<HTMLInputElement>('input[name="samples"]')!;
    input.value = '50';
    input.dispatchEvent(new Event('change'));
    await el.updateComplete;
    expect(hint()).to.include('median of 50 samples');
    const page = await (await fetch('/demo/bench.html')).text();
    expect(page).to.not.match(/of \d+ samples/, 'the page does not promise a fixed number');
  });
});
