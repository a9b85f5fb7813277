import { expect } from '@esm-bundle/chai';
import { gpuIt } from '../helpers/gpu.js';
import { Rng } from '../helpers/random.js';
import { expectClose } from '../helpers/compare.js';
import { sequential } from '../../src/nn/sequential.js';

/** Per-channel mean and biased variance of NHWC values over every axis but the last. */
function batchStats(xs: Float32Array, c: number): { mean: Float64Array; variance: Float64Array } {
  const n = xs.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < xs.length; i++) mean[i % c]! += xs[i]! / n;
  for (let i = 0; i < xs.length; i++) variance[i % c]! += (xs[i]! - mean[i % c]!) ** 2 / n;
  return { mean, variance };
}

describe('BatchNormalization', () => {
  gpuIt('training updates the moving mean and variance in place: tensors from namedWeights() stay alive and hold the new values', async (e) => {
    const momentum = 0.8;
    const c = 4;
    const model = sequential(e, {
      inputShape: [3, 5, c],
      layers: [{ className: 'BatchNormalization', config: { name: 'bn', momentum } }],
    });
    const weight = (name: string) => model.namedWeights().find((w) => w.name === `bn/${name}`)!.tensor;
    const movingMean = weight('moving_mean');
    const movingVariance = weight('moving_variance');
    const expectedMean = Float64Array.from(await movingMean.read());
    const expectedVariance = Float64Array.from(await movingVariance.read());
    const rng = new Rng(21);
    // Two steps, so that the second one starts from what the first wrote.
    for (let step = 0; step < 2; step++) {
      const xs = rng.uniform(2 * 3 * 5 * c, -2 + step, 3 + step);
      const x = e.tensor(xs, [2, 3, 5, c]);
      model.run(x, { training: true }).dispose();
      x.dispose();
      const { mean, variance } = batchStats(xs, c);
      for (let k = 0; k < c; k++) {
        expectedMean[k] = expectedMean[k]! - (expectedMean[k]! - mean[k]!) * (1 - momentum);
        expectedVariance[k] = expectedVariance[k]! - (expectedVariance[k]! - variance[k]!) * (1 - momentum);
      }
      expect(movingMean.isDisposed, `moving_mean disposed after step ${step + 1}`).to.equal(false);
      expect(movingVariance.isDisposed, `moving_variance disposed after step ${step + 1}`).to.equal(false);
      expect(weight('moving_mean'), 'namedWeights() returns the same moving_mean tensor').to.equal(movingMean);
      expect(weight('moving_variance'), 'namedWeights() returns the same moving_variance tensor').to.equal(movingVariance);
      expectClose(await movingMean.read(), expectedMean, `moving_mean after step ${step + 1}`);
      expectClose(await movingVariance.read(), expectedVariance, `moving_variance after step ${step + 1}`);
    }
    model.dispose();
  });
});
