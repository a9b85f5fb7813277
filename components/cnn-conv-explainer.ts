// Registers <cnn-conv-explainer>; the class lives in internal/conv-explainer/.
import { CnnConvExplainer } from './internal/conv-explainer/conv-explainer.js';

export { CnnConvExplainer };
export type { ExplainerState, ExplainerReadyDetail, UnitSelectDetail, ExplainerErrorDetail } from './internal/conv-explainer/conv-explainer.js';

if (!customElements.get('cnn-conv-explainer')) customElements.define('cnn-conv-explainer', CnnConvExplainer);

declare global {
  interface HTMLElementTagNameMap {
    'cnn-conv-explainer': CnnConvExplainer;
  }
}
