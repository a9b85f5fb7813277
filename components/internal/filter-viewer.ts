import { LitElement, html, css, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { Tensor } from '../../src/tensor.js';
import { colormap, readRgba, valueRanges } from '../../src/ops/colormap.js';
import { tokens } from './theme.js';
import { sharedEngine, sharedModel, hasWebGpu, WebGpuUnavailableError, type Model } from './shared-engine.js';
import { unsupportedNotice, errorNotice, messageOf, fire } from './notice.js';
import { fmt } from './attributes.js';
import { legendGradient } from './describe.js';

export type FilterViewerState = 'idle' | 'unsupported' | 'loading' | 'ready' | 'error';

interface FilterImage {
  layer: string;
  className: string;
  /** [kh, kw, ci, co] */
  shape: number[];
  filters: number;
  rgb: boolean;
  min: number;
  max: number;
  ranges: [number, number][];
  rgba: Uint8ClampedArray<ArrayBuffer>;
  width: number;
  height: number;
}

const CONV_CLASSES = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);

/**
 * A convolution layer's filters as images: with three input channels (a first layer on RGB
 * images) each filter is drawn in colour, red, green and blue showing its weights on each input
 * colour (grey is 0, brighter positive, darker negative); otherwise one input channel's weights
 * are drawn on a diverging scale (blue negative, white 0, red positive).
 *
 * @example
 * <cnn-filter-viewer model="models/face-recognition/model.json" layer="conv1"></cnn-filter-viewer>
 *
 * @fires cnn-ready - The filters are drawn. detail: {model, layer, className, shape, min, max}
 * @fires cnn-error - Loading or drawing failed; shown in place. detail: {message, phase, error}
 * @csspart base - The element's box. @csspart header - Layer name, shape and range.
 * @csspart filter - One filter's figure; @csspart filter-canvas - its pixels.
 * @csspart progress - The loading indicator. @csspart notice - The no-WebGPU or error box.
 * @cssprop --cnn-filter-size - Width of one filter (48px).
 * @cssprop --cnn-fg, --cnn-bg, --cnn-surface, --cnn-border, --cnn-muted, --cnn-accent - Colours.
 */
export class CnnFilterViewer extends LitElement {
  static override styles = [
    tokens,
    css`
      header {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 12px;
        align-items: baseline;
        font-size: 0.9em;
        margin-bottom: 8px;
      }
      header h3 {
        margin: 0;
        font-size: 1em;
        font-family: var(--_mono);
      }
      .meta,
      .note {
        color: var(--_muted);
      }
      .note {
        font-size: 0.85em;
        margin: 6px 0 0;
      }
      .grid {
        display: flex;
        flex-wrap: wrap;
        gap: var(--_gap);
        margin: 0;
        padding: 0;
        list-style: none;
      }
      canvas {
        width: var(--cnn-filter-size, 48px);
        height: auto;
        display: block;
        border-radius: 3px;
        border: 1px solid var(--_border);
      }
      .legend i {
        display: inline-block;
        width: 64px;
        height: 8px;
        border-radius: 2px;
        vertical-align: middle;
        margin: 0 4px;
      }
    `,
  ];

  /** URL of a TensorFlow.js layers model.json. */
  @property() model = '';
  /** The layer whose filters are shown; empty: the first convolution layer. */
  @property() layer = '';
  /** For filters without three input channels: which input channel's weights to draw. */
  @property({ attribute: 'in-channel', type: Number }) inChannel = 0;
  /** 'channel': each filter on its own scale (default); 'layer': all on the layer's scale. */
  @property({ attribute: 'normalize' }) normalization: 'channel' | 'layer' = 'channel';
  /** At most this many filters are drawn. */
  @property({ attribute: 'max-filters', type: Number }) maxFilters = 64;
  /** What the element is doing (reflected). Read-only. */
  @property({ reflect: true }) state: FilterViewerState = 'idle';

  @state() private image: FilterImage | null = null;
  @state() private progress = 0;
  @state() private problem: { title: string; message: string } | null = null;
  @state() private unsupported = '';

  private net: Model | null = null;
  private netName = '';
  private abort: AbortController | null = null;
  private painted: FilterImage | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    if (!hasWebGpu()) this.showUnsupported('This browser does not offer WebGPU (navigator.gpu is missing).');
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.abort?.abort();
  }

  /** What is drawn: the layer, its kernel shape, the range of its weights and of each filter. */
  get shown(): Readonly<Omit<FilterImage, 'rgba'>> | null {
    return this.image;
  }

  /** Shows the filters of `model` (not disposed by the viewer) instead of loading `model` by URL. */
  setModel(model: Model, name = model.name): void {
    this.abort?.abort();
    this.net = model;
    this.netName = name;
    void this.draw();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('model') && this.model) void this.load();
    else if ((changed.has('layer') || changed.has('inChannel') || changed.has('normalization') || changed.has('maxFilters')) && this.net) void this.draw();
  }

  protected override updated(): void {
    this.paint();
  }

  override render(): TemplateResult {
    if (this.unsupported) return html`<div part="base">${unsupportedNotice(this.unsupported)}</div>`;
    const img = this.image;
    return html`<div part="base">
      ${this.problem ? errorNotice(this.problem.title, this.problem.message) : nothing}
      ${this.state === 'loading'
        ? html`<div class="progress" part="progress" role="status">
            <progress max="1" .value=${this.progress} aria-label="Loading the model"></progress>
            <span>Loading the model… ${Math.round(this.progress * 100)}%</span>
          </div>`
        : nothing}
      ${img
        ? html`<header part="header">
              <h3>${img.layer}</h3>
              <span class="meta">${img.className} · ${img.shape[3]} filters of ${img.shape[0]}×${img.shape[1]}×${img.shape[2]} · weights ${fmt(img.min)} … ${fmt(img.max)}</span>
            </header>
            <ul class="grid" aria-label="${img.filters} of the ${img.shape[3]} filters of ${img.layer}">
              ${Array.from({ length: img.filters }, (_, o) => {
                const [lo, hi] = img.ranges[o]!;
                return html`<li part="filter">
                  <canvas
                    part="filter-canvas"
                    class="pixels"
                    data-filter=${o}
                    width=${img.shape[1]}
                    height=${img.shape[0]}
                    role="img"
                    aria-label="Filter ${o}: ${img.shape[0]} by ${img.shape[1]}, weights ${fmt(lo)} to ${fmt(hi)}"
                  ></canvas>
                </li>`;
              })}
            </ul>
            <p class="note legend">
              ${img.rgb
                ? 'Each filter’s weights on the red, green and blue input: grey is 0, brighter is positive, darker negative.'
                : html`Weights on input channel ${this.inChannel}: <i style="background: ${legendGradient('diverging')}"></i> blue negative, white 0, red positive.`}
              ${this.normalization === 'channel' ? ' Each filter on its own scale.' : ' All filters on one scale.'}
            </p>`
        : nothing}
    </div>`;
  }

  private async load(): Promise<void> {
    if (this.unsupported) return;
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.problem = null;
    this.state = 'loading';
    try {
      const model = await sharedModel(this.model, { signal: abort.signal, onProgress: (f) => (this.progress = f) });
      if (abort.signal.aborted) return;
      this.net = model;
      this.netName = this.model;
      await this.draw();
    } catch (err) {
      if (abort.signal.aborted) return;
      if (err instanceof WebGpuUnavailableError) this.showUnsupported(err.message);
      else this.fail(err, `The model ${this.model} could not be loaded`);
    }
  }

  private async draw(): Promise<void> {
    const model = this.net;
    if (!model) return;
    try {
      const engine = await sharedEngine();
      const layer = this.layer ? model.layers.find((l) => l.name === this.layer) : model.layers.find((l) => CONV_CLASSES.has(l.className));
      if (!layer) {
        const convs = model.layers.filter((l) => CONV_CLASSES.has(l.className)).map((l) => l.name);
        throw new Error(this.layer ? `no layer named '${this.layer}'; the convolution layers are: ${convs.join(', ') || 'none'}` : 'the model has no convolution layer');
      }
      const kernel: Tensor | undefined = layer.weights.find((w) => /\/(depthwise_)?kernel$/.test(w.name))?.tensor;
      if (!kernel || kernel.rank !== 4) throw new Error(`layer '${layer.name}' (${layer.className}) has no 4-D kernel to draw`);
      const shape = [...kernel.shape];
      const rgb = shape[2] === 3;
      const filters = Math.min(shape[3]!, Math.max(1, this.maxFilters));
      const inChannel = Math.min(Math.max(0, this.inChannel), shape[2]! - 1);
      const ranges = valueRanges(engine, kernel);
      const img = colormap(engine, kernel, ranges, {
        channels: Array.from({ length: filters }, (_, i) => i),
        view: 'hwio',
        map: rgb ? 'rgb' : 'diverging',
        normalize: this.normalization === 'layer' ? 'layer' : 'channel',
        inChannel: rgb ? 0 : inChannel,
      });
      let r: Float32Array;
      let rgba: Uint8ClampedArray<ArrayBuffer>;
      try {
        [r, rgba] = await Promise.all([ranges.read(), readRgba(img)]);
      } finally {
        ranges.dispose();
        img.pixels.dispose();
      }
      const co = shape[3]!;
      this.image = {
        layer: layer.name,
        className: layer.className,
        shape,
        filters,
        rgb,
        min: r[co * 2]!,
        max: r[co * 2 + 1]!,
        ranges: Array.from({ length: filters }, (_, o) => [r[o * 2]!, r[o * 2 + 1]!] as [number, number]),
        rgba,
        width: img.width,
        height: img.height,
      };
      this.problem = null;
      this.state = 'ready';
      await this.updateComplete;
      fire(this, 'cnn-ready', { model: this.netName, layer: layer.name, className: layer.className, shape, min: this.image.min, max: this.image.max });
    } catch (err) {
      if (err instanceof WebGpuUnavailableError) this.showUnsupported(err.message);
      else this.fail(err, 'The filters could not be drawn');
    }
  }

  private paint(): void {
    const img = this.image;
    if (!img || this.painted === img) return;
    const data = new ImageData(img.rgba, img.width, img.height);
    const [kh, kw] = img.shape as [number, number];
    for (const canvas of this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-filter]')) {
      const o = Number(canvas.dataset.filter);
      canvas.getContext('2d')!.putImageData(data, -o * kw, 0, o * kw, 0, kw, kh);
    }
    this.painted = img;
  }

  private showUnsupported(reason: string): void {
    this.unsupported = reason;
    this.state = 'unsupported';
    fire(this, 'cnn-error', { message: reason, phase: 'webgpu', error: new WebGpuUnavailableError(reason) });
  }

  private fail(err: unknown, title: string): void {
    this.problem = { title, message: messageOf(err) };
    this.state = 'error';
    fire(this, 'cnn-error', { message: messageOf(err), phase: 'model', error: err });
  }
}
