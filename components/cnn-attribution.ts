// Registers <cnn-attribution>; the class lives in internal/attribution/.
import { CnnAttribution } from './internal/attribution/attribution.js';

export { CnnAttribution };
export type { AttributionState, AttributionReadyDetail, AttributionErrorDetail } from './internal/attribution/attribution.js';

if (!customElements.get('cnn-attribution')) customElements.define('cnn-attribution', CnnAttribution);

declare global {
  interface HTMLElementTagNameMap {
    'cnn-attribution': CnnAttribution;
  }
}
