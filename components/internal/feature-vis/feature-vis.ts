import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { convLayers, explain, WebGpuUnavailableError, type Layer } from '../../../src/index.js';
import { tokens } from '../theme.js';
import { sharedEngine, type Model } from '../shared-engine.js';
import type { Fields } from '../url-state.js';
import { CnnElement, type CnnErrorDetail } from '../cnn-element.js';
import { ElementError } from '../errors.js';
import { fmt, parseRange, pickChannels } from '../attributes.js';
import type { Fit } from '../image-pixels.js';
import { featureVisStyles } from './styles.js';
import { featureVisText, type FeatureVisStrings } from './messages.js';
import { loadDataset, paint, toImageData, type Dataset } from './dataset.js';

export type FeatureVisState = 'idle' | 'unsupported' | 'loading' | 'deferred' | 'running' | 'stopped' | 'ready' | 'error';
export type Loading = 'eager' | 'lazy';

/** `cnn-ready`: the run finished its steps. */
export interface FeatureVisReadyDetail {
  model: string;
  layer: string;
  channels: number[];
  steps: number;
  /** Each channel's objective at the last step (its mean before the activation, where it has one). */
  objectives: number[];
  /** Milliseconds from the first step to the last. */
  ms: number;
}
/** `cnn-layer-select`: a tile was opened large. */
export interface FeatureVisSelectDetail {
  layer: string;
  className: string;
  channel: number;
  shape: number[];
}
export type FeatureVisErrorDetail = CnnErrorDetail<'webgpu' | 'model' | 'dataset' | 'run'>;

/** One dataset example as drawn: the crop and what it is. */
interface ExampleView extends explain.DatasetExample {
  image: ImageData;
}

type Examples = { channel: number; list: ExampleView[] | null; error?: string };

/**
 * What the units of a layer look for: for each chosen channel an image optimised on the GPU until
 * it drives that channel hard (explain.featureVis: decorrelated Fourier parameterisation,
 * random shifts, scales and rotations each step), all channels as one batch, drawn as they form.
 * A tile opens large beside its dataset examples: the inputs of a dataset that drive the channel
 * hardest, cut to the receptive field of the unit where it fires (explain.datasetExamples).
 *
 * @example
 * <cnn-feature-vis model="models/mnist/model.json" layer="conv2" channels="8" dataset="data/mnist-subset/"></cnn-feature-vis>
 *
 * @fires cnn-ready - The steps are done. detail: {model, layer, channels, steps, objectives, ms}
 * @fires cnn-layer-select - A tile was opened. detail: {layer, className, channel, shape}
 * @fires cnn-error - Something failed; shown in place. detail: {message, phase: 'webgpu' | 'model' | 'dataset' | 'run', error}
 * @csspart base - The element's box. @csspart controls - The title, step count and buttons.
 * @csspart grid - The optimised images. @csspart tile - One channel's button; @csspart tile-canvas - its image.
 * @csspart detail - The opened image with its dataset examples. @csspart examples - The examples.
 * @csspart progress - The loading indicator. @csspart notice - The no-WebGPU or error box.
 * @cssprop --cnn-tile-size - Width of a tile (84px). @cssprop --cnn-detail-size - Width of the opened image (224px).
 * @cssprop --cnn-example-size - Width of a dataset example (72px). @cssprop --cnn-gap - Space between tiles.
 * @cssprop --cnn-fg, --cnn-bg, --cnn-surface, --cnn-border, --cnn-muted, --cnn-accent, --cnn-error - Colours.
 * @cssprop --cnn-font, --cnn-mono, --cnn-radius - Type and corners.
 */
export class CnnFeatureVis extends CnnElement {
  static override styles = [tokens, featureVisStyles];

  /** URL of a TensorFlow.js layers model.json (weights beside it). */
  @property() model = '';
  /** The layer whose channels are shown; empty: the first convolution. */
  @property() layer = '';
  /** Channels: a count ("8": the first 8), "all", or a list ("0, 3, 5-7"). */
  @property() channels = '8';
  /** Gradient steps of the optimisation. */
  @property({ type: Number }) steps = 128;
  /** Seed of the starting images and the random transformations: the same seed, the same images. */
  @property({ type: Number }) seed = 1;
  /** Where dataset examples come from: a folder of MNIST idx files (ending in "/"), or image URLs separated by spaces. */
  @property({ attribute: 'dataset' }) examplesFrom = '';
  /** Dataset examples per channel. */
  @property({ type: Number }) examples = 6;
  /** The values black and white pixels stand for in the model's input ("0 1"; "0 255" for models that expect bytes). */
  @property({ attribute: 'input-range' }) inputRange = '0 1';
  /** How a dataset image of another aspect ratio becomes the model's input: 'cover', 'contain' or 'fill'. */
  @property() fit: Fit = 'cover';
  /** 'lazy': load the model and start only once the element is near the viewport. */
  @property() loading: Loading = 'eager';
  /** What the element is doing (reflected). Read-only. */
  @property({ reflect: true }) state: FeatureVisState = 'idle';
  /** A channel to open large (beside its dataset examples) once its tile is drawn. */
  @property({ attribute: 'open-channel', type: Number }) openChannel: number | null = null;

  @state() private step = 0;
  @state() private total = 0;
  @state() private tiles: ImageData[] = [];
  @state() private objectives: number[] = [];
  @state() private shown: { layer: Layer; channels: number[] } | null = null;
  @state() private opened: number | null = null;
  private pendingOpen: number | null = null;
  @state() private examplesView: Examples | null = null;
  @state() private focusAt = 0;
  @state() private seconds = 0;

  private net: Model | null = null;
  private netName = '';
  private run: explain.FeatureVisRun | null = null;
  private runSeq = 0;
  private reading = false;
  private visible = false;
  private heldOffscreen = false;
  private observer: IntersectionObserver | null = null;
  private data: Dataset | null = null;
  private dataKey = '';
  /** Datasets given to setDataset so far (each keys its own examples). */
  private datasets = 0;
  private dataAbort: AbortController | null = null;
  private found = new Map<string, explain.DatasetExample[][]>();

  // ---- public API ----

  /** The model shown (loaded from `model` or given to `setModel`), or null. */
  get loadedModel(): Model | null {
    return this.net;
  }

  /** The optimised images so far, one per channel shown, as drawn. */
  get images(): readonly ImageData[] {
    return this.tiles;
  }

  /** The channels shown and their layer, once a run has begun. */
  get shownChannels(): { layer: string; channels: number[] } | null {
    return this.shown ? { layer: this.shown.layer.name, channels: [...this.shown.channels] } : null;
  }

  /** Steps taken by the current run. */
  get stepsTaken(): number {
    return this.step;
  }

  /** Optimises images for `model` (not disposed by the element) instead of the `model` URL. */
  setModel(model: Model, name = model.name): void {
    this.cancelModelLoad();
    this.net = model;
    this.netName = name;
    this.found.clear();
    this.problem = null;
    void this.start();
  }

  /** Dataset examples from these inputs, [count, h, w, c] in the model's input range, instead of the `dataset` attribute. */
  setDataset(pixels: Float32Array, count: number): void {
    const [h, w, c] = (this.net?.inputShape ?? [0, 0, 0]) as [number, number, number];
    this.data = { pixels, count, h, w, c };
    this.dataKey = `given:${++this.datasets}`;
    this.found.clear();
    if (this.opened !== null) void this.showExamples(this.opened);
  }

  /** Holds the optimisation after the current step. */
  stop(): void {
    if (this.state !== 'running' || !this.run) return;
    this.run.pause();
    this.state = 'stopped';
  }

  /** Goes on from where `stop()` held it. */
  resume(): void {
    if (this.state !== 'stopped' || !this.run) return;
    if (!this.heldOffscreen) this.run.resume();
    this.state = 'running';
  }

  /** Starts again from fresh images. */
  restart(): void {
    void this.start();
  }

  /** Opens channel tile `index` large beside its dataset examples (null closes it). */
  openTile(index: number | null): void {
    if (index === null || !this.shown || index < 0 || index >= this.shown.channels.length) {
      const was = this.opened;
      this.opened = null;
      this.examplesView = null;
      if (was !== null) void this.updateComplete.then(() => this.tileButton(was)?.focus());
      return;
    }
    this.opened = index;
    this.focusAt = index;
    const layer = this.shown.layer;
    this.emit<FeatureVisSelectDetail>('cnn-layer-select', { layer: layer.name, className: layer.className, channel: this.shown.channels[index]!, shape: [1, ...layer.outputShape] });
    void this.showExamples(index);
  }

  // ---- shareable state (the url-state attribute) ----

  /** The layer, the channels asked for, and the channel opened large. */
  protected override urlFields(): Fields {
    const opened = this.opened !== null && this.shown ? this.shown.channels[this.opened] : undefined;
    return {
      layer: this.layer && this.layer !== (this.getAttribute('layer') ?? '') ? this.layer : null,
      channels: this.channels !== (this.getAttribute('channels') ?? '8') ? this.channels : null,
      open: opened === undefined ? null : String(opened),
    };
  }

  protected override restoreUrlFields(f: Record<string, string>): void {
    if (f.layer) this.layer = f.layer;
    if (f.channels) this.channels = f.channels;
    const open = Number(f.open);
    this.pendingOpen = f.open && Number.isInteger(open) && open >= 0 ? open : null;
    this.applyPendingOpen();
  }

  /** Opens the tile of the channel a link named, once that channel's tile exists. */
  private applyPendingOpen(): void {
    if (this.pendingOpen === null || !this.shown) return;
    const index = this.shown.channels.indexOf(this.pendingOpen);
    this.pendingOpen = null;
    if (index >= 0) this.openTile(index);
  }

  // ---- lifecycle ----

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.loading === 'lazy' && typeof IntersectionObserver !== 'undefined') {
      // Kept on: a lazy element also holds its run while it is out of view, so a page of them
      // spends the GPU on what the reader sees.
      this.observer = new IntersectionObserver((entries) => {
        const seen = entries.some((e) => e.isIntersecting);
        if (seen && !this.visible) this.becomeVisible();
        this.holdOffscreen(!seen);
      }, { rootMargin: '200px' });
      this.observer.observe(this);
    } else {
      this.visible = true;
      if (this.net && !this.run && this.state !== 'ready') void this.start();
    }
  }

  /** Holds (or lets go of) a running optimisation because the element left (or came back into) view. */
  private holdOffscreen(hold: boolean): void {
    if (hold === this.heldOffscreen) return;
    this.heldOffscreen = hold;
    if (this.state !== 'running' || !this.run) return;
    if (hold) this.run.pause();
    else this.run.resume();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.observer?.disconnect();
    this.observer = null;
    this.dataAbort?.abort();
    this.runSeq++;
    this.run?.cancel();
    this.run = null;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!this.visible) {
      if (!this.unsupported && this.state === 'idle') this.state = 'deferred';
      return;
    }
    if (changed.has('openChannel') && this.openChannel !== null && Number.isInteger(this.openChannel) && this.openChannel >= 0) {
      this.pendingOpen = this.openChannel;
      this.applyPendingOpen();
    }
    if (changed.has('model') && this.model) void this.loadModel();
    const rerun = (['layer', 'channels', 'steps', 'seed', 'inputRange'] as const).some((k) => changed.has(k));
    if (rerun && this.net && !changed.has('model') && this.hasUpdated) void this.start();
    if (changed.has('examplesFrom') || changed.has('fit')) {
      this.data = null;
      this.found.clear();
    }
  }

  protected override updated(): void {
    const root = this.renderRoot;
    this.tiles.forEach((img, i) => paint(root.querySelector<HTMLCanvasElement>(`canvas[data-tile="${i}"]`), img));
    if (this.opened !== null) paint(root.querySelector<HTMLCanvasElement>('canvas.large'), this.tiles[this.opened]);
    this.examplesView?.list?.forEach((ex, i) => paint(root.querySelector<HTMLCanvasElement>(`canvas[data-example="${i}"]`), ex.image));
  }

  private becomeVisible(): void {
    this.visible = true;
    if (this.state === 'deferred') this.state = 'idle';
    if (this.model && !this.net) void this.loadModel();
    else if (this.net) void this.start();
  }

  // ---- rendering ----

  override render(): TemplateResult {
    if (this.unsupported) return html`<div part="base">${this.renderUnsupported()}</div>`;
    const t = featureVisText.strings(this);
    return html`<div part="base">
      ${this.renderProblem()} ${this.state === 'loading' ? this.renderLoading() : nothing}
      ${this.state === 'deferred' ? html`<p class="status" role="status">${t('deferred')}</p>` : nothing}
      ${this.shown ? this.renderBody(t, this.shown) : nothing}
    </div>`;
  }

  private renderBody(t: FeatureVisStrings, shown: { layer: Layer; channels: number[] }): TemplateResult {
    const layer = shown.layer.name;
    const running = this.state === 'running';
    const stopped = this.state === 'stopped';
    const status = stopped ? t('stopped', { step: this.step, total: this.total })
      : this.state === 'ready' ? t('done', { total: this.step, seconds: this.seconds.toFixed(1) })
      : running ? t('running', { n: shown.channels.length }) : '';
    return html`<div class="bar" part="controls">
        <h3>${t('title', { layer })}</h3>
        <progress class="steps" max=${this.total} .value=${this.step} aria-label=${t('stepOf', { step: this.step, total: this.total })}></progress>
        <span class="count">${t('stepOf', { step: this.step, total: this.total })}</span>
        ${running ? html`<button class="stop" @click=${() => this.stop()}>${t('stop')}</button>` : nothing}
        ${stopped ? html`<button class="resume" @click=${() => this.resume()}>${t('resume')}</button>` : nothing}
        ${stopped || this.state === 'ready' ? html`<button class="restart" @click=${() => this.restart()}>${t('restart')}</button>` : nothing}
      </div>
      <p class="status" role="status" aria-live="polite">${status}</p>
      <div class="grid" part="grid" role="group" aria-label=${t('gridLabel', { n: shown.channels.length, layer })} @keydown=${this.onGridKey}>
        ${shown.channels.map((c, i) => html`<button class="tile" part="tile" data-index=${i} tabindex=${i === this.focusAt ? 0 : -1}
            aria-pressed=${this.opened === i ? 'true' : 'false'}
            aria-label=${t('tileLabel', { c, layer, v: this.objectives[i] === undefined ? '–' : fmt(this.objectives[i]!) })}
            @click=${() => this.openTile(this.opened === i ? null : i)}>
            <canvas class="pixels" part="tile-canvas" data-tile=${i} width="1" height="1"></canvas>
            <span>${t('channel', { c })}</span>
          </button>`)}
      </div>
      ${this.opened !== null ? this.renderDetail(t, shown, this.opened) : nothing}`;
  }

  private renderDetail(t: FeatureVisStrings, shown: { layer: Layer; channels: number[] }, index: number): TemplateResult {
    const c = shown.channels[index]!;
    const v = this.objectives[index];
    const ex = this.examplesView;
    const k = ex?.list?.length ?? 0;
    return html`<div class="detail" part="detail" @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && this.openTile(null)}>
      <figure>
        <canvas class="large pixels" role="img" aria-label=${t('optimised', { c })}></canvas>
        <figcaption>${t('optimised', { c })}${v === undefined ? '' : html` · ${t('objective', { v: fmt(v) })}`}</figcaption>
      </figure>
      <div class="examples" part="examples">
        ${!this.examplesFrom && !this.data ? html`<p class="status">${t('noDataset')}</p>`
          : ex?.error ? html`<p class="status">${ex.error}</p>`
          : !ex?.list ? html`<p class="status" role="status">${t('examplesLoading', { c })}</p>`
          : html`<h4>${t('examplesTitle', { k, c })}</h4>
            <ol>${ex.list.map((e, i) => html`<li>
              <canvas class="pixels" data-example=${i} role="img" aria-label=${t('example', { index: e.index, y: e.y, x: e.x, layer: shown.layer.name, v: fmt(e.value) })}></canvas>
              <span>${t('exampleCaption', { index: e.index, v: fmt(e.value) })}</span>
            </li>`)}</ol>`}
      </div>
      <button class="close" @click=${() => this.openTile(null)}>${t('close')}</button>
    </div>`;
  }

  private onGridKey = (e: KeyboardEvent): void => {
    const n = this.shown?.channels.length ?? 0;
    if (!n) return;
    const moves: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    let next: number;
    if (e.key in moves) next = Math.min(n - 1, Math.max(0, this.focusAt + moves[e.key]!));
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = n - 1;
    else if (e.key === 'Escape') return this.openTile(null);
    else return;
    e.preventDefault();
    this.focusAt = next;
    void this.updateComplete.then(() => this.tileButton(next)?.focus());
  };

  private tileButton(i: number): HTMLButtonElement | null {
    return this.renderRoot.querySelector<HTMLButtonElement>(`button.tile[data-index="${i}"]`);
  }

  // ---- loading ----

  /** After a lost GPU: the `model` URL loads again on the new engine and the images are optimised again (a model given by script cannot be). */
  protected override async restartAfterLoss(): Promise<boolean | null> {
    if (!this.model) return this.net ? false : null;
    this.net = null;
    await this.loadModel();
    return this.net !== null;
  }

  private async loadModel(): Promise<void> {
    if (this.unsupported) return;
    const url = this.model;
    try {
      const model = await this.loadSharedModel(url);
      if (!model) return;
      this.net = model;
      this.netName = url;
      this.found.clear();
      await this.start();
    } catch (err) {
      this.fail('model', err, featureVisText.msg(this, 'modelFailed', { url }));
    }
  }

  // ---- optimising ----

  private pick(model: Model): { layer: Layer; channels: number[] } {
    if (model.inputShape.length !== 3) throw new ElementError('cnn-feature-vis', featureVisText.msg(this, 'notImages', { shape: model.inputShape.join(', ') }));
    const name = this.layer.trim();
    const layer = name ? model.layers.find((l) => l.name === name) : convLayers(model)[0];
    if (!layer || name === model.inputName || ![1, 3].includes(layer.outputShape.length)) throw new ElementError('cnn-feature-vis', featureVisText.msg(this, 'badLayer', { layer: name }));
    return { layer, channels: pickChannels(this.channels, layer.outputShape[layer.outputShape.length - 1]!, 8) };
  }

  private async start(): Promise<void> {
    const model = this.net;
    if (!model || this.unsupported || !this.isConnected || !this.visible) return;
    const seq = ++this.runSeq;
    const previous = this.run;
    this.run = null;
    previous?.cancel();
    try {
      await previous?.done.then((r) => r.image.dispose(), () => {});
      if (seq !== this.runSeq) return;
      const engine = await sharedEngine();
      const shown = this.pick(model);
      const steps = Number.isInteger(this.steps) && this.steps > 0 ? this.steps : 128;
      const range = parseRange(this.inputRange);
      const [h, w, c] = model.inputShape as [number, number, number];
      const toTiles = (v: Float32Array) => shown.channels.map((_, i) => toImageData(v, [h, w, c], range, undefined, i * h * w * c));
      if (this.shown?.layer !== shown.layer || this.shown.channels.join() !== shown.channels.join()) {
        this.opened = null;
        this.examplesView = null;
        this.focusAt = 0;
        this.tiles = [];
      }
      this.shown = shown;
      this.applyPendingOpen();
      this.problem = null;
      this.step = 0;
      this.total = steps;
      this.objectives = [];
      this.state = 'running';
      const t0 = performance.now();
      const run = explain.featureVis(model, {
        target: shown.channels.map((channel) => ({ layer: shown.layer.name, channel })),
        steps,
        seed: Number.isInteger(this.seed) && this.seed >= 0 ? this.seed : 1,
        range,
        onStep: (s, image, _o, per) => {
          if (seq !== this.runSeq) return;
          this.step = s;
          this.objectives = [...per];
          if (this.reading) return;
          // Drawn as the reads come back: a step whose read would queue behind another is skipped.
          this.reading = true;
          const copy = engine.sum(image, []);
          void copy.read().then((v) => {
            if (seq === this.runSeq) this.tiles = toTiles(v);
          }).catch(() => {}).finally(() => {
            copy.dispose();
            this.reading = false;
          });
        },
      });
      this.run = run;
      if (this.heldOffscreen) run.pause();
      const result = await run.done;
      try {
        if (seq !== this.runSeq) return;
        const v = await result.image.read();
        if (seq !== this.runSeq) return;
        this.tiles = toTiles(v);
        this.objectives = result.objectives;
        this.step = result.steps;
      } finally {
        result.image.dispose();
      }
      this.seconds = (performance.now() - t0) / 1000;
      this.run = null;
      this.state = 'ready';
      await this.updateComplete;
      this.emit<FeatureVisReadyDetail>('cnn-ready', { model: this.netName, layer: shown.layer.name, channels: [...shown.channels], steps: result.steps, objectives: [...result.objectives], ms: this.seconds * 1000 });
    } catch (err) {
      if (seq === this.runSeq) this.fail('run', err, featureVisText.msg(this, 'runFailed'));
    }
  }

  // ---- dataset examples ----

  private async showExamples(index: number): Promise<void> {
    const model = this.net;
    const shown = this.shown;
    if (!model || !shown) return;
    const channel = shown.channels[index]!;
    if (!this.examplesFrom && !this.data) {
      this.examplesView = { channel, list: null };
      return;
    }
    this.examplesView = { channel, list: null };
    try {
      const data = await this.loadData(model);
      const key = `${this.dataKey}|${shown.layer.name}|${shown.channels.join()}|${this.examples}`;
      let found = this.found.get(key);
      if (!found) {
        const engine = await sharedEngine();
        const x = engine.tensor(data.pixels, [data.count, data.h, data.w, data.c]);
        try {
          found = await explain.datasetExamples(model, x, { layer: shown.layer.name, channels: shown.channels, k: Math.max(1, this.examples || 6) });
        } finally {
          x.dispose();
        }
        this.found.set(key, found);
      }
      if (this.opened !== index || this.shown !== shown) return;
      const range = parseRange(this.inputRange);
      const size = data.h * data.w * data.c;
      const list = found[index]!.map((e) => ({ ...e, image: toImageData(data.pixels, [data.h, data.w, data.c], range, e.field, e.index * size) }));
      this.examplesView = { channel, list };
    } catch (err) {
      if (err instanceof WebGpuUnavailableError) return this.fail('webgpu', err, '');
      this.examplesView = { channel, list: null, error: featureVisText.msg(this, 'datasetFailed') };
      this.emitError('dataset', err);
    }
  }

  private async loadData(model: Model): Promise<Dataset> {
    if (this.data) return this.data;
    this.dataAbort?.abort();
    const abort = new AbortController();
    this.dataAbort = abort;
    const data = await loadDataset(this.examplesFrom, model.inputShape as [number, number, number], parseRange(this.inputRange), this.fit, abort.signal);
    this.data = data;
    this.dataKey = `${this.examplesFrom}|${this.fit}|${this.inputRange}`;
    return data;
  }

  // ---- state ----

  protected override setState(s: FeatureVisState): void {
    this.state = s;
  }

  private fail(phase: FeatureVisErrorDetail['phase'], err: unknown, title: string): void {
    if (!(err instanceof WebGpuUnavailableError)) this.state = 'error';
    this.handleFailure(phase, err, title);
  }
}
