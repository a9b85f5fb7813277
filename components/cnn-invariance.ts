// Registers <cnn-invariance>; the class lives in internal/invariance/.
import { CnnInvariance } from './internal/invariance/invariance.js';

export { CnnInvariance };
export type { InvarianceState, InvarianceReadyDetail, InvarianceErrorDetail, Loading } from './internal/invariance/invariance.js';

if (!customElements.get('cnn-invariance')) customElements.define('cnn-invariance', CnnInvariance);

declare global {
  interface HTMLElementTagNameMap {
    'cnn-invariance': CnnInvariance;
  }
}
