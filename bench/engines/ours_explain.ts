/**
 * The explanation rows on our engine: the model loaded by our own loader, then explain.saliency,
 * explain.integratedGradients, or one step of a running explain.featureVis (held paused between
 * steps, so a call is one step of the loop a page runs, its yield to the page included).
 */
import { loadLayersModel, explain } from '../../src/index.js';
import type { Engine } from '../../src/engine.js';
import type { Tensor } from '../../src/tensor.js';
import type { FeatureVisOptions } from '../../src/explain/index.js';
import type { ExplainSpec, PreparedCase } from '../types.js';

/** The seed of the feature-visualisation image; the baseline draws the same starting coefficients. */
export const FEATURE_VIS_SEED = 1;

export async function prepareExplain(e: Engine, spec: ExplainSpec, x: Tensor, base: string, baseline?: Tensor): Promise<Pick<PreparedCase, 'run' | 'output' | 'dispose'>> {
  const model = await loadLayersModel(e, new URL(spec.url, base).href);
  const read = async (t: Promise<Tensor>): Promise<Float32Array> => {
    const y = await t;
    try {
      return await y.read();
    } finally {
      y.dispose();
    }
  };
  if (spec.method !== 'featureVisStep') {
    const call = () =>
      spec.method === 'saliency'
        ? explain.saliency(model, x, { target: spec.target })
        : explain.integratedGradients(model, x, { target: spec.target, steps: spec.steps, baseline });
    return {
      run: async () => (await call()).dispose(),
      output: () => read(call()),
      dispose: () => model.dispose(),
    };
  }
  if (!('layer' in spec.target)) throw new Error('a feature-visualisation row takes a {layer, channel} target');
  const opts: FeatureVisOptions = {
    target: spec.target, seed: FEATURE_VIS_SEED, range: spec.range, preActivation: false,
    jitter: 0, jitterAfter: 0, rotate: 0, scale: [1, 1],
  };
  // A run that pauses itself after every step; a call resumes it and waits for the next step.
  let stepped: (() => void) | null = null;
  const run: explain.FeatureVisRun = explain.featureVis(model, {
    ...opts,
    steps: Number.MAX_SAFE_INTEGER,
    onStep: () => {
      run.pause();
      const s = stepped;
      stepped = null;
      s?.();
    },
  });
  const step = () => new Promise<void>((resolve) => {
    stepped = resolve;
    run.resume();
  });
  await step();
  return {
    run: step,
    // The image after one step from the seed's start: a run returns the image its last step saw
    // (before that step's update), so the second step's.
    output: async () => {
      const { image } = await explain.featureVis(model, { ...opts, steps: 2 }).done;
      return read(Promise.resolve(image));
    },
    dispose: () => {
      run.cancel();
      void run.done.then((r) => r.image.dispose()).finally(() => model.dispose());
    },
  };
}
