/**
 * A whole model's forward pass on our engine: the TF.js layers model loaded by our own loader and
 * run through `Model.predict`, as a page does inference (intermediates freed as it goes).
 */
import { loadLayersModel } from '../../src/index.js';
import type { Engine } from '../../src/engine.js';
import type { Tensor } from '../../src/tensor.js';
import type { ModelSpec, PreparedCase } from '../types.js';

export async function prepareModel(e: Engine, spec: ModelSpec, x: Tensor, base: string): Promise<Pick<PreparedCase, 'run' | 'output' | 'dispose'>> {
  const model = await loadLayersModel(e, new URL(spec.url, base).href);
  return {
    run: () => model.predict(x).dispose(),
    output: async () => {
      const y = model.predict(x);
      try {
        return await y.read();
      } finally {
        y.dispose();
      }
    },
    dispose: () => model.dispose(),
  };
}
