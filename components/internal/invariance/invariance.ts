import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import {
  drawFeatureMaps,
  endsInSoftmax,
  invarianceSweep,
  isTransformKind,
  softmax,
  sweepValues,
  TRANSFORMS,
  WebGpuUnavailableError,
  type FeatureMaps,
  type InvarianceSweep,
  type Tensor,
  type TransformKind,
} from '../../../src/index.js';
import { tokens } from '../theme.js';
import { sharedEngine, type Model } from '../shared-engine.js';
import { CnnElement, type CnnErrorDetail } from '../cnn-element.js';
import { ElementError } from '../errors.js';
import { defaultLayer, fmt, parseLabels, parseNames, parseRange, pickChannels } from '../attributes.js';
import { copySource, canvasPixels, drawInput, LatestImageLoader, type Fit, type InputSource } from '../image-pixels.js';
import { legendGradient } from '../describe.js';
import { invarianceStyles } from './styles.js';
import { invarianceText, type InvarianceStrings } from './messages.js';
import { chartBox, heatmap, heatmapHeight, lineChart, SERIES_COLOURS, type Series } from './plot.js';
import { imageOf, responseOf, type Response } from './response.js';
import type { Fields } from '../url-state.js';

export type InvarianceState = 'idle' | 'unsupported' | 'loading' | 'deferred' | 'waiting' | 'running' | 'ready' | 'error';
export type Loading = 'eager' | 'lazy';

/** `cnn-ready`: a sweep is drawn. */
export interface InvarianceReadyDetail {
  model: string;
  transform: TransformKind;
  /** The transformation's parameter at each step. */
  values: number[];
  /** 'classes' for a classifier (probabilities of its top classes), 'embedding' otherwise (cosine similarity of the output). */
  response: 'classes' | 'embedding';
  /** Classifiers: each class plotted, with its probability at each step. */
  classes: { index: number; label: string; probabilities: number[] }[];
  /** Embeddings: the output's cosine similarity to the untransformed input's, at each step. */
  similarity: number[] | null;
  /** Every layer compared: its maps' cosine similarity to the untransformed maps, at each step. */
  layers: { name: string; className: string; similarity: number[] }[];
  /** Milliseconds from the start of the sweep to the drawn plots. */
  ms: number;
}
export type InvarianceErrorDetail = CnnErrorDetail<'webgpu' | 'model' | 'image' | 'run' | 'labels'>;

const KINDS = Object.keys(TRANSFORMS) as TransformKind[];
const UNIT_KEYS = {
  rotation: 'unitRotation', scale: 'unitScale', translation: 'unitTranslation', brightness: 'unitBrightness',
  contrast: 'unitContrast', blur: 'unitBlur', noise: 'unitNoise',
} as const;

/**
 * What a CNN cannot do: for one input, a transformation (rotation, scale, translation, brightness,
 * contrast, blur or noise) is swept over a range, the whole sweep runs through the network as one
 * batch on the GPU, and the response is plotted against the parameter: for a classifier the
 * probability of each of its top classes (a rotated 6 becoming a 9), for an embedding network the
 * cosine similarity of its output to the untransformed input's (a face under rotation, scale and
 * lighting), and for every layer the similarity of its feature maps to the untransformed ones
 * (which layers keep their answer, and where it breaks). A slider scrubs the transformation and
 * shows the transformed input and a few layers' feature maps at that point.
 *
 * @example
 * <cnn-invariance model="models/mnist/model.json" src="six.png" transform="rotation" range="-180 180" labels="0,1,2,3,4,5,6,7,8,9"></cnn-invariance>
 *
 * @fires cnn-ready - A sweep is drawn. detail: {model, transform, values, response, classes, similarity, layers, ms}
 * @fires cnn-error - Something failed; shown in place. detail: {message, phase: 'webgpu' | 'model' | 'image' | 'run' | 'labels', error}
 * @csspart base - The element's box. @csspart controls - The transformation menu and the slider.
 * @csspart response - The response chart. @csspart layers - The per-layer heat map.
 * @csspart frames - The untransformed and transformed inputs. @csspart maps - Feature maps at the scrubbed value.
 * @csspart progress - The loading indicator. @csspart notice - The no-WebGPU or error box.
 * @cssprop --cnn-plot-width - Widest the charts are drawn (460px). @cssprop --cnn-frame-size - Width of the input pictures (112px).
 * @cssprop --cnn-map-tile-size - Width of a feature-map tile at the scrubbed value (44px).
 * @cssprop --cnn-fg, --cnn-bg, --cnn-surface, --cnn-border, --cnn-muted, --cnn-accent, --cnn-error - Colours.
 * @cssprop --cnn-font, --cnn-mono, --cnn-radius - Type and corners.
 */
export class CnnInvariance extends CnnElement {
  static override styles = [tokens, invarianceStyles];

  /** URL of a TensorFlow.js layers model.json (weights beside it). */
  @property() model = '';
  /** URL of the image to transform. */
  @property() src = '';
  /** 'rotation', 'scale', 'translation', 'brightness', 'contrast', 'blur' or 'noise'. */
  @property() transform: TransformKind = 'rotation';
  /** The sweep's range, "from to" in the transformation's unit; empty: its default range. */
  @property() range = '';
  /** Values in the sweep, ends included (the batch is one more: the untransformed input). */
  @property({ type: Number }) steps = 13;
  /** The layers compared (space or comma separated); empty: every layer but the input and identities. */
  @property() layers = '';
  /** Layers whose feature maps are drawn at the scrubbed value; empty: the first, middle and last spatial ones. */
  @property() maps = '';
  /** Channels drawn per layer at the scrubbed value: a count, "all", or a list ("0, 3, 5-7"). */
  @property() channels = '4';
  /** Class names of a classifier: a JSON array, a comma-separated list, or a URL of a JSON array. */
  @property() labels = '';
  /** How many classes to plot: the top ones of the untransformed input, plus any class that wins somewhere in the sweep. */
  @property({ attribute: 'top-k', type: Number }) topK = 3;
  /** The values black and white pixels become ("0 1"; "0 255" for models that expect bytes). */
  @property({ attribute: 'input-range' }) inputRange = '0 1';
  /** How an image of another aspect ratio becomes the model's input: 'cover', 'contain' or 'fill'. */
  @property() fit: Fit = 'cover';
  /** 'lazy': load the model and run the sweep only once the element is near the viewport. */
  @property() loading: Loading = 'eager';
  /** The scrubbed step (0 … steps − 1); −1: the step nearest the untransformed input. */
  @property({ type: Number }) position = -1;
  /** What the element is doing (reflected). Read-only. */
  @property({ reflect: true }) state: InvarianceState = 'idle';

  @state() private response: Response | null = null;
  @state() private snapshots: { name: string; pair: FeatureMaps[]; similarity: number }[] = [];

  private net: Model | null = null;
  private netName = '';
  private sweep: InvarianceSweep | null = null;
  private frames: ImageData[] = [];
  private lastSource: HTMLCanvasElement | null = null;
  private labelList: string[] = [];
  private dirty = false;
  private running = false;
  private visible = false;
  private observer: IntersectionObserver | null = null;
  private mapSeq = 0;
  private readonly srcLoader = new LatestImageLoader();
  private painted: unknown = null;

  // ---- public API ----

  /** What the last sweep gave (the same as the last cnn-ready's detail), or null. */
  get result(): Readonly<InvarianceReadyDetail> | null {
    return this.response?.detail ?? null;
  }

  /** The model swept (loaded from `model` or given to `setModel`), or null. */
  get loadedModel(): Model | null {
    return this.net;
  }

  /** The batch fed to the network, [steps + 1, h, w, c] (image 0 untransformed), while a sweep is shown. */
  get inputs(): Tensor | null {
    return this.sweep?.inputs ?? null;
  }

  /** Every layer's output for the batch, while a sweep is shown. */
  layerOutput(name: string): Tensor | null {
    return this.sweep?.activations.outputs.get(name) ?? null;
  }

  /** Sweeps `model` (not disposed by the element) instead of the `model` URL. */
  setModel(model: Model, name = model.name): void {
    this.cancelModelLoad();
    this.net = model;
    this.netName = name;
    this.problem = null;
    this.request();
  }

  /** Sweeps a transformation of `source` (an image, canvas, video frame or ImageData). */
  setInput(source: InputSource): void {
    this.lastSource = copySource(source);
    this.request();
  }

  // ---- shareable state (with the url-state attribute) ----

  /** The transformation, its range when not the default, and the step the reader scrubbed to. */
  protected override urlFields(): Fields {
    return { transform: this.kind(), range: this.range.trim() || null, at: this.position >= 0 ? String(this.position) : null };
  }

  protected override restoreUrlFields(f: Record<string, string>): void {
    if (isTransformKind(f.transform)) this.transform = f.transform;
    if (f.range) this.range = f.range;
    const at = Number(f.at);
    if (f.at && Number.isInteger(at) && at >= 0) this.position = at;
  }

  // ---- lifecycle ----

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.loading === 'lazy' && typeof IntersectionObserver !== 'undefined') {
      this.observer = new IntersectionObserver((entries) => {
        if (!entries.some((e) => e.isIntersecting)) return;
        this.observer?.disconnect();
        this.observer = null;
        this.becomeVisible();
      }, { rootMargin: '200px' });
      this.observer.observe(this);
    } else {
      this.visible = true;
    }
    if (this.sweep === null && this.net && this.lastSource) this.request();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.observer?.disconnect();
    this.observer = null;
    this.srcLoader.cancel();
    this.sweep?.dispose();
    this.sweep = null;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('labels')) void this.loadLabels();
    if (!this.visible) {
      if (!this.unsupported && this.state === 'idle') this.state = 'deferred';
      return;
    }
    if (changed.has('model') && this.model) void this.loadModel();
    if (changed.has('src') && this.src) void this.loadSrc();
    const resweep = ['transform', 'range', 'steps', 'layers', 'inputRange', 'fit'].some((k) => changed.has(k as keyof CnnInvariance));
    if (resweep && changed.size > 0 && (this.net || this.lastSource) && !changed.has('model') && !changed.has('src')) this.request();
    if (changed.has('topK') && this.sweep) this.response = this.describe(this.sweep, this.response?.detail.ms ?? 0);
    if ((changed.has('position') || changed.has('maps') || changed.has('channels')) && this.sweep) {
      this.drawMaps().catch((err: unknown) => this.fail('run', err, invarianceText.msg(this, 'runFailed')));
    }
  }

  protected override updated(): void {
    this.paint();
  }

  private becomeVisible(): void {
    this.visible = true;
    if (this.state === 'deferred') this.state = 'idle';
    if (this.model && !this.net) void this.loadModel();
    if (this.src && !this.lastSource) void this.loadSrc();
    this.request();
  }

  // ---- rendering ----

  override render(): TemplateResult {
    if (this.unsupported) return html`<div part="base">${this.renderUnsupported()}</div>`;
    const t = invarianceText.strings(this);
    const r = this.response;
    return html`<div part="base">
      ${this.renderProblem()} ${this.state === 'loading' ? this.renderLoading() : nothing}
      ${this.renderControls(t)}
      ${this.state === 'deferred' ? html`<p class="status" role="status">${t('deferred')}</p>` : nothing}
      ${this.state === 'waiting' ? html`<p class="status" role="status">${t('waiting')}</p>` : nothing}
      ${this.state === 'running' ? html`<p class="status" role="status">${t('running', { n: this.stepCount() + 1 })}</p>` : nothing}
      ${r ? this.renderBody(t, r) : nothing}
    </div>`;
  }

  private renderControls(t: InvarianceStrings): TemplateResult {
    const r = this.response;
    const at = this.at();
    const kind = this.kind();
    return html`<div class="controls" part="controls">
      <label>${t('transform')}
        <select @change=${(e: Event) => this.chooseTransform((e.target as HTMLSelectElement).value)}>
          ${KINDS.map((k) => html`<option value=${k} ?selected=${k === kind}>${t(k)}</option>`)}
        </select>
      </label>
      ${r
        ? html`<label>${t('scrub', { kind: t(kind) })}
              <input type="range" min="0" max=${r.detail.values.length - 1} step="1" .value=${String(at)} aria-valuetext=${this.valueText(t, at)}
                @input=${(e: Event) => (this.position = Number((e.target as HTMLInputElement).value))} />
            </label>
            <output class="value">${this.valueText(t, at)}</output>`
        : nothing}
    </div>`;
  }

  private renderBody(t: InvarianceStrings, r: Response): TemplateResult {
    const d = r.detail;
    const kind = t(d.transform);
    const at = this.at();
    const unit = `${t(d.transform)} (${t(UNIT_KEYS[d.transform])})`;
    const series: Series[] = d.response === 'classes'
      ? d.classes.map((c, i) => ({ label: c.label, values: c.probabilities, colour: SERIES_COLOURS[i % SERIES_COLOURS.length]! }))
      : [{ label: 'similarity', values: d.similarity!, colour: SERIES_COLOURS[0]! }];
    const yMin = d.response === 'classes' ? 0 : Math.min(0, ...d.similarity!.filter(Number.isFinite));
    const summary = d.response === 'classes'
      ? d.classes.map((c) => t('classSummary', { label: c.label, min: pct(Math.min(...c.probabilities)), max: pct(Math.max(...c.probabilities)) })).join(' ')
      : t('embeddingSummary', { min: fmt(Math.min(...d.similarity!)), at: fmt(d.values[d.similarity!.indexOf(Math.min(...d.similarity!))]!) });
    const what = d.response === 'classes' ? t('responseClasses') : t('responseEmbedding');
    const heat = heatmapHeight(d.layers.length);
    const layersSummary = d.layers.map((l) => t('layerSummary', { layer: l.name, min: fmt(Math.min(...l.similarity.filter(Number.isFinite))), max: fmt(Math.max(...l.similarity.filter(Number.isFinite))) })).join('; ');
    return html`<div class="body">
      <div class="charts">
        <figure part="response">
          <figcaption>${what}</figcaption>
          <svg class="response" viewBox=${chartBox()} role="img" aria-label=${t('responseAria', { what, kind, from: fmt(d.values[0]!), to: fmt(d.values[d.values.length - 1]!), summary })}>
            ${lineChart(d.values, series, { yMin, yMax: 1, at, unit })}
          </svg>
          ${d.response === 'classes'
            ? html`<ul class="legend">${series.map((s) => html`<li><i style="background: ${s.colour}"></i>${t('classLabel', { label: s.label })}</li>`)}</ul>`
            : nothing}
        </figure>
        <figure part="layers">
          <figcaption>${t('layersTitle')}</figcaption>
          <svg class="layers" viewBox="0 0 460 ${heat.height}" role="img" aria-label=${t('layersAria', { n: d.layers.length, m: d.values.length, kind, summary: layersSummary })}>
            ${heatmap(d.values, d.layers.map((l) => ({ name: l.name, values: l.similarity })), { at })}
          </svg>
          <p class="legend">${t('similarityLow')} <i class="ramp" style="background: ${legendGradient('sequential')}"></i> ${t('similarityHigh')}</p>
        </figure>
      </div>
      <div class="scrubbed">
        <div class="frames" part="frames">
          <figure><canvas class="frame original pixels" role="img" aria-label=${t('original')}></canvas><figcaption>${t('original')}</figcaption></figure>
          <figure><canvas class="frame transformed pixels" role="img" aria-label=${t('transformed', { value: this.valueText(t, at) })}></canvas><figcaption>${t('transformed', { value: this.valueText(t, at) })}</figcaption></figure>
        </div>
        <div class="readout" aria-live="polite">${this.renderReadout(t, r, at)}</div>
        <div class="maps" part="maps">
          ${this.snapshots.length ? html`<figcaption>${t('mapsTitle', { value: this.valueText(t, at) })}</figcaption>` : nothing}
          ${this.snapshots.map((s, si) => html`<figure>
            <figcaption>${t('mapsCaption', { layer: s.name, s: fmt(s.similarity) })}</figcaption>
            ${s.pair.map((m, row) => html`<div class="tiles" data-row=${row === 0 ? 'original' : 'transformed'}>
              <span class="row-label">${row === 0 ? t('original') : this.valueText(t, at)}</span>
              ${m.channels.map((_, ti) => html`<canvas class="pixels" data-map=${si} data-row=${row} data-tile=${ti} width=${m.tileWidth} height=${m.tileHeight}></canvas>`)}
            </div>`)}
          </figure>`)}
        </div>
      </div>
    </div>`;
  }

  private renderReadout(t: InvarianceStrings, r: Response, at: number): TemplateResult {
    const d = r.detail;
    if (d.response === 'embedding') return html`${t('embeddingAt', { s: fmt(d.similarity![at]!) })}`;
    const ranked = [...d.classes].sort((a, b) => b.probabilities[at]! - a.probabilities[at]!);
    return html`${t('predicted')}
      <ol>${ranked.map((c) => html`<li>${t('classLabel', { label: c.label })}<span class="pct">${pct(c.probabilities[at]!)}</span></li>`)}</ol>`;
  }

  private valueText(t: InvarianceStrings, at: number): string {
    const v = this.response?.detail.values[at];
    return v === undefined ? '' : t('scrubValue', { kind: t(this.response!.detail.transform), value: `${fmt(v)}${TRANSFORMS[this.response!.detail.transform].unit === '°' ? '°' : ''}` });
  }

  private paint(): void {
    const root = this.renderRoot;
    const at = this.at();
    const key = [this.response, at, this.snapshots];
    if (this.painted && (this.painted as unknown[]).every((v, i) => v === key[i])) return;
    this.painted = key;
    const draw = (sel: string, img: ImageData | undefined) => {
      const c = root.querySelector<HTMLCanvasElement>(sel);
      if (!c || !img) return;
      c.width = img.width;
      c.height = img.height;
      c.getContext('2d')!.putImageData(img, 0, 0);
    };
    draw('canvas.frame.original', this.frames[0]);
    draw('canvas.frame.transformed', this.frames[at + 1]);
    this.snapshots.forEach((s, si) => s.pair.forEach((m, row) => {
      const image = new ImageData(m.rgba, m.width, m.height);
      for (const c of root.querySelectorAll<HTMLCanvasElement>(`canvas[data-map="${si}"][data-row="${row}"]`)) {
        const ti = Number(c.dataset.tile);
        c.getContext('2d')!.putImageData(image, -ti * m.tileWidth, 0, ti * m.tileWidth, 0, m.tileWidth, m.tileHeight);
      }
    }));
  }

  // ---- choices ----

  private kind(): TransformKind {
    return isTransformKind(this.transform) ? this.transform : 'rotation';
  }

  private stepCount(): number {
    return Number.isInteger(this.steps) && this.steps >= 2 ? Math.min(this.steps, 64) : 13;
  }

  /** The scrubbed step: `position`, or the step nearest the identity. */
  private at(): number {
    const values = this.response?.detail.values;
    if (!values) return 0;
    if (Number.isInteger(this.position) && this.position >= 0 && this.position < values.length) return this.position;
    const id = TRANSFORMS[this.response!.detail.transform].identity;
    return values.reduce((best, v, i) => (Math.abs(v - id) < Math.abs(values[best]! - id) ? i : best), 0);
  }

  private chooseTransform(kind: string): void {
    if (!isTransformKind(kind)) return;
    this.range = '';
    this.position = -1;
    this.transform = kind;
  }

  // ---- loading ----

  /** After a lost GPU: the `model` URL loads again on the new engine and the sweep runs again (a model given by script cannot be). */
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
      this.request();
    } catch (err) {
      this.fail('model', err, invarianceText.msg(this, 'modelFailed', { url }));
    }
  }

  private async loadSrc(): Promise<void> {
    if (this.unsupported) return;
    try {
      const img = await this.srcLoader.load(this.src);
      if (img) this.setInput(img);
    } catch (err) {
      this.fail('image', err, invarianceText.msg(this, 'imageFailed'))
    }
  }

  private async loadLabels(): Promise<void> {
    try {
      const parsed = parseLabels(this.labels);
      if (parsed) this.labelList = parsed;
      else {
        const res = await fetch(new URL(this.labels, document.baseURI));
        if (!res.ok) throw new ElementError('cnn-invariance', `${this.labels}: HTTP ${res.status}`);
        const json: unknown = await res.json();
        if (!Array.isArray(json)) throw new ElementError('cnn-invariance', `${this.labels} is not a JSON array`);
        this.labelList = json.map(String);
      }
      if (this.sweep) this.response = this.describe(this.sweep, this.response?.detail.ms ?? 0);
    } catch (err) {
      this.handleFailure('labels', err, invarianceText.msg(this, 'runFailed'));
    }
  }

  // ---- sweeping ----

  /** Asks for a sweep with the current model, input and settings (several asks make one sweep). */
  private request(): void {
    this.dirty = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.running || this.unsupported || !this.isConnected || !this.visible) return;
    if (!this.net) return;
    if (!this.lastSource) {
      this.state = 'waiting';
      return;
    }
    this.running = true;
    try {
      while (this.dirty && this.net && this.lastSource) {
        this.dirty = false;
        await this.runSweep(this.net, this.lastSource);
      }
    } catch (err) {
      this.fail('run', err, invarianceText.msg(this, 'runFailed'));
    } finally {
      this.running = false;
    }
  }

  private async runSweep(model: Model, source: HTMLCanvasElement): Promise<void> {
    const t0 = performance.now();
    const engine = await sharedEngine();
    if (model.inputShape.length !== 3) throw new ElementError('cnn-invariance', `the sweep transforms images (input [height, width, channels]); this model's input is [${model.inputShape.join(', ')}]`);
    const [h, w, c] = model.inputShape as [number, number, number];
    const kind = this.kind();
    const range = this.parsedRange(kind);
    const values = sweepValues(range, this.stepCount());
    const inputRange = parseRange(this.inputRange);
    const names = parseNames(this.layers);
    const layers = names.length
      ? names.filter((n) => model.layers.some((l) => l.name === n))
      : model.layers.filter((l) => l.name !== model.inputName && defaultLayer(l.className)).map((l) => l.name);
    this.state = 'running';
    const canvas = drawInput(source, w, h, this.fit);
    const x = engine.tensor(canvasPixels(canvas, c, inputRange), [1, h, w, c]);
    let sweep: InvarianceSweep;
    try {
      sweep = await invarianceSweep(engine, model, x, kind, values, { inputRange, layers });
    } finally {
      x.dispose();
    }
    if (!this.isConnected || model !== this.net) {
      sweep.dispose();
      return;
    }
    const pixels = await sweep.inputs.read();
    this.sweep?.dispose();
    this.sweep = sweep;
    this.frames = Array.from({ length: values.length + 1 }, (_, b) => imageOf(pixels, b, h, w, c, inputRange));
    this.response = this.describe(sweep, performance.now() - t0);
    this.problem = null;
    await this.drawMaps();
    this.state = 'ready';
    await this.updateComplete;
    this.response = this.describe(sweep, performance.now() - t0);
    await this.updateComplete;
    this.emit<InvarianceReadyDetail>('cnn-ready', this.response.detail);
  }

  private parsedRange(kind: TransformKind): [number, number] {
    const text = this.range.trim();
    if (!text) return [...TRANSFORMS[kind].range];
    const parts = text.split(/[\s,]+/).map(Number);
    if (parts.length !== 2 || !parts.every(Number.isFinite)) throw new ElementError('cnn-invariance', invarianceText.msg(this, 'badRange', { range: text }));
    return [parts[0]!, parts[1]!];
  }

  private describe(sweep: InvarianceSweep, ms: number): Response {
    const model = this.net!;
    const classifier = sweep.outputShape.length === 2 && (endsInSoftmax(model) || this.labelList.length > 0);
    return responseOf(sweep, {
      model: this.netName, outputName: model.outputName, classifier,
      probabilities: endsInSoftmax(model), labels: this.labelList, topK: Math.max(1, this.topK), ms, softmax,
    });
  }

  /** Draws the chosen layers' maps for the untransformed input and at the scrubbed step, each pair on one scale. */
  private async drawMaps(): Promise<void> {
    const sweep = this.sweep;
    const model = this.net;
    if (!sweep || !model || !this.response) return;
    const seq = ++this.mapSeq;
    const engine = await sharedEngine();
    const at = this.at();
    const d = this.response.detail;
    const spatial = d.layers.filter((l) => model.layer(l.name).outputShape.length === 3);
    const wanted = parseNames(this.maps);
    const chosen = wanted.length
      ? spatial.filter((l) => wanted.includes(l.name))
      : [...new Set([0, Math.floor((spatial.length - 1) / 2), spatial.length - 1])].filter((i) => i >= 0 && i < spatial.length).map((i) => spatial[i]!);
    const out: { name: string; pair: FeatureMaps[]; similarity: number }[] = [];
    for (const l of chosen) {
      // A newer sweep, or the element leaving the page, disposes this one's tensors: stop drawing them.
      const t = sweep.activations.outputs.get(l.name);
      if (!t || sweep !== this.sweep || seq !== this.mapSeq) return;
      const [, hh, ww, cc] = t.shape as [number, number, number, number];
      const slices = [0, at + 1].map((b) => engine.slice(t, [b, 0, 0, 0], [1, hh, ww, cc]));
      try {
        const channels = pickChannels(this.channels, cc, 4);
        const pair = await drawFeatureMaps(engine, slices.map((s, i) => ({ name: `${l.name}#${i}`, className: l.className, tensor: s, channels })), { normalize: 'global' });
        out.push({ name: l.name, pair, similarity: l.similarity[at]! });
      } finally {
        for (const s of slices) s.dispose();
      }
    }
    if (seq === this.mapSeq) this.snapshots = out;
  }

  // ---- state ----

  protected override setState(s: InvarianceState): void {
    this.state = s;
  }

  private fail(phase: InvarianceErrorDetail['phase'], err: unknown, title: string): void {
    if (!(err instanceof WebGpuUnavailableError)) this.state = 'error';
    this.handleFailure(phase, err, title);
  }
}

function pct(p: number): string {
  return `${(p * 100).toFixed(p >= 0.995 || p < 0.001 ? 0 : 1)}%`;
}

