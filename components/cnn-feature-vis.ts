// Registers <cnn-feature-vis>; the class lives in internal/feature-vis/.
import { CnnFeatureVis } from './internal/feature-vis/feature-vis.js';

export { CnnFeatureVis };
export type { FeatureVisState, FeatureVisReadyDetail, FeatureVisSelectDetail, FeatureVisErrorDetail } from './internal/feature-vis/feature-vis.js';

if (!customElements.get('cnn-feature-vis')) customElements.define('cnn-feature-vis', CnnFeatureVis);

declare global {
  interface HTMLElementTagNameMap {
    'cnn-feature-vis': CnnFeatureVis;
  }
}
