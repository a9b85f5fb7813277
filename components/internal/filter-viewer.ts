import { html, css, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { drawFilters, filterLayer, layerKernel, WebGpuUnavailableError, type FilterImage } from '../../src/index.js';
import { tokens } from './theme.js';
import { sharedEngine, type Model } from './shared-engine.js';
import { CnnElement } from './cnn-element.js';
import { fmt } from './attributes.js';
import { filterText } from './filter-viewer-messages.js';
import type { Fields } from './url-state.js';
import { legendGradient } from './describe.js';

export type FilterViewerState = 'idle' | 'unsupported' | 'loading' | 'ready' | 'error';

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
export class CnnFilterViewer extends CnnElement {
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

  private net: Model | null = null;
  private netName = '';
  private painted: FilterImage | null = null;

  /** What is drawn: the layer, its kernel shape, the range of its weights and of each filter. */
  get shown(): Readonly<Omit<FilterImage, 'rgba'>> | null {
    return this.image;
  }

  /** Shows the filters of `model` (not disposed by the viewer) instead of loading `model` by URL. */
  setModel(model: Model, name = model.name): void {
    this.cancelModelLoad();
    // A model given after a lost GPU (a trainer resumed on a new one): it runs again.
    if (!model.engine.isLost) this.gpuLoss = null;
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
    if (this.unsupported) return html`<div part="base">${this.renderUnsupported()}</div>`;
    const img = this.image;
    const t = filterText.strings(this);
    return html`<div part="base">
      ${this.renderProblem()} ${this.state === 'loading' ? this.renderLoading() : nothing}
      ${img
        ? html`<header part="header">
              <h3>${img.layer}</h3>
              <span class="meta">${t('meta', { className: img.className, n: img.shape[3]!, h: img.shape[0]!, w: img.shape[1]!, c: img.shape[2]!, min: fmt(img.min), max: fmt(img.max) })}</span>
            </header>
            <ul class="grid" aria-label=${t('gridAria', { shown: img.filters, n: img.shape[3]!, layer: img.layer })}>
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
                    aria-label=${t('filterAria', { o, h: img.shape[0]!, w: img.shape[1]!, lo: fmt(lo), hi: fmt(hi) })}
                  ></canvas>
                </li>`;
              })}
            </ul>
            <p class="note legend">
              ${img.rgb
                ? t('rgb')
                : html`${t('channelBefore', { c: this.inChannel })} <i style="background: ${legendGradient('diverging')}"></i> ${t('channelAfter')}`}
              ${t(this.normalization === 'channel' ? 'ownScale' : 'oneScale')}
            </p>`
        : nothing}
    </div>`;
  }

  /** The layer and the input channel shown. */
  protected override urlFields(): Fields {
    return { layer: this.layer, channel: this.inChannel ? String(this.inChannel) : null };
  }

  protected override restoreUrlFields(f: Record<string, string>): void {
    if (f.layer) this.layer = f.layer;
    const c = Number(f.channel);
    if (Number.isInteger(c) && c >= 0) this.inChannel = c;
  }

  /** After a lost GPU: the `model` URL loads again on the new engine and the filters are drawn again (a model given by script cannot be). */
  protected override async restartAfterLoss(): Promise<boolean | null> {
    if (!this.model) return this.net ? false : null;
    this.net = null;
    await this.load();
    return this.net !== null;
  }

  private async load(): Promise<void> {
    if (this.unsupported) return;
    try {
      const model = await this.loadSharedModel(this.model);
      if (!model) return;
      this.net = model;
      this.netName = this.model;
      await this.draw();
    } catch (err) {
      this.fail(err, filterText.msg(this, 'modelFailed', { url: this.model }));
    }
  }

  private async draw(): Promise<void> {
    const model = this.net;
    if (!model) return;
    try {
      const engine = await sharedEngine();
      const layer = filterLayer(model, this.layer);
      // An in-channel attribute past the kernel's input channels draws the last one.
      const inputs = layerKernel(layer)?.shape[2] ?? 1;
      this.image = await drawFilters(engine, layer, {
        maxFilters: this.maxFilters,
        inChannel: Math.min(Math.max(0, this.inChannel), inputs - 1),
        normalize: this.normalization === 'layer' ? 'layer' : 'channel',
      });
      this.problem = null;
      this.state = 'ready';
      await this.updateComplete;
      const { shape, min, max } = this.image;
      this.emit('cnn-ready', { model: this.netName, layer: layer.name, className: layer.className, shape, min, max });
    } catch (err) {
      this.fail(err, filterText.msg(this, 'drawFailed'));
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

  protected override setState(s: FilterViewerState): void {
    this.state = s;
  }

  private fail(err: unknown, title: string): void {
    if (!(err instanceof WebGpuUnavailableError)) this.state = 'error';
    this.handleFailure('model', err, title);
  }
}
