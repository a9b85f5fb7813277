import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import {
  drawFeatureMaps,
  endsInSoftmax,
  explain,
  topK,
  WebGpuUnavailableError,
  type Activations,
  type FeatureMapColors,
  type FeatureMapNormalize,
  type FeatureMaps,
  type Prediction,
  type Tensor,
} from '../../src/index.js';
import { tokens } from './theme.js';
import { layerViewerStyles } from './layer-viewer-styles.js';
import { atInputSize, onnxInfo, sharedEngine, type Model } from './shared-engine.js';
import { CnnElement, type CnnErrorDetail } from './cnn-element.js';
import { ElementError } from './errors.js';
import { defaultLayer, fmt, labelLines, labelsFromMetadata, parseChannelList, parseInputSize, parseLabels, parseNames, parseRange, pickChannels, shapeText } from './attributes.js';
import { normalizePixels } from './preprocess.js';
import { copySource, drawInput, canvasPixels, LatestImageLoader, loadImage, type Fit, type InputSource } from './image-pixels.js';
import { describeLayer, describeTile, legendGradient } from './describe.js';
import { ChannelDetail } from './channel-detail.js';
import { LooksFor } from './looks-for.js';
import { nextTile } from './tile-keys.js';
import { viewerText, type ViewerStrings } from './layer-viewer-messages.js';
import type { Fields } from './url-state.js';

export type ViewerState = 'idle' | 'unsupported' | 'loading' | 'waiting' | 'running' | 'ready' | 'error';

export interface ReadyDetail {
  model: string;
  inputShape: number[];
  layers: { name: string; className: string; shape: number[]; min: number; max: number }[];
  predictions: Prediction[] | null;
  /** Milliseconds from input to drawn tiles. */
  ms: number;
}
export type ErrorDetail = CnnErrorDetail<'webgpu' | 'model' | 'image' | 'run' | 'labels'>;
export interface LayerSelectDetail {
  layer: string;
  className: string;
  channel: number;
  shape: number[];
  min: number;
  max: number;
}


/**
 * Every layer of a convolutional network, for an input a reader chooses: per layer a grid of its
 * feature maps (one tile per channel) with the layer's name, shape and value range; a tile opens
 * large beside the input with the value under the pointer; classifiers show their top-k classes.
 *
 * @example
 * <cnn-layer-viewer model="models/mnist/model.json" src="three.png" channels="8"></cnn-layer-viewer>
 * <cnn-layer-viewer model="alexnet.onnx" src="cat.jpg" input-range="0 1" mean="0.485 0.456 0.406" std="0.229 0.224 0.225" labels="imagenet.txt"></cnn-layer-viewer>
 *
 * A model can also be dropped onto the element (a `.onnx` with its external data files, or a
 * model.json with its shards), or given as files to `openModelFiles()`; a dropped image becomes the input.
 *
 * @fires cnn-ready - A pass is drawn (after the first load and after every new input). detail: {model, inputShape, layers: [{name, className, shape, min, max}], predictions, ms}
 * @fires cnn-error - Something failed; the element shows it in place. detail: {message, phase: 'webgpu' | 'model' | 'image' | 'run' | 'labels', error}
 * @fires cnn-layer-select - A tile was opened large. detail: {layer, className, channel, shape, min, max}
 * @slot - Content beside the input, e.g. a `<cnn-image-input>`, which then feeds this viewer.
 * @csspart base - The element's box.
 * @csspart input - The input as the model sees it.
 * @csspart predictions - The top-k list of a classifier.
 * @csspart layer - One layer's section; @csspart layer-header - its name, shape and range.
 * @csspart tile - A feature-map button; @csspart tile-canvas - its pixels.
 * @csspart detail - The opened tile beside the input; @csspart looks-for - its channel's optimised image and dataset examples (a `<cnn-feature-vis>`), shown on request.
 * @csspart progress - The loading indicator. @csspart notice - The no-WebGPU or error box.
 * @cssprop --cnn-tile-size - Width of a tile (72px). @cssprop --cnn-input-size - Width of the input (160px).
 * @cssprop --cnn-detail-size - Width of the opened tile and input (240px). @cssprop --cnn-gap - Space between tiles.
 * @cssprop --cnn-fg, --cnn-bg, --cnn-surface, --cnn-border, --cnn-muted, --cnn-accent, --cnn-error - Colours.
 * @cssprop --cnn-font, --cnn-mono, --cnn-radius - Type and corners.
 */
export class CnnLayerViewer extends CnnElement {
  static override styles = [tokens, layerViewerStyles];

  /** URL of an ONNX model (`.onnx`, external data beside it) or a TensorFlow.js layers model.json (weights beside it). */
  @property() model = '';
  /** URL of an image to run the model on. */
  @property() src = '';
  /** Layer names to show (space or comma separated); empty: every layer but the input and identities. */
  @property() layers = '';
  /** Channels per layer: a count ("8": the first 8), "all", or a list ("0, 3, 5-7"). */
  @property() channels = '8';
  /** 'auto' (diverging for layers with negative values, else sequential), 'sequential' or 'diverging'. */
  @property() colormap: FeatureMapColors = 'auto';
  /** Colour scale: each channel its own range ('channel'), one per layer ('layer'), or one over all shown layers ('global'). */
  @property({ attribute: 'normalize' }) normalization: FeatureMapNormalize = 'channel';
  /**
   * Class names for a classifier's outputs: a JSON array, a comma-separated list, or a URL of a JSON
   * array or a text file with one name per line. Empty: the names an ONNX file carries in its metadata, if any.
   */
  @property() labels = '';
  /** How many classes to list for a classifier (0: none). */
  @property({ attribute: 'top-k', type: Number }) topK = 5;
  /** The values black and white pixels become ("0 1"; "0 255" for models that expect bytes). */
  @property({ attribute: 'input-range' }) inputRange = '0 1';
  /** Subtracted per channel after `input-range` ("0.485 0.456 0.406" for PyTorch's ImageNet models); empty: none. */
  @property() mean = '';
  /** Divided per channel after `mean` ("0.229 0.224 0.225"); empty: none. */
  @property() std = '';
  /** 'rgb', or 'bgr' for models that take blue first (Caffe, OpenCV). */
  @property({ attribute: 'channel-order' }) channelOrder: 'rgb' | 'bgr' = 'rgb';
  /**
   * [height, width] ("224" or "224 224") for an ONNX model whose input size is free; empty: the
   * size of the image given. A fixed size in the file wins.
   */
  @property({ attribute: 'input-size' }) inputSize = '';
  /** How an image of another aspect ratio becomes the model's input: 'cover', 'contain' or 'fill'. */
  @property() fit: Fit = 'cover';
  /**
   * Inputs to find a channel's dataset examples in, beside its optimised image in the opened tile:
   * a folder of MNIST idx files (ending in `/`) or image URLs separated by spaces.
   */
  @property({ attribute: 'dataset' }) examplesFrom = '';
  /** What the element is doing; reflected so pages and tests can wait on it. Read-only. */
  @property({ reflect: true }) state: ViewerState = 'idle';

  @state() private snapshots: FeatureMaps[] = [];
  @state() private predictions: Prediction[] | null = null;
  @state() private warning = '';
  @state() private focusAt = { layer: 0, tile: 0 };
  /** Layers the reader asked to see every channel of ("Show all"), by name. */
  @state() private expanded = new Set<string>();
  /** The current input is one flat colour (an empty drawing pad): no prediction is shown for it. */
  @state() private blankInput = false;
  /** A tile (and unit) to open once the layers are drawn: from the URL's fragment. */
  private pendingOpen: { layer: string; channel: number; unit: [number, number] | null } | null = null;

  private readonly detail = new ChannelDetail(this, {
    snapshots: () => this.snapshots,
    tensor: (name) => this.activations?.outputs.get(name),
    closed: (layer, tile) => void this.updateComplete.then(() => this.tileButton(layer, tile)?.focus()),
    strings: () => viewerText.strings(this),
    looksFor: (layer, channel) => this.looksFor.render(layer, channel, viewerText.strings(this)),
  });
  private readonly looksFor = new LooksFor(this, {
    model: () => (this.net ? { model: this.net, name: this.netName } : null),
    settings: () => ({ dataset: this.examplesFrom, inputRange: this.inputRange, fit: this.fit, steps: 64 }),
  });
  private net: Model | null = null;
  private netName = '';
  private activations: Activations | null = null;
  private inputTensor: Tensor | null = null;
  private inputCanvas: HTMLCanvasElement | null = null;
  private pending: HTMLCanvasElement | null = null;
  /** The last input given (at its own size), run again when the model changes or the element returns. */
  private lastSource: HTMLCanvasElement | null = null;
  private running = false;
  private drawSeq = 0;
  private painted: FeatureMaps[] | null = null;
  private readonly srcLoader = new LatestImageLoader();
  private labelList: string[] = [];
  /** Class names from the ONNX file's metadata, used when the `labels` attribute is empty. */
  private metaLabels: string[] = [];
  private outputValues: Float32Array | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.unsupported && !this.activations && this.lastSource && this.net) {
      this.pending ??= this.lastSource;
      void this.pump();
    }
  }

  /** Frees the activations this element holds on the GPU; they are recomputed if it comes back. */
  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.srcLoader.cancel();
    this.releaseActivations();
  }

  private releaseActivations(): void {
    this.activations?.dispose();
    this.inputTensor?.dispose();
    this.activations = null;
    this.inputTensor = null;
  }

  /** A different model: what was drawn for the old one goes, and the last input runs again. */
  private useModel(model: Model, name: string): void {
    if (model !== this.net) {
      this.releaseActivations();
      this.snapshots = [];
      this.detail.reset();
      this.looksFor.reset();
      this.predictions = null;
      this.outputValues = null;
    }
    this.net = model;
    this.netName = name;
    this.metaLabels = labelsFromMetadata(onnxInfo(model)?.metadata ?? new Map()) ?? [];
    this.problem = null;
    this.pending ??= this.lastSource;
    this.setState(this.pending ? 'running' : 'waiting');
    void this.pump();
  }

  /** The model now shown (loaded from `model` or given to `setModel`), or null. */
  get loadedModel(): Model | null {
    return this.net;
  }

  /** What each shown layer's tiles are: shapes, channels, ranges and the colour scale of each tile. */
  get shownLayers(): readonly Readonly<FeatureMaps>[] {
    return this.snapshots;
  }

  /** The classifier's top classes for the current input, or null. */
  get topPredictions(): Prediction[] | null {
    return this.predictions;
  }

  /** The input as fed to the model (at the model's resolution), or null before the first pass. */
  get input(): HTMLCanvasElement | null {
    return this.inputCanvas;
  }

  /**
   * Shows `model` (for instance one trained on this page) instead of the `model` URL. The viewer does
   * not dispose it.
   */
  setModel(model: Model, name = model.name): void {
    this.cancelModelLoad();
    // A model given after a lost GPU (a trainer resumed on a new one): it runs again.
    if (!model.engine.isLost) this.gpuLoss = null;
    this.useModel(model, name);
  }

  /**
   * Runs the model on `source` (an image, canvas, video frame or ImageData). Calls made while a pass
   * is running coalesce: only the latest input runs next, so a drawing pad can call this on every stroke.
   */
  setInput(source: InputSource): void {
    const copy = copySource(source);
    this.pending = copy;
    this.lastSource = copy;
    void this.pump();
  }

  /** The values of a layer's output as the engine computed them (a fresh read-back of the whole tensor). */
  async readLayer(name: string): Promise<{ shape: number[]; values: Float32Array }> {
    const t = this.activations?.outputs.get(name);
    if (!t) throw new ElementError('cnn-layer-viewer', `no output for layer '${name}' (shown: ${this.snapshots.map((s) => s.name).join(', ') || 'none'})`);
    return { shape: [...t.shape], values: await t.read() };
  }

  /**
   * Shows the model in `files` (dropped or picked: a `.onnx` with its external data files, or a
   * model.json with its weight shards) instead of the `model` URL.
   */
  async openModelFiles(files: FileList | readonly File[]): Promise<void> {
    if (this.unsupported) return;
    const list = Array.from(files as ArrayLike<File>);
    try {
      const model = await this.loadFileModel(list);
      const main = list.find((f) => /\.(onnx|json)$/i.test(f.name)) ?? list[0];
      if (model) this.useModel(model, main?.name ?? model.name);
    } catch (err) {
      this.fail('model', err, viewerText.msg(this, 'modelFailed', { url: list.map((f) => f.name).join(', ') }));
    }
  }

  /** The `input-size` attribute, else the last image's size (a free-size ONNX model takes it), else 224×224. */
  protected override modelInputSize(): readonly [number, number] | undefined {
    const src = this.lastSource;
    return parseInputSize(this.inputSize) ?? (src ? [src.height, src.width] : [224, 224]);
  }

  private onDragOver = (ev: DragEvent): void => {
    if (!ev.dataTransfer?.types.includes('Files')) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = 'copy';
  };

  /** A dropped model (.onnx and its data, or model.json and shards) loads; a dropped image becomes the input. */
  private onDrop = (ev: DragEvent): void => {
    const files = [...(ev.dataTransfer?.files ?? [])];
    if (files.length === 0) return;
    ev.preventDefault();
    const model = files.filter((f) => /\.(onnx|json|bin|data|pb)$/i.test(f.name) || !f.type.startsWith('image/'));
    const image = files.find((f) => f.type.startsWith('image/'));
    if (model.some((f) => /\.(onnx|json)$/i.test(f.name))) void this.openModelFiles(model);
    if (image) {
      const url = URL.createObjectURL(image);
      void loadImage(url)
        .then((img) => this.setInput(img))
        .catch((err: unknown) => this.fail('image', err, viewerText.msg(this, 'imageFailed')))
        .finally(() => URL.revokeObjectURL(url));
    }
  };

  // Loads start here, not in updated(): what they set synchronously (state, progress) joins this update.
  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('labels')) void this.loadLabels();
    if (changed.has('model') && this.model) void this.loadModel();
    else if (changed.has('inputSize') && changed.get('inputSize') !== undefined && this.net) this.rerun();
    const preprocess = (['inputRange', 'mean', 'std', 'channelOrder', 'fit'] as const).some((k) => changed.has(k) && changed.get(k) !== undefined);
    if (preprocess && this.net) this.rerun();
    if (changed.has('src') && this.src) void this.loadSrc();
    if (changed.has('topK')) this.updatePredictions();
  }

  protected override updated(changed: PropertyValues<this>): void {
    const redraw = ['layers', 'channels', 'colormap', 'normalization'].some((k) => changed.has(k as keyof CnnLayerViewer));
    if (redraw && this.activations && !this.running) void this.redraw().catch((e: unknown) => this.fail('run', e));
    this.paint();
  }

  /** Runs the last input again (the preprocessing or the input size changed). */
  private rerun(): void {
    this.pending ??= this.lastSource;
    void this.pump();
  }

  override render(): TemplateResult {
    if (this.unsupported) return html`<div part="base">${this.renderUnsupported()}</div>`;
    const t = viewerText.strings(this);
    return html`<div part="base" @dragover=${this.onDragOver} @drop=${this.onDrop}>
      ${this.renderProblem()} ${this.state === 'loading' ? this.renderLoading() : nothing}
      <div class="top">
        <figure class="input" part="input" ?hidden=${!this.inputCanvas}>
          <div class="input-box">
            <canvas class="input-canvas pixels" role="img" aria-label=${t('inputAria')}></canvas>
            ${this.renderReceptiveField()}
          </div>
          <figcaption>${this.inputCaption(t)}</figcaption>
        </figure>
        ${this.detail.render()}
        <slot></slot>
        ${this.renderPredictions(t)}
      </div>
      ${this.state === 'waiting' ? html`<p class="status" role="status">${t('waiting')}</p>` : nothing}
      ${this.state === 'running' && this.snapshots.length === 0 ? html`<p class="status" role="status">${t('running')}</p>` : nothing}
      ${this.warning ? html`<p class="warning" role="alert">${this.warning}</p>` : nothing}
      <div class="layers" @keydown=${this.onTileKey}>${this.snapshots.map((s, li) => this.renderLayer(s, li, t))}</div>
    </div>`;
  }

  private inputCaption(t: ViewerStrings): string {
    const shape = this.net?.inputShape;
    return shape ? t('inputCaption', { size: shape.slice(0, 2).join('×'), kind: t(shape[2] === 1 ? 'grey' : 'rgb') }) : t('input');
  }

  /**
   * The input pixels the unit under the opened map's cursor depends on, exactly (strides, padding,
   * dilation, pooling and branches), as [top, left, bottom, right] inclusive; null for none.
   */
  get receptiveField(): { top: number; left: number; bottom: number; right: number } | null {
    const d = this.detail.current;
    const s = d ? this.snapshots[d.layer] : undefined;
    if (!d?.cursor || !s || s.vector || !this.net) return null;
    try {
      const rf = explain.receptiveField(this.net, s.name, { y: d.cursor[1], x: d.cursor[0] });
      return rf.empty ? null : { top: rf.top, left: rf.left, bottom: rf.bottom, right: rf.right };
    } catch {
      return null;
    }
  }

  private renderReceptiveField(): TemplateResult | typeof nothing {
    const rf = this.receptiveField;
    const [h, w] = (this.net?.inputShape ?? []) as number[];
    if (!rf || !h || !w) return nothing;
    const pct = (v: number, of: number) => `${(v / of) * 100}%`;
    return html`<span
      class="receptive-field"
      part="receptive-field"
      aria-hidden="true"
      style="left: ${pct(rf.left, w)}; top: ${pct(rf.top, h)}; width: ${pct(rf.right - rf.left + 1, w)}; height: ${pct(rf.bottom - rf.top + 1, h)}"
    ></span>`;
  }

  private renderPredictions(t: ViewerStrings): TemplateResult | typeof nothing {
    if (this.blankInput && this.outputValues && this.topK > 0) return html`<p class="predictions blank" part="predictions" role="status">${t('blank')}</p>`;
    const p = this.predictions;
    if (!p || p.length === 0) return nothing;
    return html`<figure class="predictions" part="predictions">
      <ol aria-label=${t('topAria', { k: p.length })}>
        ${p.map(
          (x) => html`<li>
            <span class="label">${x.label}</span>
            <span class="bar" aria-hidden="true"><span style="width: ${(x.probability * 100).toFixed(1)}%"></span></span>
            <span class="pct">${(x.probability * 100).toFixed(1)}%</span>
          </li>`,
        )}
      </ol>
      <figcaption>${t('topCaption', { k: p.length, n: this.outputValues?.length ?? '?' })}</figcaption>
    </figure>`;
  }

  /** True for a layer whose outputs are a softmax's: class probabilities. */
  private isProbabilities(s: FeatureMaps): boolean {
    const layer = this.net?.layers.find((l) => l.name === s.name);
    return s.vector && !!layer && (layer.className === 'Softmax' || layer.config?.activation === 'softmax' || (layer.className === 'OnnxSoftmax' && layer.config?.log !== true));
  }

  private renderLayer(s: FeatureMaps, li: number, t: ViewerStrings): TemplateResult {
    const total = this.snapshots.length;
    const opened = this.detail.current;
    const selected = opened && opened.layer === li ? opened.tile : -1;
    const probs = this.isProbabilities(s);
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    const range = probs ? t('probabilitiesRange', { min: pct(s.min), max: pct(s.max) }) : `${fmt(s.min)} … ${fmt(s.max)}`;
    const cells = s.shape.slice(1).reduce((a, b) => a * b, 1);
    return html`<section class="layer" part="layer" role="group" aria-labelledby="name-${li}" aria-describedby="desc-${li}" data-layer=${s.name}>
      <header part="layer-header">
        <h3 id="name-${li}">${s.name}</h3>
        ${probs ? html`<span class="kind">${t('probabilities')}</span>` : nothing}
        <span class="meta">${this.kindOf(s)} · ${shapeText(s.shape)} · ${range}</span>
        ${s.vector ? nothing : this.renderChannelCount(s, t)}
        <span class="legend"
          ><span aria-hidden="true">${s.map === 'diverging' ? '−' : t('low')}<i style="background: ${legendGradient(s.map)}"></i>${s.map === 'diverging' ? '+' : t('high')}</span>
          ${s.vector ? nothing : html`<span class="scale">${t(this.normalization === 'layer' ? 'scaleLayer' : this.normalization === 'global' ? 'scaleGlobal' : 'scaleChannel')}</span>`}</span
        >
      </header>
      <p id="desc-${li}" class="sr-only">${describeLayer(s, li, total, this.normalization, t)}</p>
      <div class="tiles">
        ${s.channels.map(
          (c, ti) => html`<button
            class="tile ${s.vector ? 'vector' : ''}"
            part="tile"
            data-layer=${li}
            data-tile=${ti}
            data-channel=${c}
            tabindex=${this.focusAt.layer === li && this.focusAt.tile === ti ? 0 : -1}
            aria-pressed=${selected === ti ? 'true' : 'false'}
            aria-label=${describeTile(s, ti, t)}
            @click=${() => this.open(li, ti)}
            @focus=${() => (this.focusAt = { layer: li, tile: ti })}
          >
            <canvas class="pixels" part="tile-canvas" width=${s.tileWidth} height=${s.tileHeight}></canvas>
            ${s.vector
              ? probs && cells <= 32
                ? html`<span class="classes" role="list" aria-label=${t('classesAria')} style="grid-template-columns: repeat(${cells}, 1fr)"
                    >${Array.from({ length: cells }, (_, i) => html`<span role="listitem">${this.classNames[i] ?? i}</span>`)}</span
                  >`
                : nothing
              : html`<span class="ch" aria-hidden="true">${c}</span>`}
          </button>`,
        )}
      </div>
    </section>`;
  }

  /** The layer's class, with the ONNX operator it came from beside it ("OnnxConv (Conv)"). */
  private kindOf(s: FeatureMaps): string {
    const op = this.net?.layers.find((l) => l.name === s.name)?.config?.op_type;
    return typeof op === 'string' && op !== s.className ? `${s.className} (${op})` : s.className;
  }

  /** "8 of 32 channels" and the button that shows them all (or the chosen few again). */
  private renderChannelCount(s: FeatureMaps, t: ViewerStrings): TemplateResult {
    const open = this.expanded.has(s.name);
    const few = pickChannels(this.channels, s.channelCount).length;
    const toggle =
      open && few < s.channelCount
        ? html`<button class="more" part="more" aria-label=${t('showFewerAria', { n: few, layer: s.name })} @click=${() => this.showAll(s.name, false)}>${t('showFewer', { n: few })}</button>`
        : !open && s.channels.length < s.channelCount
          ? html`<button class="more" part="more" aria-label=${t('showAllAria', { total: s.channelCount, layer: s.name })} @click=${() => this.showAll(s.name, true)}>${t('showAll', { total: s.channelCount })}</button>`
          : nothing;
    return html`<span class="count">${t('channelsShown', { shown: s.channels.length, total: s.channelCount })} ${toggle}</span>`;
  }

  /** Shows every channel of `layer` (or, with `all` false, the `channels` attribute's choice again). */
  showAll(layer: string, all = true): void {
    const next = new Set(this.expanded);
    if (all) next.add(layer);
    else next.delete(layer);
    this.expanded = next;
    if (this.activations && !this.running) void this.redraw().catch((e: unknown) => this.fail('run', e));
  }

  // ---- loading ----

  /** After a lost GPU: the `model` URL loads again on the new engine and the last input runs (a model given by script cannot be). */
  protected override async restartAfterLoss(): Promise<boolean | null> {
    this.releaseActivations();
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
      if (model) this.useModel(model, url);
    } catch (err) {
      this.fail('model', err, viewerText.msg(this, 'modelFailed', { url }));
    }
  }

  private async loadSrc(): Promise<void> {
    if (this.unsupported) return;
    try {
      const img = await this.srcLoader.load(this.src);
      if (img) this.setInput(img);
    } catch (err) {
      this.fail('image', err, viewerText.msg(this, 'imageFailed'))
    }
  }

  private async loadLabels(): Promise<void> {
    try {
      const parsed = parseLabels(this.labels);
      if (parsed) {
        this.labelList = parsed;
      } else {
        const res = await fetch(new URL(this.labels, document.baseURI));
        if (!res.ok) throw new ElementError('cnn-layer-viewer', `${this.labels}: HTTP ${res.status}`);
        const list = labelLines(await res.text());
        if (list.length === 0) throw new ElementError('cnn-layer-viewer', `${this.labels} holds no class names (a JSON array, or one name per line)`);
        this.labelList = list;
      }
      this.updatePredictions();
    } catch (err) {
      this.fail('labels', err, viewerText.msg(this, 'labelsFailed'));
    }
  }

  // ---- running ----

  private async pump(): Promise<void> {
    if (this.running || !this.net || !this.pending || this.unsupported || !this.isConnected) return;
    this.running = true;
    try {
      while (this.pending && this.net) {
        const source = this.pending;
        this.pending = null;
        // An ONNX model with a free input size is built at the image's size (or input-size's).
        const sized = await atInputSize(this.net, parseInputSize(this.inputSize) ?? [source.height, source.width]);
        if (sized !== this.net) this.net = sized;
        await this.runOnce(this.net, source);
      }
    } catch (err) {
      this.fail('run', err, viewerText.msg(this, 'runFailed'));
    } finally {
      this.running = false;
    }
  }

  private async runOnce(model: Model, source: HTMLCanvasElement): Promise<void> {
    const t0 = performance.now();
    const engine = await sharedEngine();
    const [h, w, c] = model.inputShape as [number, number, number];
    if (model.inputShape.length !== 3) throw new ElementError('cnn-layer-viewer', `the viewer runs image models (input [height, width, channels]); this model's input is [${model.inputShape.join(', ')}]`);
    this.setState('running');
    const canvas = drawInput(source, w, h, this.fit);
    const pixels = canvasPixels(canvas, c, parseRange(this.inputRange));
    const blank = pixels.every((v) => v === pixels[0]);
    normalizePixels(pixels, c, { mean: parseChannelList(this.mean, 'mean'), std: parseChannelList(this.std, 'std'), channelOrder: this.channelOrder });
    const x = engine.tensor(pixels, [1, h, w, c]);
    let acts: Activations;
    try {
      acts = model.run(x);
    } catch (err) {
      x.dispose();
      throw err;
    }
    if (!this.isConnected || model !== this.net) {
      // Removed, or given another model, while this pass was recorded: drop it.
      acts.dispose();
      x.dispose();
      return;
    }
    const previous = this.activations;
    const previousInput = this.inputTensor;
    this.activations = acts;
    this.inputTensor = x;
    this.inputCanvas = canvas;
    this.blankInput = blank;
    previous?.dispose();
    previousInput?.dispose();
    await this.redraw();
    if (this.topK > 0 && acts.output.rank === 2 && (endsInSoftmax(model) || this.classNames.length > 0)) {
      const out = await acts.output.read();
      this.outputValues = out.subarray(0, acts.output.shape[1]);
    } else {
      this.outputValues = null;
    }
    this.updatePredictions();
    if (this.detail.current) await this.detail.reload();
    await this.applyPendingOpen();
    this.problem = null;
    this.setState('ready');
    await this.updateComplete;
    this.emit<ReadyDetail>('cnn-ready', {
      model: this.netName,
      inputShape: [...model.inputShape],
      layers: this.snapshots.map((s) => ({ name: s.name, className: s.className, shape: s.shape, min: s.min, max: s.max })),
      predictions: this.predictions,
      ms: performance.now() - t0,
    });
  }

  /** Recomputes the tiles of the shown layers from the current activations (no re-run of the model). */
  private async redraw(): Promise<void> {
    const acts = this.activations;
    const model = this.net;
    if (!acts || !model) return;
    const seq = ++this.drawSeq;
    const engine = await sharedEngine();
    const wanted = parseNames(this.layers);
    const known = model.layers.filter((l) => acts.outputs.has(l.name));
    const missing = wanted.filter((n) => !known.some((l) => l.name === n));
    const chosen = wanted.length > 0 ? known.filter((l) => wanted.includes(l.name)).sort((a, b) => wanted.indexOf(a.name) - wanted.indexOf(b.name)) : known.filter((l) => defaultLayer(l.className));
    this.warning = missing.length ? viewerText.msg(this, 'noLayer', { missing: missing.map((n) => `'${n}'`).join(', '), known: known.map((l) => l.name).join(', ') }) : '';
    const requests = chosen.map((l) => {
      const tensor = acts.outputs.get(l.name)!;
      const vector = tensor.rank <= 2;
      const available = vector ? 1 : tensor.shape[tensor.rank - 1]!;
      return { name: l.name, className: l.className, tensor, channels: pickChannels(this.expanded.has(l.name) ? 'all' : this.channels, available) };
    });
    const snaps = await drawFeatureMaps(engine, requests, { map: this.colormap, normalize: this.normalization });
    if (seq !== this.drawSeq) return;
    this.snapshots = snaps;
    const f = this.focusAt;
    if (f.layer >= snaps.length || f.tile >= (snaps[f.layer]?.channels.length ?? 0)) this.focusAt = { layer: 0, tile: 0 };
    if ((this.detail.current?.layer ?? 0) >= snaps.length) this.detail.reset();
  }

  private updatePredictions(): void {
    const out = this.outputValues;
    this.predictions = out && this.net && !this.blankInput ? topK(out, this.topK, this.classNames, endsInSoftmax(this.net)) : null;
  }

  /** The `labels` attribute's names, else those in the ONNX file's metadata. */
  private get classNames(): string[] {
    return this.labels.trim() ? this.labelList : this.metaLabels;
  }

  // ---- drawing into the canvases ----

  /** Puts the read-back pixels into the canvases Lit rendered (after each update). */
  private paint(): void {
    const root = this.renderRoot as ShadowRoot;
    if (this.inputCanvas) {
      for (const target of root.querySelectorAll<HTMLCanvasElement>('canvas.input-canvas')) {
        if (target.width !== this.inputCanvas.width) target.width = this.inputCanvas.width;
        if (target.height !== this.inputCanvas.height) target.height = this.inputCanvas.height;
        target.getContext('2d')!.drawImage(this.inputCanvas, 0, 0);
      }
    }
    if (this.painted !== this.snapshots) {
      this.snapshots.forEach((s, li) => {
        const image = new ImageData(s.rgba, s.width, s.height);
        for (const tile of root.querySelectorAll<HTMLButtonElement>(`button.tile[data-layer="${li}"]`)) {
          const ti = Number(tile.dataset.tile);
          const canvas = tile.querySelector('canvas')!;
          canvas.getContext('2d')!.putImageData(image, -ti * s.tileWidth, 0, ti * s.tileWidth, 0, s.tileWidth, s.tileHeight);
        }
      });
      this.painted = this.snapshots;
    }
    this.detail.paint(root);
  }

  // ---- interaction ----

  private async open(layer: number, tile: number): Promise<void> {
    const s = this.snapshots[layer];
    if (!s) return;
    this.focusAt = { layer, tile };
    const [min, max] = s.channelRanges[tile] ?? [s.min, s.max];
    this.emit<LayerSelectDetail>('cnn-layer-select', { layer: s.name, className: s.className, channel: s.channels[tile]!, shape: s.shape, min, max });
    try {
      await this.detail.open(layer, tile);
    } catch (err) {
      this.fail('run', err, viewerText.msg(this, 'channelFailed'));
    }
  }

  private tileButton(layer: number, tile: number): HTMLButtonElement | null {
    return this.renderRoot.querySelector<HTMLButtonElement>(`button.tile[data-layer="${layer}"][data-tile="${tile}"]`);
  }

  private onTileKey = (ev: KeyboardEvent): void => {
    const target = ev.target as HTMLElement;
    if (!target.classList?.contains('tile')) return;
    if (ev.key === 'Escape' && this.detail.current) {
      ev.preventDefault();
      this.detail.close();
      return;
    }
    const at = { layer: Number(target.dataset.layer), tile: Number(target.dataset.tile) };
    const next = nextTile(ev.key, at, this.snapshots.map((s) => s.channels.length));
    if (!next) return;
    ev.preventDefault();
    this.focusAt = next;
    void this.updateComplete.then(() => this.tileButton(next.layer, next.tile)?.focus());
  };

  // ---- shareable state (the url-state attribute) ----

  /** The image URL, the layers shown in full, and the opened tile with the unit under the cursor. */
  protected override urlFields(): Fields {
    const d = this.detail.current;
    const s = d ? this.snapshots[d.layer] : undefined;
    const open = s && d ? { layer: s.name, channel: s.vector ? 0 : s.channels[d.tile]!, unit: d.cursor } : this.pendingOpen;
    return {
      model: this.hasAttribute('model') && this.model !== this.getAttribute('model') ? this.model : null,
      src: this.src && this.src !== this.getAttribute('src') ? this.src : null,
      show: [...this.expanded].join(','),
      layer: open?.layer,
      channel: open ? String(open.channel) : null,
      unit: open?.unit ? open.unit.join(',') : null,
    };
  }

  protected override restoreUrlFields(f: Record<string, string>): void {
    if (f.model) this.model = f.model;
    if (f.src) this.src = f.src;
    if (f.show !== undefined) this.expanded = new Set(parseNames(f.show));
    if (f.layer) {
      const unit = (f.unit ?? '').split(',').map(Number);
      this.pendingOpen = {
        layer: f.layer,
        channel: Math.max(0, Number.parseInt(f.channel ?? '0', 10) || 0),
        unit: unit.length === 2 && unit.every(Number.isInteger) ? [unit[0]!, unit[1]!] : null,
      };
      if (this.activations && !this.running) void this.applyPendingOpen();
    } else {
      this.pendingOpen = null;
      this.detail.reset();
    }
  }

  /** Opens the tile (and puts the cursor on the unit) the fragment named, once its layer is drawn. */
  private async applyPendingOpen(): Promise<void> {
    const want = this.pendingOpen;
    if (!want) return;
    let li = this.snapshots.findIndex((s) => s.name === want.layer);
    if (li < 0) {
      this.pendingOpen = null;
      return;
    }
    let s = this.snapshots[li]!;
    if (!s.vector && !s.channels.includes(want.channel) && want.channel < s.channelCount) {
      this.expanded = new Set([...this.expanded, s.name]);
      await this.redraw();
      li = this.snapshots.findIndex((x) => x.name === want.layer);
      s = this.snapshots[li]!;
    }
    const tile = s.vector ? 0 : Math.max(0, s.channels.indexOf(want.channel));
    this.pendingOpen = null;
    await this.detail.open(li, tile);
    if (want.unit) this.detail.setCursor(want.unit[0], want.unit[1]);
  }

  // ---- state ----

  protected override setState(s: ViewerState): void {
    this.state = s;
  }

  /** Shows the error in place (the no-WebGPU notice for a WebGpuUnavailableError); a labels error leaves the drawing up. */
  private fail(phase: ErrorDetail['phase'], err: unknown, title = viewerText.msg(this, 'somethingWrong')): void {
    if (phase !== 'labels' && !(err instanceof WebGpuUnavailableError)) this.setState('error');
    this.handleFailure(phase, err, title);
  }
}
