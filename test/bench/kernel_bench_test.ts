import { expect } from '@esm-bundle/chai';
import { fixture, html, oneEvent } from '@open-wc/testing';
import '../../components/cnn-kernel-bench.js';
import type { CnnKernelBench } from '../../components/cnn-kernel-bench.js';
import type { SuiteResult, Progress } from '../../bench/types.js';

describe('<cnn-kernel-bench>', () => {
  it('runs the chosen case when Run is clicked and shows the table, the chart and the JSON', async () => {
    const el = await fixture<CnnKernelBench>(html`<cnn-kernel-bench ops="avgPool" shapes="tinyvgg.pool2" engines="" samples="2"></cnn-kernel-bench>`);
    const root = el.shadowRoot!;
    const run = root.querySelector<HTMLButtonElement>('button[part="run"]')!;
    expect(run.textContent).to.equal('Run');
    expect(root.querySelector<HTMLButtonElement>('button.secondary')!.disabled, 'Copy JSON before a run').to.equal(true);
    const progress: Progress[] = [];
    el.addEventListener('cnn-bench-progress', (e) => {
      const p = (e as CustomEvent<Progress>).detail;
      if (p.engine) progress.push(p);
    });
    const done = oneEvent(el, 'cnn-bench-done');
    run.click();
    const result = (await done).detail as SuiteResult;
    await el.updateComplete;
    expect(progress.map((p) => `${p.done}/${p.total}`)).to.deep.equal(['1/1']);
    expect(result.rows.map((r) => r.case.id)).to.deep.equal(['tinyvgg.pool2/avgPool']);
    expect(result.rows[0]!.results['cnn-webgpu']!.status).to.equal('ok');
    expect(el.results).to.equal(result);
    const cells = [...root.querySelectorAll('table.rows tbody tr th, table.rows tbody tr td')].map((c) => c.textContent!.trim());
    expect(cells.slice(0, 2)).to.deep.equal(['tinyvgg.pool2', 'avgPool']);
    expect(cells[3]).to.match(/^\d/);
    expect(root.querySelector('svg.chart')).to.exist;
    expect(root.querySelector<HTMLButtonElement>('button.secondary')!.disabled).to.equal(false);
    expect(root.textContent).to.include(result.meta.adapter.description);
  });

  it('says when no case matches instead of running', async () => {
    const el = await fixture<CnnKernelBench>(html`<cnn-kernel-bench ops="nothing-like-this" engines=""></cnn-kernel-bench>`);
    expect(await el.run()).to.equal(null);
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[role="alert"]')!.textContent).to.include('No case matches');
  });
});
