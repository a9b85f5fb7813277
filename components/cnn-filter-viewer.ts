// Registers <cnn-filter-viewer>; the class lives in internal/filter-viewer.ts.
import { CnnFilterViewer } from './internal/filter-viewer.js';

export { CnnFilterViewer };

if (!customElements.get('cnn-filter-viewer')) customElements.define('cnn-filter-viewer', CnnFilterViewer);

declare global {
  interface HTMLElementTagNameMap {
    'cnn-filter-viewer': CnnFilterViewer;
  }
}
