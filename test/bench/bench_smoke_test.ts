import { expect } from '@esm-bundle/chai';
import * as tf from '../helpers/tf_oracle.js';
import { withEngine } from '../helpers/gpu.js';
import { allCases, selectCases, runSuite } from '../../bench/suite.js';
import { oursAdapter } from '../../bench/engines/ours.js';
import { createTfjsEngine } from '../../bench/engines/tfjs.js';
import { markdownReport } from '../../bench/report.js';
import type { BenchEngine } from '../../bench/types.js';
import type { Engine } from '../../src/engine.js';

/** A baseline that gives wrong numbers: the suite must report it, not time it. */
function wrongEngine(inner: BenchEngine): BenchEngine {
  return {
    ...inner,
    id: 'wrong',
    label: 'wrong',
    prepare: async (c, inputs) => {
      const p = await inner.prepare(c, inputs);
      return { ...p, output: async () => (await p.output()).map((v) => v + 1) };
    },
  };
}

describe('benchmark suite (smoke)', () => {
  it('times one tiny case on our engine and the TF.js CPU baseline, with percentiles, ratios and geomeans', () =>
    withEngine(async (e) => {
      const ours = oursAdapter(e);
      const cpu = await createTfjsEngine(tf, 'cpu');
      const cases = selectCases(allCases(), { ops: 'maxPool', shapes: 'tinyvgg.pool2' });
      expect(cases.map((c) => c.id)).to.deep.equal(['tinyvgg.pool2/maxPool']);
      const progress: string[] = [];
      const result = await runSuite([ours, cpu, wrongEngine(cpu)], cases, { samples: 4, rounds: 2, warmup: 1, maxInner: 2 }, {
        adapter: { ...e.info },
        browser: 'test',
        onProgress: (p) => {
          if (p.engine) progress.push(`${p.done}/${p.total}`);
        },
      });
      expect(progress).to.deep.equal(['1/3', '2/3', '3/3']);
      expect(result.meta.ours).to.equal('cnn-webgpu');
      expect(result.meta.adapter.description).to.be.a('string').and.not.empty;
      const [row] = result.rows;
      expect(row!.reference).to.equal('cnn-webgpu');
      for (const id of ['cnn-webgpu', 'tfjs-cpu']) {
        const m = row!.results[id]!;
        expect(m.status, `${id}: ${m.note}`).to.equal('ok');
        expect(m.relError).to.be.at.most(1e-5);
        expect(m.coldMs).to.be.above(0);
        const w = m.wallMs!;
        expect(w.n).to.equal(4);
        expect(w.p10).to.be.at.most(w.median);
        expect(w.median).to.be.at.most(w.p90);
        expect(m.rate).to.be.above(0);
      }
      expect(row!.results.wrong!.status).to.equal('mismatch');
      expect(row!.results.wrong!.wallMs).to.equal(undefined);
      expect(row!.ratios['tfjs-cpu']).to.be.above(0);
      expect(row!.ratios.wrong).to.equal(null);
      const keys = Object.keys(result).filter((k) => k.toLowerCase().includes('geomean'));
      expect(keys).to.include.members(['geomeanByFamily', 'geomeanAll']);
      expect(result.geomeanByFamily.maxPool!['tfjs-cpu']).to.be.closeTo(row!.ratios['tfjs-cpu']!, 1e-12);
      expect(result.geomeanByFamily.pooling!['tfjs-cpu']).to.be.closeTo(row!.ratios['tfjs-cpu']!, 1e-12);
      expect(result.geomeanAll.wrong).to.equal(null);
      const json = JSON.parse(JSON.stringify(result));
      expect(json.rows[0].results['cnn-webgpu'].wallMs.median).to.be.a('number');
      // Our kernel, as observed while the case ran (one dispatch of a pooling entry point).
      expect(row!.results['cnn-webgpu']!.variant).to.match(/^max_pool\w*$/);
      expect(row!.results['cnn-webgpu']!.dispatches).to.equal(1);
      const md = markdownReport(result);
      expect(md).to.include('| tinyvgg.pool2 | maxPool |');
      expect(md).to.include(`tinyvgg.pool2/maxPool: ${row!.results['cnn-webgpu']!.variant}`);
      expect(md).to.include('mismatch');
      // The first-target verdict names the pooling group, its lowest ratio and that baseline.
      const ratio = result.geomeanByFamily.pooling!['tfjs-cpu']!;
      expect(md).to.match(new RegExp(`- pooling \\(all four\\): (holds|\\*\\*misses\\*\\*) \\(lowest [0-9.]+×, vs TF.js CPU\\)`));
      expect(md.includes('pooling (all four): holds')).to.equal(ratio >= 1);
    }));

  const quick = { samples: 2, rounds: 1, warmup: 0, maxInner: 1 };
  const hooks = (e: Engine) => ({ adapter: { ...e.info }, browser: 'test' });

  it('runs a conv layer in one dispatch (three unfused), a forced kernel through its launch, checked against TF.js', () =>
    withEngine(async (e) => {
      const cpu = await createTfjsEngine(tf, 'cpu');
      const cases = selectCases(allCases(), { ops: 'conv2d,convLayer', shapes: 'tinyvgg.conv2_2' });
      expect(cases.map((c) => c.family)).to.deep.equal(['conv2d', 'convLayer']);
      const fused = await runSuite([oursAdapter(e, { conv2dVariant: 'tiled' }), cpu], cases, quick, hooks(e));
      const unfused = await runSuite([oursAdapter(e, { unfused: true }), cpu], cases.slice(1), quick, hooks(e));
      expect(e.tuning.conv2d, 'the forced kernel leaves the tuning alone').to.equal('auto');
      const [conv, layer] = fused.rows.map((r) => r.results['cnn-webgpu']!);
      expect(conv!.variant).to.equal('conv2d_tiled');
      expect(layer!.variant).to.equal('conv2d_tiled');
      expect(layer!.dispatches).to.equal(1);
      const apart = unfused.rows[0]!.results['cnn-webgpu']!;
      expect(apart.dispatches).to.equal(3);
      expect(apart.variant).to.match(/^conv2d_(block|block_vec4|few) \+ \w+ \+ \w+$/);
      for (const r of [...fused.rows, ...unfused.rows]) {
        const m = r.results['tfjs-cpu']!;
        expect(m.status, `${r.case.id}: ${m.note}`).to.equal('ok');
        expect(m.relError).to.be.at.most(1e-5);
      }
    }));

  it('runs the explanation rows (saliency, Integrated Gradients with 64 steps) on the MNIST model, checked against tf.grad on TF.js', () =>
    withEngine(async (e) => {
      const cpu = await createTfjsEngine(tf, 'cpu', async () => tf);
      const cases = selectCases(allCases(), { ops: 'explain', shapes: 'mnist.saliency-b1,mnist.ig64-b1' });
      expect(cases.map((c) => c.id)).to.deep.equal(['mnist.saliency-b1/explain', 'mnist.ig64-b1/explain']);
      expect(selectCases(allCases(), { ops: 'explain' }).map((c) => c.id)).to.include('face.featurevis-step/explain');
      const result = await runSuite([oursAdapter(e), cpu], cases, quick, hooks(e));
      for (const row of result.rows) {
        for (const id of ['cnn-webgpu', 'tfjs-cpu']) expect(row.results[id]!.status, `${row.case.id} ${id}: ${row.results[id]!.note}`).to.equal('ok');
        expect(row.results['tfjs-cpu']!.relError, row.case.id).to.be.at.most(1e-4);
        expect(row.results['cnn-webgpu']!.rate).to.be.above(0);
      }
    }));

  it("runs the demo's MNIST model forward through Model.predict, counting its dispatches, and keeps a trace of one call", () =>
    withEngine(async (e) => {
      const cpu = await createTfjsEngine(tf, 'cpu', async () => tf);
      const cases = selectCases(allCases(), { ops: 'modelForward', shapes: 'mnist.model-b1' });
      const ours = oursAdapter(e, { trace: true });
      const result = await runSuite([ours, cpu], cases, quick, hooks(e));
      const [row] = result.rows;
      const m = row!.results['cnn-webgpu']!;
      expect(m.status, m.note).to.equal('ok');
      expect(row!.results['tfjs-cpu']!.status, row!.results['tfjs-cpu']!.note).to.equal('ok');
      expect(row!.results['tfjs-cpu']!.relError).to.be.at.most(1e-4);
      // conv–pool–conv–pool–flatten–dense–dense(softmax): at least one dispatch per conv, pool and dense.
      expect(m.dispatches).to.be.at.least(6);
      expect(m.variant).to.include('conv2d_');
      expect(m.rate).to.be.above(0);
      const trace = ours.traces.get('mnist.model-b1/modelForward')!;
      expect(trace.count).to.equal(m.dispatches);
      expect(trace.kernels()).to.equal(m.variant);
    }));
});
