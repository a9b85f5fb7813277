// Registers <cnn-image-input>; the class lives in internal/image-input.ts.
import { CnnImageInput } from './internal/image-input.js';

export { CnnImageInput };
export type { InputMode, InputDetail } from './internal/image-input.js';

if (!customElements.get('cnn-image-input')) customElements.define('cnn-image-input', CnnImageInput);

declare global {
  interface HTMLElementTagNameMap {
    'cnn-image-input': CnnImageInput;
  }
}
