// Registers <cnn-trainer>; the class and its parts live in internal/trainer/.
import { CnnTrainer } from './internal/trainer/trainer.js';

export { CnnTrainer };
export type { TrainerState, TrainStartDetail, TrainProgressDetail, TrainEndDetail, TrainErrorDetail, SaveDetail } from './internal/trainer/trainer.js';

if (!customElements.get('cnn-trainer')) customElements.define('cnn-trainer', CnnTrainer);

declare global {
  interface HTMLElementTagNameMap {
    'cnn-trainer': CnnTrainer;
  }
}
