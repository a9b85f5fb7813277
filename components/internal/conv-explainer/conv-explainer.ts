import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import {
  explain,
  explainableLayers,
  explainUnit,
  readUnitSource,
  unitKind,
  WebGpuUnavailableError,
  type Activations,
  type Tensor,
  type UnitExplanation,
  type UnitSource,
} from '../../../src/index.js';
import { tokens } from '../theme.js';
import { sharedEngine, type Model } from '../shared-engine.js';
import { CnnElement, type CnnErrorDetail } from '../cnn-element.js';
import { ElementError } from '../errors.js';
import { fmt, parseRange, pickChannels } from '../attributes.js';
import { copySource, canvasPixels, drawInput, LatestImageLoader, type Fit, type InputSource } from '../image-pixels.js';
import { explainerStyles } from './styles.js';
import { explainerText, type ExplainerStrings } from './messages.js';
import { paintOutput, paintReceptiveField, paintSlide, unitAt } from './paint.js';
import { denseArithmetic, windowArithmetic } from './views.js';
import { ViewerLink } from './viewer-link.js';
import type { Fields } from '../url-state.js';

export type ExplainerState = 'idle' | 'unsupported' | 'loading' | 'waiting' | 'running' | 'ready' | 'error';
export type ReceptiveField = ReturnType<typeof explain.receptiveField>;

/** `cnn-ready`: a unit was worked out after a new input, layer or channel. */
export interface ExplainerReadyDetail {
  model: string;
  layer: string;
  className: string;
  channel: number;
  x: number;
  y: number;
  /** The output as the arithmetic shown gives it, and as the engine computed it. */
  value: number;
  engineValue: number;
  tolerance: number;
}
/** `cnn-unit-select`: the reader picked a unit (a click, the arrow keys, or Step/Play). */
export interface UnitSelectDetail {
  layer: string;
  channel: number;
  x: number;
  y: number;
}
export type ExplainerErrorDetail = CnnErrorDetail<'webgpu' | 'model' | 'image' | 'run'>;

/**
 * How one number of one feature map is computed: the reader picks an output unit, and the element
 * shows the input patch under the filter (every input channel, or a chosen few of a deep layer's),
 * the filter's weights, their products, the sum, the bias and the activation, ending in the output
 * value beside the engine's own. Play slides the window across the input unit by unit, the same
 * weights tinting the cells at every position, while the output map fills in; padding is drawn
 * hatched, and strides and dilation show in where the window's cells fall. Pooling units show
 * which input won (or the average), dense units their largest contributions. The unit's receptive
 * field is outlined on the network's input, exact through every earlier layer.
 *
 * Linked to a `<cnn-layer-viewer>` with `for`, it follows the viewer's model and input, the tile the
 * reader opens there and the unit clicked in the opened map; alone it takes `model` and `src`.
 *
 * @example
 * <cnn-layer-viewer id="digits" model="models/mnist/model.json" src="images/digit-3.png"></cnn-layer-viewer>
 * <cnn-conv-explainer for="digits" layer="conv1" channel="2"></cnn-conv-explainer>
 *
 * @fires cnn-ready - A unit was worked out after a new input, layer or channel. detail: {model, layer, className, channel, x, y, value, engineValue, tolerance}
 * @fires cnn-unit-select - The reader picked a unit. detail: {layer, channel, x, y}
 * @fires cnn-error - Something failed; shown in place. detail: {message, phase: 'webgpu' | 'model' | 'image' | 'run', error}
 * @csspart base - The element's box. @csspart controls - Layer, channel and the play controls.
 * @csspart slide - The layer's input with the window. @csspart output - The output map filling in.
 * @csspart receptive-field - The network's input with the unit's receptive field outlined.
 * @csspart arithmetic - The sum written out. @csspart channel - One input channel's grids.
 * @csspart progress - The loading indicator. @csspart notice - The no-WebGPU or error box.
 * @cssprop --cnn-explainer-map-size - Widest a map is drawn (280px). @cssprop --cnn-explainer-cell - Width of a number cell (34px).
 * @cssprop --cnn-fg, --cnn-bg, --cnn-surface, --cnn-border, --cnn-muted, --cnn-accent, --cnn-error - Colours.
 * @cssprop --cnn-font, --cnn-mono, --cnn-radius - Type and corners.
 */
export class CnnConvExplainer extends CnnElement {
  static override styles = [tokens, explainerStyles];

  /** The id of a `<cnn-layer-viewer>` to follow (its model, input, opened tile and clicked unit). */
  @property({ attribute: 'for' }) htmlFor = '';
  /** URL of a TensorFlow.js layers model.json (when not linked to a viewer). */
  @property() model = '';
  /** URL of an image to run the model on (when not linked to a viewer). */
  @property() src = '';
  /** The layer whose unit is explained; empty: the first convolution, pooling or dense layer. */
  @property() layer = '';
  /** The output channel (for a dense layer, the unit). */
  @property({ type: Number }) channel = 0;
  /** The unit's column and row in the output map; −1: the middle. */
  @property({ type: Number }) x = -1;
  @property({ type: Number }) y = -1;
  /** Input channels written out in full: a count ("3": the first three), "all", or a list ("0, 4-6"); the rest are summed in one line. */
  @property({ attribute: 'in-channels' }) inChannels = '3';
  /** Milliseconds per unit while playing. */
  @property({ type: Number }) speed = 160;
  /** The values black and white pixels become ("0 1"; "0 255" for models that expect bytes). */
  @property({ attribute: 'input-range' }) inputRange = '0 1';
  /** How an image of another aspect ratio becomes the model's input: 'cover', 'contain' or 'fill'. */
  @property() fit: Fit = 'cover';
  /** What the element is doing (reflected). Read-only. */
  @property({ reflect: true }) state: ExplainerState = 'idle';

  @state() private source: UnitSource | null = null;
  @state() private unit: UnitExplanation | null = null;
  @state() private rf: ReceptiveField | null = null;
  @state() private filled = 0;
  @state() private playing = false;
  @state() private focusChannel = 0;
  @state() private note = '';

  private net: Model | null = null;
  private netName = '';
  private acts: Activations | null = null;
  private inputTensor: Tensor | null = null;
  private inputCanvas: HTMLCanvasElement | null = null;
  private pending: HTMLCanvasElement | null = null;
  private lastSource: HTMLCanvasElement | null = null;
  private running = false;
  private readSeq = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly srcLoader = new LatestImageLoader();
  private readonly link = new ViewerLink(this, {
    ready: (model, input, range) => this.followViewer(model, input, range),
    select: (layer, channel) => this.followSelect(layer, channel),
    unit: (x, y) => this.pick(x, y),
    missing: (id) => (this.note = explainerText.msg(this, 'noViewer', { id })),
  });

  // ---- public API ----

  /** The unit's arithmetic as shown, or null before the first one. */
  get explanation(): Readonly<UnitExplanation> | null {
    return this.unit;
  }

  /** The unit's receptive field on the network's input (null for a dense unit). */
  get receptiveField(): Readonly<ReceptiveField> | null {
    return this.rf;
  }

  /** The model explained (loaded from `model`, given to `setModel`, or the linked viewer's). */
  get loadedModel(): Model | null {
    return this.net;
  }

  /** True while the window slides. */
  get isPlaying(): boolean {
    return this.playing;
  }

  /** How many units of the output map are drawn (row-major), while playing. */
  get filledUnits(): number {
    return this.filled;
  }

  /** Explains units of `model` (not disposed by the element) instead of the `model` URL. */
  setModel(model: Model, name = model.name): void {
    this.cancelModelLoad();
    this.useModel(model, name);
  }

  /** Runs the model on `source` (an image, canvas, video frame or ImageData); calls while one runs coalesce. */
  setInput(source: InputSource): void {
    const copy = copySource(source);
    this.pending = copy;
    this.lastSource = copy;
    void this.pump();
  }

  /** Picks unit (x, y) of the current channel (for a dense layer, x is the unit); stops playing. */
  selectUnit(x: number, y = 0): void {
    this.pause();
    this.pick(x, y);
  }

  /** Slides the window from where it is (from the first unit once the map is full), one unit per `speed` ms. */
  play(): void {
    const src = this.source;
    if (!src || src.kind === 'dense' || this.playing) return;
    this.playing = true;
    this.schedule();
  }

  pause(): void {
    this.playing = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Moves the window one unit on (to the first unit once the map is full). */
  step(): void {
    const src = this.source;
    if (!src || src.kind === 'dense') return;
    const [oh, ow] = src.outputShape as [number, number];
    const total = oh * ow;
    const next = this.filled >= total ? 0 : this.filled;
    this.filled = next + 1;
    this.moveTo(next % ow, Math.floor(next / ow));
    if (this.filled >= total) this.pause();
  }

  /** Clears the output map and puts the window on the first unit. */
  restart(): void {
    this.pause();
    if (!this.source || this.source.kind === 'dense') return;
    this.filled = 1;
    this.moveTo(0, 0);
  }

  // ---- shareable state (with the url-state attribute) ----

  /** The layer, the channel and the unit explained. */
  protected override urlFields(): Fields {
    const u = this.unit;
    return {
      layer: this.source?.layer ?? this.layer,
      channel: String(this.source?.channel ?? this.channel),
      unit: u && u.kind !== 'dense' ? `${u.x},${u.y}` : null,
    };
  }

  protected override restoreUrlFields(f: Record<string, string>): void {
    if (f.layer) this.layer = f.layer;
    const c = Number(f.channel);
    if (f.channel && Number.isInteger(c) && c >= 0) this.channel = c;
    const unit = /^(\d+),(\d+)$/.exec(f.unit ?? '');
    if (unit) {
      this.pause();
      this.x = Number(unit[1]);
      this.y = Number(unit[2]);
    }
  }

  // ---- lifecycle ----

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.unsupported && !this.acts && this.lastSource && this.net) {
      this.pending ??= this.lastSource;
      void this.pump();
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.pause();
    this.srcLoader.cancel();
    this.release();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('htmlFor')) this.link.follow(this.htmlFor);
    if (changed.has('model') && this.model && !this.htmlFor) void this.loadModel();
    if (changed.has('src') && this.src && !this.htmlFor) void this.loadSrc();
    if ((changed.has('layer') || changed.has('channel')) && this.acts) void this.readSource();
    else if ((changed.has('x') || changed.has('y')) && this.source && (this.unit?.x !== this.x || this.unit?.y !== this.y)) this.explainNow();
  }

  protected override updated(): void {
    this.paint();
  }

  // ---- rendering ----

  override render(): TemplateResult {
    if (this.unsupported) return html`<div part="base">${this.renderUnsupported()}</div>`;
    const t = explainerText.strings(this);
    const src = this.source;
    const u = this.unit;
    return html`<div part="base">
      ${this.renderProblem()} ${this.state === 'loading' ? this.renderLoading() : nothing}
      ${this.note ? html`<p class="status" role="status">${this.note}</p>` : nothing}
      ${this.state === 'waiting' ? html`<p class="status" role="status">${t('waiting')}</p>` : nothing}
      ${this.state === 'running' && !u ? html`<p class="status" role="status">${t('running')}</p>` : nothing}
      ${this.net && src ? this.renderControls(t, src) : nothing}
      ${src && u ? this.renderPictures(t, src, u) : nothing}
      ${src && u ? (src.kind === 'dense' ? denseArithmetic(u, src, t, this.flatShape(src)) : windowArithmetic(u, src, t, this.shownChannels(src), this.focusChannel, (c) => (this.focusChannel = c))) : nothing}
      <output class="sr-only" aria-live="polite">${u && !this.playing ? this.announce(t, u) : ''}</output>
    </div>`;
  }

  private renderControls(t: ExplainerStrings, src: UnitSource): TemplateResult {
    const layers = explainableLayers(this.net!);
    const channels = src.kind === 'dense' ? src.output.length : src.outputShape[2]!;
    const g = src.geometry;
    const inputChannels = src.kind === 'dense' ? 0 : src.inputShape[2]!;
    return html`<div class="controls" part="controls">
      <label>${t('layer')}
        <select @change=${(e: Event) => this.chooseLayer((e.target as HTMLSelectElement).value)}>
          ${layers.map((l) => html`<option value=${l.name} ?selected=${l.name === src.layer}>${l.name} · ${l.className}</option>`)}
        </select>
      </label>
      <label>${t('channel')}
        <input type="number" min="0" max=${channels - 1} .value=${String(src.channel)} @change=${(e: Event) => this.chooseChannel(Number((e.target as HTMLInputElement).value))} />
      </label>
      ${src.kind === 'conv' && inputChannels > 1
        ? html`<label>${t('focus')}
            <input type="number" min="0" max=${inputChannels - 1} .value=${String(this.focusChannel)} @change=${(e: Event) => (this.focusChannel = this.clampFocus(Number((e.target as HTMLInputElement).value)))} />
          </label>`
        : nothing}
      ${g
        ? html`<span class="buttons" role="group" aria-label=${t('controls')}>
              <button class="primary play" @click=${() => (this.playing ? this.pause() : this.play())} aria-pressed=${this.playing ? 'true' : 'false'}>${this.playing ? t('pause') : t('play')}</button>
              <button class="step" @click=${() => { this.pause(); this.step(); }} aria-label=${t('stepAria')}>${t('step')}</button>
              <button class="restart" @click=${() => this.restart()} aria-label=${t('restartAria')}>${t('restart')}</button>
            </span>
            <span class="geometry">${t('geometry', {
              sy: g.strideH, sx: g.strideW, dy: g.dilH, dx: g.dilW,
              pad: g.padTop + g.padBottom + g.padLeft + g.padRight === 0 ? t('padValid') : t('padSame', { t: g.padTop, b: g.padBottom, l: g.padLeft, r: g.padRight }),
            })}</span>`
        : nothing}
    </div>`;
  }

  private renderPictures(t: ExplainerStrings, src: UnitSource, u: UnitExplanation): TemplateResult {
    const g = src.geometry;
    const pool = src.kind === 'max-pool' || src.kind === 'avg-pool';
    const focus = pool ? src.channel : src.kind === 'depthwise' ? u.terms[0]!.channel : this.focusChannel;
    const [ih, iw] = src.inputShape;
    const padCells = g ? Math.max(g.padTop, g.padBottom, g.padLeft, g.padRight) : 0;
    const rf = this.rf;
    const [oh, ow] = src.kind === 'dense' ? [1, src.output.length] : (src.outputShape as [number, number]);
    const inputTitle = src.inputLayer === this.net?.inputName ? t('inputTitleNet', { c: focus }) : t('inputTitle', { layer: src.inputLayer, c: focus });
    return html`<div class="pictures">
      ${g
        ? html`<figure part="slide">
            <canvas class="slide" role="img" aria-label=${t('inputAria', { c: focus, h: ih!, w: iw!, x: u.x, y: u.y, padding: padCells ? t('paddingAria', { pad: padCells }) : '' })}></canvas>
            <figcaption>${inputTitle}</figcaption>
            <p class="legend">
              <span><i class="win"></i>${pool ? t('windowTitle', { kh: g.kH, kw: g.kW }) : t('legendWindow')}</span>
              ${padCells ? html`<span><i class="pad"></i>${pool ? t('legendPaddingPool') : t('legendPadding')}</span>` : nothing}
            </p>
          </figure>`
        : nothing}
      <figure part="output">
        <canvas
          class="output"
          tabindex="0"
          role="img"
          aria-label=${src.kind === 'dense' ? t('vectorAria', { n: ow, layer: src.layer }) : t('outputAria', { layer: src.layer, c: src.channel, h: oh, w: ow, filled: this.filled, total: oh * ow })}
          @click=${this.onOutputClick}
          @keydown=${this.onOutputKey}
        ></canvas>
        <figcaption>${src.kind === 'dense' ? t('unitTitle', { layer: src.layer, c: src.channel, n: ow }) : t('outputTitle', { layer: src.layer, c: src.channel })}</figcaption>
      </figure>
      ${this.inputCanvas
        ? html`<figure part="receptive-field">
            <canvas class="rf" role="img" aria-label=${rf && !rf.empty ? t('rfAria', { h: rf.bottom - rf.top + 1, w: rf.right - rf.left + 1, x: u.x, y: u.y, layer: src.layer }) : t('rfDense')}></canvas>
            <figcaption>${t('rfTitle')}${rf && !rf.empty ? html`<br />${t('rfCaption', { top: rf.top, bottom: rf.bottom, left: rf.left, right: rf.right })}` : html`<br />${t('rfDense')}`}</figcaption>
          </figure>`
        : nothing}
    </div>`;
  }

  private announce(t: ExplainerStrings, u: UnitExplanation): string {
    return u.kind === 'dense'
      ? t('announceDense', { c: u.channel, layer: u.layer, value: fmt(u.value) })
      : t('announce', { x: u.x, y: u.y, layer: u.layer, c: u.channel, value: fmt(u.value) });
  }

  private paint(): void {
    const root = this.renderRoot;
    const src = this.source;
    const u = this.unit;
    if (!src || !u) return;
    const slide = root.querySelector<HTMLCanvasElement>('canvas.slide');
    if (slide && src.geometry) {
      const focus = src.kind === 'max-pool' || src.kind === 'avg-pool' ? src.channel : src.kind === 'depthwise' ? u.terms[0]!.channel : this.focusChannel;
      paintSlide(slide, src, u, focus);
    }
    const out = root.querySelector<HTMLCanvasElement>('canvas.output');
    if (out) paintOutput(out, src, this.filled, u.x, u.y);
    const rfCanvas = root.querySelector<HTMLCanvasElement>('canvas.rf');
    if (rfCanvas && this.inputCanvas) paintReceptiveField(rfCanvas, this.inputCanvas, this.rf);
  }

  // ---- choosing ----

  private shownChannels(src: UnitSource): number[] {
    const c = src.inputShape[2] ?? 1;
    const picked = pickChannels(this.inChannels, c, 3);
    return picked.includes(this.focusChannel) ? picked : [...picked, this.focusChannel].sort((a, b) => a - b);
  }

  private clampFocus(c: number): number {
    const n = this.source?.inputShape[2] ?? 1;
    return Number.isInteger(c) ? Math.min(Math.max(0, c), n - 1) : 0;
  }

  private flatShape(src: UnitSource): readonly number[] | null {
    const model = this.net;
    if (!model) return null;
    const flat = model.layer(src.inputLayer);
    const before = model.inboundOf(flat.name)[0];
    return flat.className === 'Flatten' && before ? model.layer(before).outputShape : null;
  }

  private chooseLayer(name: string): void {
    this.pause();
    this.x = -1;
    this.y = -1;
    this.channel = 0;
    this.layer = name;
  }

  private chooseChannel(c: number): void {
    this.pause();
    if (Number.isInteger(c)) this.channel = c;
  }

  /** A unit picked by the reader (or the viewer): dense layers pick by channel. */
  private pick(x: number, y: number): void {
    const src = this.source;
    if (!src) return;
    if (src.kind === 'dense') {
      if (x !== this.channel) this.channel = x;
      return;
    }
    const [oh, ow] = src.outputShape as [number, number];
    if (x < 0 || y < 0 || x >= ow || y >= oh) return;
    this.filled = oh * ow;
    this.moveTo(x, y);
    this.emit<UnitSelectDetail>('cnn-unit-select', { layer: src.layer, channel: src.channel, x, y });
  }

  private moveTo(x: number, y: number): void {
    this.x = x;
    this.y = y;
    this.explainNow();
  }

  private schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.playing) return;
      this.step();
      if (this.playing) this.schedule();
    }, Math.max(16, this.speed));
  }

  private onOutputClick = (ev: MouseEvent): void => {
    const at = unitAt(ev.currentTarget as HTMLCanvasElement, ev.clientX, ev.clientY);
    if (at) this.selectUnit(at[0], at[1]);
  };

  private onOutputKey = (ev: KeyboardEvent): void => {
    const src = this.source;
    const u = this.unit;
    if (!src || !u) return;
    if (ev.key === ' ' && src.kind !== 'dense') {
      ev.preventDefault();
      if (this.playing) this.pause();
      else this.play();
      return;
    }
    const steps: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const d = steps[ev.key];
    if (!d) return;
    ev.preventDefault();
    if (src.kind === 'dense') {
      const n = src.output.length;
      // From the channel asked for, not the one read: keys pressed while it is read add up.
      this.selectUnit(Math.min(n - 1, Math.max(0, this.channel + d[0] + d[1])));
      return;
    }
    const [oh, ow] = src.outputShape as [number, number];
    this.selectUnit(Math.min(ow - 1, Math.max(0, u.x + d[0])), Math.min(oh - 1, Math.max(0, u.y + d[1])));
  };

  // ---- following a viewer ----

  private followViewer(model: Model, input: HTMLCanvasElement, range: string): void {
    this.inputRange = range;
    this.note = '';
    if (model !== this.net) this.useModel(model, model.name);
    this.setInput(input);
  }

  private followSelect(layer: string, channel: number): void {
    const model = this.net;
    if (!model) return;
    const l = model.layers.find((x) => x.name === layer);
    if (!l) return;
    if (!unitKind(l)) {
      this.note = explainerText.msg(this, 'noArithmetic', { layer, className: l.className, layers: explainableLayers(model).map((x) => x.name).join(', ') });
      return;
    }
    this.note = '';
    this.pause();
    if (layer !== this.layer) {
      this.x = -1;
      this.y = -1;
    }
    this.layer = layer;
    this.channel = channel;
  }

  // ---- loading and running ----

  /** After a lost GPU: the `model` URL loads again on the new engine and the unit is explained again (a model given by script cannot be). */
  protected override async restartAfterLoss(): Promise<boolean | null> {
    this.release();
    if (!this.model || this.htmlFor) return this.net ? false : null;
    this.net = null;
    await this.loadModel();
    return this.net !== null;
  }

  private async loadModel(): Promise<void> {
    if (this.unsupported) return;
    const url = this.model;
    try {
      const model = await this.loadSharedModel(url);
      if (model) this.useModel(model, url);
    } catch (err) {
      this.fail('model', err, explainerText.msg(this, 'modelFailed', { url }));
    }
  }

  private async loadSrc(): Promise<void> {
    if (this.unsupported) return;
    try {
      const img = await this.srcLoader.load(this.src);
      if (img) this.setInput(img);
    } catch (err) {
      this.fail('image', err, explainerText.msg(this, 'imageFailed'))
    }
  }

  private useModel(model: Model, name: string): void {
    if (model !== this.net) {
      this.pause();
      this.release();
      this.source = null;
      this.unit = null;
      this.rf = null;
    }
    this.net = model;
    this.netName = name;
    this.problem = null;
    this.pending ??= this.lastSource;
    this.setState(this.pending ? 'running' : 'waiting');
    void this.pump();
  }

  private release(): void {
    this.acts?.dispose();
    this.inputTensor?.dispose();
    this.acts = null;
    this.inputTensor = null;
  }

  private async pump(): Promise<void> {
    if (this.running || !this.net || !this.pending || this.unsupported || !this.isConnected) return;
    this.running = true;
    try {
      while (this.pending && this.net) {
        const source = this.pending;
        this.pending = null;
        await this.runOnce(this.net, source);
      }
    } catch (err) {
      this.fail('run', err, explainerText.msg(this, 'runFailed'));
    } finally {
      this.running = false;
    }
  }

  private async runOnce(model: Model, source: HTMLCanvasElement): Promise<void> {
    const engine = await sharedEngine();
    if (model.inputShape.length !== 3) throw new ElementError('cnn-conv-explainer', `the explainer runs image models (input [height, width, channels]); this model's input is [${model.inputShape.join(', ')}]`);
    const [h, w, c] = model.inputShape as [number, number, number];
    this.setState('running');
    const canvas = drawInput(source, w, h, this.fit);
    const x = engine.tensor(canvasPixels(canvas, c, parseRange(this.inputRange)), [1, h, w, c]);
    let acts: Activations;
    try {
      acts = model.run(x);
    } catch (err) {
      x.dispose();
      throw err;
    }
    if (!this.isConnected || model !== this.net) {
      acts.dispose();
      x.dispose();
      return;
    }
    this.release();
    this.acts = acts;
    this.inputTensor = x;
    this.inputCanvas = canvas;
    await this.readSource();
  }

  /** Reads what the chosen layer and channel need, then works out the unit. */
  private async readSource(): Promise<void> {
    const model = this.net;
    const acts = this.acts;
    if (!model || !acts) return;
    const seq = ++this.readSeq;
    const layers = explainableLayers(model);
    const layer = this.layer ? model.layers.find((l) => l.name === this.layer) : layers[0];
    try {
      if (!layer) throw new ElementError('cnn-conv-explainer', `no layer named '${this.layer}' in this model; the layers with arithmetic to show are: ${layers.map((l) => l.name).join(', ')}`);
      if (!unitKind(layer)) {
        this.note = explainerText.msg(this, 'noArithmetic', { layer: layer.name, className: layer.className, layers: layers.map((l) => l.name).join(', ') });
        this.setState('ready');
        return;
      }
      const shape = layer.outputShape;
      const channels = shape[shape.length - 1]!;
      const channel = Math.min(Math.max(0, Math.trunc(this.channel) || 0), channels - 1);
      const src = await readUnitSource(await sharedEngine(), model, acts, layer.name, channel);
      if (seq !== this.readSeq || acts !== this.acts) return;
      this.source = src;
      this.focusChannel = src.kind === 'conv' ? this.clampFocus(this.focusChannel) : 0;
      if (src.kind !== 'dense') {
        const [oh, ow] = src.outputShape as [number, number];
        if (!(this.x >= 0 && this.x < ow)) this.x = Math.floor((ow - 1) / 2);
        if (!(this.y >= 0 && this.y < oh)) this.y = Math.floor((oh - 1) / 2);
        if (!this.playing) this.filled = oh * ow;
      }
      this.explainNow();
      this.problem = null;
      this.setState('ready');
      await this.updateComplete;
      const u = this.unit!;
      this.emit<ExplainerReadyDetail>('cnn-ready', {
        model: this.netName, layer: src.layer, className: src.className, channel: src.channel,
        x: u.x, y: u.y, value: u.value, engineValue: u.engineValue, tolerance: u.tolerance,
      });
    } catch (err) {
      if (seq === this.readSeq) this.fail('run', err, explainerText.msg(this, 'runFailed'));
    }
  }

  /** Works out the current unit from the source already read (no GPU work) and its receptive field. */
  private explainNow(): void {
    const src = this.source;
    const model = this.net;
    if (!src || !model) return;
    const dense = src.kind === 'dense';
    const [x, y] = dense ? [0, 0] : [this.x, this.y];
    this.unit = explainUnit(src, y, x);
    try {
      this.rf = dense ? null : explain.receptiveField(model, src.layer, { y, x });
    } catch {
      // A layer behind a step that loses positions (a Reshape, say) has no rectangle to outline.
      this.rf = null;
    }
  }

  // ---- state ----

  protected override setState(s: ExplainerState): void {
    this.state = s;
  }

  private fail(phase: ExplainerErrorDetail['phase'], err: unknown, title: string): void {
    this.pause();
    if (!(err instanceof WebGpuUnavailableError)) this.setState('error');
    this.handleFailure(phase, err, title);
  }
}
