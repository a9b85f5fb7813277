// Registers <cnn-layer-viewer>; the class lives in internal/layer-viewer.ts.
import { CnnLayerViewer } from './internal/layer-viewer.js';

export { CnnLayerViewer };
export type { ViewerState, ReadyDetail, ErrorDetail, LayerSelectDetail } from './internal/layer-viewer.js';

if (!customElements.get('cnn-layer-viewer')) customElements.define('cnn-layer-viewer', CnnLayerViewer);

declare global {
  interface HTMLElementTagNameMap {
    'cnn-layer-viewer': CnnLayerViewer;
  }
}
