import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { colorize, convLayers, endsInSoftmax, explain, softmax, WebGpuUnavailableError, type Engine, type Layer, type Tensor } from '../../../src/index.js';
import { tokens } from '../theme.js';
import { sharedEngine, type Model } from '../shared-engine.js';
import { CnnElement, type CnnErrorDetail } from '../cnn-element.js';
import { ElementError } from '../errors.js';
import { fmt, parseLabels, parseRange } from '../attributes.js';
import type { Fields } from '../url-state.js';
import { copySource, canvasPixels, drawInput, LatestImageLoader, loadImage, type Fit, type InputSource } from '../image-pixels.js';
import { legendGradient } from '../describe.js';
import { ViewerLink } from '../conv-explainer/viewer-link.js';
import { attributionStyles } from './styles.js';
import { attributionText, type AttributionStrings } from './messages.js';
import { defaultWindow, heatmap, METHODS, parseMethod, type Heatmap, type Method } from './compute.js';
import { choiceKey, choiceOf, parseTarget, type Choice } from './targets.js';

export type AttributionState = 'idle' | 'unsupported' | 'loading' | 'deferred' | 'waiting' | 'running' | 'ready' | 'error';
export type Loading = 'eager' | 'lazy';

/** `cnn-ready`: a heat map is drawn. */
export interface AttributionReadyDetail {
  model: string;
  method: Method;
  /** The target explained, as explain's functions take it. */
  target: explain.Target;
  /** The target as the picker names it: 'class:3', 'conv2:7', 'conv2:7@3,5' or 'embedding'. */
  targetKey: string;
  /** Grad-CAM's layer (empty for the other methods). */
  layer: string;
  /** The heat map's range and colour map. */
  min: number;
  max: number;
  map: 'sequential' | 'diverging';
  /** [height, width] of the map (the model's input). */
  size: [number, number];
  ms: number;
}
export type AttributionErrorDetail = CnnErrorDetail<'webgpu' | 'model' | 'image' | 'reference' | 'labels' | 'run'>;

/** Layers that finish a convolution's output (a residual block's padding and add included). */
const FINISHING = new Set(['BatchNormalization', 'Activation', 'ReLU', 'LeakyReLU', 'Add', 'ZeroPadding2D']);

const ABOUT = { saliency: 'aboutSaliency', smoothgrad: 'aboutSmoothgrad', 'integrated-gradients': 'aboutIntegrated-gradients', gradcam: 'aboutGradcam', occlusion: 'aboutOcclusion' } as const;

/**
 * Why a network decided: the input with a heat map over it of how much each pixel counts for a
 * target (a class, a channel or unit of a layer, or an embedding's similarity to a reference
 * image), by saliency, SmoothGrad, Integrated Gradients, Grad-CAM or occlusion (the library's
 * `explain` functions, on the GPU), with an opacity slider and a colour legend. The target picker
 * lists a classifier's top classes (or the strongest channels of the last convolution for other
 * networks); with `viewer`, a tile opened in that `<cnn-layer-viewer>` becomes the target, and a
 * unit clicked in its opened map the unit. Grad-CAM gets a layer picker, starting at the last convolution's
 * finished output.
 *
 * @example
 * <cnn-attribution model="models/mnist/model.json" src="images/digit-3.png" method="integrated-gradients"></cnn-attribution>
 *
 * @fires cnn-ready - A heat map is drawn. detail: {model, method, target, targetKey, layer, min, max, map, size, ms}
 * @fires cnn-error - Something failed; shown in place. detail: {message, phase: 'webgpu' | 'model' | 'image' | 'reference' | 'labels' | 'run', error}
 * @csspart base - The element's box. @csspart controls - The method, target, layer and opacity controls.
 * @csspart figure - The input with the heat map over it. @csspart input - The input canvas. @csspart heatmap - The heat map canvas.
 * @csspart legend - The colour scale. @csspart progress - The loading indicator. @csspart notice - The no-WebGPU or error box.
 * @cssprop --cnn-input-size - Width of the input with its heat map (240px).
 * @cssprop --cnn-fg, --cnn-bg, --cnn-surface, --cnn-border, --cnn-muted, --cnn-accent, --cnn-error - Colours.
 * @cssprop --cnn-font, --cnn-mono, --cnn-radius - Type and corners.
 */
export class CnnAttribution extends CnnElement {
  static override styles = [tokens, attributionStyles];

  /** URL of a TensorFlow.js layers model.json (weights beside it). */
  @property() model = '';
  /** URL of the image to explain. */
  @property() src = '';
  /** 'saliency', 'smoothgrad', 'integrated-gradients', 'gradcam' or 'occlusion' (camelCase spellings too). */
  @property() method = 'saliency';
  /** What to explain: '' (the top class, or the strongest channel of the last convolution), '3' or 'class:3', 'layer:channel', 'layer:channel@y,x', or 'embedding' (with `reference`). */
  @property() target = '';
  /** Grad-CAM's layer; empty: the last convolution. */
  @property() layer = '';
  /** URL of a reference image: the 'embedding' target is the cosine similarity of the output to its output. */
  @property() reference = '';
  /** The id of a `<cnn-layer-viewer>` to follow: its model and input where this element has none, and its opened tile as the target. */
  @property() viewer = '';
  /** Class names for a classifier's outputs: a JSON array, a comma-separated list, or a URL of a JSON array. */
  @property() labels = '';
  /** How many classes (or channels) the target picker lists. */
  @property({ attribute: 'top-k', type: Number }) topK = 5;
  /** Opacity of the heat map over the input, 0 to 1. */
  @property({ type: Number }) opacity = 0.6;
  /** SmoothGrad's noisy copies. */
  @property({ type: Number }) samples = 16;
  /** Integrated Gradients' steps. */
  @property({ type: Number }) steps = 32;
  /** Occlusion's square, in pixels; 0: a seventh of the input's side. */
  @property({ type: Number }) window = 0;
  /** The values black and white pixels become ("0 1"; "0 255" for models that expect bytes). */
  @property({ attribute: 'input-range' }) inputRange = '0 1';
  /** How an image of another aspect ratio becomes the model's input: 'cover', 'contain' or 'fill'. */
  @property() fit: Fit = 'cover';
  /** 'lazy': load the model and compute only once the element is near the viewport. */
  @property() loading: Loading = 'eager';
  /** What the element is doing (reflected). Read-only. */
  @property({ reflect: true }) state: AttributionState = 'idle';

  @state() private shown: { heat: Heatmap; colours: ImageData; input: ImageData; min: number; max: number; choice: Choice; method: Method; layer: string; ms: number } | null = null;
  @state() private choices: Choice[] = [];
  @state() private camLayers: Layer[] = [];

  private net: Model | null = null;
  private netName = '';
  private lastSource: HTMLCanvasElement | null = null;
  private followed: { model: Model; range: string } | null = null;
  private labelList: string[] = [];
  private refEmbedding: { key: string; values: Float32Array } | null = null;
  private dirty = false;
  private running = false;
  private visible = false;
  private observer: IntersectionObserver | null = null;
  private readonly srcLoader = new LatestImageLoader();
  private painted: unknown = null;
  private currentUnit: { layer: string; channel: number } | null = null;

  private readonly link = new ViewerLink(this, {
    ready: (model, input, range) => {
      this.followed = { model, range };
      if (!this.model && this.net !== model) {
        this.net = model;
        this.netName = model.name;
      }
      if (!this.src) this.lastSource = input;
      this.request();
    },
    select: (layer, channel) => {
      this.currentUnit = { layer, channel };
      this.target = `${layer}:${channel}`;
    },
    unit: (x, y) => {
      if (this.currentUnit) this.target = `${this.currentUnit.layer}:${this.currentUnit.channel}@${y},${x}`;
    },
    missing: (id) => this.emitError('model', new ElementError('cnn-attribution', attributionText.msg(this, 'missingViewer', { id }))),
  });

  // ---- public API ----

  /** The model explained, or null. */
  get loadedModel(): Model | null {
    return this.net;
  }

  /** The heat map drawn: [h·w] values at the input's resolution, or null. */
  get heatmap(): Readonly<Heatmap> | null {
    return this.shown?.heat ?? null;
  }

  /** Explains `model` (not disposed by the element) instead of the `model` URL. */
  setModel(model: Model, name = model.name): void {
    this.cancelModelLoad();
    this.net = model;
    this.netName = name;
    this.problem = null;
    this.request();
  }

  /** Explains `source` (an image, canvas, video frame or ImageData) instead of `src`. */
  setInput(source: InputSource): void {
    this.lastSource = copySource(source);
    this.request();
  }

  // ---- shareable state (the url-state attribute) ----

  /** The method, the target and Grad-CAM's layer, where the reader changed them from the attributes. */
  protected override urlFields(): Fields {
    const changed = (name: 'method' | 'target' | 'layer', value: string) => (value && value !== (this.getAttribute(name) ?? '') ? value : null);
    return { method: changed('method', this.method), target: changed('target', this.target), layer: changed('layer', this.layer) };
  }

  protected override restoreUrlFields(f: Record<string, string>): void {
    if (f.method && (METHODS as readonly string[]).includes(f.method)) this.method = f.method;
    // A target or layer the model lacks is caught where it is used, with a message in place.
    if (f.target) this.target = f.target;
    if (f.layer) this.layer = f.layer;
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
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.observer?.disconnect();
    this.observer = null;
    this.srcLoader.cancel();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('viewer')) this.link.follow(this.viewer);
    if (changed.has('labels')) void this.loadLabels();
    if (!this.visible) {
      if (!this.unsupported && this.state === 'idle') this.state = 'deferred';
      return;
    }
    if (changed.has('model') && this.model) void this.loadModel();
    if (changed.has('src') && this.src) void this.loadSrc();
    const again = (['method', 'target', 'layer', 'reference', 'samples', 'steps', 'window', 'inputRange', 'fit', 'topK'] as const).some((k) => changed.has(k));
    if (again && this.hasUpdated && !changed.has('model') && !changed.has('src')) this.request();
  }

  protected override updated(): void {
    const s = this.shown;
    if (!s || this.painted === s) return;
    this.painted = s;
    const draw = (sel: string, img: ImageData) => {
      const c = this.renderRoot.querySelector<HTMLCanvasElement>(sel);
      if (!c) return;
      c.width = img.width;
      c.height = img.height;
      c.getContext('2d')!.putImageData(img, 0, 0);
    };
    draw('canvas.input', s.input);
    draw('canvas.heat', s.colours);
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
    const t = attributionText.strings(this);
    const s = this.shown;
    return html`<div part="base">
      ${this.renderProblem()} ${this.state === 'loading' ? this.renderLoading() : nothing}
      ${this.renderControls(t)}
      ${this.state === 'deferred' ? html`<p class="status" role="status">${t('deferred')}</p>` : nothing}
      ${this.state === 'waiting' ? html`<p class="status" role="status">${t('waiting')}</p>` : nothing}
      ${s ? this.renderBody(t, s) : this.state === 'running' ? html`<p class="status" role="status">${t('computing', { method: t(parseMethod(this.method)) })}</p>` : nothing}
    </div>`;
  }

  private renderControls(t: AttributionStrings): TemplateResult {
    const method = parseMethod(this.method);
    const current = this.shown ? choiceKey(this.shown.choice) : '';
    const choices = this.shown && !this.choices.some((c) => choiceKey(c) === current) ? [this.shown.choice, ...this.choices] : this.choices;
    const camLayer = this.layer || this.defaultCamLayer();
    return html`<div class="controls" part="controls">
      <label>${t('method')}
        <select class="method" @change=${(e: Event) => (this.method = (e.target as HTMLSelectElement).value)}>
          ${METHODS.map((m) => html`<option value=${m} ?selected=${m === method}>${t(m)}</option>`)}
        </select>
      </label>
      ${choices.length ? html`<label>${t('target')}
        <select class="target" @change=${(e: Event) => (this.target = (e.target as HTMLSelectElement).value)}>
          ${choices.map((c) => html`<option value=${choiceKey(c)} ?selected=${choiceKey(c) === current}>${this.choiceLabel(t, c)}</option>`)}
        </select>
      </label>` : nothing}
      ${method === 'gradcam' && this.camLayers.length ? html`<label>${t('layer')}
        <select class="layer" @change=${(e: Event) => (this.layer = (e.target as HTMLSelectElement).value)}>
          ${this.camLayers.map((l) => html`<option value=${l.name} ?selected=${l.name === camLayer}>${l.name}</option>`)}
        </select>
      </label>` : nothing}
      <label>${t('opacity')}
        <input class="opacity" type="range" min="0" max="100" step="5" .value=${String(Math.round(this.clampedOpacity() * 100))}
          aria-valuetext=${`${Math.round(this.clampedOpacity() * 100)}%`}
          @input=${(e: Event) => (this.opacity = Number((e.target as HTMLInputElement).value) / 100)} />
      </label>
    </div>`;
  }

  private renderBody(t: AttributionStrings, s: NonNullable<CnnAttribution['shown']>): TemplateResult {
    const name = t(s.method);
    const target = this.choiceLabel(t, s.choice);
    const m = Math.max(Math.abs(s.min), Math.abs(s.max));
    const [lo, hi] = s.heat.map === 'diverging' ? [-m, m] : [s.min, s.max];
    const small = s.heat.h <= 64 && s.heat.w <= 64;
    const n = s.method === 'smoothgrad' ? this.samples : s.method === 'integrated-gradients' ? this.steps : this.window || defaultWindow(s.heat.h, s.heat.w);
    return html`<div class="body">
      <figure part="figure">
        <div class="stack" role="img" aria-label=${t('inputAria', { method: name, target })}>
          <canvas class="input ${small ? 'pixels' : ''}" part="input"></canvas>
          <canvas class="heat ${small ? 'pixels' : ''}" part="heatmap" style="opacity: ${this.clampedOpacity()}"></canvas>
        </div>
      </figure>
      <div class="side">
        <p class="about">${t(ABOUT[s.method], { n, layer: s.layer })}</p>
        <div class="legend" part="legend" role="img" aria-label=${t('legendAria', { lo: fmt(lo), hi: fmt(hi) })}>
          <span class="lo">${fmt(lo)}</span><i class="ramp" style="background: ${legendGradient(s.heat.map)}"></i><span class="hi">${fmt(hi)}</span>
          <span class="words"><span>${s.heat.map === 'diverging' ? t('legendNegative') : t('legendLow')}</span><span>${s.heat.map === 'diverging' ? t('legendPositive') : t('legendHigh')}</span></span>
        </div>
        <p class="status" role="status" aria-live="polite">${this.state === 'running' ? t('computing', { method: t(parseMethod(this.method)) }) : t('computed', { method: name, target, ms: Math.round(s.ms) })}</p>
      </div>
    </div>`;
  }

  private choiceLabel(t: AttributionStrings, c: Choice): string {
    switch (c.kind) {
      case 'class': return t('targetClass', { label: c.label, p: c.p === null ? '' : `${(c.p * 100).toFixed(1)}%` }).replace(/ · $/, '');
      case 'embedding': return t('targetEmbedding');
      default: return c.y === undefined ? t('targetChannel', { layer: c.layer, c: c.channel }) : t('targetUnit', { layer: c.layer, c: c.channel, y: c.y, x: c.x! });
    }
  }

  private clampedOpacity(): number {
    return Number.isFinite(this.opacity) ? Math.min(1, Math.max(0, this.opacity)) : 0.6;
  }

  /**
   * Grad-CAM's default: the last convolution, followed on through the layers that only finish its
   * output (batch norm, activation, a residual block's padding and add), as the Grad-CAM libraries
   * advise for a ResNet's last block: a convolution's raw output, before a batch norm that may flip
   * its signs, is seldom what it means.
   */
  private defaultCamLayer(): string {
    const model = this.net;
    if (!model) return '';
    const convs = convLayers(model).filter((l) => l.outputShape.length === 3);
    let layer = convs[convs.length - 1] ?? this.camLayers[this.camLayers.length - 1];
    for (;;) {
      if (!layer) return '';
      const from: Layer = layer;
      const next = model.layers.filter((l) => model.inboundOf(l.name).includes(from.name));
      const same = next.length === 1 && FINISHING.has(next[0]!.className) && next[0]!.outputShape.length === 3;
      if (!same) return from.name;
      layer = next[0]!;
    }
  }

  // ---- loading ----

  /** After a lost GPU: the `model` URL loads again on the new engine and the map is computed again (a model given by script cannot be). */
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
      this.fail('model', err, attributionText.msg(this, 'modelFailed', { url }));
    }
  }

  private async loadSrc(): Promise<void> {
    if (this.unsupported) return;
    try {
      const img = await this.srcLoader.load(this.src);
      if (img) this.setInput(img);
    } catch (err) {
      this.fail('image', err, attributionText.msg(this, 'imageFailed'))
    }
  }

  private async loadLabels(): Promise<void> {
    try {
      const parsed = parseLabels(this.labels);
      if (parsed) this.labelList = parsed;
      else {
        const res = await fetch(new URL(this.labels, document.baseURI));
        if (!res.ok) throw new ElementError('cnn-attribution', `${this.labels}: HTTP ${res.status}`);
        const json: unknown = await res.json();
        if (!Array.isArray(json)) throw new ElementError('cnn-attribution', `${this.labels} is not a JSON array`);
        this.labelList = json.map(String);
      }
      if (this.shown) this.request();
    } catch (err) {
      this.handleFailure('labels', err, attributionText.msg(this, 'runFailed'));
    }
  }

  // ---- computing ----

  private request(): void {
    this.dirty = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.running || this.unsupported || !this.isConnected || !this.visible || !this.net) return;
    if (!this.lastSource) {
      this.state = 'waiting';
      return;
    }
    this.running = true;
    try {
      while (this.dirty && this.net && this.lastSource) {
        this.dirty = false;
        await this.compute(this.net, this.lastSource);
      }
    } catch (err) {
      this.fail('run', err, attributionText.msg(this, 'runFailed'));
    } finally {
      this.running = false;
    }
  }

  private async compute(model: Model, source: HTMLCanvasElement): Promise<void> {
    const t0 = performance.now();
    const engine = await sharedEngine();
    if (model.inputShape.length !== 3) throw new ElementError('cnn-attribution', attributionText.msg(this, 'notImages', { shape: model.inputShape.join(', ') }));
    const [h, w, c] = model.inputShape as [number, number, number];
    const method = parseMethod(this.method);
    const rangeText = this.src || !this.followed || this.hasAttribute('input-range') ? this.inputRange : this.followed.range;
    const range = parseRange(rangeText);
    this.state = 'running';
    this.camLayers = model.layers.filter((l) => l.name !== model.inputName && l.outputShape.length === 3);
    const canvas = drawInput(source, w, h, this.fit);
    const x = engine.tensor(canvasPixels(canvas, c, range), [1, h, w, c]);
    try {
      const classifier = model.outputShape.length === 1 && (endsInSoftmax(model) || this.labelList.length > 0);
      const camLayer = this.layer && this.camLayers.some((l) => l.name === this.layer) ? this.layer : this.defaultCamLayer();
      this.choices = classifier ? await this.topClasses(model, x) : await this.topChannels(engine, model, x, camLayer);
      if (this.reference) this.choices = [...this.choices, { kind: 'embedding' }];
      const parsed = parseTarget(this.target, model);
      if (parsed === 'bad') throw new ElementError('cnn-attribution', attributionText.msg(this, 'badTarget', { target: this.target }));
      const choice: Choice | undefined = parsed ? choiceOf(parsed, this.choices, this.labelList) : classifier || !this.reference ? this.choices[0] : { kind: 'embedding' };
      if (!choice) throw new ElementError('cnn-attribution', attributionText.msg(this, 'badTarget', { target: this.target }));
      const target = await this.targetOf(choice, model, range);
      const heat = await heatmap(engine, model, x, method, target, { layer: camLayer, samples: Math.max(1, this.samples | 0), steps: Math.max(1, this.steps | 0), window: this.window > 0 ? Math.round(this.window) : defaultWindow(h, w) });
      const colours = await this.colour(engine, heat);
      let [min, max] = [Infinity, -Infinity];
      for (const v of heat.values) [min, max] = [Math.min(min, v), Math.max(max, v)];
      const input = canvas.getContext('2d')!.getImageData(0, 0, w, h);
      if (model !== this.net || !this.isConnected) return;
      this.shown = { heat, colours, input, min, max, choice, method, layer: method === 'gradcam' ? camLayer : '', ms: performance.now() - t0 };
      this.problem = null;
      this.state = 'ready';
      await this.updateComplete;
      this.emit<AttributionReadyDetail>('cnn-ready', {
        model: this.netName, method, target, targetKey: choiceKey(choice), layer: this.shown.layer, min, max, map: heat.map, size: [h, w], ms: this.shown.ms,
      });
    } finally {
      x.dispose();
    }
  }

  private async topClasses(model: Model, x: Tensor): Promise<Choice[]> {
    const y = model.predict(x);
    const v = await y.read();
    y.dispose();
    const p = endsInSoftmax(model) ? Array.from(v) : softmax(v);
    return p.map((prob, index) => ({ kind: 'class' as const, index, label: this.labelList[index] ?? String(index), p: prob }))
      .sort((a, b) => b.p - a.p || a.index - b.index)
      .slice(0, Math.max(1, this.topK));
  }

  /** The channels of `layer` with the largest mean on this input: the targets offered for a network without classes. */
  private async topChannels(engine: Engine, model: Model, x: Tensor, layer: string): Promise<Choice[]> {
    if (!layer) return [];
    const acts = model.run(x);
    try {
      const means = engine.mean(acts.outputs.get(layer)!, [1, 2]);
      const v = await means.read();
      means.dispose();
      return Array.from(v, (m, channel) => ({ kind: 'channel' as const, layer, channel, value: m }))
        .sort((a, b) => b.value - a.value || a.channel - b.channel)
        .slice(0, Math.max(1, this.topK));
    } finally {
      acts.dispose();
    }
  }

  private async targetOf(choice: Choice, model: Model, range: [number, number]): Promise<explain.Target> {
    if (choice.kind === 'class') return { class: choice.index };
    if (choice.kind === 'channel') return choice.y === undefined ? { layer: choice.layer, channel: choice.channel } : { layer: choice.layer, channel: choice.channel, y: choice.y, x: choice.x! };
    if (!this.reference) throw new ElementError('cnn-attribution', attributionText.msg(this, 'noReference'));
    const key = `${new URL(this.reference, document.baseURI).href}|${this.fit}|${range.join(' ')}|${this.netName}`;
    if (this.refEmbedding?.key !== key) {
      let img: HTMLImageElement;
      try {
        img = await loadImage(this.reference);
      } catch (err) {
        this.emitError('reference', err);
        throw err;
      }
      const [h, w, c] = model.inputShape as [number, number, number];
      const engine = await sharedEngine();
      const r = engine.tensor(canvasPixels(drawInput(img, w, h, this.fit), c, range), [1, h, w, c]);
      const y = model.predict(r);
      this.refEmbedding = { key, values: await y.read() };
      for (const t of [r, y]) t.dispose();
    }
    return { embedding: this.refEmbedding.values };
  }

  /**
   * The map's colours (on the GPU, the viewer's colour maps), each pixel as opaque as its value is
   * far from nothing: the square root of its share of the largest magnitude (of the range, for a
   * sequential map), so the input shows through where the map says little.
   */
  private async colour(engine: Engine, heat: Heatmap): Promise<ImageData> {
    const t = engine.tensor(heat.values, [1, heat.h, heat.w, 1]);
    try {
      const tiles = await colorize(engine, t, { channels: [0], map: heat.map, normalize: 'channel' });
      let [min, max] = [Infinity, -Infinity];
      for (const v of heat.values) [min, max] = [Math.min(min, v), Math.max(max, v)];
      const m = Math.max(Math.abs(min), Math.abs(max));
      heat.values.forEach((v, p) => {
        const share = heat.map === 'diverging' ? (m > 0 ? Math.abs(v) / m : 0) : max > min ? (v - min) / (max - min) : 0;
        tiles.rgba[p * 4 + 3] = Math.round(255 * Math.sqrt(share));
      });
      return new ImageData(tiles.rgba, tiles.width, tiles.height);
    } finally {
      t.dispose();
    }
  }

  // ---- state ----

  protected override setState(s: AttributionState): void {
    this.state = s;
  }

  private fail(phase: AttributionErrorDetail['phase'], err: unknown, title: string): void {
    if (!(err instanceof WebGpuUnavailableError)) this.state = 'error';
    this.handleFailure(phase, err, title);
  }
}
