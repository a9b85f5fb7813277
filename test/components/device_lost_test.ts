import { expect } from '@esm-bundle/chai';
import { fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import '../../components/cnn-trainer.js';
import '../../components/cnn-layer-viewer.js';
import '../../components/cnn-filter-viewer.js';
import type { CnnTrainer, TrainEndDetail, TrainProgressDetail } from '../../components/cnn-trainer.js';
import type { CnnLayerViewer } from '../../components/cnn-layer-viewer.js';
import type { CnnFilterViewer } from '../../components/cnn-filter-viewer.js';
import { sharedEngine } from '../../components/internal/shared-engine.js';
import { loadLayersModel, presets, sequential, type Engine } from '../../src/index.js';
import { blobModel, picture, tinyClassifier } from './tiny_model.js';

const root = (el: Element) => el.shadowRoot!;
const lostNotice = (el: Element) => root(el).querySelector<HTMLElement>('[part~="gpu-lost"]');

describe('a lost GPU under a page of elements', () => {
  it('the viewers say so and redraw on a new engine; the trainer stops, saves its last epoch from the CPU and resumes on the new GPU', async () => {
    const served = blobModel(await tinyClassifier());
    try {
      const page = await fixture<HTMLDivElement>(html`<div>
        <cnn-layer-viewer model=${served.url}></cnn-layer-viewer>
        <cnn-filter-viewer lang="zh-Hans" model=${served.url} layer="conv"></cnn-filter-viewer>
        <cnn-trainer preset="tiny" subset train-size="64" test-size="50" batch-size="32" epochs="3" seed="7" metrics-every="1" test-points="2" redraw-interval="1000000"></cnn-trainer>
      </div>`);
      const viewer = page.querySelector<CnnLayerViewer>('cnn-layer-viewer')!;
      const filters = page.querySelector<CnnFilterViewer>('cnn-filter-viewer')!;
      const trainer = page.querySelector<CnnTrainer>('cnn-trainer')!;
      await waitUntil(() => viewer.state === 'waiting' && filters.state === 'ready', 'both viewers loaded', { timeout: 30000 });
      const firstDraw = oneEvent(viewer, 'cnn-ready');
      viewer.setInput(picture());
      await firstDraw;
      const old: Engine = await sharedEngine();
      expect(viewer.loadedModel!.engine).to.equal(old);

      // Lose the device at the first step of epoch 2: epoch 1's weights are then on the CPU.
      const errors: string[] = [];
      page.addEventListener('cnn-error', (e) => errors.push((e as CustomEvent<{ phase: string }>).detail.phase));
      let lostAt: TrainProgressDetail | null = null;
      trainer.addEventListener('cnn-train-progress', (e) => {
        const p = (e as CustomEvent<TrainProgressDetail>).detail;
        if (p.epoch === 2 && !lostAt) {
          lostAt = p;
          old.device.destroy();
        }
      });
      const redrawn = new Promise<void>((resolve) => viewer.addEventListener('cnn-ready', () => lostAt && resolve()));
      const firstEnd = oneEvent(trainer, 'cnn-train-end');
      void trainer.start();

      await waitUntil(() => lostNotice(viewer) && lostNotice(filters) && lostNotice(trainer), 'every element says the GPU was lost', { timeout: 30000 });
      expect(lostNotice(viewer)!.textContent).to.match(/The GPU was lost\./);
      expect(lostNotice(filters)!.textContent, 'in Chinese under lang="zh-Hans"').to.match(/GPU 已丢失/);

      // The viewer reloads its model on a new engine and redraws by itself.
      await redrawn;
      const fresh = await sharedEngine();
      expect(fresh, 'a new engine').to.not.equal(old);
      expect(fresh.isLost).to.equal(false);
      expect(viewer.loadedModel!.engine).to.equal(fresh);
      expect(viewer.shownLayers.map((l) => l.name)).to.deep.equal(['conv', 'signed', 'pool', 'flat', 'probs']);
      await waitUntil(() => lostNotice(viewer)?.dataset.loss === 'restarted', 'the viewer says it runs on a new GPU');
      expect(lostNotice(viewer)!.textContent).to.match(/runs on a new GPU device/);
      await waitUntil(() => filters.state === 'ready' && lostNotice(filters)?.dataset.loss === 'restarted', 'the filter viewer drew again');
      expect(errors, 'cnn-error phase gpu-lost from each element').to.include('gpu-lost');

      // The trainer stopped with its message, keeping epoch 1.
      const end = ((await firstEnd) as CustomEvent<TrainEndDetail>).detail;
      expect(end.reason).to.equal('error');
      expect(trainer.state).to.equal('lost');
      expect(trainer.keptEpoch).to.deep.equal({ epoch: 1, step: 2 });
      const status = root(trainer).querySelector('[part="status"]')!.textContent!;
      expect(status).to.match(/Training stopped: the GPU was lost\. The weights after epoch 1 \(step 2\) are kept on the CPU/);

      // Save works from the CPU copy: epoch 1's trained weights, not the initial ones.
      const saved = await trainer.save({ download: false });
      const restored = await loadLayersModel(fresh, { modelJson: saved.modelJson, weights: saved.weightData });
      const initial = sequential(fresh, { inputShape: presets.tiny!.inputShape, layers: presets.tiny!.layers, seed: 7 });
      try {
        const kernel = async (m: typeof initial) => m.namedWeights().find((w) => w.name.endsWith('kernel'))!.tensor.read();
        const [after, before] = await Promise.all([kernel(restored), kernel(initial)]);
        expect(after.length).to.equal(before.length);
        expect(after.some((v, i) => Math.abs(v - before[i]!) > 1e-6), 'epoch 1 moved the weights').to.equal(true);
        expect(after.every(Number.isFinite)).to.equal(true);
      } finally {
        restored.dispose();
        initial.dispose();
      }

      // Resume trains the two epochs left on the new GPU, counting on from step 2.
      const resume = root(trainer).querySelector<HTMLButtonElement>('button.pause')!;
      expect(resume.disabled).to.equal(false);
      expect(resume.textContent!.trim()).to.equal('Resume');
      const secondEnd = oneEvent(trainer, 'cnn-train-end');
      resume.click();
      const done = ((await secondEnd) as CustomEvent<TrainEndDetail>).detail;
      expect(done.reason).to.equal('completed');
      expect(done.steps).to.equal(6);
      expect(done.model!.engine).to.equal(fresh);
      expect(trainer.state).to.equal('done');
      expect(done.curves.test[0]!.step, 'the curves go on from before the loss').to.equal(0);
      expect(trainer.keptEpoch).to.deep.equal({ epoch: 3, step: 6 });
      expect(lostNotice(trainer), 'the notice goes once training runs again').to.equal(null);
    } finally {
      served.revoke();
    }
  });
});
