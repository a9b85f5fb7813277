/**
 * "What does this channel look for?" in <cnn-layer-viewer>'s opened tile: on request, a
 * <cnn-feature-vis> of that one channel, its optimised image forming live, opened beside the inputs
 * of the viewer's `dataset` that drive the channel hardest. On request rather than on opening,
 * because the optimisation is many passes of the network and a reader opens many tiles.
 */
import { html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { ref } from 'lit/directives/ref.js';
import '../cnn-feature-vis.js';
import type { CnnFeatureVis } from './feature-vis/feature-vis.js';
import type { Model } from './shared-engine.js';
import type { Fit } from './image-pixels.js';
import type { ViewerStrings } from './layer-viewer-messages.js';

/**
 * The inner element's events stop at the viewer: a page (or a linked element) listening for the
 * viewer's cnn-ready or cnn-layer-select would otherwise take the feature visualisation's for its own.
 */
const keepInside = (ev: Event): void => ev.stopPropagation();

export interface LooksForSource {
  model(): { model: Model; name: string } | null;
  /** The feature visualisation's settings, taken from the viewer's attributes. */
  settings(): { dataset: string; inputRange: string; fit: Fit; steps: number };
}

export class LooksFor implements ReactiveController {
  /** `layer:channel` the reader asked about, or null. */
  private asked: string | null = null;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly source: LooksForSource,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  /** The channel's optimised image is shown (or forming). */
  isShown(layer: string, channel: number): boolean {
    return this.asked === `${layer}:${channel}`;
  }

  /** Starts the optimisation for this channel (as the button does). */
  ask(layer: string, channel: number): void {
    this.asked = `${layer}:${channel}`;
    this.host.requestUpdate();
  }

  /** Forgets the request (a new model). */
  reset(): void {
    this.asked = null;
  }

  render(layer: string, channel: number, t: ViewerStrings): TemplateResult | typeof nothing {
    const net = this.source.model();
    if (!net) return nothing;
    if (!this.isShown(layer, channel)) {
      return html`<button class="looks-for-ask" @click=${() => this.ask(layer, channel)}>${t('looksForAsk', { channel })}</button>`;
    }
    const o = this.source.settings();
    const give = (el: Element | undefined) => {
      const vis = el as CnnFeatureVis | undefined;
      if (vis && vis.loadedModel !== net.model) vis.setModel(net.model, net.name);
    };
    return html`${keyed(
      `${layer}:${channel}`,
      html`<cnn-feature-vis
        class="looks-for"
        part="looks-for"
        layer=${layer}
        channels=${`${channel}-${channel}`}
        open-channel=${channel}
        steps=${o.steps}
        dataset=${o.dataset}
        input-range=${o.inputRange}
        fit=${o.fit}
        @cnn-ready=${keepInside}
        @cnn-error=${keepInside}
        @cnn-layer-select=${keepInside}
        ${ref(give)}
      ></cnn-feature-vis>`,
    )}`;
  }
}
