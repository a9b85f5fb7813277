/**
 * The opened tile of <cnn-layer-viewer>: one channel large beside the viewer's input (drawn once,
 * by the viewer, with the unit's receptive field outlined on it), with the value under the pointer
 * (or under a cursor the arrow keys move). A controller, so the viewer keeps the grid and this file
 * keeps the one channel: its values are read back alone (readChannel), not the layer.
 */
import { html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { readChannel, type FeatureMaps, type Tensor } from '../../src/index.js';
import { sharedEngine } from './shared-engine.js';
import { fmt } from './attributes.js';
import type { ViewerStrings } from './layer-viewer-messages.js';

export interface Opened {
  layer: number;
  tile: number;
  values: Float32Array | null;
  cursor: [number, number] | null;
}

export interface DetailSource {
  snapshots(): readonly FeatureMaps[];
  tensor(layer: string): Tensor | undefined;
  /** Called after Escape or Close, to give focus back to the tile. */
  closed(layer: number, tile: number): void;
  /** The words in the viewer's language. */
  strings(): ViewerStrings;
  /** What the opened channel looks for (its optimised image and dataset examples), or nothing. */
  looksFor(layer: string, channel: number): TemplateResult | typeof nothing;
}

export class ChannelDetail implements ReactiveController {
  private opened: Opened | null = null;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly source: DetailSource,
  ) {
    host.addController(this);
  }

  /** Nothing to set up: the controller only renders and reads when asked. */
  hostConnected(): void {}

  get current(): Readonly<Opened> | null {
    return this.opened;
  }

  /** Opens tile `tile` of layer `layer` and reads its values. */
  async open(layer: number, tile: number): Promise<void> {
    this.set({ layer, tile, values: null, cursor: null });
    await this.reload();
  }

  /** Reads the opened channel's values again (after a new input). */
  async reload(): Promise<void> {
    const d = this.opened;
    const s = d ? this.source.snapshots()[d.layer] : undefined;
    const t = s ? this.source.tensor(s.name) : undefined;
    if (!d || !s || !t) return;
    const values = await readChannel(await sharedEngine(), t, s.vector ? 0 : s.channels[d.tile]!);
    if (this.opened && this.opened.layer === d.layer && this.opened.tile === d.tile) this.set({ ...this.opened, values });
  }

  /** Puts the cursor on (x, y) of the opened map (clamped to it), as a pointer there would. */
  setCursor(x: number, y: number): void {
    const d = this.opened;
    const s = d ? this.source.snapshots()[d.layer] : undefined;
    if (!d || !s) return;
    const cx = Math.min(Math.max(Math.round(x), 0), s.tileWidth - 1);
    const cy = Math.min(Math.max(Math.round(y), 0), s.tileHeight - 1);
    this.set({ ...d, cursor: [cx, cy] });
  }

  close(): void {
    const d = this.opened;
    this.set(null);
    if (d) this.source.closed(d.layer, d.tile);
  }

  /** Closes without moving focus (the layers changed). */
  reset(): void {
    this.set(null);
  }

  render(): TemplateResult | typeof nothing {
    const d = this.opened;
    const s = d ? this.source.snapshots()[d.layer] : undefined;
    if (!d || !s) return nothing;
    const t = this.source.strings();
    const [lo, hi] = s.channelRanges[d.tile] ?? [s.min, s.max];
    const what = s.vector ? t('openedAll', { layer: s.name }) : t('openedChannel', { layer: s.name, channel: s.channels[d.tile]! });
    const cur = d.cursor;
    const value = cur && d.values ? d.values[cur[1] * s.tileWidth + cur[0]] : undefined;
    return html`<section class="detail" part="detail" role="region" aria-label=${t('openedAria', { what })} @keydown=${this.onKey}>
      <div class="detail-head">
        <h3>${what}</h3>
        <button class="close" @click=${() => this.close()} aria-label=${t('closeAria')}>${t('close')}</button>
      </div>
      <figure>
        <div class="map">
          <canvas
            class="detail-map pixels"
            tabindex="0"
            role="img"
            aria-label=${t('mapAria', { what, w: s.tileWidth, h: s.tileHeight })}
            aria-describedby="readout"
            width=${s.tileWidth}
            height=${s.tileHeight}
            @pointermove=${this.onPointer}
            @pointerdown=${this.onPointer}
          ></canvas>
          ${cur
            ? html`<span
                class="cursor"
                style="left: ${(cur[0] / s.tileWidth) * 100}%; top: ${(cur[1] / s.tileHeight) * 100}%; width: ${100 / s.tileWidth}%; height: ${100 / s.tileHeight}%"
              ></span>`
            : nothing}
        </div>
        <figcaption>${t('values', { lo: fmt(lo), hi: fmt(hi) })}</figcaption>
      </figure>
      <output id="readout" class="readout ${cur && value !== undefined ? '' : 'hint'}" aria-live="polite"
        >${cur && value !== undefined ? t('readout', { x: cur[0], y: cur[1], value: fmt(value) }) : t('readoutHint')}</output
      >
      ${s.vector ? nothing : this.source.looksFor(s.name, s.channels[d.tile]!)}
    </section>`;
  }

  /** Draws the opened tile's pixels (the same bytes as its tile in the grid). */
  paint(root: ParentNode): void {
    const d = this.opened;
    const s = d ? this.source.snapshots()[d.layer] : undefined;
    const big = root.querySelector<HTMLCanvasElement>('canvas.detail-map');
    if (!d || !s || !big) return;
    const image = new ImageData(s.rgba, s.width, s.height);
    big.getContext('2d')!.putImageData(image, -d.tile * s.tileWidth, 0, d.tile * s.tileWidth, 0, s.tileWidth, s.tileHeight);
  }

  private set(next: Opened | null): void {
    this.opened = next;
    this.host.requestUpdate();
  }

  private onKey = (ev: KeyboardEvent): void => {
    const d = this.opened;
    const s = d ? this.source.snapshots()[d.layer] : undefined;
    if (!d || !s) return;
    if (ev.key === 'Escape') {
      ev.preventDefault();
      this.close();
      return;
    }
    if (!(ev.target as HTMLElement).classList?.contains('detail-map')) return;
    const steps: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const step = steps[ev.key];
    if (!step) return;
    ev.preventDefault();
    // The first key press puts the cursor in the middle; later ones move it.
    const cursor: [number, number] = d.cursor
      ? [Math.min(Math.max(d.cursor[0] + step[0], 0), s.tileWidth - 1), Math.min(Math.max(d.cursor[1] + step[1], 0), s.tileHeight - 1)]
      : [Math.floor(s.tileWidth / 2), Math.floor(s.tileHeight / 2)];
    this.set({ ...d, cursor });
  };

  private onPointer = (ev: PointerEvent): void => {
    const d = this.opened;
    const s = d ? this.source.snapshots()[d.layer] : undefined;
    if (!d || !s) return;
    const rect = (ev.currentTarget as HTMLElement).getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return;
    const x = Math.min(s.tileWidth - 1, Math.max(0, Math.floor(((ev.clientX - rect.left) / rect.width) * s.tileWidth)));
    const y = Math.min(s.tileHeight - 1, Math.max(0, Math.floor(((ev.clientY - rect.top) / rect.height) * s.tileHeight)));
    if (d.cursor && d.cursor[0] === x && d.cursor[1] === y) return;
    this.set({ ...d, cursor: [x, y] });
  };
}
