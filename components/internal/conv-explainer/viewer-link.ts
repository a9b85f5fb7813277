/**
 * Following a `<cnn-layer-viewer>` named by id: its model and input after each pass (`cnn-ready`),
 * the tile the reader opens (`cnn-layer-select`), and the unit clicked in the opened map (a click
 * on its `canvas.detail-map`, read through the composed path, so the viewer needs to know nothing
 * of its followers). The viewer may come later in the page than its follower: the link waits for
 * the document to finish parsing before it says the viewer is missing.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { CnnLayerViewer, LayerSelectDetail } from '../layer-viewer.js';
import type { Model } from '../shared-engine.js';

export interface LinkTarget {
  /** The viewer drew a pass: its model, its input at the model's resolution, its input-range. */
  ready(model: Model, input: HTMLCanvasElement, range: string): void;
  /** A tile was opened: its layer and channel. */
  select(layer: string, channel: number): void;
  /** A unit of the opened map was clicked. */
  unit(x: number, y: number): void;
  missing(id: string): void;
}

export class ViewerLink implements ReactiveController {
  private viewer: CnnLayerViewer | null = null;
  private id = '';

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly target: LinkTarget,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    if (this.id) this.follow(this.id);
  }

  hostDisconnected(): void {
    this.detach();
  }

  /** Follows the viewer with this id (empty: none). */
  follow(id: string): void {
    this.detach();
    this.id = id;
    if (!id || !this.host.isConnected) return;
    const root = this.host.getRootNode() as Document | ShadowRoot;
    const el = root.getElementById?.(id) ?? document.getElementById(id);
    if (!el || el.localName !== 'cnn-layer-viewer') {
      if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => this.id === id && this.follow(id), { once: true });
      else this.target.missing(id);
      return;
    }
    const viewer = el as CnnLayerViewer;
    this.viewer = viewer;
    viewer.addEventListener('cnn-ready', this.onReady);
    viewer.addEventListener('cnn-layer-select', this.onSelect);
    viewer.addEventListener('click', this.onClick);
    void customElements.whenDefined('cnn-layer-viewer').then(() => {
      if (this.viewer === viewer && viewer.state === 'ready') this.onReady();
    });
  }

  private detach(): void {
    const v = this.viewer;
    if (!v) return;
    v.removeEventListener('cnn-ready', this.onReady);
    v.removeEventListener('cnn-layer-select', this.onSelect);
    v.removeEventListener('click', this.onClick);
    this.viewer = null;
  }

  private onReady = (ev?: Event): void => {
    const v = this.viewer;
    // Only the viewer's own passes: a follower nested in the viewer fires cnn-ready through it too.
    if (ev && ev.target !== v) return;
    const model = v?.loadedModel;
    if (v && model && v.input) this.target.ready(model, v.input, v.inputRange);
  };

  private onSelect = (ev: Event): void => {
    if (ev.target !== this.viewer) return;
    const d = (ev as CustomEvent<LayerSelectDetail>).detail;
    this.target.select(d.layer, d.channel);
  };

  private onClick = (ev: MouseEvent): void => {
    const map = ev.composedPath().find((n): n is HTMLCanvasElement => n instanceof HTMLCanvasElement && n.classList.contains('detail-map'));
    if (!map) return;
    const rect = map.getBoundingClientRect();
    if (!rect.width || !rect.height) return;
    const x = Math.floor(((ev.clientX - rect.left) / rect.width) * map.width);
    const y = Math.floor(((ev.clientY - rect.top) / rect.height) * map.height);
    if (x >= 0 && y >= 0 && x < map.width && y < map.height) this.target.unit(x, y);
  };
}
